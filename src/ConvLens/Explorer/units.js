// A unit's arithmetic, as CNN Explainer shows it, with this network's own weights: a conv unit's patch × kernel,
// summed, plus the bias, then each step its value goes through; a linear unit's largest products; softmax. The numbers
// come from network.js (convUnit, linearUnit, softmaxOf, follow); this module lays them out in one panel.

  function openConv(ex, b, channel, row, column) {
    const s = ex.state, result = s.last.result, n = ex.indexOf[b.conv], outputShape = outputOf(result, ex.indexOf[b.shown]).shape;
    // A unit of the block's output: the conv unit it came from (the one max-pooling passed on), followed to it.
    const index = traceBack(ex.model, result, ex.indexOf[b.shown], n, (channel * outputShape[1] + row) * outputShape[2] + column);
    const [, H, W] = outputOf(result, n).shape;
    s.selected = { type: "conv", block: b, unit: [Math.floor(index / (H * W)), Math.floor(index / W) % H, index % W], inputChannel: null };
    b.section.after(ex.ui.unitPanel);
    renderUnit(ex);
  }

  function openLinear(ex, d, unit) {
    ex.state.selected = { type: "linear", dense: d, unit };
    d.section.after(ex.ui.unitPanel);
    renderUnit(ex);
  }

  function openSoftmax(ex) {
    ex.state.selected = { type: "softmax" };
    ex.ui.top.after(ex.ui.unitPanel);   // under the three columns: inside the probabilities' column it would widen it
    renderUnit(ex);
  }

  // The panel again for the selected unit, from the last update's result; ex.state.panel keeps its numbers.
  function renderUnit(ex) {
    const ui = ex.ui, s = ex.state, panel = ui.unitPanel;
    panel.innerHTML = "";
    const head = panel.appendChild(el("div", "cl-unit-head"));
    const title = head.appendChild(el("strong"));
    head.appendChild(el("button", "", "Close")).addEventListener("click", () => { s.selected = null; s.panel = null; panel.remove(); clearEvidence(ex); });
    clearEvidence(ex);
    const line = (text, cls) => panel.appendChild(el("p", cls || "cl-unit-line", text));
    const render = { conv: renderConv, linear: renderLinear, softmax: renderSoftmax, evidence: renderEvidence }[s.selected.type];
    s.panel = render(ex, title, line);
  }

  function renderConv(ex, title, line) {
    const model = ex.model, result = ex.state.last.result, selected = ex.state.selected;
    const b = selected.block, n = ex.indexOf[b.conv], [o, i, j] = selected.unit;
    const u = convUnit(model, result, n, o, i, j), C = u.channels.length, source = n > 0 ? model.layers[n - 1].name : "the input";
    const strongest = u.channels.reduce((k, c, m) => Math.abs(c.sum) > Math.abs(u.channels[k].sum) ? m : k, 0);
    const c = selected.inputChannel ?? strongest, ch = u.channels[c];
    title.textContent = `${u.layer} · map ${o} · row ${i}, column ${j} = ${fmt(u.value)}`;
    const dil = u.dilation[0] > 1 || u.dilation[1] > 1 ? `, every ${u.dilation[0]}th row and ${u.dilation[1]}th column` : "";
    line(`Its value is the ${u.rows}×${u.columns} patch of ${n > 0 ? source + "'s maps" : "the input"} at rows ${u.top}–${u.top + (u.rows - 1) * u.dilation[0]}, columns ${u.left}–${u.left + (u.columns - 1) * u.dilation[1]}${dil} ("pad": outside the image, counted as 0), times the kernel, summed` +
      (C > 1 ? `, for each of the ${C} input channels; those ${C} sums added, plus the bias.` : ", plus the bias."));
    enlargedMap(ex, outputOf(result, n), u.layer, o, i, j);
    if (C > 1) channelChips(ex, u, c);
    convEquation(ex, u, ch, C > 1 ? ` (channel ${c})` : "");
    line((C > 1 ? `Σ over the ${C} channels: ${fmt(u.total - u.bias)}` : `Σ ${fmt(ch.sum)}`) + ` + bias ${fmt(u.bias)} = ${fmt(u.total)}: the map's value, ${fmt(u.value)}.`, "cl-unit-line cl-total");
    const shape = outputOf(result, n).shape, steps = follow(model, result, n, (o * shape[1] + i) * shape[2] + j, b.output);
    for (const s of steps) {
      if (s.missed) { line(`${s.layer}: no pooling window covers this unit, so it goes no further.`); break; }
      const p = line(`→ ${stepText(s)}`, "cl-unit-line cl-step");
      if (s.window) p.appendChild(numberGrid(s.window, s.rows, s.columns, `${s.layer}'s window`)).classList.add("cl-inline");
    }
    const end = steps.length ? steps[steps.length - 1] : null;
    if (end && !end.missed && b.output !== b.conv)
      line(`That is ${end.layer} map ${end.unit[0]}, row ${end.unit[1]}, column ${end.unit[2]}: what the next layer receives.`);
    return { ...u, steps, shownChannel: c };
  }

  // The clicked map enlarged (the overview draws the maps small), the unit outlined in red, on its own scale with 0.
  function enlargedMap(ex, output, layer, o, i, j) {
    const [, H, W] = output.shape, values = output.data.subarray(o * H * W, (o + 1) * H * W), zoom = Math.max(1, Math.floor(168 / Math.max(H, W)));
    const small = el("canvas"), big = el("canvas", "cl-enlarged");
    Object.assign(small, { width: W, height: H });
    Object.assign(big, { width: W * zoom, height: H * zoom });
    paint(small, values, H, W, viridis(Math.min(0, ...values), Math.max(0, ...values)));
    const ctx = big.getContext("2d");
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(small, 0, 0, W * zoom, H * zoom);
    ctx.strokeStyle = "#d62728"; ctx.lineWidth = 2;
    const side = Math.max(1, zoom - 2);
    ctx.strokeRect(j * zoom + 1, i * zoom + 1, side, side);
    const figure = ex.ui.unitPanel.appendChild(el("figure", "cl-enlarged-figure"));
    figure.appendChild(big).setAttribute("aria-label", `${layer} map ${o}, enlarged, the unit at row ${i}, column ${j} outlined`);
    figure.appendChild(el("figcaption", "", `${layer} map ${o} (${H}×${W}), enlarged; the unit outlined in red`));
  }

  // One button per input channel, with its sum: pick one to see its patch and kernel.
  function channelChips(ex, u, chosen) {
    const chips = ex.ui.unitPanel.appendChild(el("div", "cl-chips"));
    chips.appendChild(el("span", "", "Σ per input channel (pick one to see it):"));
    u.channels.forEach((x, m) => {
      const chip = chips.appendChild(el("button", m === chosen ? "cl-chip cl-chosen" : "cl-chip", `${m}: ${fmt(x.sum)}`));
      chip.setAttribute("aria-pressed", String(m === chosen));
      chip.addEventListener("click", () => { ex.state.selected.inputChannel = m; renderUnit(ex); });
    });
  }

  // patch × kernel = products, Σ: each a labelled table.
  function convEquation(ex, u, ch, which) {
    const eq = ex.ui.unitPanel.appendChild(el("div", "cl-eq"));
    const named = (label, table) => { const f = eq.appendChild(el("figure")); f.appendChild(table); f.appendChild(el("figcaption", "", label)); };
    named(`input patch${which}`, numberGrid(ch.patch, u.rows, u.columns, `input patch${which}`));
    eq.appendChild(el("span", "cl-op", "×"));
    named(`kernel${which}`, numberGrid(ch.kernel, u.rows, u.columns, `kernel${which}`));
    eq.appendChild(el("span", "cl-op", "="));
    named("products", numberGrid(ch.products, u.rows, u.columns, "products"));
    eq.appendChild(el("span", "cl-op", `Σ = ${fmt(ch.sum)}`));
  }

  // Where a linear layer's input i comes from: a map's unit after flatten, or a unit of the layer before.
  function sourceOf(ex, n) {
    const layers = ex.model.layers, before = m => { while (m >= 0 && layers[m].kind.startsWith("Dropout")) m--; return m; };
    const m = before(n - 1);
    if (m >= 0 && layers[m].kind === "Flatten") {
      const [, H, W] = ex.state.last.result.inputs[m].shape, k = before(m - 1);
      const name = k >= 0 ? layers[k].name : "the input";
      return i => H * W === 1 ? `${name} map ${i}` : `${name} map ${Math.floor(i / (H * W))}, row ${Math.floor(i / W) % H}, column ${i % W}`;
    }
    const name = m >= 0 ? layers[m].name : "the input";
    return i => `${name} unit ${i}`;
  }

  function renderLinear(ex, title, line) {
    const model = ex.model, result = ex.state.last.result, d = ex.state.selected.dense;
    const u = linearUnit(model, result, d.n, ex.state.selected.unit), label = sourceOf(ex, d.n), isLogit = d.n === model.layers.length - 1;
    title.textContent = `${u.layer} · unit ${u.unit}${isLogit ? ` (the logit of class ${ex.classes[u.unit]})` : ""} = ${fmt(u.value)}`;
    line(`Its value is each of its ${u.count} inputs times its weight, all added, plus the bias. ${u.zeros} of the inputs are 0 and add nothing. The ${u.top.length} largest products:`);
    const table = productTable(ex, ["input", "value", "× weight", "= product"]);
    for (const t of u.top) {
      const tr = table.appendChild(el("tr"));
      tr.appendChild(el("td", "", label(t.index)));
      for (const v of [t.input, t.weight, t.product]) tr.appendChild(el("td", "cl-number", fmt(v)));
    }
    line(`The other ${u.count - u.top.length} products add up to ${fmt(u.rest)}. Σ of all ${u.count}: ${fmt(u.total - u.bias)} + bias ${fmt(u.bias)} = ${fmt(u.total)}: the unit's value, ${fmt(u.value)}.`, "cl-unit-line cl-total");
    const steps = isLogit ? [] : follow(model, result, d.n, u.unit, null);
    for (const s of steps) line(`→ ${stepText(s)}`, "cl-unit-line cl-step");
    if (isLogit) line("The bars are softmax of the logits: ", "cl-unit-line").appendChild(el("button", "cl-link", "show it")).addEventListener("click", () => openSoftmax(ex));
    return { ...u, steps };
  }

  function productTable(ex, headings) {
    const table = ex.ui.unitPanel.appendChild(el("table", "cl-products")), header = table.appendChild(el("tr"));
    for (const h of headings) header.appendChild(el("th", "", h));
    return table;
  }

  function renderSoftmax(ex, title, line) {
    const last = ex.state.last, s = softmaxOf(last.result.logits);
    title.textContent = "Softmax: from the logits to the bars";
    line(`Each probability is e^(logit − the largest logit) divided by the sum of all ${s.logits.length}. Taking the largest logit (${fmt(s.top)}) away first changes no probability, and keeps e^logit from overflowing.`);
    const table = productTable(ex, ["class", "logit", "− largest", "e^(…)", "÷ Σ = probability"]);
    s.logits.forEach((z, k) => {
      const tr = table.appendChild(el("tr", k === last.best ? "cl-chosen" : ""));
      tr.appendChild(el("td", "", ex.classes[k]));
      for (const v of [z, z - s.top, s.exps[k]]) tr.appendChild(el("td", "cl-number", fmt(v)));
      tr.appendChild(el("td", "cl-number", `${(s.probabilities[k] * 100).toFixed(1)} %`));
    });
    line(`Σ e^(…) = ${fmt(s.sum)}.` + (last.empty ? " (Nothing is drawn: these are the logits of a black image, which the bars do not show.)" : ""), "cl-unit-line cl-total");
    return s;
  }
