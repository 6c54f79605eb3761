// The layer kinds: each kind's forward and backward passes side by side, and how a unit's value goes through it.
// Defines KINDS (by the plan's kind names, as C# writes them) and the helpers the unit arithmetic shares: convShape,
// poolShape, argmaxes. Uses fmt and clamp (maps.js).

  // ---- Each layer kind, forward and backward side by side (as micrograd keeps them). ----
  // The page runs the model's layer plan (Explorer.cs embeds it as ConvLens wrote it, with each layer's parameters):
  // forward(x, shape, layer) gives [output, its shape] for one image; backward(g, x, shape, layer) takes the gradient
  // of the output and the layer's input, and gives the gradient of that input. Tensors are flat Float64Arrays, [C, H, W]
  // for maps and [n] after flatten. Dropout is off, and batch norm uses its running statistics, as in evaluation.
  // A clicked unit's value is then followed up through the layers that keep it a value of the same map (pooling, norm,
  // activations, dropout): follow(x, shape, y, layer, index, at) gives [the step, as numbers, and the unit's index in
  // the output]; a kind without follow (conv, flatten, linear) makes new units, and the path stops there.
  // back(x, shape, outShape, layer, index) goes the other way: the input unit an output unit comes from (the same one
  // when absent). text(step, value) says the step in words. Adding a kind: one object here, one record in C#
  // (Model/Kinds), one case in ExplorerMathsTests; a test fails if the three disagree.

  // What passes a value unchanged in place: the step shows the value before and after.
  const valueStep = (x, y, index, at) => [{ input: x[index], value: y[index], unit: at }, index];

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
      const s = convShape(shape, layer), w = layer.p.weight, gx = new Float64Array(x.length), live = new Uint8Array(s.Ho);
      for (let o = 0; o < s.O; o++) {
        let count = 0;
        for (let i = 0; i < s.Ho; i++) {
          live[i] = 0;
          for (let j = 0; j < s.Wo; j++) if (g[(o * s.Ho + i) * s.Wo + j] !== 0) { live[i] = 1; count++; }
        }
        // A map's gradient is often mostly 0: max-pooling 2×2 passes on at most a quarter of it, ReLU less, and one
        // unit's gradient (following the evidence down) is one value. Then each nonzero value scatters its kernel onto
        // the input, which costs their count, not the whole map; otherwise whole rows, skipping those all 0.
        if (count === 0) continue;
        if (count * SCATTER_BELOW < s.Ho * s.Wo) convScatter(gx, g, s, w, o); else convRows(gx, g, s, w, o, live);
      }
      return gx;
    },
  };

  // Conv2d's backward pass for map o, either way round: the same pairs (weight, input position) as the forward pass.
  // convRows repeats the forward pass's loops rather than sharing them through a callback per row: measured in Node
  // on the article's conv1 and conv2, that shared loop made the forward pass 1.37 × slower.
  const SCATTER_BELOW = 2;   // scatter when under half the map's gradient is nonzero (measured: bench/conv_backward.js)
  function convRows(gx, g, { C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, Ho, Wo }, w, o, live) {
    for (let c = 0; c < C; c++)
      for (let ky = 0; ky < kh; ky++) {
        const [i0, i1] = span(Ho, H, sh, ph, ky * dh);
        for (let kx = 0; kx < kw; kx++) {
          const wv = w[((o * C + c) * kh + ky) * kw + kx];
          if (wv === 0) continue;
          const [j0, j1] = span(Wo, W, sw, pw, kx * dw);
          for (let i = i0; i < i1; i++) {
            if (!live[i]) continue;
            const yr = o * Ho * Wo + i * Wo, xr = c * H * W + (i * sh - ph + ky * dh) * W - pw + kx * dw;
            for (let j = j0; j < j1; j++) gx[xr + j * sw] += wv * g[yr + j];
          }
        }
      }
  }
  function convScatter(gx, g, { C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, Ho, Wo }, w, o) {
    for (let i = 0; i < Ho; i++)
      for (let j = 0; j < Wo; j++) {
        const v = g[(o * Ho + i) * Wo + j];
        if (v === 0) continue;
        const top = i * sh - ph, left = j * sw - pw;
        for (let c = 0; c < C; c++)
          for (let ky = 0; ky < kh; ky++) {
            const r = top + ky * dh;
            if (r < 0 || r >= H) continue;
            const wr = ((o * C + c) * kh + ky) * kw, xr = (c * H + r) * W;
            for (let kx = 0; kx < kw; kx++) {
              const q = left + kx * dw;
              if (q >= 0 && q < W) gx[xr + q] += w[wr + kx] * v;
            }
          }
      }
  }

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
  // The output position, along one axis, of the first pooling window that covers input position p; −1 if none does.
  function windowAt(p, n, k, stride, pad, d) {
    for (let o = 0; o < n; o++) { const off = p - (o * stride - pad); if (off >= 0 && off <= (k - 1) * d && off % d === 0) return o; }
    return -1;
  }
  // A unit through a pooling layer: the first window it falls in, with that window's values (null: padding).
  function poolStep(x, shape, y, layer, index, [c, i, j]) {
    const s = poolShape(shape, layer);
    const oi = windowAt(i, s.Ho, s.kh, s.sh, s.ph, s.dh), oj = windowAt(j, s.Wo, s.kw, s.sw, s.pw, s.dw);
    if (oi < 0 || oj < 0) return [{ missed: true }, index];
    const top = oi * s.sh - s.ph, left = oj * s.sw - s.pw, window = [];
    for (let a = 0; a < s.kh; a++)
      for (let b = 0; b < s.kw; b++) {
        const r = top + a * s.dh, q = left + b * s.dw;
        window.push(r >= 0 && r < s.H && q >= 0 && q < s.W ? x[(c * s.H + r) * s.W + q] : null);
      }
    const out = (c * s.Ho + oi) * s.Wo + oj;
    return [{ window, rows: s.kh, columns: s.kw, top, left, from: [i, j], unit: [c, oi, oj], value: y[out] }, out];
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
    follow: poolStep,
    back: (x, shape, outShape, layer, index) => argmaxes(x, shape, layer)[0][index],   // the largest, which torch passes on
    text: (s, v) => `${s.layer} (MaxPool2d ${s.rows}×${s.columns}): the largest of the window the unit falls in = ${v}`,
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
    follow: poolStep,
    back(x, [C, H, W], out, layer, index) {   // the window's first input inside the image: every input counts the same
      const s = poolShape([C, H, W], layer), c = Math.floor(index / (out[1] * out[2])), i = Math.floor(index / out[2]) % out[1], j = index % out[2];
      return (c * H + clamp(i * s.sh - s.ph, 0, H - 1)) * W + clamp(j * s.sw - s.pw, 0, W - 1);
    },
    text: (s, v) => `${s.layer} (AvgPool2d ${s.rows}×${s.columns}): the mean of the window the unit falls in = ${v}`,
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
    follow: (x, shape, y, layer, index, [c]) => [{ count: shape[1] * shape[2], unit: [c, 0, 0], value: y[c] }, c],
    back(x, [C, H, W], out, layer, index) {   // the map's largest unit: the one that adds most to the mean
      let best = index * H * W;
      for (let k = index * H * W; k < (index + 1) * H * W; k++) if (x[k] > x[best]) best = k;
      return best;
    },
    text: (s, v) => `${s.layer} (global average): the mean of the whole ${s.count}-unit map = ${v}`,
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
    follow(x, shape, y, layer, index, at) {
      const [step] = valueStep(x, y, index, at), c = shape.length === 3 ? at[0] : index;
      return [{ ...step, mean: layer.p.running_mean[c], variance: layer.p.running_var[c], eps: layer.eps, weight: layer.p.weight[c], bias: layer.p.bias[c] }, index];
    },
    text: (s, v) => `${s.layer} (${s.kind}): (${fmt(s.input)} − mean ${fmt(s.mean)}) / √(var ${fmt(s.variance)} + ε) × weight ${fmt(s.weight)} + bias ${fmt(s.bias)} = ${v}`,
  };
  // Activations work value by value: f for the forward pass, its derivative f′ for the backward one.
  const sigmoid = v => 1 / (1 + Math.exp(-v));
  // erf by Abramowitz and Stegun 7.1.26 (error below 1.5e-7), for the exact GELU: JavaScript has no erf.
  function erf(v) {
    const s = Math.sign(v), a = Math.abs(v), t = 1 / (1 + 0.3275911 * a);
    return s * (1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-a * a));
  }
  const GELU_C = Math.sqrt(2 / Math.PI);
  // f, its derivative f′, and the step in words (given the step and the value it gives).
  function elementwise(f, df, text) {
    return {
      forward: (x, shape, layer) => [x.map(v => f(v, layer)), shape],
      backward: (g, x, shape, layer) => g.map((v, i) => v * df(x[i], layer)),
      follow: (x, shape, y, layer, index, at) => valueStep(x, y, index, at),
      text,
    };
  }
  const ReLU = elementwise(v => v > 0 ? v : 0, v => v > 0 ? 1 : 0, (s, v) => `${s.layer} (ReLU): max(0, ${fmt(s.input)}) = ${v}`);
  const LeakyReLU = elementwise((v, l) => v > 0 ? v : l.slope * v, (v, l) => v > 0 ? 1 : l.slope,
    (s, v) => `${s.layer} (LeakyReLU): ${fmt(s.input)} if above 0, else the slope × it = ${v}`);
  const ELU = elementwise((v, l) => v > 0 ? v : l.alpha * (Math.exp(v) - 1), (v, l) => v > 0 ? 1 : l.alpha * Math.exp(v),
    (s, v) => `${s.layer} (ELU): ${fmt(s.input)} if above 0, else α·(e^x − 1) = ${v}`);
  const GELU = elementwise(
    (v, l) => l.approximate === "tanh" ? 0.5 * v * (1 + Math.tanh(GELU_C * (v + 0.044715 * v ** 3))) : 0.5 * v * (1 + erf(v / Math.SQRT2)),
    (v, l) => {
      if (l.approximate === "tanh") { const t = Math.tanh(GELU_C * (v + 0.044715 * v ** 3)); return 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * GELU_C * (1 + 3 * 0.044715 * v * v); }
      return 0.5 * (1 + erf(v / Math.SQRT2)) + v * Math.exp(-v * v / 2) / Math.sqrt(2 * Math.PI);
    },
    (s, v) => `${s.layer} (GELU): x·Φ(x) at x = ${fmt(s.input)} = ${v}`);
  const SiLU = elementwise(v => v * sigmoid(v), v => { const s = sigmoid(v); return s * (1 + v * (1 - s)); }, (s, v) => `${s.layer} (SiLU): x·σ(x) at x = ${fmt(s.input)} = ${v}`);
  // Hardswish: x · ReLU6(x + 3) / 6; its slope is 0 below −3, 1 above 3, (2x + 3) / 6 between.
  const Hardswish = elementwise(v => v * clamp(v + 3, 0, 6) / 6, v => v < -3 ? 0 : v > 3 ? 1 : (2 * v + 3) / 6,
    (s, v) => `${s.layer} (Hardswish): x · min(max(x + 3, 0), 6) / 6 at x = ${fmt(s.input)} = ${v}`);
  const Tanh = elementwise(v => Math.tanh(v), v => 1 - Math.tanh(v) ** 2, (s, v) => `${s.layer} (Tanh): tanh(${fmt(s.input)}) = ${v}`);
  const Sigmoid = elementwise(sigmoid, v => sigmoid(v) * (1 - sigmoid(v)), (s, v) => `${s.layer} (Sigmoid): 1 / (1 + e^−x) at x = ${fmt(s.input)} = ${v}`);
  // Dropout is off in evaluation, and Flatten only changes the shape: the gradient passes through both unchanged.
  const Dropout = {
    forward: (x, shape) => [x, shape], backward: g => g,
    follow: (x, shape, y, layer, index, at) => valueStep(x, y, index, at),
    text: (s, v) => `${s.layer} (${s.kind}): off when the network is used, so the value passes unchanged: ${v}`,
  };
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
    ReLU, LeakyReLU, ELU, GELU, SiLU, Hardswish, Tanh, Sigmoid, Dropout, Dropout2d: Dropout, Flatten, Linear,
  };

