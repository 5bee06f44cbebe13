// SPDX-License-Identifier: EUPL-1.2
// Citizen app service worker: caches the shell (styles, scripts, icons, offline page) so the app installs
// and opens quickly on a slow connection. Pages with balances are always fetched fresh (network first);
// when the network is gone, the offline page explains why nothing can be shown.
var CACHE = "heitje-citizen-v1";
var SHELL = ["/static/css/app.css", "/static/js/app.js", "/static/icons/icon.svg", "/static/icons/icon-192.png",
  "/citizen/offline"];

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) { return cache.addAll(SHELL); }));
  self.skipWaiting();
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k !== CACHE; }).map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(caches.match(request).then(function (hit) {
      return hit || fetch(request).then(function (response) {
        var copy = response.clone();
        if (response.ok) caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
        return response;
      });
    }));
    return;
  }
  if (request.mode === "navigate") {
    event.respondWith(fetch(request).catch(function () { return caches.match("/citizen/offline"); }));
  }
});
