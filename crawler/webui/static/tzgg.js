// Draws each chart of the page from its inline Vega-Lite spec, with the vendored vega-embed
// (no network: the data is in the page, the libraries are served by tzgg itself).
(function () {
  "use strict";
  document.querySelectorAll("script.tzgg-chart-spec").forEach(function (el) {
    var target = document.getElementById(el.dataset.target);
    if (!target || typeof vegaEmbed !== "function") return;
    var spec = JSON.parse(el.textContent);
    if (!spec.data || !spec.data.values || spec.data.values.length === 0) {
      target.textContent = (spec.title || "") + "：暂无数据 · no data yet";
      target.classList.add("empty");
      return;
    }
    vegaEmbed(target, spec, { actions: false, renderer: "svg" }).catch(function (err) {
      target.textContent = "图表无法显示 · the chart could not be drawn: " + err.message;
    });
  });
})();
