// A team's hours per person (or kind of work), drawn from the json_script beside the canvas.
(function () {
  const el = document.getElementById("team-chart-data");
  const canvas = document.getElementById("team-chart");
  if (!el || !canvas || !window.Chart) return;
  const data = JSON.parse(el.textContent);
  new Chart(canvas, {
    type: "bar",
    data: { labels: data.labels, datasets: [{ label: "Hours", data: data.hours, backgroundColor: "rgba(43,89,195,.75)" }] },
    options: { responsive: true, maintainAspectRatio: false, animation: false, indexAxis: "y",
      plugins: { legend: { display: false } }, scales: { x: { beginAtZero: true, title: { display: true, text: "hours" } } } },
  });
})();
