// What tests and benchmarks read: the same functions and elements the page uses, by name. Nothing here draws or
// computes anything the page does not.

  function testHooks(ex) {
    const ui = ex.ui, s = ex.state, model = ex.model;
    const rect = e => { const r = e.getBoundingClientRect(); return { top: r.top, left: r.left, bottom: r.bottom, right: r.right }; };
    // The open panel: its numbers, and every number as it is shown (table cells, channel sums, lines).
    const shown = () => s.panel && { ...s.panel, text: ui.unitPanel.textContent,
      cells: [...ui.unitPanel.querySelectorAll("td")].map(t => t.textContent), chips: [...ui.unitPanel.querySelectorAll(".cl-chip")].map(t => t.textContent),
      lines: [...ui.unitPanel.querySelectorAll("p")].map(t => t.textContent) };
    const api = {
      forward: input => forward(model, input),
      root: ex.root, testImage: n => testImage(ex, n), loadTest: n => loadTest(ex, n), testCount: ex.testCount, testLabels: ex.testLabels,
      update: () => update(ex), updates: ex.updates, fields: ex.spec.fields, canvas: ui.draw,
      state: () => ({ prediction: s.last.empty ? null : s.last.best, probabilities: s.last.result.probabilities, input: Array.from(s.last.input), strokes: s.strokes.length,
        answer: ui.answer.textContent, spoken: ui.spoken.textContent, note: s.last.note }),
      clear: () => ui.clear.click(), undo: () => ui.undo.click(),
      hover: (block, channel, row, column) => {
        const b = ex.sections[block], canvas = b.canvases[channel], r = canvas.getBoundingClientRect(), f = ex.spec.fields[b.shown];
        canvas.dispatchEvent(new PointerEvent("pointermove", { clientX: r.left + (column + 0.5) / f.width * r.width, clientY: r.top + (row + 0.5) / f.height * r.height, bubbles: true }));
        return { tip: ui.tipText.textContent, outline: ui.inputOutline.style.cssText, onDrawing: ui.drawOutline.style.cssText };
      },
      // Where things are on screen, in the window's coordinates, for the layout tests.
      layout: () => ({
        viewport: [document.documentElement.clientWidth, window.innerHeight],
        draw: rect(ui.draw), input: rect(ui.input), answer: rect(ui.answer), bars: rect(ui.bars), tip: ui.tip.style.display === "none" ? null : rect(ui.tip),
        tipOutline: ui.tipOutline.style.display === "block" ? rect(ui.tipOutline) : null, marker: ui.marker.style.display === "block" ? rect(ui.marker) : null,
        sections: ex.sections.map(b => ({ heading: rect(b.heading), canvases: b.canvases.map(rect) })),
        dense: ex.dense.map(d => ({ heading: rect(d.section.firstChild), canvas: rect(d.canvas) })),
        touch: { draw: getComputedStyle(ui.draw).touchAction, maps: ex.sections.map(b => getComputedStyle(b.canvases[0]).touchAction) },
      }),
      sections: () => ex.sections.map(b => b.section).concat(ex.dense.map(d => d.section)),
      mapCanvas: (block, channel) => ex.sections[block].canvases[channel],
      denseCanvas: k => ex.dense[k].canvas,
      // Opens a unit's arithmetic as a click would, and returns the numbers the panel shows and its text.
      unit: (block, channel, row, column) => { openConv(ex, ex.sections[block], channel, row, column); return shown(); },
      pickChannel: c => { s.selected.inputChannel = c; renderUnit(ex); return shown(); },
      linear: (k, unit) => { openLinear(ex, ex.dense[k], unit); return shown(); },
      softmax: () => { openSoftmax(ex); return shown(); },
      evidence: k => { ex.ui.barRows[k].row.click(); return { ...shown(), marks: ex.root.querySelectorAll(".cl-evidence").length }; },
      panel: shown,
      showAfter: on => { ui.after.checked = on; update(ex); },
      epochs: ex.epochs.map(e => e.label), setEpoch: k => setEpoch(ex, k), epoch: () => s.epochShown,
      setDrawing: d => setDrawing(ex, d), follow: other => ex.followers.push(d => other.setDrawing(d)),
      showSaliency: on => { ui.showSaliency.checked = on; update(ex); },
      setScale: mode => { ui.scale.value = mode; update(ex); },
      legends: () => ex.sections.map(b => ({ low: b.low.textContent, high: b.high.textContent, range: b.range, zero: b.zero.style.left, heading: b.heading.textContent })),
      saliencyColour: () => { const d = ui.saliency.getContext("2d").getImageData(0, 0, ex.size, ex.size).data; let k = 0; for (let i = 0; i < d.length; i += 4) if (d[i + 3] > d[k + 3]) k = i; return Array.from(d.slice(k, k + 4)); },
      saliency: (input, target) => saliency(model, forward(model, input), target),
    };
    return api;
  }
