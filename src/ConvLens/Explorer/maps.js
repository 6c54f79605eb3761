// Drawing values: the viridis palette, maps painted on canvases, colour legends with 0 marked, tables of numbers,
// and the small helpers every view uses (el, fmt, clamp).


  // Viridis (matplotlib's default, the article's palette), as a 256-entry lookup table from nine of its colours.
  const VIRIDIS_STOPS = ["#440154", "#472d7b", "#3b528b", "#2c728e", "#21918c", "#28ae80", "#5ec962", "#addc30", "#fde725"];
  const VIRIDIS = (() => {
    const rgb = VIRIDIS_STOPS.map(h => [1, 3, 5].map(i => parseInt(h.slice(i, i + 2), 16)));
    const lut = new Uint8ClampedArray(256 * 3);
    for (let i = 0; i < 256; i++) {
      const t = i / 255 * (rgb.length - 1), a = Math.min(rgb.length - 2, Math.floor(t)), f = t - a;
      for (let k = 0; k < 3; k++) lut[i * 3 + k] = Math.round(rgb[a][k] + (rgb[a + 1][k] - rgb[a][k]) * f);
    }
    return lut;
  })();


  // ---- Drawing values on canvases. ----
  function paint(canvas, values, h, w, colour) {
    const ctx = canvas.getContext("2d"), image = ctx.createImageData(w, h), px = image.data;
    for (let i = 0; i < h * w; i++) {
      const [r, g, b] = colour(values[i]);
      px[i * 4] = r; px[i * 4 + 1] = g; px[i * 4 + 2] = b; px[i * 4 + 3] = 255;
    }
    ctx.putImageData(image, 0, 0);
  }

  function viridis(min, max) {
    const span = max > min ? max - min : 1;
    return v => { const i = Math.max(0, Math.min(255, Math.round((v - min) / span * 255))) * 3; return [VIRIDIS[i], VIRIDIS[i + 1], VIRIDIS[i + 2]]; };
  }

  // Saliency's colour: Okabe and Ito's blue, apart from the outline's red and clear to red-blind readers.
  const SALIENCY = [0, 114, 178];
  const grey = v => { const g = Math.round(Math.max(0, Math.min(1, v)) * 255); return [g, g, g]; };
  const byte = v => Math.round(Math.max(0, Math.min(1, v)) * 255);

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  const fmt = v => Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toFixed(3);
  const clamp = (v, lo, hi) => Math.max(lo, Math.min(hi, v));

  // A table of numbers, tinted by sign and size (Okabe–Ito orange above 0, sky blue below); null is padding, counted as 0.
  function numberGrid(values, rows, columns, label) {
    const table = el("table", "cl-numbers"), peak = Math.max(1e-12, ...values.map(v => Math.abs(v ?? 0)));
    table.setAttribute("aria-label", label);
    for (let r = 0; r < rows; r++) {
      const tr = table.appendChild(el("tr"));
      for (let q = 0; q < columns; q++) {
        const v = values[r * columns + q], td = tr.appendChild(el("td", v === null ? "cl-pad" : "", v === null ? "pad" : fmt(v)));
        if (v !== null) td.style.background = `rgba(${v >= 0 ? "230,159,0" : "86,180,233"},${(Math.abs(v) / peak * 0.75).toFixed(3)})`;
      }
    }
    return table;
  }

  // A colour legend under a section: its lowest value, the palette, its highest, and where 0 sits on it.
  function legendFor(section) {
    const legend = section.appendChild(el("div", "cl-legend"));
    const low = legend.appendChild(el("span", "", "")), bar = legend.appendChild(el("span", "cl-legend-bar")), high = legend.appendChild(el("span", "", ""));
    bar.style.background = `linear-gradient(to right, ${VIRIDIS_STOPS.join(",")})`;
    const zero = bar.appendChild(el("span", "cl-zero"));
    zero.title = "0";
    return { low, high, zero };
  }

  // Shows `range` on a legend (or the words `low` and `high` where each map has its own).
  function setLegend(b, range, low, high) {
    b.low.textContent = low ?? fmt(range[0]);
    b.high.textContent = high ?? fmt(range[1]);
    const at = !range || range[1] <= range[0] ? 0 : -range[0] / (range[1] - range[0]) * 100;
    Object.assign(b.zero.style, { left: `${at.toFixed(2)}%`, display: range ? "block" : "none" });
  }

  // ---- The network's layers on the page: one section per conv block (its maps), one per linear layer (its units). ----

  function buildMaps(ex) {
    const ui = ex.ui, model = ex.model;
    ui.maps = ui.screen.appendChild(el("div", "cl-maps"));
    ex.sections = ex.spec.blocks.map(b => {
      const section = ui.maps.appendChild(el("div", "cl-layer"));
      const heading = section.appendChild(el("div", "cl-layer-heading"));
      const legend = legendFor(section);
      return { ...b, section, heading, ...legend, grid: section.appendChild(el("div", "cl-grid")), canvases: [], kept: null };
    });
    ex.dense = model.layers.map((l, n) => [l, n]).filter(([l]) => l.kind === "Linear").map(([l, n]) => denseSection(ex, l, n));
  }

  // A linear layer, each unit a square: what it computes from the maps, down to the logits (one per class, labelled).
  function denseSection(ex, l, n) {
    const model = ex.model, section = ex.ui.maps.appendChild(el("div", "cl-layer")), last = n === model.layers.length - 1;
    section.appendChild(el("div", "cl-layer-heading",
      `${l.name}: ${l.out} units, Linear ${l.in} → ${l.out}` + (last ? ": the logits, one per class (0 first, left to right), which softmax turns into the bars"
        : `, before ${model.layers.slice(n + 1).find(m => !m.kind.startsWith("Dropout"))?.name ?? "the output"}`)));
    const legend = legendFor(section);
    const columns = Math.min(l.out, last ? l.out : 24), rows = Math.ceil(l.out / columns);
    const canvas = section.appendChild(el("div", "cl-wrap")).appendChild(el("canvas", "cl-map cl-units"));
    canvas.width = columns; canvas.height = rows;
    Object.assign(canvas.style, { width: `${columns * (last ? 28 : 14)}px`, height: `${rows * (last ? 28 : 14)}px` });
    if (last) {
      const labels = section.appendChild(el("div", "cl-unit-labels"));
      labels.style.width = canvas.style.width;
      for (const name of ex.classes) labels.appendChild(el("span", "", name)).title = name;
    }
    return { layer: l, n, section, ...legend, canvas, columns, rows };
  }

  // Each section's scale widens only while you draw: Clear, a loaded image or another epoch starts it again.
  const resetScales = ex => ex.sections.forEach(b => { b.kept = null; });

  function showMaps(ex, result) {
    const after = ex.ui.after.checked, overview = besideDrawing(ex);
    if (overview !== ex.overview) { ex.overview = overview; for (const b of ex.sections) b.shown = null; }   // the layout changed: new sizes
    const made = ex.sections.map(b => showBlock(ex, b, after ? b.output : b.conv, result.layers[after ? b.output : b.conv], after));
    if (overview && made.some(m => m)) fitOverview(ex);
    paintSections(ex);
    paintDense(ex, result);
  }

  // A block's maps for this input: the canvases made again when the layer shown changes, the values and scale kept.
  function showBlock(ex, b, name, layer, after) {
    const [C, H, W] = layer.shape;
    // The scale always holds 0, so that zero has one fixed colour; it only widens while you draw, so colours compare
    // from one stroke to the next.
    let min = 0, max = 0;
    for (const v of layer.data) { if (v < min) min = v; if (v > max) max = v; }
    if (b.kept && b.kept.name === name) { min = Math.min(min, b.kept.min); max = Math.max(max, b.kept.max); }
    b.kept = { name, min, max };
    const made = b.canvases.length !== C || b.shown !== name;
    if (made) makeMapCanvases(ex, b, name, C, H, W);
    b.heading.textContent = `${name}: ${C} maps of ${H}×${W}, ` + (after ? b.outputAbout : b.convAbout);
    b.data = layer.data;
    b.plane = [C, H, W];
    return made;
  }

  // One canvas per map, each a keyboard stop: a mouse hovers, a finger or a pen touches (a swipe still scrolls the
  // page); a click or Enter opens the unit's arithmetic.
  function makeMapCanvases(ex, b, name, C, H, W) {
    b.grid.innerHTML = "";
    b.canvases = [];
    const pixels = ex.overview ? OVERVIEW_LARGEST : Math.max(56, Math.min(112, H * 3));
    for (let c = 0; c < C; c++) {
      const cell = b.grid.appendChild(el("div", "cl-cell"));
      const canvas = cell.appendChild(el("div", "cl-wrap")).appendChild(el("canvas", "cl-map"));
      canvas.width = W; canvas.height = H;
      canvas.style.width = canvas.style.height = `${pixels}px`;
      canvas.setAttribute("role", "img");
      canvas.setAttribute("aria-label", `${name}, map ${c} of ${C}, ${H}×${W}: the arrow keys move over its units, Enter shows how the selected one is computed`);
      cell.appendChild(el("div", "cl-cell-label", `#${c}`));
      const at = e => { const r = canvas.getBoundingClientRect(); return [clamp(Math.floor((e.clientY - r.top) / r.height * H), 0, H - 1), clamp(Math.floor((e.clientX - r.left) / r.width * W), 0, W - 1)]; };
      canvas.addEventListener("pointermove", e => showUnit(ex, b, c, ...at(e)));
      canvas.addEventListener("pointerdown", e => showUnit(ex, b, c, ...at(e)));
      canvas.addEventListener("pointerleave", () => { if (document.activeElement !== canvas) unhover(ex); });
      canvas.addEventListener("click", e => openConv(ex, b, c, ...at(e)));
      navigable(ex, canvas, H, W, (r, q) => showUnit(ex, b, c, r, q), (r, q) => openConv(ex, b, c, r, q));
      b.canvases.push(canvas);
    }
    b.shown = name;
  }

  // Whether the maps are beside the drawing (a wide screen) rather than under it: then they are drawn small.
  const besideDrawing = ex => ex.ui.maps.getBoundingClientRect().left >= ex.ui.draw.getBoundingClientRect().right;

  // The overview's maps: as large as lets every layer, the linear ones included, fit on the first screen (from the
  // explorer's top when it is further down, as in a notebook), each block's maps in as few rows as fill the width.
  // Below OVERVIEW_SMALLEST a map is too small to point at, so a deeper network keeps that size and its last layers
  // are further down.
  const OVERVIEW_LARGEST = 56, OVERVIEW_SMALLEST = 16, GAP = 6;
  function fitOverview(ex) {
    const ui = ex.ui, maps = ui.maps.getBoundingClientRect(), top = maps.top + window.scrollY;
    const room = window.innerHeight - (top < window.innerHeight ? top : maps.top - ex.root.getBoundingClientRect().top) - 8;
    const first = ex.sections[0].canvases[0], label = first.parentNode.parentNode.offsetHeight - first.offsetHeight;
    const fixed = ui.maps.offsetHeight - ex.sections.reduce((h, b) => h + b.grid.offsetHeight, 0);
    let sides = null;
    for (let cap = OVERVIEW_LARGEST; cap >= OVERVIEW_SMALLEST; cap--) {
      sides = ex.sections.map(b => overviewSide(ui.maps.clientWidth, b.canvases.length, cap));
      if (fixed + sides.reduce((h, s) => h + s.rows * (s.side + label + GAP) - GAP, 0) <= room) break;
    }
    ex.sections.forEach((b, k) => b.canvases.forEach(c => { c.style.width = c.style.height = `${sides[k].side}px`; }));
  }

  // A block's rows of maps at most `cap` wide, and the side that fills the width with those rows.
  function overviewSide(width, count, cap) {
    const rows = Math.ceil(count / Math.max(1, Math.floor((width + GAP) / (cap + GAP))));
    return { rows, side: Math.max(1, Math.min(cap, Math.floor((width + GAP) / Math.ceil(count / rows)) - GAP)) };
  }

  // One scale per layer (kept while drawing), one per map, or one for every layer shown (kept while drawing).
  function paintSections(ex) {
    const mode = ex.ui.scale.value;
    const everything = ex.sections.reduce((r, b) => [Math.min(r[0], b.kept.min), Math.max(r[1], b.kept.max)], [0, 0]);
    for (const b of ex.sections) {
      const [C, H, W] = b.plane, plane = H * W;
      b.range = mode === "global" ? everything : [b.kept.min, b.kept.max];
      for (let c = 0; c < C; c++) {
        const values = b.data.subarray(c * plane, (c + 1) * plane);
        let range = b.range;
        if (mode === "map") { range = [0, 0]; for (const v of values) { if (v < range[0]) range[0] = v; if (v > range[1]) range[1] = v; } }
        paint(b.canvases[c], values, H, W, viridis(range[0], range[1]));
      }
      setLegend(b, mode === "map" ? null : b.range, mode === "map" ? "each map's lowest" : null, mode === "map" ? "its highest (0 included)" : null);
    }
  }

  // The linear layers: their own scale, 0 included, from this input alone (a few numbers, not maps to compare).
  function paintDense(ex, result) {
    for (const d of ex.dense) {
      const values = outputOf(result, d.n).data, range = [Math.min(0, ...values), Math.max(0, ...values)];
      const padded = Array.from({ length: d.rows * d.columns }, (_, i) => i < values.length ? values[i] : NaN);
      paint(d.canvas, padded, d.rows, d.columns, v => Number.isNaN(v) ? [255, 255, 255] : viridis(range[0], range[1])(v));
      d.range = range;
      setLegend(d, range);
    }
  }
