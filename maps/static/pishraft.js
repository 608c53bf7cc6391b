/* Pishraft map pages: compact unit coverages, boxes (legends, breadcrumbs), drill-down.
 *
 * A coverage arrives as gzip-compressed, base64-encoded arrays (see maps/coverage.py):
 * int16 quantised coordinates, delta-encoded within each ring, and the counts of points
 * per ring, rings per polygon and polygons per feature; plus one JSON document of
 * per-feature properties. The browser inflates them with DecompressionStream and draws
 * every unit on one canvas (the Coverage layer), with a single shared tooltip.
 */
(function () {
  "use strict";

  // A map embedded in a workspace page (the unit page's iframe) opens its links in the whole window.
  const framed = window.top !== window.self;
  if (framed) {
    const base = document.createElement("base");
    base.target = "_top";
    document.head.appendChild(base);
  }

  async function inflate(b64) {
    const text = atob(b64);
    const bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Response(stream).arrayBuffer();
  }

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  }

  function tooltipHtml(props, i, lang) {
    /* The unit's name in the page's language only: no English under the Persian name. */
    const first = lang === "fa" ? props.name_fa[i] : props.name_en[i];
    let html = "<b>" + escapeHtml(first) + "</b>";
    if (props.label[i]) html += "<br>" + escapeHtml(props.label_title) + ": " + escapeHtml(props.label[i]);
    return "<div class='pishraft-tip' dir='" + (lang === "fa" ? "rtl" : "ltr") + "'>" + html + "</div>";
  }

  /* Points as Web Mercator pixels at zoom 0 (256 px world), from the quantised steps. */
  function project(payload, steps, pointsPerRing) {
    const [x0, y0] = payload.origin;
    const q = payload.quantum;
    const n = steps.length / 2;
    const px = new Float64Array(n), py = new Float64Array(n);
    let c = 0;
    for (let r = 0; r < pointsPerRing.length; r++) {
      let x = 0, y = 0;
      for (let i = 0; i < pointsPerRing[r]; i++, c++) {
        // The first point of a ring is absolute, the others are steps from the previous one.
        x = i === 0 ? steps[2 * c] : x + steps[2 * c];
        y = i === 0 ? steps[2 * c + 1] : y + steps[2 * c + 1];
        const lon = x0 + x * q, lat = Math.max(-85, Math.min(85, y0 + y * q)) * Math.PI / 180;
        px[c] = (lon + 180) / 360 * 256;
        py[c] = (1 - Math.log(Math.tan(Math.PI / 4 + lat / 2)) / Math.PI) / 2 * 256;
      }
    }
    return [px, py];
  }

  function offsets(counts) {
    const out = new Int32Array(counts.length + 1);
    for (let i = 0; i < counts.length; i++) out[i + 1] = out[i] + counts[i];
    return out;
  }

  /* All units of a map on one canvas: drawn in one pass, hit-tested by bounding box then
   * even-odd point-in-polygon, with one shared tooltip and a highlight canvas on top. */
  const Coverage = L.Layer.extend({
    initialize: function (data, props, options) {
      Object.assign(this, data);
      this.props = props;
      this.options = options;
      this.hovered = -1;
    },

    count: function () { return this.featureRing.length - 1; },

    onAdd: function (map) {
      const pane = map.getPane("overlayPane");
      this.canvas = L.DomUtil.create("canvas", "leaflet-zoom-animated", pane);
      this.top = L.DomUtil.create("canvas", "leaflet-zoom-animated", pane);
      this.top.style.pointerEvents = this.canvas.style.pointerEvents = "none";
      this.tooltip = L.tooltip({ sticky: true, direction: "auto" });
      map.on("moveend resize viewreset", this.scheduleRedraw, this);
      map.on("zoomanim", this.animateZoom, this);
      map.on("mousemove", this.onMove, this);
      map.on("mouseout", this.clearHover, this);
      map.on("click", this.onClick, this);
      this.redraw();
    },

    onRemove: function (map) {
      L.DomUtil.remove(this.canvas);
      L.DomUtil.remove(this.top);
      map.off("moveend resize viewreset", this.scheduleRedraw, this);
      map.off("zoomanim", this.animateZoom, this);
      map.off("mousemove", this.onMove, this);
      map.off("mouseout", this.clearHover, this);
      map.off("click", this.onClick, this);
    },

    animateZoom: function (e) {
      const map = this._map;
      const scale = map.getZoomScale(e.zoom, this.zoom);
      const offset = map._latLngToNewLayerPoint(this.topLeft, e.zoom, e.center);
      L.DomUtil.setTransform(this.canvas, offset, scale);
      L.DomUtil.setTransform(this.top, offset, scale);
    },

    view: function () {
      const map = this._map;
      return { scale: Math.pow(2, map.getZoom()), min: map.getPixelBounds().min, size: map.getSize() };
    },

    prepare: function (canvas, v) {
      const ratio = window.devicePixelRatio || 1;
      canvas.width = v.size.x * ratio;
      canvas.height = v.size.y * ratio;
      canvas.style.width = v.size.x + "px";
      canvas.style.height = v.size.y + "px";
      L.DomUtil.setPosition(canvas, this._map.containerPointToLayerPoint([0, 0]));
      const ctx = canvas.getContext("2d");
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      return ctx;
    },

    trace: function (ctx, f, v) {
      const px = this.px, py = this.py, s = v.scale, mx = v.min.x, my = v.min.y;
      for (let r = this.featureRing[f]; r < this.featureRing[f + 1]; r++) {
        const a = this.ringPoint[r], b = this.ringPoint[r + 1];
        if (b - a < 2) continue;
        let lx = px[a] * s - mx, ly = py[a] * s - my;
        ctx.moveTo(lx, ly);
        for (let i = a + 1; i < b; i++) {
          const x = px[i] * s - mx, y = py[i] * s - my;
          // Points closer than a pixel to the last one drawn add nothing visible.
          if (Math.abs(x - lx) + Math.abs(y - ly) < 1) continue;
          ctx.lineTo(x, y);
          lx = x;
          ly = y;
        }
        ctx.closePath();
      }
    },

    small: function (f, v) {
      const b = this.bbox, s = v.scale;
      return (b[4 * f + 2] - b[4 * f]) * s < 6 && (b[4 * f + 3] - b[4 * f + 1]) * s < 6;
    },

    visible: function (f, v) {
      const s = v.scale;
      return !(this.bbox[4 * f + 2] * s < v.min.x || this.bbox[4 * f] * s > v.min.x + v.size.x
        || this.bbox[4 * f + 3] * s < v.min.y || this.bbox[4 * f + 1] * s > v.min.y + v.size.y);
    },

    /* Several view events in one frame (move, zoom, resize) lead to one redraw. */
    scheduleRedraw: function () {
      if (this.pending) return;
      this.pending = L.Util.requestAnimFrame(() => { this.pending = null; this.redraw(); });
    },

    redraw: function () {
      const map = this._map;
      if (!map) return;
      const v = this.view();
      const key = [v.scale, v.min.x, v.min.y, v.size.x, v.size.y].join();
      if (key === this.drawnView) return;  // the view did not change
      this.drawnView = key;
      this.zoom = map.getZoom();
      this.topLeft = map.containerPointToLatLng([0, 0]);
      const ctx = this.prepare(this.canvas, v);
      this.prepare(this.top, v);
      const o = this.options, colour = this.props.colour, palette = this.props.palette;
      // Units are filled colour by colour and outlined together, in paths of a few hundred
      // units: Skia draws those far faster than one path per unit or one huge path.
      const batch = 256;
      ctx.globalAlpha = o.fill_opacity;
      for (let k = 0; k < palette.length; k++) {
        ctx.fillStyle = palette[k];
        let n = 0;
        ctx.beginPath();
        for (let f = 0; f < colour.length; f++) {
          if (colour[f] !== k || !this.visible(f, v)) continue;
          this.trace(ctx, f, v);
          if (++n % batch === 0) { ctx.fill("evenodd"); ctx.beginPath(); }
        }
        ctx.fill("evenodd");
      }
      ctx.globalAlpha = 1;
      ctx.strokeStyle = o.stroke;
      ctx.lineWidth = o.weight;
      let n = 0;
      ctx.beginPath();
      for (let f = 0; f < colour.length; f++) {
        // Outlines of units a few pixels wide would only grey them out.
        if (!this.visible(f, v) || this.small(f, v)) continue;
        this.trace(ctx, f, v);
        if (++n % batch === 0) { ctx.stroke(); ctx.beginPath(); }
      }
      ctx.stroke();
      if (this.hovered >= 0) this.highlight(this.hovered);
    },

    highlight: function (f) {
      const v = this.view();
      const ctx = this.top.getContext("2d");
      const ratio = window.devicePixelRatio || 1;
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.clearRect(0, 0, this.top.width, this.top.height);
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      if (f < 0) return;
      ctx.beginPath();
      this.trace(ctx, f, v);
      ctx.strokeStyle = "#000";
      ctx.lineWidth = 2.5;
      ctx.stroke();
    },

    /* The feature under world pixel (x, y) at zoom 0, or -1. */
    featureAt: function (x, y) {
      const px = this.px, py = this.py, bbox = this.bbox;
      for (let f = 0; f < this.count(); f++) {
        if (x < bbox[4 * f] || x > bbox[4 * f + 2] || y < bbox[4 * f + 1] || y > bbox[4 * f + 3]) continue;
        let inside = false;
        for (let r = this.featureRing[f]; r < this.featureRing[f + 1]; r++) {
          const a = this.ringPoint[r], b = this.ringPoint[r + 1];
          for (let i = a, j = b - 1; i < b; j = i++) {
            if ((py[i] > y) !== (py[j] > y) && x < (px[j] - px[i]) * (y - py[i]) / (py[j] - py[i]) + px[i]) inside = !inside;
          }
        }
        if (inside) return f;
      }
      return -1;
    },

    eventFeature: function (e) {
      const p = this._map.project(e.latlng, 0);
      return this.featureAt(p.x, p.y);
    },

    onMove: function (e) {
      const f = this.eventFeature(e);
      if (f !== this.hovered) {
        this.hovered = f;
        this.highlight(f);
        this._map.getContainer().style.cursor = f >= 0 && this.props.href[f] ? "pointer" : "";
        if (f >= 0) this.tooltip.setContent(tooltipHtml(this.props, f, this.options.lang));
      }
      if (f < 0) { this._map.closeTooltip(this.tooltip); return; }
      this.tooltip.setLatLng(e.latlng);
      if (!this._map.hasLayer(this.tooltip)) this._map.openTooltip(this.tooltip);
    },

    clearHover: function () {
      this.hovered = -1;
      this.highlight(-1);
      if (this._map) this._map.closeTooltip(this.tooltip);
    },

    onClick: function (e) {
      const f = this.eventFeature(e);
      if (f >= 0 && this.props.href[f]) (framed ? window.top : window).location.href = this.props.href[f];
    },

    /* Container pixel of a point inside feature `f` (its label point), for tests and tours. */
    pointIn: function (f) {
      if (!this.props.inside[f]) return null;
      const [lon, lat] = this.props.inside[f];
      return this._map.latLngToContainerPoint([lat, lon]);
    },

    indexOf: function (code) { return this.props.code.indexOf(code); },
  });

  const Pishraft = {
    layers: [],
    ready: null,

    /* Draw a compact coverage on `map`; resolves with the Leaflet feature group. */
    coverage: function (map, payload, options) {
      const job = (async function () {
        const [steps, perRing, perPolygon, perFeature, propsBuf] = await Promise.all([
          inflate(payload.coords), inflate(payload.points_per_ring), inflate(payload.rings_per_polygon),
          inflate(payload.polygons_per_feature), inflate(payload.properties),
        ]);
        const props = JSON.parse(new TextDecoder().decode(propsBuf));
        const pointsPerRing = new Int32Array(perRing);
        const [px, py] = project(payload, new Int16Array(steps), pointsPerRing);
        const ringPoint = offsets(pointsPerRing);
        const polygonRing = offsets(new Int32Array(perPolygon));
        const featurePolygon = offsets(new Int32Array(perFeature));
        const n = featurePolygon.length - 1;
        const featureRing = new Int32Array(n + 1);
        const bbox = new Float64Array(4 * n);
        for (let f = 0; f < n; f++) {
          featureRing[f + 1] = polygonRing[featurePolygon[f + 1]];
          let x1 = Infinity, y1 = Infinity, x2 = -Infinity, y2 = -Infinity;
          for (let i = ringPoint[featureRing[f]]; i < ringPoint[featureRing[f + 1]]; i++) {
            if (px[i] < x1) x1 = px[i];
            if (px[i] > x2) x2 = px[i];
            if (py[i] < y1) y1 = py[i];
            if (py[i] > y2) y2 = py[i];
          }
          bbox.set([x1, y1, x2, y2], 4 * f);
        }
        const layer = new Coverage({ px, py, ringPoint, featureRing, bbox }, props, options);
        layer.addTo(map);
        Pishraft.layers.push(layer);
        await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
        return layer;
      })();
      Pishraft.ready = Pishraft.ready ? Promise.all([Pishraft.ready, job]) : job;
      job.then(() => { document.documentElement.dataset.pishraftDrawn = "true"; },
        (err) => { console.error("Pishraft could not draw the map", err); });
      return job;
    },

    /* The map's own controls in the page's language: the zoom buttons' titles, the layer
       switcher's, Leaflet's credit, and a metric-only scale bar (in Persian digits and
       words on a Persian map). Run after the page's other scripts, which add the switcher. */
    controls: function (map, words) {
      const digits = (text) => words.persian ? text.replace(/[0-9]/g, (d) => "۰۱۲۳۴۵۶۷۸۹"[d]) : text;
      const Scale = L.Control.Scale.extend({
        _updateScale: function (scale, text, ratio) {
          const parts = text.split(" ");
          scale.style.width = Math.round(this.options.maxWidth * ratio) + "px";
          scale.innerHTML = digits(parts[0]) + " " + (parts[1] === "km" ? words.km : words.m);
        },
      });
      new Scale({ metric: true, imperial: false, position: words.scale_position }).addTo(map);
      if (map.attributionControl) map.attributionControl.setPrefix(
        "<a href='https://leafletjs.com'>" + words.leaflet + "</a>");
      setTimeout(() => {
        /* folium adds its own zoom control (not map.zoomControl) when it is placed: find the buttons. */
        const titles = { ".leaflet-control-zoom-in": words.zoom_in, ".leaflet-control-zoom-out": words.zoom_out,
          ".leaflet-control-layers-toggle": words.layers };
        Object.entries(titles).forEach(([selector, title]) => {
          map.getContainer().querySelectorAll(selector).forEach((control) => {
            control.title = title;
            control.setAttribute("aria-label", title);
          });
        });
      }, 0);
    },

    /* A fixed box (legend, breadcrumb, note) as a Leaflet control, so that boxes stack. */
    box: function (map, html, position, className) {
      const control = L.control({ position: position });
      control.onAdd = function () {
        const div = L.DomUtil.create("div", "pishraft-box " + (className || ""));
        div.innerHTML = html;
        L.DomEvent.disableClickPropagation(div);
        L.DomEvent.disableScrollPropagation(div);
        return div;
      };
      control.addTo(map);
      return control;
    },
  };

  window.Pishraft = Pishraft;
})();
