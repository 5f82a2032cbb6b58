// The panels beside the map (callbacks/main.py, PANELS_AFTER_MAP). The view callback's one response carries the
// map, which Dash applies at once, and these panels' values in one store (panels-store). They are handed to
// their components here, after the browser has painted the map, so that rendering the trend, the ranking table
// and the texts no longer holds the map's redraw back. A value equal to what its component already shows is
// left alone (no re-render). A figure that comes as {data, keep_layout} keeps the layout it has, one that comes
// as {data, layout, keep} takes the keys named in `keep` from the layout it has (the trend's layout is sent only
// where it changes: core/figures.figure_for). Arguments: the store's list, then each output's current value
// (States).
(function () {
    'use strict';
    // The map of a page's first view is drawn only once its GeoJSON is in, which can be after the next paint: the
    // panels then waited for a paint that did not show the map, and rendering them (~0.25 s) could come between the
    // map's draw and its paint. They now wait until the map has areas (window.obsMapDrawn, 22_static_map.js), at most
    // MAP_WAIT_MS; a page without the map, or a map drawn already (every later change), waits for nothing more.
    var MAP_WAIT_MS = 2000;
    function afterMapDrawn(done) {
        var t0 = performance.now();
        (function check() {
            if (!document.getElementById('map') || !window.obsMapDrawn || window.obsMapDrawn()
                    || performance.now() - t0 > MAP_WAIT_MS) {
                done();
                return;
            }
            requestAnimationFrame(check);
        })();
    }

    window.dash_clientside = Object.assign({}, window.dash_clientside, {
        obs: Object.assign({}, (window.dash_clientside || {}).obs, {
            applyPanels: function (values) {
                var current = Array.prototype.slice.call(arguments, 1);
                var noUpdate = window.dash_clientside.no_update;
                if (!Array.isArray(values) || values.length !== current.length) {
                    return current.map(function () { return noUpdate; });
                }
                var out = values.map(function (v, i) {
                    if (v && v._dash_no_update === '_dash_no_update') { return noUpdate; }   // a panel's no_update
                    var shownLayout = (current[i] && current[i].layout) || {};
                    if (v && v.keep_layout !== undefined && Array.isArray(v.data)) {
                        // a figure sent without its layout: the browser's store said it shows this layout
                        // (core/figures.figure_for); keep the one on screen
                        v = {data: v.data, layout: shownLayout};
                    } else if (v && Array.isArray(v.keep) && Array.isArray(v.data)) {
                        // a figure sent with part of its layout: the parts named in `keep` are the ones on screen
                        var layout = Object.assign({}, v.layout);
                        v.keep.forEach(function (k) { if (k in shownLayout) { layout[k] = shownLayout[k]; } });
                        v = {data: v.data, layout: layout};
                    }
                    return JSON.stringify(v) === JSON.stringify(current[i]) ? noUpdate : v;
                });
                return new Promise(function (resolve) {   // after the paint of the map
                    afterMapDrawn(function () {
                        requestAnimationFrame(function () { setTimeout(function () { resolve(out); }, 0); });
                    });
                });
            }
        })
    });
})();
