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
  var BUNDLE = 'vendor/plotly-obs.min.js?v=4.1.1-64ee9900';   // written by tools/plotly_bundle/build.sh
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
})();
