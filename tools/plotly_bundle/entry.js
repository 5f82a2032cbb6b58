'use strict';
// The dashboard's plotly.js: the core (which always carries scatter) with only the traces the dashboard draws:
// bar (the source comparison), choropleth (the SVG map on a geo subplot) and the Spanish locale.
// No MapLibre, no WebGL traces: 1.4 MB minified instead of 4.8 MB (docs/PERFORMANCE.md).
var Plotly = require('plotly.js/lib/core');

Plotly.register([
    require('plotly.js/lib/bar'),
    require('plotly.js/lib/choropleth'),
    require('plotly.js/lib/locales/es')
]);

module.exports = Plotly;
