// The explorer on the page: its elements, its one state object, and the update that runs the network on the drawing
// and repaints every view from what it gives. mount(root, spec) builds one explorer per root element, so a notebook
// may show several; the views (maps.js, tips.js, units.js) read ex.state and ex.ui, and only update writes ex.state.last.

  // One explorer: the model as the page runs it, the sizes, the test images, and the state the views read.
  function explorerOf(root, spec) {
    const model = prepare(spec), size = model.imageSize, channels = model.inputChannels, DRAW = size * SCALE;
    const tests = spec.tests ? Uint8Array.from(atob(spec.tests.pixels), c => c.charCodeAt(0)) : null;
    const epochs = (spec.epochs || []).map(e => ({ label: e.label, layers: Object.fromEntries(Object.entries(e.parameters).map(([name, ps]) => [name, decoded(ps)])) }));
    return {
      root, spec, model, size, channels, DRAW, how: spec.preprocessing, classes: model.classes, epochs,
      indexOf: Object.fromEntries(model.layers.map((l, n) => [l.name, n])),
      tests, testLabels: spec.tests ? spec.tests.labels : [], testCount: spec.tests ? spec.tests.labels.length : 0,
      // A drawing is one grey plane; a colour network gets it on each of its channels.
      toChannels: plane => { const out = new Float64Array(channels * plane.length); for (let c = 0; c < channels; c++) out.set(plane, c * plane.length); return out; },
      ui: {}, followers: [], updates: [],
      state: {
        strokes: [], current: null,                      // the strokes, in drawing pixels; the one being drawn
        base: null, baseName: null, baseIndex: null,     // a loaded test image under them
        drawing: null, penDown: false, penAt: [DRAW / 2, DRAW / 2],   // the pointer that draws; the keyboard's pen
        pending: false, lastUpdate: 0, quiet: false,     // an update waiting; when the last ran; not passing it on
        last: null,                                      // what the last update computed and showed
        selected: null, panel: null,                     // the unit whose arithmetic is open, and its numbers
        epochShown: epochs.length - 1,
      },
    };
  }

  function mount(root, spec) {
    const ex = explorerOf(root, spec);
    root.classList.add("cl-explorer");
    root.innerHTML = "";
    // On a wide screen the whole network is in view beside the drawing, its maps small (explorer.css places them by
    // the explorer's own width); on a narrow one the columns stack, the probabilities right under the drawing, so
    // that they stay in sight while you draw, and the maps follow at their full size.
    ex.ui.screen = root.appendChild(el("div", "cl-screen"));
    ex.ui.top = ex.ui.screen.appendChild(el("div", "cl-top"));
    buildDrawColumn(ex);
    buildInputColumn(ex);
    buildBarsColumn(ex);
    buildOptions(ex);
    buildMaps(ex);
    buildTip(ex);
    ex.ctx = ex.ui.draw.getContext("2d", { willReadFrequently: true });
    wirePointer(ex);
    wireKeyboardPen(ex);
    wireControls(ex);
    wireDense(ex);
    // The page starts empty, and says so: a test image is loaded only when asked for.
    redraw(ex);
    update(ex);
    const api = testHooks(ex);
    // The explorers on the page, for tests and benchmarks; those whose output was replaced (a cell run again) are let go.
    window.convlensExplorers = (window.convlensExplorers || []).filter(e => document.contains(e.root));
    window.convlensExplorers.push(api);
    return api;
  }

  function buildDrawColumn(ex) {
    const ui = ex.ui, column = ui.top.appendChild(el("div", "cl-column cl-draw-column"));
    const digits = ex.classes.length === 10 && ex.classes.every((c, k) => c === String(k));
    column.appendChild(el("div", "cl-heading", digits ? "Draw a digit" : `Draw one of: ${ex.classes.join(", ")}`));
    const wrap = column.appendChild(el("div", "cl-wrap"));
    ui.draw = wrap.appendChild(el("canvas", "cl-draw"));
    ui.draw.width = ui.draw.height = ex.DRAW;
    ui.draw.title = "Draw with the mouse, a finger or a pen";
    ui.draw.tabIndex = 0;
    ui.draw.setAttribute("role", "img");
    ui.draw.setAttribute("aria-roledescription", "drawing area");
    ui.draw.setAttribute("aria-label", "Drawing area: draw with the mouse, a finger or a pen; with the keyboard, the arrow keys move the pen (Shift: 4 pixels at a time) and Space puts it down or lifts it");
    ui.drawOutline = wrap.appendChild(el("div", "cl-outline"));
    ui.pen = wrap.appendChild(el("div", "cl-pen"));
    const buttons = column.appendChild(el("div", "cl-buttons"));
    ui.clear = buttons.appendChild(el("button", "", "Clear"));
    ui.undo = buttons.appendChild(el("button", "", "Undo"));
    if (ex.testCount > 0) {
      const load = buttons.appendChild(el("span", "cl-load"));
      ui.index = load.appendChild(el("label", "", "test image ")).appendChild(el("input"));
      Object.assign(ui.index, { type: "number", min: 0, max: ex.testCount - 1, value: 0 });
      ui.load = load.appendChild(el("button", "", "Load"));
      ui.random = load.appendChild(el("button", "", "Random"));
    }
    ui.status = column.appendChild(el("div", "cl-status", ""));
  }

  function buildInputColumn(ex) {
    const ui = ex.ui, size = ex.size, column = ui.top.appendChild(el("div", "cl-column cl-input-column"));
    column.appendChild(el("div", "cl-heading", `What the network receives (${size}×${size})`));
    const wrap = column.appendChild(el("div", "cl-wrap"));
    ui.input = wrap.appendChild(el("canvas", "cl-input"));
    ui.input.width = ui.input.height = size;
    ui.input.setAttribute("role", "img");
    ui.input.setAttribute("aria-label", `The ${size}×${size} image the network receives`);
    ui.saliency = wrap.appendChild(el("canvas", "cl-input cl-saliency"));
    ui.saliency.width = ui.saliency.height = size;
    ui.inputOutline = wrap.appendChild(el("div", "cl-outline"));
    ui.saliencyLegend = column.appendChild(el("div", "cl-legend"));
    ui.saliencyLegend.appendChild(el("span", "", "saliency: none"));
    ui.saliencyLegend.appendChild(el("span", "cl-legend-bar")).style.background = `linear-gradient(to right, rgba(${SALIENCY},0), rgb(${SALIENCY}))`;
    ui.saliencyLegend.appendChild(el("span", "", "the largest gradient"));
    ui.saliencyLegend.style.display = "none";
    ui.inputNote = column.appendChild(el("p", "cl-note", ""));
  }

  function buildBarsColumn(ex) {
    const ui = ex.ui, column = ui.top.appendChild(el("div", "cl-column cl-bars-column"));
    ui.answer = column.appendChild(el("div", "cl-heading", "Class probabilities"));
    ui.bars = column.appendChild(el("div", "cl-bars"));
    ui.barRows = ex.classes.map((name, k) => {
      const row = ui.bars.appendChild(el("div", "cl-bar-row"));
      // A bar clicked, or its label with Enter: the evidence for its class, followed down to the input (evidence.js).
      // The row is display:contents (its parts sit in the bars' grid), so its label takes the keyboard.
      row.addEventListener("click", () => openEvidence(ex, k));
      const label = row.appendChild(el("span", "cl-bar-label", name));
      Object.assign(label, { tabIndex: 0, title: `Follow the evidence for ${name} down to the input` });
      label.setAttribute("role", "button");
      label.setAttribute("aria-label", `${name}: follow the evidence for this class down to the input`);
      label.addEventListener("keydown", e => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); openEvidence(ex, k); } });
      const fill = row.appendChild(el("span", "cl-bar-track")).appendChild(el("span", "cl-bar-fill"));
      const value = row.appendChild(el("span", "cl-bar-value", ""));
      return { row, fill, value };
    });
    column.appendChild(el("p", "cl-note", "Click a bar to follow its evidence down to the input."));
    ui.softmax = column.appendChild(el("button", "cl-link", "How the logits become these bars"));
    column.appendChild(el("p", "cl-note", `${ex.spec.summary}. ${ex.spec.source}`));
    // What a screen reader announces: the answer, once a stroke ends (not at every move of the pen).
    ui.spoken = ex.root.appendChild(el("div", "cl-sr"));
    ui.spoken.setAttribute("aria-live", "polite");
  }

  // A checkbox with its label, in `parent`.
  function checkbox(parent, text) {
    const label = parent.appendChild(el("label")), box = label.appendChild(el("input"));
    box.type = "checkbox";
    label.appendChild(document.createTextNode(text));
    return box;
  }

  function buildOptions(ex) {
    const ui = ex.ui, options = ui.screen.appendChild(el("div", "cl-options"));
    ui.after = checkbox(options, " show each block's output (after the pooling, norm and activation that follow its conv layer: what the next layer receives)");
    ui.showSaliency = checkbox(options, " saliency on the input: where a small change moves the predicted class's score most (the size of its gradient, in blue)");
    ui.scale = options.appendChild(el("label", "", "colour scale: ")).appendChild(el("select"));
    for (const [value, text] of [["layer", "one per layer, kept while you draw"], ["map", "one per map"], ["global", "one for all layers, kept while you draw"]])
      Object.assign(ui.scale.appendChild(el("option", "", text)), { value });
    // The weights after each epoch (a page made from a training run's epoch checkpoints): the same drawing, from the
    // untrained network to the trained one.
    if (ex.epochs.length > 1) {
      const box = options.appendChild(el("label", "cl-epochs", "weights: "));
      ui.epochSlider = box.appendChild(el("input"));
      Object.assign(ui.epochSlider, { type: "range", min: 0, max: ex.epochs.length - 1, step: 1, value: ex.epochs.length - 1 });
      ui.epochSlider.setAttribute("aria-label", "which epoch's weights the network uses");
      ui.epochLabel = box.appendChild(el("span", "cl-epoch-label", ex.epochs[ex.epochs.length - 1].label));
    }
    options.appendChild(el("span", "cl-hint",
      "Hover or tap a map's pixel, or Tab to a map and use the arrow keys: the red square, on the input and on the small copy beside the map, is what that pixel sees (its receptive field). Click it, or press Enter, to see how its value is computed."));
  }

  // ---- The update: the network on the drawing, then every view repainted from the result. ----

  function update(ex) {
    const s = ex.state, ui = ex.ui;
    s.pending = false;
    const start = performance.now();
    const [input, note, onDrawing] = networkInput(ex);
    const result = forward(ex.model, input);
    paintInput(ex, ui.input, input);
    paintInput(ex, ui.tipInput, input);
    ui.inputNote.textContent = note;
    const best = result.probabilities.indexOf(Math.max(...result.probabilities));
    const empty = !s.base && s.strokes.length === 0;   // no ink: nothing to classify, so no answer is shown
    showAnswer(ex, result, best, empty);
    showSaliency(ex, result, best);
    showMaps(ex, result);
    s.last = { input, result, best, onDrawing, empty, note };
    if (s.selected) renderUnit(ex);   // the open arithmetic follows the drawing
    const ms = performance.now() - start;
    if (ex.updates.length >= 1000) ex.updates.shift();   // the last 1000, for the tests and benchmarks
    ex.updates.push(ms);
    s.lastUpdate = performance.now();
    ui.status.textContent = `updated in ${ms.toFixed(1)} ms`;
    if (!s.quiet) for (const f of ex.followers) f({ strokes: s.strokes, testIndex: s.baseIndex });
  }

  function showAnswer(ex, result, best, empty) {
    const ui = ex.ui;
    ui.barRows.forEach((r, k) => {
      const p = result.probabilities[k];
      r.fill.style.width = empty ? "0%" : `${(p * 100).toFixed(1)}%`;
      r.value.textContent = empty ? "–" : `${(p * 100).toFixed(1)} %`;
      r.row.classList.toggle("cl-best", !empty && k === best);
    });
    ui.answer.textContent = empty ? "Nothing to classify yet: draw a digit" : `The network says ${ex.classes[best]} (${(result.probabilities[best] * 100).toFixed(1)} %)`;
    if (!ex.state.current && ui.spoken.textContent !== ui.answer.textContent) ui.spoken.textContent = ui.answer.textContent;
  }

  // Saliency on the input: the size of the predicted class's gradient, summed over the input's channels.
  function showSaliency(ex, result, best) {
    const ui = ex.ui, on = ui.showSaliency.checked, size = ex.size;
    ui.saliency.style.display = on ? "block" : "none";
    ui.saliencyLegend.style.display = on ? "flex" : "none";
    if (!on) return;
    const g = saliency(ex.model, result, best), plane = new Float64Array(size * size);
    for (let i = 0; i < g.length; i++) plane[i % plane.length] += Math.abs(g[i]);
    const peak = Math.max(1e-12, ...plane);
    const ctx = ui.saliency.getContext("2d"), image = ctx.createImageData(size, size);
    for (let i = 0; i < size * size; i++) { image.data.set(SALIENCY, i * 4); image.data[i * 4 + 3] = Math.round(plane[i] / peak * 230); }
    ctx.putImageData(image, 0, 0);
  }

  // While drawing, update at most every 30 ms: each pointer move would be too often, and a timer (unlike
  // requestAnimationFrame) also runs where frames are not drawn, such as a headless browser.
  function schedule(ex) {
    const s = ex.state;
    if (s.pending) return;
    s.pending = true;
    setTimeout(() => update(ex), Math.max(0, s.lastUpdate + 30 - performance.now()));
  }

  // ---- The controls: clear, undo, test images, the epoch slider, the view options. ----

  function wireControls(ex) {
    const ui = ex.ui, s = ex.state;
    for (const box of [ui.after, ui.scale, ui.showSaliency]) box.addEventListener("change", () => update(ex));
    ui.clear.addEventListener("click", () => { s.strokes = []; s.base = null; s.baseIndex = null; resetScales(ex); redraw(ex); update(ex); });
    ui.undo.addEventListener("click", () => { s.strokes.pop(); redraw(ex); update(ex); });
    if (ui.load) {
      ui.load.addEventListener("click", () => loadTest(ex, ui.index.value));
      ui.index.addEventListener("change", () => loadTest(ex, ui.index.value));
      ui.random.addEventListener("click", () => loadTest(ex, Math.floor(Math.random() * ex.testCount)));
    }
    if (ui.epochSlider) ui.epochSlider.addEventListener("input", () => setEpoch(ex, ui.epochSlider.value));
    ui.softmax.addEventListener("click", () => openSoftmax(ex));
  }

  // A test image as the network takes it: [channels, size, size], values 0 … 1.
  function testImage(ex, n) {
    const out = new Float64Array(ex.channels * ex.size * ex.size);
    for (let i = 0; i < out.length; i++) out[i] = ex.tests[n * out.length + i] / 255;
    return out;
  }

  function setBase(ex, n) {
    const s = ex.state;
    s.base = testImage(ex, n);
    s.baseIndex = n;
    s.baseName = `Test image ${n}, labelled ${ex.classes[ex.testLabels[n]]}`;
    if (ex.ui.index) ex.ui.index.value = n;
  }

  function loadTest(ex, n) {
    setBase(ex, clamp(Math.floor(Number(n) || 0), 0, ex.testCount - 1));
    ex.state.strokes = [];
    resetScales(ex);
    redraw(ex);
    update(ex);
  }

  function setEpoch(ex, k) {
    const s = ex.state, epochs = ex.epochs;
    s.epochShown = clamp(Math.round(Number(k)), 0, epochs.length - 1);
    for (const layer of ex.model.layers) if (epochs[s.epochShown].layers[layer.name]) layer.p = epochs[s.epochShown].layers[layer.name];
    ex.ui.epochSlider.value = s.epochShown;
    ex.ui.epochLabel.textContent = epochs[s.epochShown].label;
    resetScales(ex);   // each epoch's maps on their own scales: the weights grow while training
    update(ex);
  }

  // Another explorer's drawing, taken as it is: its strokes (in drawing pixels) over its test image, if any.
  function setDrawing(ex, d) {
    const s = ex.state;
    if (d.testIndex !== s.baseIndex) {
      if (d.testIndex === null || !ex.tests) { s.base = null; s.baseIndex = null; }
      else setBase(ex, d.testIndex);
      resetScales(ex);
    }
    s.strokes = d.strokes.map(p => p.map(q => [q[0], q[1]]));
    if (s.strokes.length === 0 && d.testIndex === null) resetScales(ex);
    redraw(ex);
    s.quiet = true;
    try { update(ex); } finally { s.quiet = false; }
  }

  // Two explorers on one page that share one drawing (a comparison): what is drawn on either is drawn on both.
  function link(a, b) { a.follow(b); b.follow(a); }

  window.ConvLensExplorer = { mount, link, prepare, forward, saliency, preprocess, renderStrokes, stroke: STROKE, convUnit, linearUnit, softmaxOf, follow, evidence, kinds: KINDS };
