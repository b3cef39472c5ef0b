// Income by month as bars, on the fund page and the public disclosure.
(function () {
  const box = document.getElementById("income-chart");
  const data = document.getElementById("income-data");
  if (!box || !data || !window.Chart) return;
  const rows = JSON.parse(data.textContent);
  new Chart(box.querySelector("canvas"), {
    type: "bar",
    data: { labels: rows.map((r) => r[0]), datasets: [{ label: box.dataset.label, data: rows.map((r) => r[1]), backgroundColor: "#b22222" }] },
    options: { maintainAspectRatio: false, plugins: { legend: { display: false } } },
  });
})();
