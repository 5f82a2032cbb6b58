/* Issue 4: presenter keyboard stepping and image export (PNG / SVG with title, legend, source and date). */
(function () {
  'use strict';
  // Arrow keys / PageUp-PageDown / space step through the deck: they click the presenter's own buttons, whose
  // callback writes slide=<n> into the URL (so a reload or a shared link opens the same slide).
  document.addEventListener('keydown', function (ev) {
    if (!document.querySelector('.obs-present')) { return; }
    const tag = (ev.target && ev.target.tagName) || '';
    if (/INPUT|TEXTAREA|SELECT/.test(tag) || (ev.target && ev.target.isContentEditable)) { return; }
    if (ev.altKey || ev.ctrlKey || ev.metaKey) { return; }
    let id = null;
    if (['ArrowRight', 'ArrowDown', 'PageDown', ' '].indexOf(ev.key) >= 0) { id = 'pr-next'; }
    if (['ArrowLeft', 'ArrowUp', 'PageUp'].indexOf(ev.key) >= 0) { id = 'pr-prev'; }
    if (!id) { return; }
    const btn = document.getElementById(id);
    if (btn) { ev.preventDefault(); btn.click(); }
  });

  // "CSV" beside a chart: the numbers of the view in the page's address (every choice is in it), at the moment
  // the link is followed (layouts/present.py export_buttons)
  document.addEventListener('click', function (ev) {
    const a = ev.target && ev.target.closest && ev.target.closest('a.obs-csv-link');
    if (a && a.dataset.base) { a.href = a.dataset.base + window.location.search; }
  }, true);

  // Figure -> image with the title on top, the legend (map classes) and the source + date line baked in.
  window.obsExport = function (graphId, fmt, meta) {
    const gd = document.querySelector('#' + graphId + ' .js-plotly-plot') || document.getElementById(graphId);
    if (!gd || !window.Plotly || !gd.data) { return null; }
    const W = 1280, H = 900;
    const layout = JSON.parse(JSON.stringify(gd.layout || {}));
    const data = JSON.parse(JSON.stringify(gd.data || []));
    const legend = (meta && meta.legend) || [];
    // a legend under the plot (the trend's) needs its rows of room above the source line: ~22 px a row, its
    // columns from the legend's own entry width (the region's trend: two), else one row
    const lg = layout.legend || {};
    const named = data.filter(function (tr) { return tr.showlegend !== false && tr.name; }).length;
    const cols = (lg.orientation === 'h' && lg.entrywidthmode === 'fraction' && lg.entrywidth > 0) ?
      Math.max(1, Math.floor(1 / lg.entrywidth)) : Math.max(1, named);
    const legendRows = (lg.orientation === 'h' && named) ? Math.ceil(named / cols) : 0;
    const top = 90, bottom = 70 + (legend.length ? 40 : 0) + (legendRows ? (legendRows - 1) * 22 + 10 : 0);
    layout.width = W; layout.height = H;
    layout.margin = Object.assign({}, layout.margin || {}, {t: top, b: bottom + ((layout.margin || {}).b || 0)});
    layout.title = {text: esc(meta.title || ''), x: 0.01, xanchor: 'left', y: 0.985, yanchor: 'top',
                    font: {size: 26, color: '#111'}};
    const ann = (layout.annotations || []).slice();
    if (layout.legend && layout.legend.orientation === 'h') { layout.legend.y = -0.07; layout.legend.yanchor = 'top'; }
    ann.push({text: esc((meta.source || '') + ' · ' + (meta.date || '')), xref: 'paper', yref: 'paper',
              x: 0, y: 0, yshift: -layout.margin.b + 12, xanchor: 'left', yanchor: 'bottom', showarrow: false,
              font: {size: 16, color: '#333'}, name: 'obs-source'});
    const shapes = (layout.shapes || []).slice();
    if (legend.length) {
      let x = 0;
      const step = 1 / Math.max(legend.length, 4);
      if (meta.legend_title) {
        ann.push({text: '<b>' + esc(meta.legend_title) + '</b>', xref: 'paper', yref: 'paper', x: 0, y: 0,
                  yshift: -bottom + 62, xanchor: 'left', yanchor: 'bottom', showarrow: false,
                  font: {size: 15, color: '#111'}});
      }
      legend.forEach(function (it) {
        shapes.push({type: 'rect', xref: 'paper', yref: 'paper', x0: x, x1: x + 0.03, y0: 0, y1: 0,
                     ysizemode: 'pixel', yanchor: 0, y0shift: 0, line: {color: '#777', width: 1},
                     fillcolor: it.color, name: 'obs-legend'});
        ann.push({text: esc(it.label), xref: 'paper', yref: 'paper', x: x + 0.035, y: 0, yshift: -bottom + 38,
                  xanchor: 'left', yanchor: 'bottom', showarrow: false, font: {size: 15, color: '#111'},
                  name: 'obs-legend-label'});
        shapes[shapes.length - 1].y0 = -((bottom - 40) / (H - top - bottom));
        shapes[shapes.length - 1].y1 = -((bottom - 56) / (H - top - bottom));
        delete shapes[shapes.length - 1].ysizemode; delete shapes[shapes.length - 1].yanchor;
        delete shapes[shapes.length - 1].y0shift;
        x += step;
      });
    }
    layout.annotations = ann; layout.shapes = shapes;
    const fig = {data: data, layout: layout, config: {staticPlot: true}};
    const name = (meta && meta.filename) || 'observatorio';
    window._obsLastExport = {format: fmt, title: layout.title.text, annotations: ann.length, legend: legend.length};
    // a map with no-data areas: its image hatched as the page is (DESIGN.md), drawn as SVG first
    const hatch = legend.some(function (it) { return it.nodata; }) && document.getElementById(NODATA_ID);
    return window.Plotly.toImage(fig, {format: hatch ? 'svg' : fmt, width: W, height: H}).then(function (url) {
      return hatch ? hatched(url, fmt, W, H) : url;
    }).then(function (url) {
      const a = document.createElement('a');
      a.href = url; a.download = name + '.' + fmt;
      document.body.appendChild(a); a.click(); a.remove();
      window._obsLastExport.done = true;
      return url;
    });
  };

  // "no data" in an exported image as on the page: plotly fills those areas with core/figures.NO_DATA_COLOR; the
  // SVG it makes gets the page's own pattern (the <pattern id="obs-nodata"> app.py puts in every page) and its
  // grey areas and the legend's grey swatch are filled with it. A PNG is then drawn from that SVG on a canvas
  // (what plotly.js does for its own PNG).
  // The grey is the pattern's own ground (its first rect), written as plotly writes colours in its SVG.
  const NODATA_ID = 'obs-nodata';
  function hatched(svgUrl, fmt, W, H) {
    const comma = svgUrl.indexOf(',');
    const head = svgUrl.slice(0, comma);
    let svg = head.indexOf(';base64') >= 0 ? atob(svgUrl.slice(comma + 1)) : decodeURIComponent(svgUrl.slice(comma + 1));
    const pattern = document.getElementById(NODATA_ID);
    const hex = (pattern.querySelector('rect').getAttribute('fill') || '').replace('#', '');
    const grey = 'rgb(' + [0, 2, 4].map(function (i) { return parseInt(hex.slice(i, i + 2), 16); }).join(', ') + ')';
    svg = svg.replace(/<svg[^>]*>/, function (m) { return m + '<defs>' + pattern.outerHTML + '</defs>'; })
      .split('fill="' + grey + '"').join('fill="url(#' + NODATA_ID + ')"')
      .split('fill: ' + grey).join('fill: url(#' + NODATA_ID + ')');
    const url = 'data:image/svg+xml;charset=utf-8,' + encodeURIComponent(svg);
    if (fmt === 'svg') { return Promise.resolve(url); }
    return new Promise(function (resolve, reject) {
      const img = new Image();
      img.onload = function () {
        const canvas = document.createElement('canvas');
        canvas.width = W; canvas.height = H;
        canvas.getContext('2d').drawImage(img, 0, 0, W, H);
        resolve(canvas.toDataURL('image/png'));
      };
      img.onerror = reject;
      img.src = url;
    });
  }

  function esc(s) { return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;'); }
})();
