// SPDX-License-Identifier: EUPL-1.2
// Dashboard charts (Chart.js, served locally). Series are told apart by pattern and position as well as
// colour, and every chart has a data table next to it.
(function () {
  "use strict";
  if (!window.Chart) return;
  var data = JSON.parse(document.getElementById("chart-data").textContent);
  var label = JSON.parse(document.getElementById("chart-labels").textContent);
  var green = "#0b5d3b", amber = "#8a5a00", blue = "#1d4f91";
  var euros = function (cents) { return cents / 100; };
  Chart.defaults.font.size = 13;
  Chart.defaults.color = "#1b1f23";
  Chart.defaults.animation = false;
  new Chart(document.getElementById("chart-weekly"), {
    type: "bar",
    data: { labels: data.weeks, datasets: [
      { label: label.minted, data: data.minted.map(euros), backgroundColor: green },
      { label: label.spent, data: data.spent.map(euros), backgroundColor: amber, borderColor: "#000", borderWidth: 1 }
    ] },
    options: { maintainAspectRatio: false }
  });
  new Chart(document.getElementById("chart-liability"), {
    type: "line",
    data: { labels: data.weeks, datasets: [
      { label: label.outstanding, data: data.outstanding.map(euros), borderColor: blue, pointStyle: "rectRot", pointRadius: 4 }
    ] },
    options: { maintainAspectRatio: false }
  });
  new Chart(document.getElementById("chart-hoods"), {
    type: "bar",
    data: { labels: data.neighbourhoods, datasets: [{ label: label.tasks, data: data.tasks_done, backgroundColor: green }] },
    options: { maintainAspectRatio: false, plugins: { legend: { display: false } } }
  });
  new Chart(document.getElementById("chart-queue"), {
    type: "bar",
    data: { labels: data.queue_labels, datasets: [{ label: label.payouts, data: data.queue_counts, backgroundColor: amber }] },
    options: { maintainAspectRatio: false, plugins: { legend: { display: false } } }
  });
})();
