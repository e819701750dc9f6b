/* The rider's pass: fetch fresh codes about every 15 s, count down, say when offline, and
   keep ONE headline true to the state (valid / refreshing / offline / revoked with the
   reason / pending), without a reload. Keeps the screen awake while a code shows (Wake
   Lock, where the browser has it). No inline script: settings and texts come from data-*
   attributes on #passes and #pass-headline. A code is kept until it expires; then it is
   greyed with "expired, reconnect". */
(function () {
  "use strict";
  var list = document.getElementById("passes");
  if (!list) { return; }
  var banner = document.getElementById("offline-banner");
  var headline = document.getElementById("pass-headline");
  var url = list.getAttribute("data-tokens-url");
  var refreshMs = (parseInt(list.getAttribute("data-refresh-seconds"), 10) || 15) * 1000;
  var textExpires = list.getAttribute("data-text-expires") || "%(s)s";
  var textExpired = list.getAttribute("data-text-expired") || "";
  var textGone = list.getAttribute("data-text-gone") || "";
  // Server clock minus ours, so countdowns hold on a phone whose clock is off.
  var skew = 0;
  var timer = null;
  var offline = !navigator.onLine;
  var wakeLock = null;

  function now() { return Date.now() / 1000 + skew; }
  function text(el, name) { return (el && el.getAttribute("data-text-" + name)) || ""; }
  function cards() { return list.querySelectorAll("li.pass"); }
  function left(li) {
    var expires = parseInt(li.getAttribute("data-expires"), 10);
    return isNaN(expires) ? 0 : Math.ceil(expires - now());
  }
  function showing(li) {  // a card whose code may be shown at the gate right now
    return li.getAttribute("data-state") === "active" && li.hasAttribute("data-expires") &&
      !li.classList.contains("pass--gone") && left(li) > 0;
  }

  function setHeadline(state, message) {
    if (!headline) { return; }
    var cls = "pass-headline pass-headline--" + state;
    if (headline.className !== cls) { headline.className = cls; }
    if (headline.textContent !== message) { headline.textContent = message; }
    document.body.setAttribute("data-pass-state", state);
  }

  function updateHeadline() {
    var all = Array.prototype.slice.call(cards());
    var valid = all.filter(showing);
    var hadCode = all.filter(function (li) {
      return li.getAttribute("data-state") === "active" && li.hasAttribute("data-expires");
    });
    if (offline) {
      if (valid.length) {
        var s = Math.max.apply(null, valid.map(left));
        setHeadline("offline", text(headline, "offline").replace("%(s)s", String(s)));
      } else {
        setHeadline("offline", text(headline, "offline-expired"));
      }
    } else if (valid.length) {
      setHeadline("valid", text(headline, "valid"));
    } else if (hadCode.length) {
      setHeadline("refreshing", text(headline, "refreshing"));
    } else {
      var order = ["pending", "not_yet", "suspended", "revoked", "expired", "no_entry"];
      for (var i = 0; i < order.length; i++) {
        var card = list.querySelector('li.pass[data-state="' + order[i] + '"]');
        if (card) {
          var words = card.querySelector("[data-role=state]");
          var kind = (order[i] === "pending" || order[i] === "not_yet") ? "pending" : "revoked";
          setHeadline(kind, card.getAttribute("data-headline") || (words ? words.textContent : ""));
          break;
        }
      }
      if (!all.length) { setHeadline("none", text(headline, "none")); }
    }
    keepAwake(valid.length > 0 && document.visibilityState === "visible");
  }

  // Keep the screen on while a code shows: a guard must not find a dark phone.
  function keepAwake(on) {
    if (!("wakeLock" in navigator)) { return; }
    if (on && !wakeLock) {
      wakeLock = "pending";
      navigator.wakeLock.request("screen").then(function (lock) {
        wakeLock = lock;
        lock.addEventListener("release", function () { if (wakeLock === lock) { wakeLock = null; } });
      }).catch(function () { wakeLock = null; });
    } else if (!on && wakeLock && wakeLock !== "pending") {
      var lock = wakeLock;
      wakeLock = null;
      lock.release().catch(function () {});
    }
  }

  function setOffline(value) {
    offline = value;
    if (banner) { banner.hidden = !value; }
    document.body.classList.toggle("is-offline", value);
    updateHeadline();
  }

  function tick() {
    Array.prototype.forEach.call(cards(), function (li) {
      if (!li.hasAttribute("data-expires") || li.classList.contains("pass--gone")) { return; }
      var status = li.querySelector("[data-role=status]");
      var s = left(li);
      if (s <= 0) {
        li.classList.add("pass--expired");
        if (status) { status.textContent = textExpired; }
      } else {
        li.classList.remove("pass--expired");
        if (status) { status.textContent = textExpires.replace("%(s)s", String(s)); }
      }
    });
    updateHeadline();
  }

  function setState(li, state, words) {
    li.setAttribute("data-state", state);
    var p = li.querySelector("[data-role=state]");
    if (p) {
      p.className = "pass-state pass-state--" + state;
      if (words) { p.textContent = words; }
    }
  }

  function apply(data) {
    if (typeof data.server_time === "number") { skew = data.server_time - Date.now() / 1000; }
    var fresh = {};
    var other = {};
    (data.passes || []).forEach(function (p) { fresh[String(p.grant_id)] = p; });
    (data.others || []).forEach(function (p) { other[String(p.grant_id)] = p; });
    Array.prototype.forEach.call(cards(), function (li) {
      var id = li.getAttribute("data-grant");
      var p = fresh[id];
      var qr = li.querySelector("[data-role=qr]");
      var status = li.querySelector("[data-role=status]");
      if (!p) {
        var was = li.hasAttribute("data-expires");
        var o = other[id];
        // No code now (revoked, suspended... since the page was drawn): never show one.
        li.removeAttribute("data-expires");
        li.removeAttribute("data-token");
        if (qr) { qr.innerHTML = ""; qr.hidden = true; }
        if (o) {
          setState(li, o.state, o.state_text);
          li.setAttribute("data-headline", o.headline || o.state_text);
        } else {
          setState(li, "revoked", textGone);
          li.setAttribute("data-headline", textGone);
        }
        if (was) {
          li.classList.add("pass--gone");
          if (status) { status.hidden = false; status.textContent = textGone; }
        }
        li.classList.remove("pass--active");
        return;
      }
      li.classList.remove("pass--gone");
      li.classList.add("pass--active");
      setState(li, "active", p.state_text);
      li.setAttribute("data-expires", String(p.expires_at));
      li.setAttribute("data-token", p.token);
      if (qr) { qr.innerHTML = p.svg; qr.hidden = false; }  // SVG drawn by the portal from its own token
      if (status) { status.hidden = false; }
    });
    tick();
  }

  function refresh() {
    if (!navigator.onLine) { setOffline(true); return; }
    fetch(url, { credentials: "same-origin", cache: "no-store", headers: { "Accept": "application/json" } })
      .then(function (r) {
        // 403: this phone no longer holds a pass (device forgotten): no code is valid.
        if (r.status === 403) { return { passes: [], others: [] }; }
        if (!r.ok) { throw new Error("HTTP " + r.status); }
        return r.json();
      })
      .then(function (data) {
        offline = false;
        if (banner) { banner.hidden = true; }
        document.body.classList.remove("is-offline");
        apply(data);
      })
      .catch(function () { setOffline(true); });
  }

  function schedule() {
    if (timer) { clearInterval(timer); }
    timer = setInterval(refresh, refreshMs);
  }

  window.addEventListener("online", function () { setOffline(false); refresh(); schedule(); });
  window.addEventListener("offline", function () { setOffline(true); });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") { refresh(); schedule(); } else { keepAwake(false); }
  });

  // "Add to home screen", where the browser offers it (Chromium's install prompt).
  var install = document.getElementById("install");
  var installButton = document.getElementById("install-button");
  var deferred = null;
  window.addEventListener("beforeinstallprompt", function (event) {
    event.preventDefault();
    deferred = event;
    if (install) { install.hidden = false; }
  });
  if (installButton) {
    installButton.addEventListener("click", function () {
      if (!deferred) { return; }
      deferred.prompt();
      deferred = null;
      if (install) { install.hidden = true; }
    });
  }

  setOffline(!navigator.onLine);
  tick();
  setInterval(tick, 1000);
  schedule();
})();
