/* The first view's map as an image (core/static_map.py, `/map.svg`) lies over the graph from the page's first
 * render; it is removed as soon as plotly.js has drawn the interactive map below it, in the same task, so the
 * frame that shows plotly's map is the first one without the image (no flash, no double drawing). Also removed
 * if it fails to load (never a broken-image sign over the map).
 *
 * "Drawn" = the map's graph holds choropleth paths (the first figure the graph shows is an empty one). One
 * observer on the document (a page rendered again brings a new image); its callback runs once per batch of DOM
 * changes and looks up two elements.
 */
(function () {
  'use strict';
  // hidden, not removed: the element is React's (the page's layout), and React must find it where it left it
  function drop(img) { img.hidden = true; }
  // whether plotly.js has drawn the main map's areas (also read by 23_deferred.js)
  function mapDrawn() {
    var map = document.getElementById('map');
    return !!(map && map.querySelector('.choroplethlayer path'));
  }
  window.obsMapDrawn = mapDrawn;
  var observer = new MutationObserver(function () {
    var img = document.querySelector('img.obs-map-static:not([hidden])');
    if (img && mapDrawn()) { drop(img); }
  });
  observer.observe(document, {childList: true, subtree: true});
  document.addEventListener('error', function (e) {
    var t = e.target;
    if (t && t.classList && t.classList.contains('obs-map-static')) { drop(t); }
  }, true);
})();
