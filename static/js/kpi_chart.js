// Draws a KPI's actual over time with its target (pro rata for a total to reach: `targets`)
// and baseline as dashed lines.
(function () {
  const el = document.getElementById("kpi-chart-data");
  const canvas = document.getElementById("kpi-chart");
  if (!el || !canvas || !window.Chart) return;
  const data = JSON.parse(el.textContent);
  const flat = (value, label, color) => ({
    label, data: data.labels.map(() => value), borderColor: color, borderDash: [6, 4],
    pointRadius: 0, borderWidth: 1.5, fill: false,
  });
  const datasets = [
    { label: data.label, data: data.values, borderColor: "#2b59c3", backgroundColor: "rgba(43,89,195,.12)",
      fill: true, tension: 0.25, pointRadius: 3, spanGaps: true },
    data.targets
      ? { ...flat(data.target, "Target", "#1f8a4c"), data: data.targets }
      : flat(data.target, "Target", "#1f8a4c"),
  ];
  if (data.baseline !== null) datasets.push(flat(data.baseline, "Baseline", "#a0aec0"));
  new Chart(canvas, {
    type: "line",
    data: { labels: data.labels, datasets },
    options: { responsive: true, maintainAspectRatio: false, animation: false,
      plugins: { legend: { position: "bottom" } }, scales: { y: { beginAtZero: false } } },
  });
})();
