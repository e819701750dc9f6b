/* The site map's zoom: + / − buttons widen the map inside a scrolling frame. Markers keep
   their pixel size, so zooming in spreads close markers further apart. Without JavaScript
   the buttons stay hidden and the map is shown whole (pinch-zoom still works). */
(function () {
  "use strict";
  var LEVELS = [1, 1.75, 2.5, 3.5];
  Array.prototype.forEach.call(document.querySelectorAll("figure.sitemap"), function (fig) {
    var controls = fig.querySelector(".sitemap-zoom");
    var viewport = fig.querySelector(".sitemap-viewport");
    var canvas = fig.querySelector(".sitemap-canvas");
    if (!controls || !viewport || !canvas) { return; }
    var zoomIn = controls.querySelector("[data-zoom=in]");
    var zoomOut = controls.querySelector("[data-zoom=out]");
    var level = 0;
    controls.hidden = false;

    function focusPoint() {
      // Keep the highlighted place (or the middle) in view after a zoom.
      var target = canvas.querySelector(".is-nearest, .is-highlighted, .marker--handoff");
      if (target) {
        var t = target.getBoundingClientRect();
        var v = viewport.getBoundingClientRect();
        viewport.scrollLeft += t.left + t.width / 2 - (v.left + v.width / 2);
        viewport.scrollTop += t.top + t.height / 2 - (v.top + v.height / 2);
      }
    }

    function apply() {
      var scale = LEVELS[level];
      var frac = (viewport.scrollLeft + viewport.clientWidth / 2) / (canvas.offsetWidth || 1);
      canvas.style.width = (scale * 100) + "%";
      fig.classList.toggle("is-zoomed", scale > 1);
      zoomIn.disabled = level === LEVELS.length - 1;
      zoomOut.disabled = level === 0;
      if (canvas.querySelector(".is-nearest, .is-highlighted")) { focusPoint(); }
      else { viewport.scrollLeft = frac * canvas.offsetWidth - viewport.clientWidth / 2; }
    }

    zoomIn.addEventListener("click", function () {
      if (level < LEVELS.length - 1) { level += 1; apply(); }
    });
    zoomOut.addEventListener("click", function () {
      if (level > 0) { level -= 1; apply(); }
    });
  });
})();
