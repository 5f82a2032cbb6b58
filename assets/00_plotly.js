/* Which plotly.js the graphs use, and its empty world base map (docs/PERFORMANCE.md, "The map in the browser").
 *
 * dcc.Graph loads plotly.js itself, asynchronously, from window._dashPlotlyJSURL, which the Dash renderer points
 * at the full 4.8 MB bundle (MapLibre and every WebGL trace). The dashboard draws three trace types: it loads its
 * own 1.4 MB build with only scatter, bar and choropleth (tools/plotly_bundle/), still asynchronously, by making
 * that URL read-only here, before the renderer starts.
 *
 * The map is a choropleth on a `geo` subplot with no base map drawn (geo.visible = false); plotly still asks for
 * the world topojson of the subplot, from cdn.plot.ly. An empty one is preset so nothing leaves the site.
 */
(function () {
  'use strict';
  var BUNDLE = 'vendor/plotly-obs.min.js?v=4.1.1-99427eb9';   // written by tools/plotly_bundle/build.sh
  var me = document.currentScript && document.currentScript.src;
  var url = me ? me.replace(/[^/]*$/, BUNDLE) : '/assets/' + BUNDLE;
  try {
    Object.defineProperty(window, '_dashPlotlyJSURL', {
      configurable: true, get: function () { return url; }, set: function () {}
    });
  } catch (e) { /* a renderer that defined it first: the full bundle is loaded, and works */ }
  var EMPTY = {type: 'GeometryCollection', geometries: []};
  window.PlotlyGeoAssets = window.PlotlyGeoAssets || {topojson: {}};
  window.PlotlyGeoAssets.topojson = window.PlotlyGeoAssets.topojson || {};
  window.PlotlyGeoAssets.topojson.world_110m = {
    type: 'Topology', arcs: [],
    objects: {coastlines: EMPTY, land: EMPTY, ocean: EMPTY, lakes: EMPTY, rivers: EMPTY, countries: EMPTY,
              subunits: EMPTY}
  };

  // The GeoJSON the page preloads (web/preload.py: the first view's areas and land) handed to plotly.js as soon
  // as it is in: plotly then draws the map in the same task as the view's answer, without its own request for
  // it and the wait for that request's answer behind the page's other work (~40 ms on a cold level-2 page).
  // plotly keys its cache by the trace's URL, which is the site-relative address the preload used. A URL plotly
  // already has (or is fetching: 'pending') is left to it.
  function take(entry) {
    if (entry.initiatorType !== 'link' || !/\/geo\/level-\d+\.json\?/.test(entry.name)) { return; }
    var u = new URL(entry.name);
    if (u.origin !== location.origin) { return; }
    var key = u.pathname + u.search;
    if (window.PlotlyGeoAssets[key]) { return; }
    fetch(key, {credentials: 'same-origin'}).then(function (r) { return r.ok ? r.json() : null; })
      .then(function (d) { if (d && !window.PlotlyGeoAssets[key]) { window.PlotlyGeoAssets[key] = d; } })
      .catch(function () { /* plotly fetches it itself */ });
  }
  try {
    new PerformanceObserver(function (list) { list.getEntries().forEach(take); })
      .observe({type: 'resource', buffered: true});
  } catch (e) { /* no observer: plotly fetches the GeoJSON itself, as before */ }
})();
