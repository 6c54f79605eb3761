// Pointing at a unit: the hovered pixel marked on its map, its receptive field outlined on the input, on the drawing
// and on a small copy of the input in a label placed beside the map; the keyboard moves over a map's units as well.

  // The hovered unit's label, with a small copy of the input and the unit's window on it: placed beside the map and
  // kept inside the window, so that the field stays in sight however far down the page the map is.
  function buildTip(ex) {
    const ui = ex.ui;
    ui.tip = ex.root.appendChild(el("div", "cl-tip"));
    const wrap = ui.tip.appendChild(el("div", "cl-wrap"));
    ui.tipInput = wrap.appendChild(el("canvas", "cl-input cl-mini"));
    ui.tipInput.width = ui.tipInput.height = ex.size;
    ui.tipOutline = wrap.appendChild(el("div", "cl-outline"));
    ui.tipText = ui.tip.appendChild(el("div", "cl-tip-text"));
    ui.marker = el("div", "cl-outline");   // the hovered pixel, on its map
    // How the selected unit is computed: one panel, shown under the section of the unit.
    ui.unitPanel = el("div", "cl-unit");
    ui.unitPanel.setAttribute("role", "region");
    ui.unitPanel.setAttribute("aria-label", "How the selected unit is computed");
  }

  // Keyboard: Tab reaches each map; the arrow keys move over its units, Enter or Space opens the selected unit's
  // arithmetic, Escape hides the label.
  function navigable(ex, canvas, height, width, show, open, count = height * width) {
    canvas.tabIndex = 0;
    let at = null;
    canvas.addEventListener("focus", () => { at = at || [Math.floor(height / 2), Math.floor(width / 2)]; show(...at); });
    canvas.addEventListener("blur", () => unhover(ex));
    canvas.addEventListener("keydown", e => {
      const move = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] }[e.key];
      if (move) {
        const next = [clamp(at[0] + move[0], 0, height - 1), clamp(at[1] + move[1], 0, width - 1)];
        if (next[0] * width + next[1] < count) at = next;
        show(...at);
      } else if (e.key === "Enter" || e.key === " ") open(...at);
      else if (e.key === "Escape") unhover(ex);
      else return;
      e.preventDefault();
    });
  }

  // The input window a map pixel sees, computed by ConvLens (Inspect.ReceptiveFields): top, left, bottom, right.
  function windowOf(ex, name, row, column) {
    const f = ex.spec.fields[name], i = (row * f.width + column) * 4;
    return f.windows.slice(i, i + 4);
  }

  // Outlines window w (input rows t–b, columns l–r) on the input, or, through the preprocessing's transform, on the drawing.
  function outline(ex, box, w, transform) {
    if (!w) { box.style.display = "none"; return; }
    const [t, l, b, r] = w;
    const [y0, x0, y1, x1] = transform
      ? [transform.top + (t - transform.oy) * transform.sy, transform.left + (l - transform.ox) * transform.sx,
         transform.top + (b + 1 - transform.oy) * transform.sy, transform.left + (r + 1 - transform.ox) * transform.sx].map(v => v / ex.DRAW * 100)
      : [t, l, b + 1, r + 1].map(v => v / ex.size * 100);
    const percent = v => `${v.toFixed(4)}%`;
    Object.assign(box.style, { display: "block", top: percent(clamp(y0, 0, 100)), left: percent(clamp(x0, 0, 100)), height: percent(clamp(y1, 0, 100) - clamp(y0, 0, 100)), width: percent(clamp(x1, 0, 100) - clamp(x0, 0, 100)) });
  }

  // The label beside `anchor` (a map): to its right, else its left, else below or above it; always inside the window.
  function placeTip(ex, anchor) {
    const tip = ex.ui.tip;
    tip.style.display = "flex";
    const host = ex.root.getBoundingClientRect(), t = tip.getBoundingClientRect(), a = anchor.getBoundingClientRect();
    const vw = document.documentElement.clientWidth || window.innerWidth, vh = window.innerHeight, gap = 8;
    let x = a.right + gap, y = a.top;
    if (x + t.width > vw - 4) x = a.left - gap - t.width;
    if (x < 4) {
      x = clamp(a.left, 4, Math.max(4, vw - t.width - 4));
      y = a.bottom + gap + t.height <= vh - 4 ? a.bottom + gap : a.top - gap - t.height;
    }
    y = clamp(y, 4, Math.max(4, vh - t.height - 4));
    Object.assign(tip.style, { left: `${x - host.left}px`, top: `${y - host.top}px` });
  }

  // The marker on unit (row, column) of a canvas of rows × columns units.
  function mark(ex, canvas, row, column, rows, columns) {
    const marker = ex.ui.marker;
    canvas.parentNode.appendChild(marker);
    Object.assign(marker.style, { display: "block", top: `${row / rows * 100}%`, left: `${column / columns * 100}%`, width: `${100 / columns}%`, height: `${100 / rows}%` });
  }

  function showUnit(ex, b, channel, row, column) {
    const ui = ex.ui, last = ex.state.last, name = b.shown, f = ex.spec.fields[name], canvas = b.canvases[channel];
    const w = windowOf(ex, name, row, column);
    mark(ex, canvas, row, column, f.height, f.width);
    outline(ex, ui.inputOutline, w, null);
    outline(ex, ui.tipOutline, w, null);
    outline(ex, ui.drawOutline, last && last.onDrawing ? w : null, last && last.onDrawing);
    const value = last ? last.result.layers[name].data[(channel * f.height + row) * f.width + column] : NaN;
    ui.tipText.textContent = `${name} · channel ${channel} · row ${row}, column ${column}: ${fmt(value)} (colour scale ${fmt(b.range[0])} to ${fmt(b.range[1])}). ` +
      `It sees input rows ${w[0]}–${w[2]}, columns ${w[1]}–${w[3]} (${w[2] - w[0] + 1}×${w[3] - w[1] + 1}), outlined in red. Click or press Enter for its arithmetic.`;
    placeTip(ex, canvas);
  }

  function showDense(ex, d, index) {
    const ui = ex.ui, values = outputOf(ex.state.last.result, d.n).data, whole = [0, 0, ex.size - 1, ex.size - 1];
    mark(ex, d.canvas, Math.floor(index / d.columns), index % d.columns, d.rows, d.columns);
    outline(ex, ui.tipOutline, whole, null);
    outline(ex, ui.inputOutline, whole, null);
    const isLogit = d.n === ex.model.layers.length - 1;
    ui.tipText.textContent = `${d.layer.name} · unit ${index}${isLogit ? ` (class ${ex.classes[index]})` : ""}: ${fmt(values[index])} (colour scale ${fmt(d.range[0])} to ${fmt(d.range[1])}). ` +
      "A linear unit sees the whole input. Click or press Enter for its arithmetic.";
    placeTip(ex, d.canvas);
  }

  function unhover(ex) {
    const ui = ex.ui;
    ui.marker.style.display = "none";
    for (const box of [ui.inputOutline, ui.drawOutline, ui.tipOutline]) outline(ex, box, null, null);
    ui.tip.style.display = "none";
  }

  // A linear layer's canvas: its units hovered, touched, clicked or reached by the keyboard.
  function wireDense(ex) {
    for (const d of ex.dense) {
      const at = e => { const r = d.canvas.getBoundingClientRect(); return clamp(Math.floor((e.clientY - r.top) / r.height * d.rows), 0, d.rows - 1) * d.columns + clamp(Math.floor((e.clientX - r.left) / r.width * d.columns), 0, d.columns - 1); };
      const usable = f => e => { const i = at(e); if (i < d.layer.out) f(i); };
      d.canvas.setAttribute("role", "img");
      d.canvas.setAttribute("aria-label", `${d.layer.name}, ${d.layer.out} units: the arrow keys move over them, Enter shows how the selected one is computed`);
      d.canvas.addEventListener("pointermove", usable(i => showDense(ex, d, i)));
      d.canvas.addEventListener("pointerdown", usable(i => showDense(ex, d, i)));
      d.canvas.addEventListener("pointerleave", () => { if (document.activeElement !== d.canvas) unhover(ex); });
      d.canvas.addEventListener("click", usable(i => openLinear(ex, d, i)));
      navigable(ex, d.canvas, d.rows, d.columns, (r, q) => showDense(ex, d, r * d.columns + q), (r, q) => openLinear(ex, d, r * d.columns + q), d.layer.out);
    }
  }
