/* Guard console: scan a pass with the camera (jsQR) or paste it; POST it to the verify
   endpoint with the staff session and CSRF token; show OPEN / DENIED full screen. */
(function () {
  "use strict";
  var root = document.getElementById("guard");
  if (!root) return;
  var direction = "in";
  var busy = false;
  var lastToken = "";
  var lastAt = 0;

  function csrf() {
    /* The cookie first: after logging in again (in another tab) the token in the page is stale. */
    var m = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : (root.dataset.csrf || "");
  }

  function text(id, value) { document.getElementById(id).textContent = value || ""; }

  document.querySelectorAll(".dir-button").forEach(function (button) {
    button.addEventListener("click", function () {
      direction = button.dataset.direction;
      document.querySelectorAll(".dir-button").forEach(function (b) {
        b.setAttribute("aria-pressed", b === button ? "true" : "false");
      });
    });
  });

  function refreshEvents() {
    fetch(root.dataset.eventsUrl, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        var list = document.getElementById("events");
        list.textContent = "";
        data.events.forEach(function (e) {
          var li = document.createElement("li");
          li.className = "event event--" + e.decision;
          li.textContent = e.text;  /* worded by the server, as on first load */
          list.appendChild(li);
        });
      })
      .catch(function () {});
  }

  function show(data) {
    var result = document.getElementById("result");
    var open = data.decision === "open";
    /* Our own failure (session ended, network) is never DENIED: nothing was decided. */
    var unchecked = data.decision === "unchecked";
    result.className = "result " + (unchecked ? "result--unchecked" : open ? "result--open" : "result--denied");
    text("result-word", unchecked ? root.dataset.msgUnchecked : open ? root.dataset.msgOpen : root.dataset.msgDenied);
    text("result-reason", data.message);
    document.getElementById("result-login").hidden = !data.login;
    var riderBox = document.getElementById("result-rider");
    var photo = document.getElementById("result-photo");
    if (data.rider) {
      riderBox.hidden = false;
      text("result-name", data.rider.name);
      text("result-details", [data.rider.platform, data.rider.station, data.rider.vehicle_plate, data.rider.phone_masked].filter(Boolean).join(" · "));
      if (data.rider.photo_url) {
        photo.src = data.rider.photo_url;
        photo.alt = data.rider.name;
        photo.hidden = false;
        text("result-no-photo", "");
        document.getElementById("result-no-photo").hidden = true;
      } else {
        photo.hidden = true;
        text("result-no-photo", root.dataset.msgNoPhoto);
        document.getElementById("result-no-photo").hidden = false;
      }
    } else {
      riderBox.hidden = true;
    }
    result.hidden = false;
    result.focus();
  }

  function check(token) {
    token = (token || "").trim();
    if (!token || busy) return;
    busy = true;
    var area = document.getElementById("token");
    fetch(root.dataset.verifyUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
      body: JSON.stringify({ token: token, gate: root.dataset.gate, direction: direction })
    })
      .then(function (r) {
        if (r.status === 401 || r.status === 403) {
          /* The session ended (idle time-out) or its token went stale: keep the scan. */
          area.value = token;
          show({ decision: "unchecked", message: root.dataset.msgLogin, login: true });
          return null;
        }
        return r.json().then(function (body) {
          if (!r.ok || !body.decision) throw new Error(body.detail || r.status);
          return body;
        });
      })
      .then(function (data) {
        if (!data) return;
        area.value = "";
        show(data);
        refreshEvents();
      })
      .catch(function () {
        area.value = token;
        show({ decision: "unchecked", message: root.dataset.msgError });
      })
      .then(function () { busy = false; });
  }

  /* After logging in again in another tab the page's CSRF tokens are stale: forms (log-out)
     send the cookie's current one. */
  root.querySelectorAll("form[method=post]").forEach(function (form) {
    form.addEventListener("submit", function () {
      var field = form.querySelector("input[name=csrfmiddlewaretoken]");
      if (field) field.value = csrf();
    });
  });

  document.getElementById("paste-form").addEventListener("submit", function (event) {
    event.preventDefault();
    check(document.getElementById("token").value);
  });

  document.getElementById("result-close").addEventListener("click", function () {
    document.getElementById("result").hidden = true;
    document.getElementById("token").focus();
  });

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") document.getElementById("result").hidden = true;
  });

  /* Camera scanning: frames drawn to a canvas and decoded with jsQR. */
  var video = document.getElementById("camera");
  var canvas = document.createElement("canvas");
  var ctx = canvas.getContext("2d", { willReadFrequently: true });

  function tick() {
    if (video.readyState === video.HAVE_ENOUGH_DATA && window.jsQR) {
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      ctx.drawImage(video, 0, 0, canvas.width, canvas.height);
      var image = ctx.getImageData(0, 0, canvas.width, canvas.height);
      var code = window.jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
      var now = Date.now();
      if (code && code.data && (code.data !== lastToken || now - lastAt > 5000)) {
        lastToken = code.data;
        lastAt = now;
        check(code.data);
      }
    }
    requestAnimationFrame(tick);
  }

  document.getElementById("camera-start").addEventListener("click", function () {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      text("camera-status", root.dataset.msgCameraRefused);
      return;
    }
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } })
      .then(function (stream) {
        video.srcObject = stream;
        video.hidden = false;
        video.play();
        requestAnimationFrame(tick);
      })
      .catch(function () { text("camera-status", root.dataset.msgCameraRefused); });
  });
})();
