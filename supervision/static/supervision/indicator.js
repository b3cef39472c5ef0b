/* An indicator's trend by month against its target. The figures come in the JSON script inside
   #trend-chart, the series' names in its data-* attributes. */
(function () {
  "use strict";
  const box = document.getElementById("trend-chart");
  if (!box || !window.Chart) return;
  const data = JSON.parse(box.querySelector("script").textContent);
  new Chart(box.querySelector("canvas"), {
    type: "line",
    data: { labels: data.labels, datasets: [
      { label: box.dataset.figure, data: data.values, borderColor: "#b22222", backgroundColor: "#b22222", spanGaps: false },
      { label: box.dataset.target, data: data.labels.map(() => data.target), borderColor: "#8a8f98", borderDash: [6, 4], pointRadius: 0 } ] },
    options: { maintainAspectRatio: false, scales: { y: { beginAtZero: true, ticks: { callback: (v) => v + data.suffix } } } },
  });
})();
