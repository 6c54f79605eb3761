// ConvLens explorer: draw a digit and watch the network you trained react, layer by layer.
// Everything runs here, in the page: the weights and the architecture come embedded (ConvLens's Explorer.cs writes
// them), the forward pass is plain JavaScript, and the maps are drawn on canvases. No network access, no libraries.
// One explorer per root element, so a notebook may show several. Each output defines the code again (a rebuilt library
// brings its own); explorers already on the page keep the code they were made with.
(function () {
  "use strict";

  const SCALE = 10;          // drawing-canvas pixels per input pixel: 280×280 for a 28×28 input
  const BRUSH = 20;          // stroke width on that canvas: 2 input pixels, as MNIST's pen

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

  // base64 float32 (little-endian) to float64. By index, not by iterating the string: Jint (the engine the tests run
  // this maths in) loses characters when it iterates a long string.
  function floats(base64) {
    const text = atob(base64), bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    return Float64Array.from(new Float32Array(bytes.buffer));
  }

  // ---- Each layer kind, forward and backward side by side (as micrograd keeps them). ----
  // The page runs the model's layer plan (Explorer.cs embeds it as ConvLens wrote it, with each layer's parameters):
  // forward(x, shape, layer) gives [output, its shape] for one image; backward(g, x, shape, layer) takes the gradient
  // of the output and the layer's input, and gives the gradient of that input. Tensors are flat Float64Arrays, [C, H, W]
  // for maps and [n] after flatten. Dropout is off, and batch norm uses its running statistics, as in evaluation.

  // The output indices i (of n) whose input position i·stride − pad + offset lies inside 0 … size − 1: [start, end).
  function span(n, size, stride, pad, offset) {
    return [Math.max(0, Math.ceil((pad - offset) / stride)), Math.min(n, Math.floor((size - 1 + pad - offset) / stride) + 1)];
  }
  const outSize = (size, k, s, p, d) => Math.floor((size + 2 * p - d * (k - 1) - 1) / s) + 1;

  // Conv2d: y[o, i, j] = b[o] + Σ_c Σ_ky Σ_kx w[o, c, ky, kx] · x[c, i·s − p + ky·d, j·s − p + kx·d] (zero outside).
  // For each weight, the shifted input plane is added once: the innermost loop runs along a row, which is what makes
  // it fast in JavaScript. The backward pass sends the gradient back along exactly the same pairs.
  function convShape([C, H, W], layer) {
    const [kh, kw] = layer.kernel, [sh, sw] = layer.stride, [ph, pw] = layer.padding, [dh, dw] = layer.dilation;
    return { C, H, W, O: layer.out, kh, kw, sh, sw, ph, pw, dh, dw, Ho: outSize(H, kh, sh, ph, dh), Wo: outSize(W, kw, sw, pw, dw) };
  }
  const Conv2d = {
    forward(x, shape, layer) {
      const { C, H, W, O, kh, kw, sh, sw, ph, pw, dh, dw, Ho, Wo } = convShape(shape, layer), w = layer.p.weight, b = layer.p.bias;
      const y = new Float64Array(O * Ho * Wo);
      for (let o = 0; o < O; o++) {
        if (b) y.fill(b[o], o * Ho * Wo, (o + 1) * Ho * Wo);
        for (let c = 0; c < C; c++)
          for (let ky = 0; ky < kh; ky++) {
            const [i0, i1] = span(Ho, H, sh, ph, ky * dh);
            for (let kx = 0; kx < kw; kx++) {
              const wv = w[((o * C + c) * kh + ky) * kw + kx];
              if (wv === 0) continue;
              const [j0, j1] = span(Wo, W, sw, pw, kx * dw);
              for (let i = i0; i < i1; i++) {
                const yr = o * Ho * Wo + i * Wo, xr = c * H * W + (i * sh - ph + ky * dh) * W - pw + kx * dw;
                for (let j = j0; j < j1; j++) y[yr + j] += wv * x[xr + j * sw];
              }
            }
          }
      }
      return [y, [O, Ho, Wo]];
    },
    backward(g, x, shape, layer) {
      const { C, H, W, O, kh, kw, sh, sw, ph, pw, dh, dw, Ho, Wo } = convShape(shape, layer), w = layer.p.weight;
      const gx = new Float64Array(x.length);
      for (let o = 0; o < O; o++)
        for (let c = 0; c < C; c++)
          for (let ky = 0; ky < kh; ky++) {
            const [i0, i1] = span(Ho, H, sh, ph, ky * dh);
            for (let kx = 0; kx < kw; kx++) {
              const wv = w[((o * C + c) * kh + ky) * kw + kx];
              if (wv === 0) continue;
              const [j0, j1] = span(Wo, W, sw, pw, kx * dw);
              for (let i = i0; i < i1; i++) {
                const yr = o * Ho * Wo + i * Wo, xr = c * H * W + (i * sh - ph + ky * dh) * W - pw + kx * dw;
                for (let j = j0; j < j1; j++) gx[xr + j * sw] += wv * g[yr + j];
              }
            }
          }
      return gx;
    },
  };

  // Pooling: each output (c, i, j) looks at a kh×kw window starting at (i·s − p, j·s − p), with dilation d. The window's
  // positions outside the image are padding: −∞ for max-pooling, zeros for average pooling.
  function poolShape([C, H, W], layer) {
    const [kh, kw] = layer.kernel, [sh, sw] = layer.stride, [ph, pw] = layer.padding, [dh, dw] = layer.dilation || [1, 1];
    return { C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, Ho: outSize(H, kh, sh, ph, dh), Wo: outSize(W, kw, sw, pw, dw) };
  }
  // MaxPool2d: the largest value of each window; its gradient goes to that one input (the first, on ties, as torch).
  function argmaxes(x, shape, layer) {
    const { C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, Ho, Wo } = poolShape(shape, layer), at = new Int32Array(C * Ho * Wo);
    for (let c = 0; c < C; c++)
      for (let i = 0; i < Ho; i++)
        for (let j = 0; j < Wo; j++) {
          let best = -1, m = -Infinity;
          for (let a = 0; a < kh; a++) {
            const r = i * sh - ph + a * dh;
            if (r < 0 || r >= H) continue;
            for (let b = 0; b < kw; b++) {
              const q = j * sw - pw + b * dw;
              if (q < 0 || q >= W) continue;
              const k = (c * H + r) * W + q;
              if (best < 0 || x[k] > m) { m = x[k]; best = k; }
            }
          }
          at[(c * Ho + i) * Wo + j] = best;
        }
    return [at, [C, Ho, Wo]];
  }
  const MaxPool2d = {
    forward(x, shape, layer) {
      const [at, out] = argmaxes(x, shape, layer);
      return [Float64Array.from(at, k => x[k]), out];
    },
    backward(g, x, shape, layer) {
      const [at] = argmaxes(x, shape, layer), gx = new Float64Array(x.length);
      for (let o = 0; o < at.length; o++) gx[at[o]] += g[o];
      return gx;
    },
  };
  // AvgPool2d: the mean of each window, the padding's zeros counted as torch counts them (count_include_pad, by default:
  // the window clipped to the padded image); each input of a window gets an equal share of its gradient.
  function avgWindows(shape, layer, visit) {
    const { C, H, W, kh, kw, sh, sw, ph, pw, Ho, Wo } = poolShape(shape, layer);
    for (let c = 0; c < C; c++)
      for (let i = 0; i < Ho; i++)
        for (let j = 0; j < Wo; j++) {
          const r0 = i * sh - ph, q0 = j * sw - pw, r1 = Math.min(r0 + kh, H + ph), q1 = Math.min(q0 + kw, W + pw);
          const a0 = Math.max(r0, 0), a1 = Math.min(r1, H), b0 = Math.max(q0, 0), b1 = Math.min(q1, W);
          const divisor = layer.countIncludePad === false ? (a1 - a0) * (b1 - b0) : (r1 - r0) * (q1 - q0);
          visit((c * Ho + i) * Wo + j, c * H * W, a0, a1, b0, b1, W, divisor);
        }
    return [C, Ho, Wo];
  }
  const AvgPool2d = {
    forward(x, shape, layer) {
      const { C, Ho, Wo } = poolShape(shape, layer), y = new Float64Array(C * Ho * Wo);
      const out = avgWindows(shape, layer, (o, base, a0, a1, b0, b1, W, divisor) => {
        let s = 0;
        for (let a = a0; a < a1; a++) for (let b = b0; b < b1; b++) s += x[base + a * W + b];
        y[o] = s / divisor;
      });
      return [y, out];
    },
    backward(g, x, shape, layer) {
      const gx = new Float64Array(x.length);
      avgWindows(shape, layer, (o, base, a0, a1, b0, b1, W, divisor) => {
        const share = g[o] / divisor;
        for (let a = a0; a < a1; a++) for (let b = b0; b < b1; b++) gx[base + a * W + b] += share;
      });
      return gx;
    },
  };
  // AdaptiveAvgPool2d(1), global average pooling: each map becomes its mean, and each of its pixels gets 1/(H·W) of the gradient.
  const AdaptiveAvgPool2d = {
    forward(x, [C, H, W]) {
      const y = new Float64Array(C);
      for (let c = 0; c < C; c++) { let s = 0; for (let k = c * H * W; k < (c + 1) * H * W; k++) s += x[k]; y[c] = s / (H * W); }
      return [y, [C, 1, 1]];
    },
    backward(g, x, [C, H, W]) {
      const gx = new Float64Array(x.length);
      for (let c = 0; c < C; c++) gx.fill(g[c] / (H * W), c * H * W, (c + 1) * H * W);
      return gx;
    },
  };
  // BatchNorm2d and BatchNorm1d in evaluation: y = (x − mean) / √(var + ε) · weight + bias, per channel (a map, or one feature).
  function batchNormScale(layer) {
    const { weight, bias, running_mean: mean, running_var: variance } = layer.p;
    return Array.from(mean, (m, c) => { const s = weight[c] / Math.sqrt(variance[c] + layer.eps); return [s, bias[c] - m * s]; });
  }
  const BatchNorm = {
    forward(x, shape, layer) {
      const per = x.length / layer.in, scale = batchNormScale(layer), y = new Float64Array(x.length);
      for (let i = 0; i < x.length; i++) { const [s, t] = scale[Math.floor(i / per)]; y[i] = x[i] * s + t; }
      return [y, shape];
    },
    backward(g, x, shape, layer) {
      const per = x.length / layer.in, scale = batchNormScale(layer);
      return g.map((v, i) => v * scale[Math.floor(i / per)][0]);
    },
  };
  // Activations work value by value: f for the forward pass, its derivative f′ for the backward one.
  const sigmoid = v => 1 / (1 + Math.exp(-v));
  // erf by Abramowitz and Stegun 7.1.26 (error below 1.5e-7), for the exact GELU: JavaScript has no erf.
  function erf(v) {
    const s = Math.sign(v), a = Math.abs(v), t = 1 / (1 + 0.3275911 * a);
    return s * (1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-a * a));
  }
  const GELU_C = Math.sqrt(2 / Math.PI);
  function elementwise(f, df) {
    return {
      forward: (x, shape, layer) => [x.map(v => f(v, layer)), shape],
      backward: (g, x, shape, layer) => g.map((v, i) => v * df(x[i], layer)),
    };
  }
  const ReLU = elementwise(v => v > 0 ? v : 0, v => v > 0 ? 1 : 0);
  const LeakyReLU = elementwise((v, l) => v > 0 ? v : l.slope * v, (v, l) => v > 0 ? 1 : l.slope);
  const ELU = elementwise((v, l) => v > 0 ? v : l.alpha * (Math.exp(v) - 1), (v, l) => v > 0 ? 1 : l.alpha * Math.exp(v));
  const GELU = elementwise(
    (v, l) => l.approximate === "tanh" ? 0.5 * v * (1 + Math.tanh(GELU_C * (v + 0.044715 * v ** 3))) : 0.5 * v * (1 + erf(v / Math.SQRT2)),
    (v, l) => {
      if (l.approximate === "tanh") { const t = Math.tanh(GELU_C * (v + 0.044715 * v ** 3)); return 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * GELU_C * (1 + 3 * 0.044715 * v * v); }
      return 0.5 * (1 + erf(v / Math.SQRT2)) + v * Math.exp(-v * v / 2) / Math.sqrt(2 * Math.PI);
    });
  const SiLU = elementwise(v => v * sigmoid(v), v => { const s = sigmoid(v); return s * (1 + v * (1 - s)); });
  const Tanh = elementwise(v => Math.tanh(v), v => 1 - Math.tanh(v) ** 2);
  const Sigmoid = elementwise(sigmoid, v => sigmoid(v) * (1 - sigmoid(v)));
  // Dropout is off in evaluation, and Flatten only changes the shape: the gradient passes through both unchanged.
  const identity = { forward: (x, shape) => [x, shape], backward: g => g };
  const Flatten = { forward: x => [x, [x.length]], backward: g => g };
  // Linear: y[j] = b[j] + Σ_i W[j, i] · x[i]; backward: ∂/∂x[i] = Σ_j W[j, i] · g[j].
  const Linear = {
    forward(x, shape, layer) {
      const n = layer.in, m = layer.out, y = new Float64Array(m), w = layer.p.weight, b = layer.p.bias;
      for (let j = 0; j < m; j++) {
        let s = b ? b[j] : 0;
        const r = j * n;
        for (let i = 0; i < n; i++) s += w[r + i] * x[i];
        y[j] = s;
      }
      return [y, [m]];
    },
    backward(g, x, shape, layer) {
      const n = layer.in, gx = new Float64Array(n), w = layer.p.weight;
      for (let j = 0; j < layer.out; j++) { const r = j * n, gj = g[j]; if (gj !== 0) for (let i = 0; i < n; i++) gx[i] += w[r + i] * gj; }
      return gx;
    },
  };
  const KINDS = {
    Conv2d, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, BatchNorm2d: BatchNorm, BatchNorm1d: BatchNorm,
    ReLU, LeakyReLU, ELU, GELU, SiLU, Tanh, Sigmoid, Dropout: identity, Dropout2d: identity, Flatten, Linear,
  };

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

  // ---- The arithmetic of one unit: what the page shows when a unit is clicked, number by number, from the same inputs
  // and weights the forward pass used (and what the tests compare with TorchSharp). ----
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

  // The output position, along one axis, of the first pooling window that covers input position p; −1 if none does.
  function windowAt(p, n, k, stride, pad, d) {
    for (let o = 0; o < n; o++) { const off = p - (o * stride - pad); if (off >= 0 && off <= (k - 1) * d && off % d === 0) return o; }
    return -1;
  }

  // Where a unit's value goes after layer n, up to the layer named `last`: an activation or batch norm changes the value
  // in place, pooling takes the window the unit falls in, dropout (off in evaluation) passes it on. One step per layer.
  function follow(model, result, n, index, last) {
    const steps = [];
    for (let m = n + 1; m < model.layers.length && model.layers[m - 1].name !== last; m++) {
      const layer = model.layers[m], { data: x, shape } = result.inputs[m], y = outputOf(result, m).data;
      const at = shape.length === 3 ? [Math.floor(index / (shape[1] * shape[2])), Math.floor(index / shape[2]) % shape[1], index % shape[2]] : [index];
      if (layer.kind === "MaxPool2d" || layer.kind === "AvgPool2d") {
        const s = poolShape(shape, layer), [c, i, j] = at;
        const oi = windowAt(i, s.Ho, s.kh, s.sh, s.ph, s.dh), oj = windowAt(j, s.Wo, s.kw, s.sw, s.pw, s.dw);
        if (oi < 0 || oj < 0) { steps.push({ layer: layer.name, kind: layer.kind, missed: true }); break; }
        const top = oi * s.sh - s.ph, left = oj * s.sw - s.pw, window = [];
        for (let a = 0; a < s.kh; a++)
          for (let b = 0; b < s.kw; b++) {
            const r = top + a * s.dh, q = left + b * s.dw;
            window.push(r >= 0 && r < s.H && q >= 0 && q < s.W ? x[(c * s.H + r) * s.W + q] : null);   // null: padding
          }
        index = (c * s.Ho + oi) * s.Wo + oj;
        steps.push({ layer: layer.name, kind: layer.kind, window, rows: s.kh, columns: s.kw, top, left, from: [i, j], unit: [c, oi, oj], value: y[index] });
      } else if (layer.kind === "AdaptiveAvgPool2d") {
        index = at[0];
        steps.push({ layer: layer.name, kind: layer.kind, count: shape[1] * shape[2], unit: [at[0], 0, 0], value: y[index] });
      } else if (layer.kind === "Flatten" || layer.kind === "Linear" || layer.kind === "Conv2d") break;
      else {
        const step = { layer: layer.name, kind: layer.kind, input: x[index], value: y[index], unit: at };
        if (layer.kind.startsWith("BatchNorm")) {
          const c = shape.length === 3 ? at[0] : index;
          Object.assign(step, { mean: layer.p.running_mean[c], variance: layer.p.running_var[c], eps: layer.eps, weight: layer.p.weight[c], bias: layer.p.bias[c] });
        }
        steps.push(step);
      }
    }
    return steps;
  }

  // The conv unit a unit of a block's output comes from, back through the block: the largest of a max-pooling window
  // (the one torch passes on), the first of an average's window, the same unit through an activation.
  function traceBack(model, result, from, to, index) {
    for (let m = from; m > to; m--) {
      const layer = model.layers[m], { data: x, shape } = result.inputs[m];
      if (layer.kind === "MaxPool2d") index = argmaxes(x, shape, layer)[0][index];
      else if (layer.kind === "AvgPool2d" || layer.kind === "AdaptiveAvgPool2d") {
        const [C, H, W] = shape, out = outputOf(result, m).shape, c = Math.floor(index / (out[1] * out[2]));
        if (layer.kind === "AdaptiveAvgPool2d") { let best = c * H * W; for (let k = c * H * W; k < (c + 1) * H * W; k++) if (x[k] > x[best]) best = k; index = best; }
        else {
          const s = poolShape(shape, layer), i = Math.floor(index / out[2]) % out[1], j = index % out[2];
          index = (c * H + Math.min(H - 1, Math.max(0, i * s.sh - s.ph))) * W + Math.min(W - 1, Math.max(0, j * s.sw - s.pw));
        }
      }
    }
    return index;
  }

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

  // Softmax, as the bars show it: p_k = e^(z_k − max z) / Σ_j e^(z_j − max z). Taking the largest logit away first
  // changes no probability and keeps e^z from overflowing.
  function softmaxOf(logits) {
    const z = Array.from(logits), top = Math.max(...z), exps = z.map(v => Math.exp(v - top)), sum = exps.reduce((a, b) => a + b, 0);
    return { type: "softmax", logits: z, top, exps, sum, probabilities: exps.map(e => e / sum) };
  }

  // ---- Preprocessing as the data set's images were made (Explorer.cs says which): for MNIST, the ink's bounding box
  // scaled into 20×20 (aspect kept: box = 20/28 of the side), then placed in 28×28 so that its centre of mass is at the
  // centre; for Fashion-MNIST, scaled to fill the frame and centred by its bounding box. Returns the image, and where
  // each input pixel came from on the drawing (input row y spans drawing rows top + (y − oy)·sy to
  // top + (y + 1 − oy)·sy; the same for columns), or null. ----
  function preprocess(ink, side, size, how) {
    let top = side, left = side, bottom = -1, right = -1;
    for (let i = 0; i < side; i++)
      for (let j = 0; j < side; j++)
        if (ink[i * side + j] > 0.05) { top = Math.min(top, i); bottom = Math.max(bottom, i); left = Math.min(left, j); right = Math.max(right, j); }
    const out = new Float64Array(size * size);
    if (bottom < 0) return [out, null];
    const box = Math.round(size * how.box), h = bottom - top + 1, w = right - left + 1, scale = box / Math.max(h, w);
    const th = Math.max(1, Math.round(h * scale)), tw = Math.max(1, Math.round(w * scale));
    // Each small pixel is the mean of the big pixels it covers (an area average, as anti-aliased downscaling).
    const small = new Float64Array(th * tw);
    for (let i = 0; i < th; i++)
      for (let j = 0; j < tw; j++) {
        const i0 = top + Math.floor(i * h / th), i1 = Math.max(i0 + 1, top + Math.floor((i + 1) * h / th));
        const j0 = left + Math.floor(j * w / tw), j1 = Math.max(j0 + 1, left + Math.floor((j + 1) * w / tw));
        let s = 0;
        for (let a = i0; a < i1; a++) for (let b = j0; b < j1; b++) s += ink[a * side + b];
        small[i * tw + j] = Math.min(1, s / ((i1 - i0) * (j1 - j0)));
      }
    let mass = 0, cy = 0, cx = 0;
    for (let i = 0; i < th; i++) for (let j = 0; j < tw; j++) { const v = small[i * tw + j]; mass += v; cy += v * i; cx += v * j; }
    // MNIST: the centre of mass on pixel (14, 14) of 28×28 (its test set's mean is 13.99, 14.01); Fashion-MNIST: the
    // bounding box in the middle.
    if (how.centre !== "mass") { mass = 1; cy = (th - 1) / 2 + 0.5; cx = (tw - 1) / 2 + 0.5; }   // the box centre lands on (size − 1) / 2
    const oy = Math.round(size / 2 - cy / mass), ox = Math.round(size / 2 - cx / mass);
    for (let i = 0; i < th; i++)
      for (let j = 0; j < tw; j++) {
        const y = i + oy, x = j + ox;
        if (y >= 0 && y < size && x >= 0 && x < size) out[y * size + x] = small[i * tw + j];
      }
    return [out, { top, left, sy: h / th, sx: w / tw, oy, ox }];
  }

  // MNIST's pen: a stroke about 2.8 input pixels wide with anti-aliased edges, whatever the size of the drawing.
  const STROKE = 2.8;
  const MAX_ENLARGE = 8;   // a dot or a tiny scribble is enlarged at most this many times
  const WARN_ENLARGE = 3;  // beyond this the page says the drawing was small

  // A drawing as MNIST made its digits, from the pen's path rather than the pixels on screen (whose brush has a fixed
  // width): the strokes' bounding box, ink included, scaled into the 20×20 box (aspect kept), the strokes redrawn there
  // with MNIST's width at SCALE× resolution and averaged down (anti-aliased edges), then moved so that the centre of
  // mass lands on pixel (14, 14). Returns the image, where its pixels come from on the drawing (as preprocess does), and
  // how many times the drawing was enlarged.
  function renderStrokes(strokes, side, size, how) {
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    for (const s of strokes) for (const [x, y] of s) { x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y); }
    const natural = size / side, extent = Math.max(x1 - x0, y1 - y0);
    const scale = Math.min(extent > 0 ? (size * how.box - STROKE) / extent : Infinity, natural * MAX_ENLARGE);
    const mx = (x0 + x1) / 2, my = (y0 + y1) / 2, big = size * SCALE;
    const canvas = document.createElement("canvas");
    canvas.width = canvas.height = big;
    const c = canvas.getContext("2d", { willReadFrequently: true });
    function render(dy, dx) {
      c.fillStyle = "#000";
      c.fillRect(0, 0, big, big);
      c.strokeStyle = c.fillStyle = "#fff";
      c.lineWidth = STROKE * SCALE;
      c.lineCap = c.lineJoin = "round";
      const X = x => ((x - mx) * scale + size / 2 + dx) * SCALE, Y = y => ((y - my) * scale + size / 2 + dy) * SCALE;
      for (const s of strokes) {
        c.beginPath();
        if (s.length === 1) { c.arc(X(s[0][0]), Y(s[0][1]), STROKE * SCALE / 2, 0, 2 * Math.PI); c.fill(); continue; }
        c.moveTo(X(s[0][0]), Y(s[0][1]));
        for (let i = 1; i < s.length; i++) c.lineTo(X(s[i][0]), Y(s[i][1]));
        c.stroke();
      }
      const px = c.getImageData(0, 0, big, big).data, red = new Float64Array(big * big);
      for (let i = 0; i < red.length; i++) red[i] = px[i * 4] / 255;
      return downsample(red, big, size);
    }
    let image = render(0, 0), mass = 0, cy = 0, cx = 0;
    for (let i = 0; i < size; i++) for (let j = 0; j < size; j++) { const v = image[i * size + j]; mass += v; cy += v * i; cx += v * j; }
    const dy = size / 2 - cy / mass, dx = size / 2 - cx / mass;
    image = render(dy, dx);
    // Input position u comes from drawing position centre + (u − size/2 − d) / scale.
    return [image, { top: my, left: mx, sy: 1 / scale, sx: 1 / scale, oy: size / 2 + dy, ox: size / 2 + dx }, scale / natural];
  }

  // The big canvas's ink averaged over blocks of SCALE×SCALE: for drawing over a loaded test image, which is already
  // as the data set makes its images.
  function downsample(ink, side, size) {
    const out = new Float64Array(size * size), f = side / size;
    for (let i = 0; i < size; i++)
      for (let j = 0; j < size; j++) {
        let s = 0;
        for (let a = 0; a < f; a++) for (let b = 0; b < f; b++) s += ink[(i * f + a) * side + j * f + b];
        out[i * size + j] = s / (f * f);
      }
    return out;
  }

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

  // What one layer after a conv or linear unit does to its value, in words and numbers.
  function stepText(s) {
    const v = fmt(s.value);
    switch (s.kind) {
      case "MaxPool2d": return `${s.layer} (MaxPool2d ${s.rows}×${s.columns}): the largest of the window the unit falls in = ${v}`;
      case "AvgPool2d": return `${s.layer} (AvgPool2d ${s.rows}×${s.columns}): the mean of the window the unit falls in = ${v}`;
      case "AdaptiveAvgPool2d": return `${s.layer} (global average): the mean of the whole ${s.count}-unit map = ${v}`;
      case "ReLU": return `${s.layer} (ReLU): max(0, ${fmt(s.input)}) = ${v}`;
      case "LeakyReLU": return `${s.layer} (LeakyReLU): ${fmt(s.input)} if above 0, else the slope × it = ${v}`;
      case "ELU": return `${s.layer} (ELU): ${fmt(s.input)} if above 0, else α·(e^x − 1) = ${v}`;
      case "GELU": return `${s.layer} (GELU): x·Φ(x) at x = ${fmt(s.input)} = ${v}`;
      case "SiLU": return `${s.layer} (SiLU): x·σ(x) at x = ${fmt(s.input)} = ${v}`;
      case "Tanh": return `${s.layer} (Tanh): tanh(${fmt(s.input)}) = ${v}`;
      case "Sigmoid": return `${s.layer} (Sigmoid): 1 / (1 + e^−x) at x = ${fmt(s.input)} = ${v}`;
      case "BatchNorm2d": case "BatchNorm1d":
        return `${s.layer} (${s.kind}): (${fmt(s.input)} − mean ${fmt(s.mean)}) / √(var ${fmt(s.variance)} + ε) × weight ${fmt(s.weight)} + bias ${fmt(s.bias)} = ${v}`;
      case "Dropout": case "Dropout2d": return `${s.layer} (${s.kind}): off when the network is used, so the value passes unchanged: ${v}`;
      default: return `${s.layer} (${s.kind}): ${v}`;
    }
  }

  // The model as the page runs it, from the JSON Explorer.cs writes: each layer's parameters decoded into `p`.
  function prepare(spec) {
    return { ...spec, layers: spec.layers.map(l => ({ ...l, p: Object.fromEntries(Object.entries(l.parameters || {}).map(([k, v]) => [k, floats(v)])) })) };
  }

  function mount(root, spec) {
    const model = prepare(spec);
    const size = model.imageSize, channels = model.inputChannels, classes = model.classes, DRAW = size * SCALE, how = spec.preprocessing;
    const indexOf = Object.fromEntries(model.layers.map((l, n) => [l.name, n]));
    // A drawing is one grey plane; a colour network gets it on each of its channels.
    const toChannels = plane => { const out = new Float64Array(channels * plane.length); for (let c = 0; c < channels; c++) out.set(plane, c * plane.length); return out; };
    const tests = spec.tests ? Uint8Array.from(atob(spec.tests.pixels), c => c.charCodeAt(0)) : null;
    const testLabels = spec.tests ? spec.tests.labels : [];
    const testCount = testLabels.length;

    root.classList.add("cl-explorer");
    root.innerHTML = "";
    // Three columns side by side on a wide screen; on a narrow one they stack, the probabilities right under the drawing
    // (explorer.css orders them by the explorer's own width), so that they stay in sight while you draw.
    const top = root.appendChild(el("div", "cl-top"));

    // The drawing area.
    const drawColumn = top.appendChild(el("div", "cl-column cl-draw-column"));
    const digits = classes.length === 10 && classes.every((c, k) => c === String(k));
    drawColumn.appendChild(el("div", "cl-heading", digits ? "Draw a digit" : `Draw one of: ${classes.join(", ")}`));
    const drawWrap = drawColumn.appendChild(el("div", "cl-wrap"));
    const draw = drawWrap.appendChild(el("canvas", "cl-draw"));
    draw.width = draw.height = DRAW;
    draw.title = "Draw with the mouse, a finger or a pen";
    draw.tabIndex = 0;
    draw.setAttribute("role", "img");
    draw.setAttribute("aria-roledescription", "drawing area");
    draw.setAttribute("aria-label", "Drawing area: draw with the mouse, a finger or a pen; with the keyboard, the arrow keys move the pen (Shift: 4 pixels at a time) and Space puts it down or lifts it");
    const drawOutline = drawWrap.appendChild(el("div", "cl-outline"));
    const pen = drawWrap.appendChild(el("div", "cl-pen"));
    const buttons = drawColumn.appendChild(el("div", "cl-buttons"));
    const clearButton = buttons.appendChild(el("button", "", "Clear"));
    const undoButton = buttons.appendChild(el("button", "", "Undo"));
    let indexBox = null, loadButton = null, randomButton = null;
    if (testCount > 0) {
      const load = buttons.appendChild(el("span", "cl-load"));
      const label = load.appendChild(el("label", "", "test image "));
      indexBox = label.appendChild(el("input"));
      Object.assign(indexBox, { type: "number", min: 0, max: testCount - 1, value: 0 });
      loadButton = load.appendChild(el("button", "", "Load"));
      randomButton = load.appendChild(el("button", "", "Random"));
    }
    const status = drawColumn.appendChild(el("div", "cl-status", ""));

    // The network's input.
    const inputColumn = top.appendChild(el("div", "cl-column cl-input-column"));
    inputColumn.appendChild(el("div", "cl-heading", `What the network receives (${size}×${size})`));
    const inputWrap = inputColumn.appendChild(el("div", "cl-wrap"));
    const inputCanvas = inputWrap.appendChild(el("canvas", "cl-input"));
    inputCanvas.width = inputCanvas.height = size;
    inputCanvas.setAttribute("role", "img");
    inputCanvas.setAttribute("aria-label", `The ${size}×${size} image the network receives`);
    const saliencyCanvas = inputWrap.appendChild(el("canvas", "cl-input cl-saliency"));
    saliencyCanvas.width = saliencyCanvas.height = size;
    const inputOutline = inputWrap.appendChild(el("div", "cl-outline"));
    const saliencyLegend = inputColumn.appendChild(el("div", "cl-legend"));
    saliencyLegend.appendChild(el("span", "", "saliency: none"));
    saliencyLegend.appendChild(el("span", "cl-legend-bar")).style.background = `linear-gradient(to right, rgba(${SALIENCY},0), rgb(${SALIENCY}))`;
    saliencyLegend.appendChild(el("span", "", "the largest gradient"));
    saliencyLegend.style.display = "none";
    const inputNote = inputColumn.appendChild(el("p", "cl-note", ""));

    // The answer.
    const barsColumn = top.appendChild(el("div", "cl-column cl-bars-column"));
    const answer = barsColumn.appendChild(el("div", "cl-heading", "Class probabilities"));
    const bars = barsColumn.appendChild(el("div", "cl-bars"));
    const barRows = classes.map(name => {
      const row = bars.appendChild(el("div", "cl-bar-row"));
      row.appendChild(el("span", "cl-bar-label", name));
      const track = row.appendChild(el("span", "cl-bar-track"));
      const fill = track.appendChild(el("span", "cl-bar-fill"));
      const value = row.appendChild(el("span", "cl-bar-value", ""));
      return { row, fill, value };
    });
    const softmaxButton = barsColumn.appendChild(el("button", "cl-link", "How the logits become these bars"));
    barsColumn.appendChild(el("p", "cl-note", `${spec.summary}. ${spec.source}`));
    // What a screen reader announces: the answer, once a stroke ends (not at every move of the pen).
    const spoken = root.appendChild(el("div", "cl-sr"));
    spoken.setAttribute("aria-live", "polite");

    // The feature maps, one section per conv block.
    const options = root.appendChild(el("div", "cl-options"));
    const afterLabel = options.appendChild(el("label"));
    const afterBox = afterLabel.appendChild(el("input"));
    afterBox.type = "checkbox";
    afterLabel.appendChild(document.createTextNode(" show each block's output (after the pooling, norm and activation that follow its conv layer: what the next layer receives)"));
    const saliencyLabel = options.appendChild(el("label"));
    const saliencyBox = saliencyLabel.appendChild(el("input"));
    saliencyBox.type = "checkbox";
    saliencyLabel.appendChild(document.createTextNode(" saliency on the input: where a small change moves the predicted class's score most (the size of its gradient, in blue)"));
    const scaleLabel = options.appendChild(el("label", "", "colour scale: "));
    const scaleBox = scaleLabel.appendChild(el("select"));
    for (const [value, text] of [["layer", "one per layer, kept while you draw"], ["map", "one per map"], ["global", "one for all layers, kept while you draw"]])
      Object.assign(scaleBox.appendChild(el("option", "", text)), { value });
    // The weights after each epoch (a page made from a training run's epoch checkpoints): the same drawing, from the
    // untrained network to the trained one.
    const epochs = (spec.epochs || []).map(e => ({
      label: e.label,
      layers: Object.fromEntries(Object.entries(e.parameters).map(([name, ps]) => [name, Object.fromEntries(Object.entries(ps).map(([k, v]) => [k, floats(v)]))])),
    }));
    let epochSlider = null, epochLabel = null, epochShown = epochs.length - 1;
    if (epochs.length > 1) {
      const epochBox = options.appendChild(el("label", "cl-epochs", "weights: "));
      epochSlider = epochBox.appendChild(el("input"));
      Object.assign(epochSlider, { type: "range", min: 0, max: epochs.length - 1, step: 1, value: epochs.length - 1 });
      epochSlider.setAttribute("aria-label", "which epoch's weights the network uses");
      epochLabel = epochBox.appendChild(el("span", "cl-epoch-label", epochs[epochs.length - 1].label));
    }
    options.appendChild(el("span", "cl-hint",
      "Hover or tap a map's pixel, or Tab to a map and use the arrow keys: the red square, on the input and on the small copy beside the map, is what that pixel sees (its receptive field). Click it, or press Enter, to see how its value is computed."));
    const mapsArea = root.appendChild(el("div", "cl-maps"));
    // The hovered unit's label, with a small copy of the input and the unit's window on it: placed beside the map and
    // kept inside the window, so that the field stays in sight however far down the page the map is.
    const tip = root.appendChild(el("div", "cl-tip"));
    const tipWrap = tip.appendChild(el("div", "cl-wrap"));
    const tipInput = tipWrap.appendChild(el("canvas", "cl-input cl-mini"));
    tipInput.width = tipInput.height = size;
    const tipOutline = tipWrap.appendChild(el("div", "cl-outline"));
    const tipText = tip.appendChild(el("div", "cl-tip-text"));
    const marker = el("div", "cl-outline");   // the hovered pixel, on its map
    // How the selected unit is computed: one panel, shown under the section of the unit.
    const unitPanel = el("div", "cl-unit");
    unitPanel.setAttribute("role", "region");
    unitPanel.setAttribute("aria-label", "How the selected unit is computed");

    function legendFor(section) {
      const legend = section.appendChild(el("div", "cl-legend"));
      const low = legend.appendChild(el("span", "", "")), bar = legend.appendChild(el("span", "cl-legend-bar")), high = legend.appendChild(el("span", "", ""));
      bar.style.background = `linear-gradient(to right, ${VIRIDIS_STOPS.join(",")})`;
      const zero = bar.appendChild(el("span", "cl-zero"));   // where 0 sits on the scale
      zero.title = "0";
      return { low, high, zero };
    }
    const sections = spec.blocks.map(b => {
      const section = mapsArea.appendChild(el("div", "cl-layer"));
      const heading = section.appendChild(el("div", "cl-layer-heading"));
      const legend = legendFor(section);
      const grid = section.appendChild(el("div", "cl-grid"));
      return { ...b, section, heading, ...legend, grid, canvases: [], kept: null };
    });
    // The linear layers, each unit a square: what they compute from the maps, down to the logits.
    const dense = model.layers.map((l, n) => [l, n]).filter(([l]) => l.kind === "Linear").map(([l, n]) => {
      const section = mapsArea.appendChild(el("div", "cl-layer"));
      const last = n === model.layers.length - 1;
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
        for (const name of classes) labels.appendChild(el("span", "", name)).title = name;
      }
      return { layer: l, n, section, ...legend, canvas, columns, rows };
    });

    // ---- State: strokes on the drawing canvas, or a test image with strokes over it. ----
    let strokes = [], current = null, base = null, baseName = null, baseIndex = null, pending = false, last = null, lastUpdate = 0, selected = null;
    // Explorers linked to this one (a comparison page): they get this drawing after each update, and do not send it back.
    const followers = [];
    let quiet = false;
    const updates = [];
    const ctx = draw.getContext("2d", { willReadFrequently: true });

    // The network's input on a canvas: grey for one channel, red-green-blue for three.
    function paintInput(canvas, input) {
      const plane = size * size;
      if (channels === 3) paint(canvas, Array.from({ length: plane }, (_, i) => i), size, size, i => [byte(input[i]), byte(input[plane + i]), byte(input[2 * plane + i])]);
      else paint(canvas, input, size, size, grey);
    }

    function redraw() {
      ctx.fillStyle = "#000";
      ctx.fillRect(0, 0, DRAW, DRAW);
      if (base) {
        const small = document.createElement("canvas");
        small.width = small.height = size;
        paintInput(small, base);
        ctx.imageSmoothingEnabled = false;
        ctx.drawImage(small, 0, 0, DRAW, DRAW);
      }
      for (const s of strokes) stroke(s, 0);
    }

    function stroke(points, from) {
      ctx.strokeStyle = "#fff";
      ctx.fillStyle = "#fff";
      ctx.lineWidth = BRUSH;
      ctx.lineCap = ctx.lineJoin = "round";
      if (points.length === 1) {
        ctx.beginPath();
        ctx.arc(points[0][0], points[0][1], BRUSH / 2, 0, 2 * Math.PI);
        ctx.fill();
        return;
      }
      ctx.beginPath();
      ctx.moveTo(...points[Math.max(0, from - 1)]);
      for (let i = Math.max(1, from); i < points.length; i++) ctx.lineTo(...points[i]);
      ctx.stroke();
    }

    function ink() {
      const px = ctx.getImageData(0, 0, DRAW, DRAW).data, out = new Float64Array(DRAW * DRAW);
      for (let i = 0; i < out.length; i++) out[i] = px[i * 4] / 255;
      return out;
    }

    // The 28×28 the network receives, a sentence on how it was made, and where its pixels are on the drawing.
    const pixelsOfDrawing = { top: 0, left: 0, sy: DRAW / size, sx: DRAW / size, oy: 0, ox: 0 };
    function networkInput() {
      if (base && strokes.length === 0) return [base, `${baseName}, exactly as in the data set.`, pixelsOfDrawing];
      if (base) {
        const drawn = downsample(ink(), DRAW, size);
        return [toChannels(drawn), `${baseName} with your strokes over it (not re-centred).`, pixelsOfDrawing];
      }
      if (strokes.length === 0) return [new Float64Array(channels * size * size), "Nothing drawn yet, so there is nothing to classify: the maps below are those of a black image.", null];
      if (how.centre === "mass") {
        const [input, transform, enlarged] = renderStrokes(strokes, DRAW, size, how);
        const small = enlarged > WARN_ENLARGE
          ? ` It was small, so it was enlarged ${enlarged.toFixed(1)}× to fill the box${enlarged >= MAX_ENLARGE - 1e-9 ? " (as far as it goes: a dot stays a dot)" : ""}: any wobble grew with it. Draw bigger for a fairer reading.`
          : "";
        return [toChannels(input), `Your drawing, ${how.about}, its strokes redrawn ${STROKE} pixels wide as MNIST's pen.${small}`, transform];
      }
      const [input, transform] = preprocess(ink(), DRAW, size, how);
      return [toChannels(input), `Your drawing, ${how.about}.`, transform];
    }

    function update() {
      pending = false;
      const start = performance.now();
      const [input, how, onDrawing] = networkInput();
      const result = forward(model, input);
      paintInput(inputCanvas, input);
      paintInput(tipInput, input);
      inputNote.textContent = how;
      const best = result.probabilities.indexOf(Math.max(...result.probabilities));
      const empty = !base && strokes.length === 0;   // no ink: nothing to classify, so no answer is shown
      barRows.forEach((r, k) => {
        const p = result.probabilities[k];
        r.fill.style.width = empty ? "0%" : `${(p * 100).toFixed(1)}%`;
        r.value.textContent = empty ? "–" : `${(p * 100).toFixed(1)} %`;
        r.row.classList.toggle("cl-best", !empty && k === best);
      });
      answer.textContent = empty ? "Nothing to classify yet: draw a digit" : `The network says ${classes[best]} (${(result.probabilities[best] * 100).toFixed(1)} %)`;
      if (!current && spoken.textContent !== answer.textContent) spoken.textContent = answer.textContent;
      saliencyCanvas.style.display = saliencyBox.checked ? "block" : "none";
      saliencyLegend.style.display = saliencyBox.checked ? "flex" : "none";
      if (saliencyBox.checked) {
        const g = saliency(model, result, best), plane = new Float64Array(size * size);
        for (let i = 0; i < g.length; i++) plane[i % plane.length] += Math.abs(g[i]);   // summed over the input's channels
        const peak = Math.max(1e-12, ...plane);
        const ctx = saliencyCanvas.getContext("2d"), image = ctx.createImageData(size, size);
        for (let i = 0; i < size * size; i++) { image.data[i * 4] = SALIENCY[0]; image.data[i * 4 + 1] = SALIENCY[1]; image.data[i * 4 + 2] = SALIENCY[2]; image.data[i * 4 + 3] = Math.round(plane[i] / peak * 230); }
        ctx.putImageData(image, 0, 0);
      }
      const after = afterBox.checked;
      for (const b of sections) {
        const name = after ? b.output : b.conv, layer = result.layers[name];
        const [C, H, W] = layer.shape;
        // The scale always holds 0, so that zero has one fixed colour; it only widens while you draw (reset by Clear or
        // a loaded image), so colours compare from one stroke to the next.
        let min = 0, max = 0;
        for (const v of layer.data) { if (v < min) min = v; if (v > max) max = v; }
        if (b.kept && b.kept.name === name) { min = Math.min(min, b.kept.min); max = Math.max(max, b.kept.max); }
        b.kept = { name, min, max };
        if (b.canvases.length !== C || b.shown !== name) {
          b.grid.innerHTML = "";
          b.canvases = [];
          const pixels = Math.max(56, Math.min(112, H * 3));
          for (let c = 0; c < C; c++) {
            const cell = b.grid.appendChild(el("div", "cl-cell"));
            const canvas = cell.appendChild(el("div", "cl-wrap")).appendChild(el("canvas", "cl-map"));
            canvas.width = W; canvas.height = H;
            canvas.style.width = canvas.style.height = `${pixels}px`;
            canvas.setAttribute("role", "img");
            canvas.setAttribute("aria-label", `${name}, map ${c} of ${C}, ${H}×${W}: the arrow keys move over its units, Enter shows how the selected one is computed`);
            cell.appendChild(el("div", "cl-cell-label", `#${c}`));
            // Pointer events: a mouse hovers, a finger or a pen touches (a swipe still scrolls the page); a click or
            // Enter opens the unit's arithmetic.
            const at = e => { const r = canvas.getBoundingClientRect(); return [clamp(Math.floor((e.clientY - r.top) / r.height * H), 0, H - 1), clamp(Math.floor((e.clientX - r.left) / r.width * W), 0, W - 1)]; };
            canvas.addEventListener("pointermove", e => showUnit(b, c, ...at(e)));
            canvas.addEventListener("pointerdown", e => showUnit(b, c, ...at(e)));
            canvas.addEventListener("pointerleave", () => { if (document.activeElement !== canvas) unhover(); });
            canvas.addEventListener("click", e => openConv(b, c, ...at(e)));
            navigable(canvas, H, W, (r, q) => showUnit(b, c, r, q), (r, q) => openConv(b, c, r, q));
            b.canvases.push(canvas);
          }
          b.shown = name;
        }
        b.heading.textContent = `${name}: ${C} maps of ${H}×${W}, ` + (after ? b.outputAbout : b.convAbout);
        b.data = layer.data;
        b.plane = [C, H, W];
      }
      // One scale per layer (kept while drawing), one per map, or one for every layer shown (kept while drawing).
      const mode = scaleBox.value;
      const everything = sections.reduce((r, b) => [Math.min(r[0], b.kept.min), Math.max(r[1], b.kept.max)], [0, 0]);
      for (const b of sections) {
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
      // The linear layers: their own scale, 0 included, from this input alone (a few numbers, not maps to compare).
      for (const d of dense) {
        const values = outputOf(result, d.n).data, range = [Math.min(0, ...values), Math.max(0, ...values)];
        const padded = Array.from({ length: d.rows * d.columns }, (_, i) => i < values.length ? values[i] : NaN);
        paint(d.canvas, padded, d.rows, d.columns, v => Number.isNaN(v) ? [255, 255, 255] : viridis(range[0], range[1])(v));
        d.range = range;
        setLegend(d, range);
      }
      last = { input, result, best, onDrawing, empty, note: how };
      if (selected) renderUnit();   // the open arithmetic follows the drawing
      const ms = performance.now() - start;
      if (updates.length >= 1000) updates.shift();   // the last 1000, for the tests and benchmarks
      updates.push(ms);
      lastUpdate = performance.now();
      status.textContent = `updated in ${ms.toFixed(1)} ms`;
      if (!quiet) for (const follow of followers) follow({ strokes, testIndex: baseIndex });
    }

    function setLegend(b, range, low, high) {
      b.low.textContent = low ?? fmt(range[0]);
      b.high.textContent = high ?? fmt(range[1]);
      const at = !range || range[1] <= range[0] ? 0 : -range[0] / (range[1] - range[0]) * 100;
      Object.assign(b.zero.style, { left: `${at.toFixed(2)}%`, display: range ? "block" : "none" });
    }

    // While drawing, update at most every 30 ms: each pointer move would be too often, and a timer (unlike
    // requestAnimationFrame) also runs where frames are not drawn, such as a headless browser.
    function schedule() {
      if (pending) return;
      pending = true;
      setTimeout(update, Math.max(0, lastUpdate + 30 - performance.now()));
    }

    // Keyboard: Tab reaches each map; the arrow keys move over its units, Enter or Space opens the selected unit's
    // arithmetic, Escape hides the label.
    function navigable(canvas, height, width, show, open, count = height * width) {
      canvas.tabIndex = 0;
      let at = null;
      canvas.addEventListener("focus", () => { at = at || [Math.floor(height / 2), Math.floor(width / 2)]; show(...at); });
      canvas.addEventListener("blur", unhover);
      canvas.addEventListener("keydown", e => {
        const move = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] }[e.key];
        if (move) {
          const next = [clamp(at[0] + move[0], 0, height - 1), clamp(at[1] + move[1], 0, width - 1)];
          if (next[0] * width + next[1] < count) at = next;
          show(...at);
        } else if (e.key === "Enter" || e.key === " ") open(...at);
        else if (e.key === "Escape") unhover();
        else return;
        e.preventDefault();
      });
    }

    // ---- Receptive fields: the input window a map pixel sees, computed by ConvLens (Inspect.ReceptiveFields). ----
    function windowOf(name, row, column) {
      const f = spec.fields[name], i = (row * f.width + column) * 4;
      return f.windows.slice(i, i + 4);   // top, left, bottom, right, both ends included
    }

    // Outlines window w (input rows t–b, columns l–r) on the input, or, through the preprocessing's transform, on the drawing.
    function outline(box, w, transform) {
      if (!w) { box.style.display = "none"; return; }
      const [t, l, b, r] = w;
      const [y0, x0, y1, x1] = transform
        ? [transform.top + (t - transform.oy) * transform.sy, transform.left + (l - transform.ox) * transform.sx,
           transform.top + (b + 1 - transform.oy) * transform.sy, transform.left + (r + 1 - transform.ox) * transform.sx].map(v => v / DRAW * 100)
        : [t, l, b + 1, r + 1].map(v => v / size * 100);
      const percent = v => `${v.toFixed(4)}%`;
      Object.assign(box.style, { display: "block", top: percent(clamp(y0, 0, 100)), left: percent(clamp(x0, 0, 100)), height: percent(clamp(y1, 0, 100) - clamp(y0, 0, 100)), width: percent(clamp(x1, 0, 100) - clamp(x0, 0, 100)) });
    }

    // The label beside `anchor` (a map): to its right, else its left, else below or above it; always inside the window.
    function placeTip(anchor) {
      tip.style.display = "flex";
      const host = root.getBoundingClientRect(), t = tip.getBoundingClientRect(), a = anchor.getBoundingClientRect();
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

    function showUnit(b, channel, row, column) {
      const name = b.shown, f = spec.fields[name], canvas = b.canvases[channel];
      const w = windowOf(name, row, column);
      canvas.parentNode.appendChild(marker);
      Object.assign(marker.style, { display: "block", top: `${row / f.height * 100}%`, left: `${column / f.width * 100}%`, width: `${100 / f.width}%`, height: `${100 / f.height}%` });
      outline(inputOutline, w, null);
      outline(tipOutline, w, null);
      if (last && last.onDrawing) outline(drawOutline, w, last.onDrawing); else outline(drawOutline, null);
      const value = last ? last.result.layers[name].data[(channel * f.height + row) * f.width + column] : NaN;
      tipText.textContent = `${name} · channel ${channel} · row ${row}, column ${column}: ${fmt(value)} (colour scale ${fmt(b.range[0])} to ${fmt(b.range[1])}). ` +
        `It sees input rows ${w[0]}–${w[2]}, columns ${w[1]}–${w[3]} (${w[2] - w[0] + 1}×${w[3] - w[1] + 1}), outlined in red. Click or press Enter for its arithmetic.`;
      placeTip(canvas);
    }

    function showDense(d, index) {
      const values = outputOf(last.result, d.n).data;
      marker.style.display = "block";
      d.canvas.parentNode.appendChild(marker);
      const r = Math.floor(index / d.columns), q = index % d.columns;
      Object.assign(marker.style, { top: `${r / d.rows * 100}%`, left: `${q / d.columns * 100}%`, width: `${100 / d.columns}%`, height: `${100 / d.rows}%` });
      outline(tipOutline, [0, 0, size - 1, size - 1], null);
      outline(inputOutline, [0, 0, size - 1, size - 1], null);
      const isLogit = d.n === model.layers.length - 1;
      tipText.textContent = `${d.layer.name} · unit ${index}${isLogit ? ` (class ${classes[index]})` : ""}: ${fmt(values[index])} (colour scale ${fmt(d.range[0])} to ${fmt(d.range[1])}). ` +
        "A linear unit sees the whole input. Click or press Enter for its arithmetic.";
      placeTip(d.canvas);
    }

    function unhover() {
      marker.style.display = "none";
      for (const box of [inputOutline, drawOutline, tipOutline]) outline(box, null, null);
      tip.style.display = "none";
    }

    for (const d of dense) {
      const at = e => { const r = d.canvas.getBoundingClientRect(); return clamp(Math.floor((e.clientY - r.top) / r.height * d.rows), 0, d.rows - 1) * d.columns + clamp(Math.floor((e.clientX - r.left) / r.width * d.columns), 0, d.columns - 1); };
      const usable = f => e => { const i = at(e); if (i < d.layer.out) f(i); };
      d.canvas.setAttribute("role", "img");
      d.canvas.setAttribute("aria-label", `${d.layer.name}, ${d.layer.out} units: the arrow keys move over them, Enter shows how the selected one is computed`);
      d.canvas.addEventListener("pointermove", usable(i => showDense(d, i)));
      d.canvas.addEventListener("pointerdown", usable(i => showDense(d, i)));
      d.canvas.addEventListener("pointerleave", () => { if (document.activeElement !== d.canvas) unhover(); });
      d.canvas.addEventListener("click", usable(i => openLinear(d, i)));
      navigable(d.canvas, d.rows, d.columns, (r, q) => showDense(d, r * d.columns + q), (r, q) => openLinear(d, r * d.columns + q), d.layer.out);
    }

    // ---- A unit's arithmetic, as CNN Explainer shows it, with this network's own weights. ----
    function openConv(b, channel, row, column) {
      const n = indexOf[b.conv], outputShape = outputOf(last.result, indexOf[b.shown]).shape;
      // A unit of the block's output: the conv unit it came from (the one max-pooling passed on), followed to it.
      const index = traceBack(model, last.result, indexOf[b.shown], n, (channel * outputShape[1] + row) * outputShape[2] + column);
      const [, H, W] = outputOf(last.result, n).shape;
      selected = { type: "conv", block: b, unit: [Math.floor(index / (H * W)), Math.floor(index / W) % H, index % W], inputChannel: null };
      b.section.after(unitPanel);
      renderUnit();
    }
    function openLinear(d, unit) {
      selected = { type: "linear", dense: d, unit };
      d.section.after(unitPanel);
      renderUnit();
    }
    function openSoftmax() {
      selected = { type: "softmax" };
      top.after(unitPanel);   // under the three columns: inside the probabilities' column it would widen it
      renderUnit();
    }
    softmaxButton.addEventListener("click", openSoftmax);

    // Where a linear layer's input i comes from: a map's unit after flatten, or a unit of the layer before.
    function sourceOf(n) {
      let m = n - 1;
      while (m >= 0 && model.layers[m].kind.startsWith("Dropout")) m--;
      if (m >= 0 && model.layers[m].kind === "Flatten") {
        const [C, H, W] = last.result.inputs[m].shape;
        let k = m - 1;
        while (k >= 0 && model.layers[k].kind.startsWith("Dropout")) k--;
        const name = k >= 0 ? model.layers[k].name : "the input";
        return i => H * W === 1 ? `${name} map ${i}` : `${name} map ${Math.floor(i / (H * W))}, row ${Math.floor(i / W) % H}, column ${i % W}`;
      }
      const name = m >= 0 ? model.layers[m].name : "the input";
      return i => `${name} unit ${i}`;
    }

    let panel = null;   // what the panel shows, in numbers: for the tests
    function renderUnit() {
      unitPanel.innerHTML = "";
      const head = unitPanel.appendChild(el("div", "cl-unit-head"));
      const title = head.appendChild(el("strong"));
      const close = head.appendChild(el("button", "", "Close"));
      close.addEventListener("click", () => { selected = null; panel = null; unitPanel.remove(); });
      const line = (text, cls) => unitPanel.appendChild(el("p", cls || "cl-unit-line", text));
      const result = last.result;
      if (selected.type === "conv") {
        const b = selected.block, n = indexOf[b.conv], [o, i, j] = selected.unit;
        const u = convUnit(model, result, n, o, i, j), C = u.channels.length, source = n > 0 ? model.layers[n - 1].name : "the input";
        const strongest = u.channels.reduce((k, c, m) => Math.abs(c.sum) > Math.abs(u.channels[k].sum) ? m : k, 0);
        const c = selected.inputChannel ?? strongest, ch = u.channels[c];
        title.textContent = `${u.layer} · map ${o} · row ${i}, column ${j} = ${fmt(u.value)}`;
        const dil = u.dilation[0] > 1 || u.dilation[1] > 1 ? `, every ${u.dilation[0]}th row and ${u.dilation[1]}th column` : "";
        line(`Its value is the ${u.rows}×${u.columns} patch of ${n > 0 ? source + "'s maps" : "the input"} at rows ${u.top}–${u.top + (u.rows - 1) * u.dilation[0]}, columns ${u.left}–${u.left + (u.columns - 1) * u.dilation[1]}${dil} ("pad": outside the image, counted as 0), times the kernel, summed` +
          (C > 1 ? `, for each of the ${C} input channels; those ${C} sums added, plus the bias.` : ", plus the bias."));
        if (C > 1) {
          const chips = unitPanel.appendChild(el("div", "cl-chips"));
          chips.appendChild(el("span", "", "Σ per input channel (pick one to see it):"));
          u.channels.forEach((x, m) => {
            const chip = chips.appendChild(el("button", m === c ? "cl-chip cl-chosen" : "cl-chip", `${m}: ${fmt(x.sum)}`));
            chip.setAttribute("aria-pressed", String(m === c));
            chip.addEventListener("click", () => { selected.inputChannel = m; renderUnit(); });
          });
        }
        const eq = unitPanel.appendChild(el("div", "cl-eq"));
        const named = (label, table) => { const f = eq.appendChild(el("figure")); f.appendChild(table); f.appendChild(el("figcaption", "", label)); };
        const which = C > 1 ? ` (channel ${c})` : "";
        named(`input patch${which}`, numberGrid(ch.patch, u.rows, u.columns, `input patch${which}`));
        eq.appendChild(el("span", "cl-op", "×"));
        named(`kernel${which}`, numberGrid(ch.kernel, u.rows, u.columns, `kernel${which}`));
        eq.appendChild(el("span", "cl-op", "="));
        named("products", numberGrid(ch.products, u.rows, u.columns, "products"));
        eq.appendChild(el("span", "cl-op", `Σ = ${fmt(ch.sum)}`));
        line((C > 1 ? `Σ over the ${C} channels: ${fmt(u.total - u.bias)}` : `Σ ${fmt(ch.sum)}`) + ` + bias ${fmt(u.bias)} = ${fmt(u.total)}: the map's value, ${fmt(u.value)}.`, "cl-unit-line cl-total");
        const steps = follow(model, result, n, (o * outputOf(result, n).shape[1] + i) * outputOf(result, n).shape[2] + j, b.output);
        for (const s of steps) {
          if (s.missed) { line(`${s.layer}: no pooling window covers this unit, so it goes no further.`); break; }
          const p = line(`→ ${stepText(s)}`, "cl-unit-line cl-step");
          if (s.window) p.appendChild(numberGrid(s.window, s.rows, s.columns, `${s.layer}'s window`)).classList.add("cl-inline");
        }
        const end = steps.length ? steps[steps.length - 1] : null;
        if (end && !end.missed && b.output !== b.conv)
          line(`That is ${end.layer} map ${end.unit[0]}, row ${end.unit[1]}, column ${end.unit[2]}: what the next layer receives.`);
        panel = { ...u, steps, shownChannel: c };
      } else if (selected.type === "linear") {
        const d = selected.dense, u = linearUnit(model, result, d.n, selected.unit), label = sourceOf(d.n);
        const isLogit = d.n === model.layers.length - 1;
        title.textContent = `${u.layer} · unit ${u.unit}${isLogit ? ` (the logit of class ${classes[u.unit]})` : ""} = ${fmt(u.value)}`;
        line(`Its value is each of its ${u.count} inputs times its weight, all added, plus the bias. ${u.zeros} of the inputs are 0 and add nothing. The ${u.top.length} largest products:`);
        const table = unitPanel.appendChild(el("table", "cl-products"));
        const header = table.appendChild(el("tr"));
        for (const h of ["input", "value", "× weight", "= product"]) header.appendChild(el("th", "", h));
        for (const t of u.top) {
          const tr = table.appendChild(el("tr"));
          tr.appendChild(el("td", "", label(t.index)));
          for (const v of [t.input, t.weight, t.product]) tr.appendChild(el("td", "cl-number", fmt(v)));
        }
        line(`The other ${u.count - u.top.length} products add up to ${fmt(u.rest)}. Σ of all ${u.count}: ${fmt(u.total - u.bias)} + bias ${fmt(u.bias)} = ${fmt(u.total)}: the unit's value, ${fmt(u.value)}.`, "cl-unit-line cl-total");
        const steps = isLogit ? [] : follow(model, result, d.n, u.unit, null);
        for (const s of steps) line(`→ ${stepText(s)}`, "cl-unit-line cl-step");
        if (isLogit) {
          const p = line("The bars are softmax of the logits: ", "cl-unit-line");
          p.appendChild(el("button", "cl-link", "show it")).addEventListener("click", openSoftmax);
        }
        panel = { ...u, steps };
      } else {
        const s = softmaxOf(result.logits);
        title.textContent = "Softmax: from the logits to the bars";
        line(`Each probability is e^(logit − the largest logit) divided by the sum of all ${s.logits.length}. Taking the largest logit (${fmt(s.top)}) away first changes no probability, and keeps e^logit from overflowing.`);
        const table = unitPanel.appendChild(el("table", "cl-products"));
        const header = table.appendChild(el("tr"));
        for (const h of ["class", "logit", "− largest", "e^(…)", "÷ Σ = probability"]) header.appendChild(el("th", "", h));
        s.logits.forEach((z, k) => {
          const tr = table.appendChild(el("tr", k === last.best ? "cl-chosen" : ""));
          tr.appendChild(el("td", "", classes[k]));
          for (const v of [z, z - s.top, s.exps[k]]) tr.appendChild(el("td", "cl-number", fmt(v)));
          tr.appendChild(el("td", "cl-number", `${(s.probabilities[k] * 100).toFixed(1)} %`));
        });
        line(`Σ e^(…) = ${fmt(s.sum)}.` + (last.empty ? " (Nothing is drawn: these are the logits of a black image, which the bars do not show.)" : ""), "cl-unit-line cl-total");
        panel = s;
      }
    }

    // ---- Input: pointer events cover the mouse, touch and pens alike. ----
    function point(e) {
      const rect = draw.getBoundingClientRect();
      return [(e.clientX - rect.left) / rect.width * DRAW, (e.clientY - rect.top) / rect.height * DRAW];
    }
    // One pointer draws at a time: a second finger or a resting palm is ignored, and so are the mouse's other buttons.
    let drawing = null, penDown = false;
    draw.addEventListener("pointerdown", e => {
      if (drawing !== null || penDown || e.button !== 0) return;
      e.preventDefault();
      drawing = e.pointerId;
      try { draw.setPointerCapture(e.pointerId); } catch { /* a synthetic pointer cannot be captured */ }
      current = [point(e)];
      strokes.push(current);
      stroke(current, 0);
      schedule();
    });
    draw.addEventListener("pointermove", e => {
      if (!current || e.pointerId !== drawing) return;
      current.push(point(e));
      stroke(current, current.length - 1);
      schedule();
    });
    const end = e => { if (current && e.pointerId === drawing) { current = null; drawing = null; update(); } };
    draw.addEventListener("pointerup", end);
    draw.addEventListener("pointercancel", end);

    // The keyboard's pen: the arrow keys move it (one input pixel, or four with Shift), Space or Enter puts it down or
    // lifts it, and a ring shows where it is, dashed while lifted.
    let penAt = [DRAW / 2, DRAW / 2];
    const showPen = () => Object.assign(pen.style, { display: "block", left: `${penAt[0] / DRAW * 100}%`, top: `${penAt[1] / DRAW * 100}%`, borderStyle: penDown ? "solid" : "dashed" });
    const lift = () => { if (penDown) { penDown = false; current = null; update(); } };
    draw.addEventListener("focus", showPen);
    draw.addEventListener("blur", () => { lift(); pen.style.display = "none"; });
    draw.addEventListener("keydown", e => {
      const step = e.shiftKey ? 4 * SCALE : SCALE;
      const move = { ArrowUp: [0, -step], ArrowDown: [0, step], ArrowLeft: [-step, 0], ArrowRight: [step, 0] }[e.key];
      if (move) {
        penAt = [clamp(penAt[0] + move[0], 0, DRAW - 1), clamp(penAt[1] + move[1], 0, DRAW - 1)];
        if (penDown) { current.push([...penAt]); stroke(current, current.length - 1); schedule(); }
      } else if (e.key === " " || e.key === "Enter") {
        if (penDown) lift();
        else if (drawing === null) { penDown = true; current = [[...penAt]]; strokes.push(current); stroke(current, 0); schedule(); }
      } else if (e.key === "Escape") lift();
      else return;
      e.preventDefault();
      showPen();
    });

    afterBox.addEventListener("change", update);
    scaleBox.addEventListener("change", update);
    saliencyBox.addEventListener("change", update);
    const resetScales = () => sections.forEach(b => { b.kept = null; });
    clearButton.addEventListener("click", () => { strokes = []; base = null; baseIndex = null; resetScales(); redraw(); update(); });
    undoButton.addEventListener("click", () => { strokes.pop(); redraw(); update(); });

    // A test image as the network takes it: [channels, size, size], values 0 … 1.
    function testImage(n) {
      const out = new Float64Array(channels * size * size);
      for (let i = 0; i < out.length; i++) out[i] = tests[n * out.length + i] / 255;
      return out;
    }
    function loadTest(n) {
      n = clamp(Math.floor(Number(n) || 0), 0, testCount - 1);
      if (indexBox) indexBox.value = n;
      base = testImage(n);
      baseIndex = n;
      baseName = `Test image ${n}, labelled ${classes[testLabels[n]]}`;
      strokes = [];
      resetScales();
      redraw();
      update();
    }
    if (loadButton) {
      loadButton.addEventListener("click", () => loadTest(indexBox.value));
      indexBox.addEventListener("change", () => loadTest(indexBox.value));
      randomButton.addEventListener("click", () => loadTest(Math.floor(Math.random() * testCount)));
    }

    function setEpoch(k) {
      epochShown = clamp(Math.round(Number(k)), 0, epochs.length - 1);
      for (const layer of model.layers) if (epochs[epochShown].layers[layer.name]) layer.p = epochs[epochShown].layers[layer.name];
      epochSlider.value = epochShown;
      epochLabel.textContent = epochs[epochShown].label;
      resetScales();   // each epoch's maps on their own scales: the weights grow while training
      update();
    }
    if (epochSlider) epochSlider.addEventListener("input", () => setEpoch(epochSlider.value));

    // Another explorer's drawing, taken as it is: its strokes (in drawing pixels) over its test image, if any.
    function setDrawing(d) {
      if (d.testIndex !== baseIndex) {
        if (d.testIndex === null || !tests) { base = null; baseIndex = null; }
        else { base = testImage(d.testIndex); baseIndex = d.testIndex; baseName = `Test image ${d.testIndex}, labelled ${classes[testLabels[d.testIndex]]}`; if (indexBox) indexBox.value = d.testIndex; }
        resetScales();
      }
      strokes = d.strokes.map(s => s.map(p => [p[0], p[1]]));
      if (strokes.length === 0 && d.testIndex === null) resetScales();
      redraw();
      quiet = true;
      try { update(); } finally { quiet = false; }
    }

    // The page starts empty, and says so: a test image is loaded only when asked for.
    redraw();
    update();

    // The open panel: its numbers, and every number as it is shown (table cells, channel sums, lines), for the tests.
    const shown = () => panel && { ...panel, text: unitPanel.textContent,
      cells: [...unitPanel.querySelectorAll("td")].map(t => t.textContent), chips: [...unitPanel.querySelectorAll(".cl-chip")].map(t => t.textContent),
      lines: [...unitPanel.querySelectorAll("p")].map(t => t.textContent) };
    const rect = e => { const r = e.getBoundingClientRect(); return { top: r.top, left: r.left, bottom: r.bottom, right: r.right }; };
    // What tests and benchmarks read: the same functions the page uses.
    const api = {
      forward: input => forward(model, input),
      root, testImage, loadTest, testCount, testLabels, update, updates, fields: spec.fields, canvas: draw,
      state: () => ({ prediction: last.empty ? null : last.best, probabilities: last.result.probabilities, input: Array.from(last.input), strokes: strokes.length,
        answer: answer.textContent, spoken: spoken.textContent, note: last.note }),
      clear: () => clearButton.click(), undo: () => undoButton.click(),
      hover: (block, channel, row, column) => {
        const b = sections[block], canvas = b.canvases[channel], rect = canvas.getBoundingClientRect(), f = spec.fields[b.shown];
        const e = new PointerEvent("pointermove", { clientX: rect.left + (column + 0.5) / f.width * rect.width, clientY: rect.top + (row + 0.5) / f.height * rect.height, bubbles: true });
        canvas.dispatchEvent(e);
        return { tip: tipText.textContent, outline: inputOutline.style.cssText, onDrawing: drawOutline.style.cssText };
      },
      // Where things are on screen, in the window's coordinates, for the layout tests.
      layout: () => ({
        viewport: [document.documentElement.clientWidth, window.innerHeight],
        draw: rect(draw), input: rect(inputCanvas), answer: rect(answer), bars: rect(bars), tip: tip.style.display === "none" ? null : rect(tip),
        tipOutline: tipOutline.style.display === "block" ? rect(tipOutline) : null, marker: marker.style.display === "block" ? rect(marker) : null,
        sections: sections.map(b => ({ heading: rect(b.heading), canvases: b.canvases.map(rect) })),
        touch: { draw: getComputedStyle(draw).touchAction, maps: sections.map(b => getComputedStyle(b.canvases[0]).touchAction) },
      }),
      sections: () => sections.map(b => b.section).concat(dense.map(d => d.section)),
      mapCanvas: (block, channel) => sections[block].canvases[channel],
      denseCanvas: k => dense[k].canvas,
      // Opens a unit's arithmetic as a click would, and returns the numbers the panel shows and its text.
      unit: (block, channel, row, column) => { openConv(sections[block], channel, row, column); return shown(); },
      pickChannel: c => { selected.inputChannel = c; renderUnit(); return shown(); },
      linear: (k, unit) => { openLinear(dense[k], unit); return shown(); },
      softmax: () => { openSoftmax(); return shown(); },
      panel: shown,
      showAfter: on => { afterBox.checked = on; update(); },
      epochs: epochs.map(e => e.label), setEpoch, epoch: () => epochShown,
      setDrawing, follow: other => followers.push(d => other.setDrawing(d)),
      showSaliency: on => { saliencyBox.checked = on; update(); },
      setScale: mode => { scaleBox.value = mode; update(); },
      legends: () => sections.map(b => ({ low: b.low.textContent, high: b.high.textContent, range: b.range, zero: b.zero.style.left, heading: b.heading.textContent })),
      saliencyColour: () => { const d = saliencyCanvas.getContext("2d").getImageData(0, 0, size, size).data; let k = 0; for (let i = 0; i < d.length; i += 4) if (d[i + 3] > d[k + 3]) k = i; return Array.from(d.slice(k, k + 4)); },
      saliency: (input, target) => saliency(model, forward(model, input), target),
    };
    // The explorers on the page, for tests and benchmarks; those whose output was replaced (a cell run again) are let go.
    window.convlensExplorers = (window.convlensExplorers || []).filter(e => document.contains(e.root));
    window.convlensExplorers.push(api);
    return api;
  }

  // Two explorers on one page that share one drawing (a comparison): what is drawn on either is drawn on both.
  function link(a, b) { a.follow(b); b.follow(a); }

  window.ConvLensExplorer = { mount, link, prepare, forward, saliency, preprocess, renderStrokes, convUnit, linearUnit, softmaxOf, follow };
})();
