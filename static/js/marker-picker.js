// Place markers on a community's site map in the admin by clicking the image.
// Every row (inline or the page's own form) with x_pct/y_pct inputs is a marker; the
// active one moves where the map is clicked. Coordinates stay plain, typeable inputs.
(function () {
  "use strict";

  function rowsWithMarkers(root) {
    var rows = [];
    root.querySelectorAll('input[name$="x_pct"]').forEach(function (x) {
      var name = x.name.replace(/x_pct$/, "y_pct");
      var y = root.querySelector('input[name="' + name + '"]');
      if (!y || /__prefix__/.test(x.name)) return;
      var row = x.closest("tr") || x.closest(".inline-related") || x.closest("form");
      var label = row.querySelector('input[name$="-name"], input[name="name"], input[name$="number"]');
      rows.push({ x: x, y: y, row: row, label: label });
    });
    return rows;
  }

  function init(panel) {
    var map = panel.querySelector("[data-marker-map]");
    var img = map.querySelector("img");
    var status = panel.querySelector("[data-marker-status]");
    var form = panel.closest("form") || document.querySelector("#content-main form");
    if (!form) return;
    var active = null;
    var others = [];
    try { others = JSON.parse(panel.dataset.markers || "[]"); } catch (e) { others = []; }

    function markers() { return rowsWithMarkers(form); }

    function dotAt(x, y, className, title) {
      var dot = document.createElement("span");
      dot.className = className;
      dot.style.left = x + "%";
      dot.style.top = y + "%";
      dot.title = title || "";
      dot.setAttribute("aria-hidden", "true");
      if (title) {
        // Markers carry their names, so the map reads without hovering (issue 20).
        var label = document.createElement("span");
        label.className = "marker-label";
        label.textContent = title;
        dot.appendChild(label);
      }
      map.appendChild(dot);
    }

    function draw() {
      map.querySelectorAll(".marker-dot").forEach(function (dot) { dot.remove(); });
      // The community's other places, faintly, so a new marker is placed among them.
      others.forEach(function (o) {
        dotAt(o.x, o.y, "marker-dot is-other is-" + o.kind, o.label);
      });
      markers().forEach(function (m) {
        var x = parseFloat(m.x.value), y = parseFloat(m.y.value);
        if (isNaN(x) || isNaN(y)) return;
        dotAt(x, y, "marker-dot" + (active && active.x === m.x ? " is-active" : ""),
          m.label ? m.label.value : "");
      });
    }

    function activate(m) {
      active = m;
      form.querySelectorAll(".marker-place").forEach(function (b) { b.setAttribute("aria-pressed", "false"); });
      var button = m.row.querySelector(".marker-place");
      if (button) button.setAttribute("aria-pressed", "true");
      if (status) status.textContent = (panel.dataset.activeText || "Placing: ") + (m.label && m.label.value ? m.label.value : "");
      draw();
    }

    form.addEventListener("click", function (event) {
      var button = event.target.closest(".marker-place");
      if (!button) return;
      var m = markers().filter(function (item) { return item.row.contains(button); })[0];
      if (m) { activate(m); map.scrollIntoView({ block: "nearest", inline: "nearest" }); }
    });
    form.addEventListener("focusin", function (event) {
      if (!/(x|y)_pct$/.test(event.target.name || "")) return;
      var m = markers().filter(function (item) { return item.x === event.target || item.y === event.target; })[0];
      if (m) activate(m);
    });
    form.addEventListener("input", function (event) {
      if (/(x|y)_pct$/.test(event.target.name || "")) draw();
    });

    img.addEventListener("click", function (event) {
      var all = markers();
      if (!active && all.length === 1) activate(all[0]);
      if (!active) {
        if (status) status.textContent = panel.dataset.chooseText || "Choose a row's “Place on map” button first.";
        return;
      }
      var rect = img.getBoundingClientRect();
      var x = ((event.clientX - rect.left) / rect.width) * 100;
      var y = ((event.clientY - rect.top) / rect.height) * 100;
      active.x.value = Math.min(100, Math.max(0, x)).toFixed(2);
      active.y.value = Math.min(100, Math.max(0, y)).toFixed(2);
      active.x.dispatchEvent(new Event("change", { bubbles: true }));
      draw();
    });

    if (img.complete) draw(); else img.addEventListener("load", draw);
    var single = markers();
    if (single.length === 1) activate(single[0]);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".marker-map-panel").forEach(init);
  });
})();
