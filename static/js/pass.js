/* The rider's pass: fetch fresh codes about every 15 s, count down, say when offline.
   No inline script: settings and texts come from data-* attributes on #passes.
   A code is kept until it expires; then it is greyed with "expired, reconnect". */
(function () {
  "use strict";
  var list = document.getElementById("passes");
  if (!list) { return; }
  var banner = document.getElementById("offline-banner");
  var url = list.getAttribute("data-tokens-url");
  var refreshMs = (parseInt(list.getAttribute("data-refresh-seconds"), 10) || 15) * 1000;
  var textExpires = list.getAttribute("data-text-expires") || "%(s)s";
  var textExpired = list.getAttribute("data-text-expired") || "";
  var textGone = list.getAttribute("data-text-gone") || "";
  // Server clock minus ours, so countdowns hold on a phone whose clock is off.
  var skew = 0;
  var timer = null;

  function now() { return Date.now() / 1000 + skew; }

  function setOffline(offline) {
    if (banner) { banner.hidden = !offline; }
    document.body.classList.toggle("is-offline", offline);
  }

  function passes() { return list.querySelectorAll("li.pass[data-expires]"); }

  function tick() {
    var t = now();
    Array.prototype.forEach.call(passes(), function (li) {
      var status = li.querySelector("[data-role=status]");
      if (li.classList.contains("pass--gone")) { return; }
      var left = Math.ceil(parseInt(li.getAttribute("data-expires"), 10) - t);
      if (left <= 0) {
        li.classList.add("pass--expired");
        if (status) { status.textContent = textExpired; }
      } else {
        li.classList.remove("pass--expired");
        if (status) { status.textContent = textExpires.replace("%(s)s", String(left)); }
      }
    });
  }

  function apply(data) {
    if (typeof data.server_time === "number") { skew = data.server_time - Date.now() / 1000; }
    var fresh = {};
    (data.passes || []).forEach(function (p) { fresh[String(p.grant_id)] = p; });
    Array.prototype.forEach.call(passes(), function (li) {
      var p = fresh[li.getAttribute("data-grant")];
      var qr = li.querySelector("[data-role=qr]");
      if (!p) {
        // Revoked or suspended since the page was drawn: the code must not be shown.
        li.classList.add("pass--gone");
        if (qr) { qr.innerHTML = ""; }
        var status = li.querySelector("[data-role=status]");
        if (status) { status.textContent = textGone; }
        return;
      }
      li.classList.remove("pass--gone");
      li.setAttribute("data-expires", String(p.expires_at));
      li.setAttribute("data-token", p.token);
      if (qr) { qr.innerHTML = p.svg; }  // SVG drawn by the portal from its own token
    });
    tick();
  }

  function refresh() {
    if (!navigator.onLine) { setOffline(true); return; }
    fetch(url, { credentials: "same-origin", cache: "no-store", headers: { "Accept": "application/json" } })
      .then(function (r) {
        // 403: this phone no longer holds a pass (device forgotten): no code is valid.
        if (r.status === 403) { return { passes: [] }; }
        if (!r.ok) { throw new Error("HTTP " + r.status); }
        return r.json();
      })
      .then(function (data) { setOffline(false); apply(data); })
      .catch(function () { setOffline(true); });
  }

  function schedule() {
    if (timer) { clearInterval(timer); }
    timer = setInterval(refresh, refreshMs);
  }

  window.addEventListener("online", function () { setOffline(false); refresh(); schedule(); });
  window.addEventListener("offline", function () { setOffline(true); });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") { refresh(); schedule(); }
  });

  setOffline(!navigator.onLine);
  tick();
  setInterval(tick, 1000);
  schedule();
})();
