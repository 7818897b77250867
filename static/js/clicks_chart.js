// Real clicks per day (bots left out), drawn from the json_script beside the canvas.
(function () {
  const el = document.getElementById("clicks-chart-data");
  const canvas = document.getElementById("clicks-chart");
  if (!el || !canvas || !window.Chart) return;
  const data = JSON.parse(el.textContent);
  new Chart(canvas, {
    type: "bar",
    data: { labels: data.labels, datasets: [{ label: "Clicks", data: data.values,
      backgroundColor: "rgba(43,89,195,.75)", borderRadius: 3 }] },
    options: { responsive: true, maintainAspectRatio: false, animation: false,
      plugins: { legend: { display: false } },
      scales: { y: { beginAtZero: true, ticks: { precision: 0 } },
        x: { ticks: { callback: function (value) {
          const day = new Date(this.getLabelForValue(value) + "T00:00:00");
          return day.toLocaleDateString(undefined, { day: "numeric", month: "short" });
        } } } } },
  });
})();
