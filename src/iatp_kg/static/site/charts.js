// Draws the home page's charts from the figures the server embedded; the tables already
// hold the same numbers for readers without JavaScript.
(function () {
  if (typeof Chart === "undefined") { return; }
  var data = JSON.parse(document.getElementById("chart-data").textContent);
  function bar(id, series, horizontal) {
    var canvas = document.getElementById(id);
    if (!canvas) { return; }
    canvas.parentNode.style.height =
      (horizontal ? Math.max(3, series.labels.length) * 26 + 60 : 260) + "px";
    new Chart(canvas, {
      type: "bar",
      data: { labels: series.labels, datasets: [{ data: series.values, backgroundColor: "#0b3d5c" }] },
      options: {
        indexAxis: horizontal ? "y" : "x",
        animation: false,
        maintainAspectRatio: false,
        plugins: { legend: { display: false } },
        scales: { x: { ticks: { precision: 0 } }, y: { ticks: { precision: 0 } } }
      }
    });
  }
  bar("chart-country", data.country, true);
  bar("chart-sector", data.sector, true);
  bar("chart-year", data.year, false);
  window.iatpChartsDrawn = true;
  document.body.setAttribute("data-charts-ready", "1");
})();
