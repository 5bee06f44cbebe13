// SPDX-License-Identifier: EUPL-1.2
// Small progressive enhancements; every page works without JavaScript.
(function () {
  "use strict";
  var app = document.body.getAttribute("data-app");
  if (app === "citizen" && "serviceWorker" in navigator) {
    navigator.serviceWorker.register("/citizen/sw.js", { scope: "/citizen/" }).catch(function () {});
  }
  // "Use my location": fill the hidden lat/lon fields of a task search and submit it.
  document.querySelectorAll("[data-geolocate]").forEach(function (button) {
    button.hidden = !("geolocation" in navigator);
    button.addEventListener("click", function () {
      var form = button.form;
      var status = document.getElementById(button.getAttribute("aria-describedby") || "");
      if (status) status.textContent = button.getAttribute("data-busy") || "";
      navigator.geolocation.getCurrentPosition(function (pos) {
        form.elements.lat.value = pos.coords.latitude.toFixed(5);
        form.elements.lon.value = pos.coords.longitude.toFixed(5);
        form.submit();
      }, function () {
        if (status) status.textContent = button.getAttribute("data-failed") || "";
      }, { enableHighAccuracy: false, timeout: 10000, maximumAge: 300000 });
    });
  });
  // Ask before destructive actions (the button names the action; the question is in data-confirm).
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
    });
  });
  // Disable submit buttons after the first click so a slow network does not send a payment twice.
  document.querySelectorAll("form[method=post]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (event.defaultPrevented) return;
      form.querySelectorAll("button[type=submit]").forEach(function (b) {
        window.setTimeout(function () { b.disabled = true; }, 0);
      });
    });
  });
})();
