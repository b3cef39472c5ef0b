// Savings to government by place: renovation paid once and running costs a year, borne by operators.
(function () {
  const box = document.getElementById("savings-chart");
  const data = document.getElementById("savings-data");
  if (!box || !data || !window.Chart) return;
  const rows = JSON.parse(data.textContent);
  new Chart(box.querySelector("canvas"), {
    type: "bar",
    data: {
      labels: rows.map((r) => r[0]),
      datasets: [
        { label: box.dataset.renovation, data: rows.map((r) => r[1]), backgroundColor: "#b22222" },
        { label: box.dataset.running, data: rows.map((r) => r[2]), backgroundColor: "#e9b949" },
      ],
    },
    options: { maintainAspectRatio: false, indexAxis: "y" },
  });
})();
