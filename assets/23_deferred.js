/* Scripts the page does not need for its first view, loaded after it (web/page_scripts.defer_dbc).
 *
 * dash-bootstrap-components' bundle (66 KB compressed) is left out of the page's scripts: its only component, the
 * "Insertar / Embed" dialog, is rendered when it is first opened (callbacks/partb.py). The page names the bundle in
 * a JSON block (#obs-deferred-scripts); this file loads it once the first map is drawn on a page with the embed
 * button (so it never competes with the first map), or at once when something asks for it:
 *   window.obsDeferred.load('dbc') -> a Promise resolved when the bundle has run (rejected if it failed to load).
 * Without the block (a page that kept the bundle in its scripts) `load` resolves at once.
 */
(function () {
  'use strict';
  var loading = {};

  function addresses() {
    var el = document.getElementById('obs-deferred-scripts');
    if (!el) { return {}; }
    try { return JSON.parse(el.textContent) || {}; } catch (e) { return {}; }
  }

  function load(name) {
    if (loading[name]) { return loading[name]; }
    var src = addresses()[name];
    if (!src) { loading[name] = Promise.resolve(false); return loading[name]; }
    loading[name] = new Promise(function (resolve, reject) {
      var s = document.createElement('script');
      s.src = src;
      s.async = true;
      s.onload = function () { resolve(true); };
      s.onerror = function () { delete loading[name]; reject(new Error('could not load ' + src)); };
      document.head.appendChild(s);
    });
    return loading[name];
  }

  window.obsDeferred = {load: load};

  // preloaded on pages that have the embed button, once the first map is drawn (22_static_map.js's test): on a
  // phone's link it then never shares the bandwidth with plotly.js or the GeoJSON.
  // A page whose map is never drawn (no data) loads it 10 s after its load event; either way the observer stops
  // then (a page without the embed button never loads it).
  var started = false;
  function start() {
    observer.disconnect();
    if (started || !document.getElementById('embed-open')) { return; }
    started = true;
    Object.keys(addresses()).forEach(function (n) { load(n).catch(function () {}); });
  }
  var observer = new MutationObserver(function () {
    if (window.obsMapDrawn && window.obsMapDrawn()) { start(); }
  });
  observer.observe(document, {childList: true, subtree: true});
  window.addEventListener('load', function () { setTimeout(start, 10000); });
})();
