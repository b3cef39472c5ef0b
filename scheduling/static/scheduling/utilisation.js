/* The utilisation page's chart: bookable, booked and used hours by period. The figures come in the
   JSON script inside #usage-chart, the series' names in its data-* attributes. */
(function () {
  "use strict";
  const box = document.getElementById("usage-chart");
  if (!box || !window.Chart) return;
  const data = JSON.parse(box.querySelector("script").textContent);
  new Chart(box.querySelector("canvas"), {
    type: "bar",
    data: { labels: data.labels, datasets: [
      { label: box.dataset.bookable, data: data.bookable, type: "line", borderColor: "#8a8f98", backgroundColor: "transparent" },
      { label: box.dataset.booked, data: data.booked, backgroundColor: "#e9b949" },
      { label: box.dataset.used, data: data.used, backgroundColor: "#b22222" } ] },
    options: { maintainAspectRatio: false },
  });
})();
