// The ranking table (callbacks/main.py: the view sends its rows to the store `ranking-data`): a plain sortable
// <table> built here as Dash components, instead of dash_table, whose scripts (~160 KB) were evaluated and
// rendered before the first map could be drawn. Numbers are written with the view's own decimal and group
// symbols; a missing value is an em dash, never a blank. A header button sorts by its column (numbers largest
// first, names A-Z); a second click reverses; the sort is kept when the view changes.
(function () {
  'use strict';
  var H = 'dash_html_components';

  function el(type, props) { return {type: type, namespace: H, props: props}; }

  function fmt(v, decimals, dec, grp) {
    if (v === null || v === undefined || (typeof v === 'number' && isNaN(v))) { return '\u2014'; }
    if (typeof v !== 'number') { return String(v); }
    if (decimals === 'int') { return String(Math.round(v)); }
    var s = Math.abs(v).toFixed(decimals);
    var parts = s.split('.');
    var whole = parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, grp);
    return (v < 0 ? '-' : '') + whole + (parts[1] ? dec + parts[1] : '');
  }

  function numeric(col) { return col.decimals !== undefined && col.decimals !== null; }

  function sorted(rows, col, desc, lang) {
    if (!col) { return rows; }
    var num = numeric(col), id = col.id;
    var out = rows.slice();
    out.sort(function (a, b) {
      var x = a[id], y = b[id];
      var xm = x === null || x === undefined || x === '', ym = y === null || y === undefined || y === '';
      if (xm || ym) { return xm === ym ? 0 : (xm ? 1 : -1); }   // missing values last, whatever the direction
      var c = num ? (x - y) : String(x).localeCompare(String(y), lang || 'es');
      return desc ? -c : c;
    });
    return out;
  }

  function table(data, sort) {
    var cols = data.columns || [];
    var rows = data.rows || [];
    if (!rows.length) {
      return el('P', {className: 'obs-small-note', children: data.empty || ''});
    }
    var col = null;
    if (sort && sort.col) { col = cols.filter(function (c) { return c.id === sort.col; })[0] || null; }
    var desc = !!(col && sort.desc);
    var head = cols.map(function (c) {
      var active = col && c.id === col.id;
      return el('Th', {
        scope: 'col', className: numeric(c) ? '' : 'obs-txt',
        'aria-sort': active ? (desc ? 'descending' : 'ascending') : 'none',
        children: el('Button', {
          id: {type: 'obs-rank-sort', col: c.id}, className: 'obs-rank-sort', n_clicks: 0,
          'data-dir': active ? (desc ? '\u25BC' : '\u25B2') : undefined,
          children: c.name
        })
      });
    });
    var body = sorted(rows, col, desc, data.lang).map(function (r) {
      return el('Tr', {key: r.unit_id, children: cols.map(function (c) {
        return el('Td', {className: numeric(c) ? '' : 'obs-txt',
                         children: numeric(c) ? fmt(r[c.id], c.decimals, data.decimal, data.group)
                                              : (r[c.id] === null || r[c.id] === undefined ? '' : String(r[c.id]))});
      })});
    });
    return el('Table', {className: 'obs-rank-table', children: [
      el('Thead', {children: el('Tr', {children: head})}),
      el('Tbody', {children: body})
    ]});
  }

  // a header button's click -> the new sort: the same column again reverses it; a new column starts with
  // numbers largest first and text A-Z
  function sortAfter(clicks, sort, data) {
    var noUpdate = window.dash_clientside.no_update;
    var trig = (window.dash_clientside.callback_context.triggered || [])[0];
    if (!trig || !trig.value) { return noUpdate; }   // buttons drawn anew (n_clicks 0): not a click
    var id;
    try { id = JSON.parse(trig.prop_id.slice(0, trig.prop_id.lastIndexOf('.'))).col; } catch (e) { return noUpdate; }
    var col = ((data && data.columns) || []).filter(function (c) { return c.id === id; })[0];
    if (!col) { return noUpdate; }
    if (sort && sort.col === id) { return {col: id, desc: !sort.desc}; }
    return {col: id, desc: numeric(col)};
  }

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    obs: Object.assign({}, (window.dash_clientside || {}).obs, {
      rankingTable: function (data, sort) {
        return data ? table(data, sort) : window.dash_clientside.no_update;
      },
      rankingSort: sortAfter,
      // exposed for the tests
      rankingFormat: fmt
    })
  });
})();
