// The ranking table (callbacks/main.py: the view sends its rows to the store `ranking-data`): a plain sortable
// <table> written here into the `ranking` container, instead of dash_table, whose scripts (~160 KB) were
// evaluated and rendered before the first map could be drawn.
//
// It is written as HTML, not returned as Dash components: ~80 rows of 7 cells as components took Dash's renderer
// ~1.8 s to lay out (every new component is crawled for callbacks). React never renders children into the
// container (its `children` stay unset), so it leaves what is written here alone.
//
// Numbers carry the view's own decimal and group symbols; a missing value is an em dash, never a blank. A header
// button sorts by its column (numbers largest first, names A-Z); a second click reverses; aria-sort says which.
// The sort is kept when the view changes.
//
// The rows arrive as columns, by unit id (core/view.py ranking_wire): the ids in their own store (the same for
// views with the same units, so not sent again), then `cols` (one list per column; a column no row has a value
// in is left out), `sources` (each label once; `cols.source` holds indexes) and no names for the units the
// map's GeoJSON names: they are read from it (`geo`, its address: the copy plotly.js keeps of it, or the
// browser's cache), `names` holds any other's. They are shown by rank, then name.
(function () {
  'use strict';
  var last = null;                 // the rows on screen: {rows, columns, decimal, group, lang, empty}
  var sort = {col: null, desc: false};
  var namesByGeo = {};             // language|GeoJSON address -> {unit id: name}
  var seq = 0;                     // the newest data asked for (an older one that resolves late is not drawn)

  function namesOf(geo) {
    if (!geo) { return Promise.resolve({}); }
    // the countries' GeoJSON carries their English names too (core/query.py _build_geo): the page's language
    var en = document.documentElement.lang === 'en', key = (en ? 'en|' : 'es|') + geo;
    if (namesByGeo[key]) { return Promise.resolve(namesByGeo[key]); }
    var kept = (window.PlotlyGeoAssets || {})[geo];
    var got = kept && kept.features ? Promise.resolve(kept)
      : fetch(geo, {credentials: 'same-origin'}).then(function (r) {
          if (!r.ok) { throw new Error('GeoJSON ' + r.status); }
          return r.json();
        });
    return got.then(function (gj) {
      var m = {};
      (gj.features || []).forEach(function (f) {
        var p = f.properties;
        m[f.id] = p ? ((en && p.name_en) || p.name) : undefined;
      });
      namesByGeo[key] = m;
      return m;
    }).catch(function () { return {}; });   // the unit ids stand in below: never a blank
  }

  function rowsOf(data, ids, names) {
    var c = data.cols || {}, extra = data.names || {}, sources = data.sources || [];
    var keys = Object.keys(c).filter(function (k) { return k !== 'source'; });
    var rows = (ids || []).map(function (id, i) {
      var r = {unit_id: id, name: extra[id] || names[id] || id};
      keys.forEach(function (k) { r[k] = c[k][i]; });
      if (c.source) { r.source = sources[c.source[i]]; }
      return r;
    });
    return rows.sort(function (a, b) {
      return (a.rank - b.rank) || String(a.name).localeCompare(String(b.name), data.lang || 'es');
    });
  }

  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}[c];
    });
  }

  function fmt(v, decimals, dec, grp) {
    if (v === null || v === undefined || (typeof v === 'number' && isNaN(v))) { return '\u2014'; }
    if (typeof v !== 'number') { return String(v); }
    if (decimals === 'int') { return String(Math.round(v)); }
    var parts = Math.abs(v).toFixed(decimals).split('.');
    var whole = parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, grp);
    return (v < 0 ? '-' : '') + whole + (parts[1] ? dec + parts[1] : '');
  }

  function numeric(col) { return col.decimals !== undefined && col.decimals !== null; }

  function missing(x) { return x === null || x === undefined || x === ''; }

  function ordered(rows, col, desc, lang) {
    if (!col) { return rows; }
    var num = numeric(col), id = col.id;
    return rows.slice().sort(function (a, b) {
      var x = a[id], y = b[id];
      if (missing(x) || missing(y)) { return missing(x) === missing(y) ? 0 : (missing(x) ? 1 : -1); }  // last
      var c = num ? (x - y) : String(x).localeCompare(String(y), lang || 'es');
      return desc ? -c : c;
    });
  }

  function html(data) {
    var cols = data.columns || [];
    var rows = data.rows || [];
    if (!rows.length) { return '<p class="obs-small-note">' + esc(data.empty || '') + '</p>'; }
    var col = cols.filter(function (c) { return c.id === sort.col; })[0] || null;
    var out = ['<table class="obs-rank-table"><thead><tr>'];
    cols.forEach(function (c) {
      var active = col && c.id === col.id;
      out.push('<th scope="col" class="' + (numeric(c) ? '' : 'obs-txt') + '" aria-sort="' +
               (active ? (sort.desc ? 'descending' : 'ascending') : 'none') + '">' +
               '<button type="button" class="obs-rank-sort" data-col="' + esc(c.id) + '"' +
               (active ? ' data-dir="' + (sort.desc ? '\u25BC' : '\u25B2') + '"' : '') + '>' +
               esc(c.name) + '</button></th>');
    });
    out.push('</tr></thead><tbody>');
    ordered(rows, col, sort.desc, data.lang).forEach(function (r) {
      out.push('<tr data-unit="' + esc(r.unit_id) + '">');
      cols.forEach(function (c) {
        var v = r[c.id];
        out.push(numeric(c) ? '<td>' + esc(fmt(v, c.decimals, data.decimal, data.group)) + '</td>'
                            : '<td class="obs-txt">' + (missing(v) ? '' : esc(v)) + '</td>');
      });
      out.push('</tr>');
    });
    out.push('</tbody></table>');
    return out.join('');
  }

  function render(focusCol) {
    var box = document.getElementById('ranking');
    if (!box || !last) { return; }
    box.innerHTML = html(last);
    if (focusCol) {
      var b = box.querySelector('.obs-rank-sort[data-col="' + focusCol + '"]');
      if (b) { b.focus(); }
    }
  }

  // a header button: the same column again reverses the order; a new column starts with numbers largest first
  // and text A-Z
  document.addEventListener('click', function (e) {
    var b = e.target && e.target.closest && e.target.closest('#ranking .obs-rank-sort');
    if (!b || !last) { return; }
    var id = b.getAttribute('data-col');
    var col = (last.columns || []).filter(function (c) { return c.id === id; })[0];
    if (!col) { return; }
    sort = sort.col === id ? {col: id, desc: !sort.desc} : {col: id, desc: numeric(col)};
    render(id);
  });

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    obs: Object.assign({}, (window.dash_clientside || {}).obs, {
      // the stores' new columns and ids -> the table; resolves to the number of rows (the container's data-rows)
      rankingTable: function (data, ids) {
        if (!data || !Array.isArray(ids)) { return window.dash_clientside.no_update; }
        var mine = ++seq;
        return namesOf(data.geo).then(function (names) {
          if (mine !== seq) { return window.dash_clientside.no_update; }   // a newer view is on its way
          last = Object.assign({}, data, {rows: rowsOf(data, ids, names)});
          render(null);
          return String(last.rows.length);
        });
      },
      rankingFormat: fmt   // for the tests
    })
  });
})();
