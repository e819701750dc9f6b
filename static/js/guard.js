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
    if (root.dataset.csrf) return root.dataset.csrf;
    var m = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
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
          li.textContent = [e.occurred_at, e.direction_label, e.decision === "open" ? root.dataset.msgOpen : root.dataset.msgDenied, e.reason_label, e.rider].filter(Boolean).join(" · ");
          list.appendChild(li);
        });
      })
      .catch(function () {});
  }

  function show(data) {
    var result = document.getElementById("result");
    var open = data.decision === "open";
    result.className = "result " + (open ? "result--open" : "result--denied");
    text("result-word", open ? root.dataset.msgOpen : root.dataset.msgDenied);
    text("result-reason", data.message);
    var riderBox = document.getElementById("result-rider");
    var photo = document.getElementById("result-photo");
    if (data.rider) {
      riderBox.hidden = false;
      text("result-name", data.rider.name);
      text("result-details", [data.rider.platform, data.rider.station, data.rider.phone_masked].filter(Boolean).join(" · "));
      if (data.rider.photo_url) {
        photo.src = data.rider.photo_url;
        photo.alt = data.rider.name;
        photo.hidden = false;
      } else {
        photo.hidden = true;
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
    fetch(root.dataset.verifyUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
      body: JSON.stringify({ token: token, gate: root.dataset.gate, direction: direction })
    })
      .then(function (r) {
        return r.json().then(function (body) {
          if (!r.ok) throw new Error(body.detail || r.status);
          return body;
        });
      })
      .then(function (data) { show(data); refreshEvents(); })
      .catch(function () { show({ decision: "deny", message: root.dataset.msgError }); })
      .then(function () { busy = false; });
  }

  document.getElementById("paste-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var area = document.getElementById("token");
    check(area.value);
    area.value = "";
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
