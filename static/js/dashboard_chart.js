// A department dashboard's clicks and mentions per day, drawn from the json_script beside
// the canvas. Readable without colour: clicks are a solid line with round points,
// mentions a dashed line with triangles, and the page holds the same numbers as a table.
// Drawn again when HTMX swaps in a new period.
(function () {
  function draw() {
    const el = document.getElementById("dashboard-chart-data");
    const canvas = document.getElementById("dashboard-chart");
    if (!el || !canvas || !window.Chart) return;
    const existing = window.Chart.getChart(canvas);
    if (existing) existing.destroy();
    const data = JSON.parse(el.textContent);
    const styles = [
      { borderColor: "rgb(43,89,195)", pointStyle: "circle", borderDash: [] },
      { borderColor: "rgb(183,121,31)", pointStyle: "triangle", borderDash: [6, 4] },
    ];
    new window.Chart(canvas, {
      type: "line",
      data: {
        labels: data.labels,
        datasets: data.series.map(function (s, i) {
          const style = styles[i % styles.length];
          return {
            label: s.label, data: s.values, borderColor: style.borderColor,
            backgroundColor: style.borderColor, pointStyle: style.pointStyle,
            borderDash: style.borderDash, pointRadius: 3, borderWidth: 2, spanGaps: false,
          };
        }),
      },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        plugins: { legend: { labels: { usePointStyle: true } } },
        scales: {
          y: { beginAtZero: true, ticks: { precision: 0 } },
          x: { ticks: { callback: function (value) {
            const day = new Date(this.getLabelForValue(value) + "T00:00:00");
            return day.toLocaleDateString(undefined, { day: "numeric", month: "short" });
          } } },
        },
      },
    });
  }
  draw();
  document.addEventListener("htmx:afterSettle", draw);
})();

// Typing a day into From or To picks the custom period, so the change HTMX sends is the
// period the person means (without JavaScript, choose "Custom" in the list).
(function () {
  document.addEventListener("input", function (event) {
    const field = event.target;
    if (!field.matches || !field.matches("#range-form input[type=date]")) return;
    const choice = document.getElementById("id_range");
    if (choice) choice.value = "custom";
  });
})();
