/* Rules page: the house-number finder without a page reload.
   Without JavaScript the form submits ?q= and the server renders the highlight; with it,
   we ask /c/<slug>/find?q= (the server's parser reads 7-2-1503, 7栋2单元1503室, Building 7)
   and mark the building, the nearest rider gate and parking zone. If the server cannot
   be reached, a plain building number is still matched against the page's building list. */
(function () {
  "use strict";

  var form = document.querySelector(".finder-form");
  if (!form || !window.fetch) { return; }
  var input = form.querySelector("input[name=q]");
  var result = document.getElementById("finder-result");
  var dataNode = document.getElementById("finder-data");
  var buildings = dataNode ? JSON.parse(dataNode.textContent).buildings : [];

  function clearMarks() {
    document.querySelectorAll(".is-highlighted, .is-nearest").forEach(function (el) {
      el.classList.remove("is-highlighted", "is-nearest");
      el.removeAttribute("aria-current");
    });
  }

  function mark(selector, cls) {
    document.querySelectorAll(selector).forEach(function (el) {
      el.classList.add(cls);
      if (cls === "is-highlighted") { el.setAttribute("aria-current", "location"); }
    });
  }

  function show(message, isError) {
    result.textContent = message || "";
    result.classList.toggle("finder-result--error", Boolean(isError));
  }

  function apply(answer) {
    clearMarks();
    if (answer.building) {
      mark("#mb" + answer.building.id, "is-highlighted");
      if (answer.gate) {
        mark('[data-gate="' + answer.gate.id + '"], #gate-' + answer.gate.id, "is-nearest");
      }
      if (answer.parking_zone) {
        mark('[data-zone="' + answer.parking_zone.id + '"], #zone-' + answer.parking_zone.id, "is-nearest");
      }
      var marker = document.getElementById("mb" + answer.building.id);
      if (marker && marker.scrollIntoView) {
        marker.scrollIntoView({ block: "center", behavior: "smooth" });
      }
    }
    show(answer.message, !answer.found);
  }

  // Offline fallback: a bare building number ("7", "07", "7栋", "Building 7").
  function localMatch(text) {
    var t = text.normalize ? text.normalize("NFKC") : text;
    t = t.toUpperCase().replace(/^(BUILDING|BLDG|BLOCK|BLK)\s*/, "").replace(/(号楼|栋|幢|座|号|楼|#)$/, "").trim();
    t = t.replace(/^0+(?=\d)/, "");
    for (var i = 0; i < buildings.length; i++) {  // [id, number] pairs
      if (String(buildings[i][1]).toUpperCase() === t) { return buildings[i][0]; }
    }
    return null;
  }

  form.addEventListener("submit", function (event) {
    var text = input.value.trim();
    if (!text) { return; }  // the server shows the plain page
    event.preventDefault();
    show(form.dataset.msgSearching, false);
    var url = form.dataset.findUrl + "?q=" + encodeURIComponent(text);
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (response.status >= 500) { throw new Error("server " + response.status); }
        return response.json();
      })
      .then(function (answer) {
        apply(answer);
        if (window.history && history.replaceState) {
          history.replaceState(null, "", "?q=" + encodeURIComponent(text) + "#finder");
        }
      })
      .catch(function () {
        var id = localMatch(text);
        clearMarks();
        if (id) {
          mark("#mb" + id, "is-highlighted");
          show(form.dataset.msgOffline, false);
        } else {
          show(form.dataset.msgUnknown, true);
        }
      });
  });
})();
