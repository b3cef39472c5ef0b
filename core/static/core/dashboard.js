// Dashboard charts: every element marked data-scope-chart holds its data in a JSON script tag.
(function () {
  if (!window.Chart) return;
  document.querySelectorAll("[data-scope-chart]").forEach((box) => {
    const data = JSON.parse(box.querySelector("script[type='application/json']").textContent);
    new Chart(box.querySelector("canvas"), {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: [
          { label: box.dataset.labelPopulation, data: data.population, backgroundColor: "#b22222", yAxisID: "y" },
          { label: box.dataset.labelCommunities, data: data.communities, backgroundColor: "#e9b949", yAxisID: "y1" },
        ],
      },
      options: {
        maintainAspectRatio: false,
        scales: { y: { position: "left" }, y1: { position: "right", grid: { drawOnChartArea: false } } },
      },
    });
  });
})();
