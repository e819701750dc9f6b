/* Owners' vote pages: refresh the participation bars while a vote is open, and stop a
   double submit of a ballot form. Everything works without this script. */
(function () {
  "use strict";

  document.querySelectorAll("form[data-once]").forEach(function (form) {
    form.addEventListener("submit", function () {
      // Disable after the click's value has been sent with the form.
      window.setTimeout(function () {
        form.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
      }, 0);
    });
  });

  var bars = document.querySelector(".bars[data-live='1']");
  if (!bars || !window.fetch) { return; }
  var url = bars.getAttribute("data-participation-url");

  function update() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        data.bars.forEach(function (bar, i) {
          var box = bars.querySelector("[data-bar='" + i + "']");
          if (!box) { return; }
          var progress = box.querySelector("progress");
          progress.max = bar.max;
          progress.value = bar.value;
          progress.textContent = bar.percent + " %";
          box.classList.toggle("bar--met", bar.met);
          var text = box.querySelector(".bar-text");
          var state = text.querySelector(".bar-state");
          text.firstChild.nodeValue = bar.text + " ";
          if (state) {
            state.textContent = state.getAttribute(bar.met ? "data-met" : "data-unmet");
            text.appendChild(state);
          }
        });
        if (!data.open) { window.clearInterval(timer); }
      })
      .catch(function () { /* try again at the next tick */ });
  }
  var timer = window.setInterval(update, 10000);
  // Anything may ask for a refresh now (e.g. after the tab comes back into view).
  document.addEventListener("vote:refresh", update);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") { update(); }
  });
})();
