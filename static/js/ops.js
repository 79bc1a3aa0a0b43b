// Draws the throughput charts of the ops page and job pages with uPlot; charts arrive
// in htmx swaps, so every swap looks for charts not drawn yet.
(function () {
  if (window.opsCharts) return;
  window.opsCharts = true;

  function draw(el) {
    if (!window.uPlot) return;
    el.dataset.drawn = "1";
    const data = JSON.parse(el.dataset.series);
    const opts = {
      width: Math.max(320, el.clientWidth || 640),
      height: 160,
      series: [
        {},
        { label: "Items finished / min", stroke: "#2454d6", fill: "rgba(36,84,214,0.08)" },
        { label: "Provider calls / min", stroke: "#b54708" },
      ],
      scales: { x: { time: true } },
    };
    new window.uPlot(opts, [data.minutes, data.items, data.calls], el);
  }

  function drawAll() {
    document.querySelectorAll(".ops-chart[data-series]:not([data-drawn])").forEach(draw);
  }

  document.addEventListener("DOMContentLoaded", drawAll);
  document.addEventListener("htmx:after:swap", drawAll);
  document.addEventListener("htmx:after:settle", drawAll);
  if (document.readyState !== "loading") drawAll();
})();
