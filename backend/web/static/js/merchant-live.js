// SPDX-License-Identifier: EUPL-1.2
// Live arrival of a payment on the merchant's QR screen, over Server-Sent Events (/api/v1/merchant/events).
// The status region is aria-live, so a screen reader announces the payment too.
(function () {
  "use strict";
  // On the checkout page: today's figures and the recent requests refresh in place when money moves.
  var today = document.getElementById("today");
  if (today && window.EventSource && window.DOMParser) {
    var feed = new EventSource("/api/v1/merchant/events?max_seconds=900");
    var refresh = function () {
      fetch("/merchant/", { credentials: "same-origin" }).then(function (r) { return r.text(); }).then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        ["today", "recent"].forEach(function (id) {
          var fresh = doc.getElementById(id), old = document.getElementById(id);
          if (fresh && old) old.innerHTML = fresh.innerHTML;
        });
      });
    };
    ["payment.received", "refund.completed", "payout.escrowed"].forEach(function (kind) {
      feed.addEventListener(kind, refresh);
    });
    return;
  }
  var box = document.getElementById("request");
  var status = document.getElementById("live-status");
  if (!box || !status || !window.EventSource) return;
  var code = box.getAttribute("data-code");
  var source = new EventSource("/api/v1/merchant/events?max_seconds=900");
  function show(text, cls) {
    status.textContent = text;
    status.className = "big-status " + (cls || "");
  }
  source.addEventListener("payment.authorized", function (e) {
    var d = JSON.parse(e.data);
    if (d.code === code) show(box.getAttribute("data-coming"), "");
  });
  source.addEventListener("payment.received", function (e) {
    var d = JSON.parse(e.data);
    if (d.code !== code) return;
    show("✓ " + box.getAttribute("data-paid"), "paid");
    var fig = box.querySelector("figure");
    if (fig) fig.hidden = true;
    var cancel = document.getElementById("cancel-request");
    if (cancel) cancel.hidden = true;
    source.close();
  });
})();
