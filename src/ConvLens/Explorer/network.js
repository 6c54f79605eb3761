// The network as the page runs it: the spec decoded (prepare), one image through every layer (forward), the gradient
// back to the input (saliency), and the arithmetic of one unit, number by number, from the same inputs and weights the
// forward pass used: what the page shows when a unit is clicked, and what the tests compare with TorchSharp.
// Uses KINDS, convShape (kinds.js) and fmt (maps.js).

  // base64 float32 (little-endian) to float64. By index, not by iterating the string: Jint (the engine the tests run
  // this maths in) loses characters when it iterates a long string.
  function floats(base64) {
    const text = atob(base64), bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    return Float64Array.from(new Float32Array(bytes.buffer));
  }


  // The model as the page runs it, from the JSON Explorer.cs writes (ExplorerSpec): each layer's parameters decoded into `p`.
  function prepare(spec) {
    return { ...spec, layers: spec.layers.map(l => ({ ...l, p: decoded(l.parameters) })) };
  }
  const decoded = parameters => Object.fromEntries(Object.entries(parameters || {}).map(([k, v]) => [k, floats(v)]));

  // Runs one image [channels·size·size] through the plan's layers in order; returns the logits, the probabilities,
  // every spatial layer's output by name ({data, shape}), and each layer's input (for the backward pass).
  function forward(model, input) {
    let x = input, shape = [model.inputChannels, model.imageSize, model.imageSize];
    const layers = {}, inputs = [];
    for (const layer of model.layers) {
      inputs.push({ data: x, shape });
      [x, shape] = KINDS[layer.kind].forward(x, shape, layer);
      if (shape.length === 3) layers[layer.name] = { data: x, shape };
    }
    return { logits: x, probabilities: softmaxOf(x).probabilities, layers, inputs };
  }

  // Gradient saliency: ∂ logit[target] / ∂ input pixel, through each layer's backward pass from the top.
  function saliency(model, result, target) {
    let g = new Float64Array(result.logits.length);
    g[target] = 1;
    for (let n = model.layers.length - 1; n >= 0; n--) {
      const layer = model.layers[n], { data: x, shape } = result.inputs[n];
      g = KINDS[layer.kind].backward(g, x, shape, layer);
    }
    return g;
  }

  const outputOf = (result, n) => n + 1 < result.inputs.length ? result.inputs[n + 1] : { data: result.logits, shape: [result.logits.length] };

  // Conv unit (o, i, j) of layer n: for each input channel, the input patch the kernel covers (0 where the window hangs
  // over the padding), the kernel, their products and the products' sum; then the sum over channels plus the bias.
  function convUnit(model, result, n, o, i, j) {
    const layer = model.layers[n], { data: x, shape } = result.inputs[n], s = convShape(shape, layer), w = layer.p.weight;
    const top = i * s.sh - s.ph, left = j * s.sw - s.pw, channels = [];
    for (let c = 0; c < s.C; c++) {
      const patch = [], kernel = [], products = [];
      let sum = 0;
      for (let ky = 0; ky < s.kh; ky++)
        for (let kx = 0; kx < s.kw; kx++) {
          const r = top + ky * s.dh, q = left + kx * s.dw, inside = r >= 0 && r < s.H && q >= 0 && q < s.W;
          const v = inside ? x[(c * s.H + r) * s.W + q] : null, k = w[((o * s.C + c) * s.kh + ky) * s.kw + kx];
          patch.push(v); kernel.push(k); products.push((v ?? 0) * k); sum += (v ?? 0) * k;
        }
      channels.push({ patch, kernel, products, sum });
    }
    const bias = layer.p.bias ? layer.p.bias[o] : 0;
    return { type: "conv", layer: layer.name, n, unit: [o, i, j], rows: s.kh, columns: s.kw, top, left, dilation: [s.dh, s.dw],
             channels, bias, total: channels.reduce((t, c) => t + c.sum, bias), value: outputOf(result, n).data[(o * s.Ho + i) * s.Wo + j] };
  }


  // Where a unit's value goes after layer n, up to the layer named `last`, one step per layer, as each kind says
  // (its follow): an activation or batch norm changes the value in place, pooling takes the window the unit falls in,
  // dropout passes it on; a conv, flatten or linear layer makes new units, and the path stops there.
  function follow(model, result, n, index, last) {
    const steps = [];
    for (let m = n + 1; m < model.layers.length && model.layers[m - 1].name !== last; m++) {
      const layer = model.layers[m], kind = KINDS[layer.kind];
      if (!kind.follow) break;
      const { data: x, shape } = result.inputs[m], y = outputOf(result, m).data;
      const at = shape.length === 3 ? [Math.floor(index / (shape[1] * shape[2])), Math.floor(index / shape[2]) % shape[1], index % shape[2]] : [index];
      const [step, next] = kind.follow(x, shape, y, layer, index, at);
      steps.push({ layer: layer.name, kind: layer.kind, ...step });
      if (step.missed) break;
      index = next;
    }
    return steps;
  }

  // The conv unit a unit of a block's output comes from, back through the block, as each kind says (its back): the
  // largest of a max-pooling window (the one torch passes on), the first of an average's window, the same unit
  // through an activation.
  function traceBack(model, result, from, to, index) {
    for (let m = from; m > to; m--) {
      const layer = model.layers[m], back = KINDS[layer.kind].back;
      if (back) index = back(result.inputs[m].data, result.inputs[m].shape, outputOf(result, m).shape, layer, index);
    }
    return index;
  }

  // What one layer after a conv or linear unit does to its value, in words and numbers.
  const stepText = s => KINDS[s.kind].text ? KINDS[s.kind].text(s, fmt(s.value)) : `${s.layer} (${s.kind}): ${fmt(s.value)}`;

  // Linear unit j of layer n: each input times its weight, summed, plus the bias. The largest products (by size) come
  // first, so the few inputs that decide the value can be read; the rest are summed on one line.
  function linearUnit(model, result, n, j, shown = 10) {
    const layer = model.layers[n], x = result.inputs[n].data, w = layer.p.weight, count = layer.in;
    const products = Array.from({ length: count }, (_, i) => w[j * count + i] * x[i]);
    const order = products.map((_, i) => i).sort((a, b) => Math.abs(products[b]) - Math.abs(products[a]));
    const bias = layer.p.bias ? layer.p.bias[j] : 0;
    return { type: "linear", layer: layer.name, n, unit: j, count, bias,
             top: order.slice(0, shown).map(i => ({ index: i, input: x[i], weight: w[j * count + i], product: products[i] })),
             rest: order.slice(shown).reduce((t, i) => t + products[i], 0), zeros: x.reduce((k, v) => k + (v === 0 ? 1 : 0), 0),
             total: products.reduce((t, v) => t + v, bias), value: outputOf(result, n).data[j] };
  }

  // The evidence for class `target`, followed down (Harley's MNIST visualization was asked for it, for a class, and
  // never did it): from the class's logit, layer by layer to the input pixels, the `keep` units that push the units
  // chosen above them most. A unit's push on those above is ∂(their sum)/∂unit × the unit's value, from each kind's own
  // backward pass, so it holds for every kind the plan knows: weight × activation through a linear or conv layer, the
  // whole value of the unit a max-pool passed on, an activation's slope × its input.
  function evidence(model, result, target, keep = 3) {
    let chosen = [target];
    const steps = [];
    for (let n = model.layers.length - 1; n >= 0; n--) {
      const layer = model.layers[n], { data: x, shape } = result.inputs[n], out = outputOf(result, n);
      const push = new Float64Array(x.length), slope = new Float64Array(x.length);
      for (const u of chosen) {
        const g = new Float64Array(out.data.length);
        g[u] = 1;
        const gx = KINDS[layer.kind].backward(g, x, shape, layer);
        for (let i = 0; i < gx.length; i++) if (gx[i] !== 0) { push[i] += gx[i] * x[i]; slope[i] += gx[i]; }
      }
      const next = [...push.keys()].filter(i => slope[i] !== 0).sort((a, b) => push[b] - push[a] || a - b).slice(0, keep);
      steps.push({ layer: layer.name, kind: layer.kind, n, units: chosen.map(u => ({ index: u, at: unitAt(out.shape, u), value: out.data[u] })),
                   inputs: next.map(i => ({ index: i, at: unitAt(shape, i), input: x[i], gradient: slope[i], push: push[i] })) });
      chosen = next;
    }
    return steps;
  }
  const unitAt = (shape, i) => shape.length === 3 ? [Math.floor(i / (shape[1] * shape[2])), Math.floor(i / shape[2]) % shape[1], i % shape[2]] : [i];

  // Softmax, as the bars show it: p_k = e^(z_k − max z) / Σ_j e^(z_j − max z). Taking the largest logit away first
  // changes no probability and keeps e^z from overflowing.
  function softmaxOf(logits) {
    const z = Array.from(logits), top = Math.max(...z), exps = z.map(v => Math.exp(v - top)), sum = exps.reduce((a, b) => a + b, 0);
    return { type: "softmax", logits: z, top, exps, sum, probabilities: exps.map(e => e / sum) };
  }
