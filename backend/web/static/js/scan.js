// SPDX-License-Identifier: EUPL-1.2
// Scan a shop's payment QR code with the phone camera. Uses the browser's BarcodeDetector where it exists,
// otherwise jsQR (loaded only when the camera is opened, so the page itself stays small).
(function () {
  "use strict";
  var start = document.getElementById("scan-start");
  if (!start) return;
  var video = document.getElementById("scan-video");
  var canvas = document.getElementById("scan-canvas");
  var status = document.getElementById("scan-status");
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { start.hidden = true; return; }

  function codeFrom(text) {
    var m = /\/pay\/([A-Za-z0-9]{4,16})\b/.exec(text || "");
    if (m) return m[1].toUpperCase();
    if (/^[A-Za-z0-9]{4,16}$/.test(text || "")) return text.toUpperCase();
    return null;
  }

  function loadJsQR() {
    return new Promise(function (resolve, reject) {
      if (window.jsQR) { resolve(window.jsQR); return; }
      var s = document.createElement("script");
      s.src = "/static/vendor/jsqr/jsQR.js";
      s.onload = function () { resolve(window.jsQR); };
      s.onerror = reject;
      document.head.appendChild(s);
    });
  }

  function detector() {
    if ("BarcodeDetector" in window) {
      try {
        var bd = new window.BarcodeDetector({ formats: ["qr_code"] });
        return Promise.resolve(function () {
          return bd.detect(video).then(function (codes) { return codes.length ? codes[0].rawValue : null; });
        });
      } catch (e) { /* fall through to jsQR */ }
    }
    return loadJsQR().then(function (jsQR) {
      var ctx = canvas.getContext("2d", { willReadFrequently: true });
      return function () {
        var w = video.videoWidth, h = video.videoHeight;
        if (!w || !h) return Promise.resolve(null);
        canvas.width = w; canvas.height = h;
        ctx.drawImage(video, 0, 0, w, h);
        var found = jsQR(ctx.getImageData(0, 0, w, h).data, w, h, { inversionAttempts: "dontInvert" });
        return Promise.resolve(found ? found.data : null);
      };
    });
  }

  start.addEventListener("click", function () {
    status.textContent = start.getAttribute("data-loading");
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false }).then(function (stream) {
      video.srcObject = stream;
      video.hidden = false;
      start.hidden = true;
      return video.play().then(detector).then(function (detect) {
        status.textContent = "";
        function tick() {
          detect().then(function (text) {
            var code = codeFrom(text);
            if (code) {
              status.textContent = start.getAttribute("data-found");
              stream.getTracks().forEach(function (t) { t.stop(); });
              window.location.assign("/citizen/pay/" + encodeURIComponent(code));
            } else {
              window.setTimeout(tick, 250);
            }
          }).catch(function () { window.setTimeout(tick, 500); });
        }
        tick();
      });
    }).catch(function () {
      status.textContent = start.getAttribute("data-denied");
      start.hidden = false;
    });
  });
})();
