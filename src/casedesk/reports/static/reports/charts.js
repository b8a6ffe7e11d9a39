// The report pages' charts: each <figure class="chart" data-spec="<id>"> of
// reports/_chart.html holds a Chart.js config in <script id="<id>" type="application/json">,
// written by reports/charts.py. This script hands it to Chart.js (vendor/chart.umd.min.js,
// loaded before it), adds what JSON cannot carry (number formats with the chart's unit, the
// dashed target line of a bar chart) and, once the chart is drawn, folds its data table
// away: one click on "Data as a table" opens it again. Without this script, or if drawing
// fails, the table simply stays open. No eval, no inline style: Chart.js sizes the canvas
// through the CSSOM, which the Content-Security-Policy allows.
(function () {
  "use strict";

  var number = new Intl.NumberFormat("en", { maximumFractionDigits: 1 });

  // As reports/chart_parts.py's with_unit: "50%", "3 h", "1 case", "12 cases".
  function withUnit(value, unit) {
    var text = number.format(value);
    if (!unit) return text;
    if (unit === "%") return text + "%";
    if (text === "1" && unit.slice(-1) === "s") unit = unit.slice(0, -1);
    return text + " " + unit;
  }

  function shorten(label) {
    return label.length > 24 ? label.slice(0, 23) + "…" : label;
  }

  // A vertical dashed line at options.value on the value axis, labelled above the plot;
  // the spec turns it on with options.plugins.casedeskTarget = {value, label, colour}.
  var targetLine = {
    id: "casedeskTarget",
    afterDatasetsDraw: function (chart, args, options) {
      if (!options || typeof options.value !== "number") return;
      var area = chart.chartArea;
      var x = chart.scales.x.getPixelForValue(options.value);
      var ctx = chart.ctx;
      ctx.save();
      ctx.strokeStyle = ctx.fillStyle = options.colour || "#1f2933";
      ctx.lineWidth = 1.5;
      ctx.setLineDash([4, 3]);
      ctx.beginPath();
      ctx.moveTo(x, area.top - 6);
      ctx.lineTo(x, area.bottom);
      ctx.stroke();
      ctx.font = window.Chart.helpers.toFont(window.Chart.defaults.font).string;
      ctx.textBaseline = "bottom";
      // Kept inside the canvas when the target sits at either end of the axis.
      var half = ctx.measureText(options.label).width / 2;
      ctx.textAlign = "center";
      var at = Math.min(Math.max(x, half + 2), chart.width - half - 2);
      ctx.fillText(options.label, at, area.top - 8);
      ctx.restore();
    }
  };

  function configure(spec, unit) {
    var options = spec.options = spec.options || {};
    var horizontal = options.indexAxis === "y";
    var scales = options.scales = options.scales || {};
    var valueAxis = scales[horizontal ? "x" : "y"] = scales[horizontal ? "x" : "y"] || {};
    var ticks = valueAxis.ticks = valueAxis.ticks || {};
    if (unit === "%") {
      ticks.callback = function (value) { return withUnit(value, "%"); };
    }
    if (horizontal) {
      var labelAxis = scales.y = scales.y || {};
      labelAxis.ticks = labelAxis.ticks || {};
      labelAxis.ticks.callback = function (value) { return shorten(this.getLabelForValue(value)); };
    }
    var single = spec.data.datasets.length === 1 && horizontal;
    var plugins = options.plugins = options.plugins || {};
    plugins.tooltip = plugins.tooltip || {};
    plugins.tooltip.callbacks = {
      label: function (item) {
        var shown = item.raw === null || item.raw === undefined ? "—" : withUnit(item.raw, unit);
        return single ? shown : item.dataset.label + ": " + shown;
      }
    };
    spec.plugins = [targetLine];
    return spec;
  }

  function draw(figure) {
    if (figure.classList.contains("chart-drawn")) return;
    var canvas = figure.querySelector("canvas");
    var source = document.getElementById(figure.getAttribute("data-spec"));
    if (!canvas || !source || !window.Chart) return;
    var spec = configure(JSON.parse(source.textContent), figure.getAttribute("data-unit") || "");
    new window.Chart(canvas, spec);
    figure.classList.add("chart-drawn");
    var table = figure.querySelector("details.chart-data");
    if (table) table.open = false;
  }

  function drawAll(root) {
    if (root.matches && root.matches("figure.chart[data-spec]")) draw(root);
    root.querySelectorAll("figure.chart[data-spec]").forEach(draw);
  }

  if (window.Chart) {
    var ink = getComputedStyle(document.documentElement).getPropertyValue("--ink").trim();
    window.Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", sans-serif';
    if (ink) window.Chart.defaults.color = ink;
  }
  drawAll(document);
  // Report filters may swap parts of the page in with htmx: draw what arrives, and let go
  // of the charts that leave.
  document.addEventListener("htmx:load", function (event) { drawAll(event.target); });
  document.addEventListener("htmx:beforeCleanupElement", function (event) {
    var chart = window.Chart && event.target.tagName === "CANVAS" && window.Chart.getChart(event.target);
    if (chart) chart.destroy();
  });
})();
