/* Pishraft roadmap and progress pages: "add a line" in repeated form lines, the place of an
   action drawn on a map (point, line or polygon) into a hidden GeoJSON field, and the
   progress map. Plain JavaScript on the vendored Leaflet; the forms work without it (one
   blank line is always offered, and an action may be saved without a place). */
(function () {
  "use strict";
  var COLOURS = {overdue: "#c0392b", behind: "#e67e22", on_track: "#27ae60", achieved: "#1e8449", no_data: "#7f8c8d"};

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-add-line]");
    if (!button) return;
    var rows = button.closest("[data-lines]").querySelectorAll(".line");
    var last = rows[rows.length - 1], copy = last.cloneNode(true);
    copy.querySelectorAll("input, textarea").forEach(function (el) { el.value = ""; });
    copy.querySelectorAll("select").forEach(function (el) { el.selectedIndex = 0; });
    copy.querySelectorAll(".field-error").forEach(function (el) { el.remove(); });
    last.insertAdjacentElement("afterend", copy);
  });

  function round6(x) { return Math.round(x * 1e6) / 1e6; }

  function unitLayer(map, feature) {
    var layer = L.geoJSON(feature, {interactive: false,
                                     style: {color: "#17324d", weight: 2, fillOpacity: 0.04}}).addTo(map);
    map.fitBounds(layer.getBounds(), {padding: [8, 8]});
    return layer;
  }

  function placeEditor(box) {
    var field = document.getElementById(box.dataset.field);
    var words = JSON.parse(box.dataset.words);
    var status = box.querySelector("[data-place-status]");
    var map = L.map(box.querySelector(".place-map"), {attributionControl: false, doubleClickZoom: false});
    box.placeMap = map;  /* for tests: where a longitude/latitude is on the screen */
    var unit = unitLayer(map, JSON.parse(document.getElementById(box.dataset.unit).textContent));
    var drawn = L.layerGroup().addTo(map);
    var mode = null, vertices = [];

    function show(geometry) {
      drawn.clearLayers();
      if (geometry) {
        L.geoJSON(geometry, {
          style: {color: "#c0392b", weight: 3},
          pointToLayer: function (f, latlng) { return L.circleMarker(latlng, {radius: 7, color: "#c0392b"}); }
        }).addTo(drawn);
      }
    }
    function set(geometry) {
      field.value = geometry ? JSON.stringify(geometry) : "";
      show(geometry);
      status.textContent = geometry ? words[geometry.type] : words.none;
    }
    function start(kind) {
      mode = kind;
      vertices = [];
      box.querySelectorAll("[data-draw]").forEach(function (b) { b.classList.toggle("active", b.dataset.draw === kind); });
    }
    function finish() {
      if (mode === "line" && vertices.length >= 2) set({type: "LineString", coordinates: vertices});
      else if (mode === "polygon" && vertices.length >= 3) set({type: "Polygon", coordinates: [vertices.concat([vertices[0]])]});
      start(null);
    }
    map.on("click", function (e) {
      if (!mode) return;
      var point = [round6(e.latlng.lng), round6(e.latlng.lat)];
      if (mode === "point") { set({type: "Point", coordinates: point}); start(null); return; }
      vertices.push(point);
      show(vertices.length === 1 ? {type: "Point", coordinates: point} : {type: "LineString", coordinates: vertices});
    });
    map.on("dblclick", function () { if (mode === "line" || mode === "polygon") finish(); });
    box.addEventListener("click", function (event) {
      var b = event.target.closest("button");
      if (!b) return;
      if (b.dataset.draw) start(b.dataset.draw);
      else if (b.hasAttribute("data-draw-finish")) finish();
      else if (b.hasAttribute("data-draw-clear")) { start(null); set(null); }
    });
    var current = field.value ? JSON.parse(field.value) : null;
    set(current);
    if (current && drawn.getLayers().length) map.fitBounds(unit.getBounds().extend(L.geoJSON(current).getBounds()));
  }

  function progressMap(box) {
    var data = JSON.parse(document.getElementById(box.dataset.progressMap).textContent);
    var map = L.map(box, {attributionControl: false});
    unitLayer(map, data.unit);
    L.geoJSON(data.actions, {
      style: function (f) { return {color: COLOURS[f.properties.status], weight: 4}; },
      pointToLayer: function (f, latlng) {
        return L.circleMarker(latlng, {radius: 7, color: "#fff", weight: 1, fillOpacity: 0.9,
                                       fillColor: COLOURS[f.properties.status]});
      },
      onEachFeature: function (f, layer) {
        var a = document.createElement("a");
        a.href = f.properties.href + (document.documentElement.lang === "en" ? "?lang=en" : "");
        a.textContent = f.properties.title;
        layer.bindPopup(a);
      }
    }).addTo(map);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-place-editor]").forEach(placeEditor);
    document.querySelectorAll("[data-progress-map]").forEach(progressMap);
  });
})();
