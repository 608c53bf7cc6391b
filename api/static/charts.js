/* Pishraft workspace charts: every [data-chart] element holds a Vega-Lite specification
   (built by maps/charts.py) in a <script type="application/json"> child; it is drawn as
   SVG with the vendored vega-embed, numbers in Persian digits on Persian pages. Marks the
   element data-drawn="true" once drawn (or data-drawn="failed" with the reason). */
(function () {
  "use strict";
  var fa = document.documentElement.lang !== "en";
  var locale = fa ? {decimal: "٫", thousands: "٬", grouping: [3], currency: ["", " ریال"],
                     numerals: ["۰", "۱", "۲", "۳", "۴", "۵", "۶", "۷", "۸", "۹"], percent: "٪", minus: "−"}
                  : {decimal: ".", thousands: ",", grouping: [3], currency: ["", " rials"]};
  function draw(element) {
    var source = element.querySelector("script[type='application/json']");
    if (!source || typeof vegaEmbed !== "function") { return; }
    var target = document.createElement("div");
    element.appendChild(target);
    vegaEmbed(target, JSON.parse(source.textContent), {renderer: "svg", actions: false, formatLocale: locale})
      .then(function () { element.setAttribute("data-drawn", "true"); })
      .catch(function (error) { element.setAttribute("data-drawn", "failed"); element.title = String(error); });
  }
  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-chart]"), draw);
  });
})();
