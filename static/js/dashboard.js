// Renders the dashboard charts from the JSON embedded by the page (no inline script, CSP-friendly).
(function () {
  const holder = document.getElementById("dashboard-data");
  if (!holder || typeof echarts === "undefined") return;
  const data = JSON.parse(holder.textContent);
  const charts = [];

  function bars(id, names, series) {
    const el = document.getElementById(id);
    if (!el) return;
    const chart = echarts.init(el);
    chart.setOption({
      tooltip: { trigger: "axis", valueFormatter: (v) => (v == null ? "—" : v.toFixed(2) + "%") },
      legend: { top: 0 },
      grid: { left: 40, right: 10, top: 30, bottom: 60 },
      xAxis: { type: "category", data: names, axisLabel: { interval: 0, rotate: names.length > 8 ? 40 : 0 } },
      yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
      series: series.map((s) => ({ type: "bar", name: s.name, data: s.data, itemStyle: { color: s.color } })),
    });
    charts.push(chart);
  }

  function line(id, labels, values, name, percent) {
    const el = document.getElementById(id);
    if (!el || !labels) return;
    const chart = echarts.init(el);
    chart.setOption({
      tooltip: {
        trigger: "axis",
        valueFormatter: (v) => (v == null ? "—" : percent ? v.toFixed(2) + "%" : v),
      },
      grid: { left: 45, right: 10, top: 20, bottom: 30 },
      xAxis: { type: "category", data: labels },
      yAxis: percent
        ? { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } }
        : { type: "value", min: 0 },
      series: [{ type: "line", name: name, data: values, itemStyle: { color: "#c8102e" }, connectNulls: false }],
    });
    charts.push(chart);
  }

  function columns(id, labels, values, name) {
    const el = document.getElementById(id);
    if (!el || !labels) return;
    const chart = echarts.init(el);
    chart.setOption({
      tooltip: { trigger: "axis" },
      grid: { left: 45, right: 10, top: 20, bottom: 30 },
      xAxis: { type: "category", data: labels },
      yAxis: { type: "value", min: 0 },
      series: [{ type: "bar", name: name, data: values, barMaxWidth: 48, itemStyle: { color: "#f0a020" } }],
    });
    charts.push(chart);
  }

  // Series names come translated from the page (data-series="a|b"), with the Chinese as fallback.
  function seriesNames(id, fallback) {
    const el = document.getElementById(id);
    const names = el && el.dataset.series ? el.dataset.series.split("|") : [];
    return fallback.map((name, i) => names[i] || name);
  }

  const childNames = seriesNames("chart-children", ["结对覆盖率", "优化率"]);
  bars("chart-children", data.names, [
    { name: childNames[0], data: data.coverage, color: "#c8102e" },
    { name: childNames[1], data: data.optimisation, color: "#f0a020" },
  ]);
  if (data.theme_days)
    line("chart-theme-days", data.theme_days.labels, data.theme_days.rates, seriesNames("chart-theme-days", ["主题党日达标率"])[0], true);
  if (data.hours) columns("chart-hours", data.hours.labels, data.hours.values, seriesNames("chart-hours", ["核实服务时长（小时）"])[0]);
  window.addEventListener("resize", () => charts.forEach((c) => c.resize()));
})();
