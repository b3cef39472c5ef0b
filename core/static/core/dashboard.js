// Dashboard charts: every element marked data-scope-chart holds its data in a JSON script tag.
(function () {
  if (!window.Chart) return;
  document.querySelectorAll("[data-scope-chart]").forEach((box) => {
    const data = JSON.parse(box.querySelector("script[type='application/json']").textContent);
    const datasets = [{ label: box.dataset.labelPopulation, data: data.population, backgroundColor: "#b22222", yAxisID: "y" }];
    const scales = { y: { position: "left" } };
    if (data.communities) {
      datasets.push({ label: box.dataset.labelCommunities, data: data.communities, backgroundColor: "#e9b949", yAxisID: "y1" });
      scales.y1 = { position: "right", grid: { drawOnChartArea: false } };
    }
    new Chart(box.querySelector("canvas"), {
      type: "bar",
      data: { labels: data.labels, datasets },
      options: { maintainAspectRatio: false, scales },
    });
  });
})();
