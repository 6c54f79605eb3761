// Following the evidence down: a class's bar clicked, the units that push it most, layer by layer to the input pixels
// (network.js's evidence), marked on every map and unit square the page shows, with the numbers in the unit panel.

  function openEvidence(ex, target) {
    ex.state.selected = { type: "evidence", target };
    ex.ui.top.after(ex.ui.unitPanel);   // under the drawing, the input and the bars, as softmax's panel
    renderUnit(ex);
  }

  // Where a step's unit is, in words: "conv2 map 5, row 3, column 4", "fc1 unit 12", "input pixel row 9, column 14".
  function unitName(ex, n, at) {
    const name = n >= 0 ? ex.model.layers[n].name : "input pixel";
    if (at.length === 1) return `${name} unit ${at[0]}`;
    const channel = n < 0 && ex.model.inputChannels === 1 ? "" : n < 0 ? ` channel ${at[0]},` : ` map ${at[0]},`;
    return `${name}${channel} row ${at[1]}, column ${at[2]}`;
  }

  function renderEvidence(ex, title, line) {
    const model = ex.model, result = ex.state.last.result, target = ex.state.selected.target;
    const steps = evidence(model, result, target);
    title.textContent = `Why ${ex.classes[target]}: the evidence for its logit (${fmt(result.logits[target])}), followed down to the input`;
    line("At each layer, the 3 units that push the ones above most: ∂ (the weight, a slope, or 1 for the unit a max-pool passed on) × the unit's value = its push. They are marked in orange on every map, unit square and the input.");
    for (const s of steps) {
      const p = line("", "cl-unit-line cl-step");
      p.appendChild(el("strong", "", `${s.layer} (${s.kind})`));
      p.appendChild(document.createTextNode(` ${s.units.map(u => unitName(ex, s.n, u.at) + " = " + fmt(u.value)).join("; ")} ← ` +
        s.inputs.map(i => `${unitName(ex, s.n - 1, i.at)}: ${fmt(i.gradient)} × ${fmt(i.input)} = ${fmt(i.push)}`).join("; ")));
    }
    markEvidence(ex, steps);
    return { type: "evidence", target, steps };
  }

  // An orange square on a canvas over unit (row, column) of a rows×columns picture.
  function markOn(canvas, row, column, rows, columns) {
    const mark = canvas.parentNode.appendChild(el("div", "cl-evidence"));
    Object.assign(mark.style, { left: `${column / columns * 100}%`, top: `${row / rows * 100}%`, width: `${100 / columns}%`, height: `${100 / rows}%` });
  }

  const clearEvidence = ex => ex.root.querySelectorAll(".cl-evidence").forEach(m => m.remove());

  function markEvidence(ex, steps) {
    clearEvidence(ex);
    for (const s of steps) {
      for (const b of ex.sections) if (b.shown === s.layer)
        for (const u of s.units) markOn(b.canvases[u.at[0]], u.at[1], u.at[2], b.plane[1], b.plane[2]);
      for (const d of ex.dense) if (d.layer.name === s.layer)
        for (const u of s.units) markOn(d.canvas, Math.floor(u.index / d.columns), u.index % d.columns, d.rows, d.columns);
      if (s.n === 0) for (const i of s.inputs) markOn(ex.ui.input, i.at[1], i.at[2], ex.size, ex.size);
    }
  }
