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

  function floats(base64) {
    const bytes = Uint8Array.from(atob(base64), c => c.charCodeAt(0));
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
    const top = Math.max(...x), exps = Array.from(x, v => Math.exp(v - top)), sum = exps.reduce((a, b) => a + b, 0);
    return { logits: x, probabilities: exps.map(e => e / sum), layers, inputs };
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

  function mount(root, spec) {
    const model = {
      ...spec,
      layers: spec.layers.map(l => ({ ...l, p: Object.fromEntries(Object.entries(l.parameters || {}).map(([k, v]) => [k, floats(v)])) })),
    };
    const size = model.imageSize, channels = model.inputChannels, classes = model.classes, DRAW = size * SCALE, how = spec.preprocessing;
    // A drawing is one grey plane; a colour network gets it on each of its channels.
    const toChannels = plane => { const out = new Float64Array(channels * plane.length); for (let c = 0; c < channels; c++) out.set(plane, c * plane.length); return out; };
    const tests = spec.tests ? Uint8Array.from(atob(spec.tests.pixels), c => c.charCodeAt(0)) : null;
    const testLabels = spec.tests ? spec.tests.labels : [];
    const testCount = testLabels.length;

    root.classList.add("cl-explorer");
    root.innerHTML = "";
    const top = root.appendChild(el("div", "cl-top"));

    // The drawing area.
    const drawColumn = top.appendChild(el("div", "cl-column"));
    const digits = classes.length === 10 && classes.every((c, k) => c === String(k));
    drawColumn.appendChild(el("div", "cl-heading", digits ? "Draw a digit" : `Draw one of: ${classes.join(", ")}`));
    const drawWrap = drawColumn.appendChild(el("div", "cl-wrap"));
    const draw = drawWrap.appendChild(el("canvas", "cl-draw"));
    draw.width = draw.height = DRAW;
    draw.title = "Draw with the mouse, a finger or a pen";
    const drawOutline = drawWrap.appendChild(el("div", "cl-outline"));
    const buttons = drawColumn.appendChild(el("div", "cl-buttons"));
    const clearButton = buttons.appendChild(el("button", "", "Clear"));
    const undoButton = buttons.appendChild(el("button", "", "Undo"));
    let indexBox = null, loadButton = null, randomButton = null;
    if (testCount > 0) {
      const load = drawColumn.appendChild(el("div", "cl-buttons"));
      load.appendChild(el("span", "", "test image "));
      indexBox = load.appendChild(el("input"));
      Object.assign(indexBox, { type: "number", min: 0, max: testCount - 1, value: 0 });
      loadButton = load.appendChild(el("button", "", "Load"));
      randomButton = load.appendChild(el("button", "", "Random"));
    }
    const status = drawColumn.appendChild(el("div", "cl-status", ""));

    // The network's input.
    const inputColumn = top.appendChild(el("div", "cl-column"));
    inputColumn.appendChild(el("div", "cl-heading", `What the network receives (${size}×${size})`));
    const inputWrap = inputColumn.appendChild(el("div", "cl-wrap"));
    const inputCanvas = inputWrap.appendChild(el("canvas", "cl-input"));
    inputCanvas.width = inputCanvas.height = size;
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
    const barsColumn = top.appendChild(el("div", "cl-column"));
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
    barsColumn.appendChild(el("p", "cl-note", `${spec.summary}. ${spec.source}`));

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
    options.appendChild(el("span", "cl-hint", "Hover a map's pixel: the red square on the input is what that pixel sees (its receptive field)."));
    const mapsArea = root.appendChild(el("div", "cl-maps"));
    const tip = root.appendChild(el("div", "cl-tip"));
    const marker = el("div", "cl-outline");   // the hovered pixel, on its map

    const sections = spec.blocks.map(b => {
      const section = mapsArea.appendChild(el("div", "cl-layer"));
      const heading = section.appendChild(el("div", "cl-layer-heading"));
      const legend = section.appendChild(el("div", "cl-legend"));
      const low = legend.appendChild(el("span", "", "")), bar = legend.appendChild(el("span", "cl-legend-bar")), high = legend.appendChild(el("span", "", ""));
      bar.style.background = `linear-gradient(to right, ${VIRIDIS_STOPS.join(",")})`;
      const zero = bar.appendChild(el("span", "cl-zero"));   // where 0 sits on the scale
      zero.title = "0";
      const grid = section.appendChild(el("div", "cl-grid"));
      return { ...b, section, heading, low, high, zero, grid, canvases: [], kept: null };
    });

    // ---- State: strokes on the drawing canvas, or a test image with strokes over it. ----
    let strokes = [], current = null, base = null, baseName = null, pending = false, last = null, lastUpdate = 0;
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
        const [C, H, W] = layer.shape, plane = H * W;
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
            cell.appendChild(el("div", "cl-cell-label", `#${c}`));
            // Pointer events: a mouse hovers, a finger or a pen touches and slides.
            canvas.addEventListener("pointermove", e => hover(b, name, c, canvas, e));
            canvas.addEventListener("pointerdown", e => hover(b, name, c, canvas, e));
            canvas.addEventListener("pointerleave", unhover);
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
        b.low.textContent = mode === "map" ? "each map's lowest" : fmt(b.range[0]);
        b.high.textContent = mode === "map" ? "its highest (0 included)" : fmt(b.range[1]);
        const at = mode === "map" || b.range[1] <= b.range[0] ? 0 : -b.range[0] / (b.range[1] - b.range[0]) * 100;
        Object.assign(b.zero.style, { left: `${at.toFixed(2)}%`, display: mode === "map" ? "none" : "block" });
      }
      last = { input, result, best, onDrawing, empty, note: how };
      const ms = performance.now() - start;
      if (updates.length >= 1000) updates.shift();   // the last 1000, for the tests and benchmarks
      updates.push(ms);
      lastUpdate = performance.now();
      status.textContent = `updated in ${ms.toFixed(1)} ms`;
    }

    // While drawing, update at most every 30 ms: each pointer move would be too often, and a timer (unlike
    // requestAnimationFrame) also runs where frames are not drawn, such as a headless browser.
    function schedule() {
      if (pending) return;
      pending = true;
      setTimeout(update, Math.max(0, lastUpdate + 30 - performance.now()));
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
      const clip = v => Math.max(0, Math.min(100, v)), percent = v => `${v.toFixed(4)}%`;
      Object.assign(box.style, { display: "block", top: percent(clip(y0)), left: percent(clip(x0)), height: percent(clip(y1) - clip(y0)), width: percent(clip(x1) - clip(x0)) });
    }

    function hover(b, name, channel, canvas, e) {
      const rect = canvas.getBoundingClientRect(), f = spec.fields[name];
      const column = Math.min(f.width - 1, Math.max(0, Math.floor((e.clientX - rect.left) / rect.width * f.width)));
      const row = Math.min(f.height - 1, Math.max(0, Math.floor((e.clientY - rect.top) / rect.height * f.height)));
      const w = windowOf(name, row, column);
      canvas.parentNode.appendChild(marker);
      Object.assign(marker.style, { display: "block", top: `${row / f.height * 100}%`, left: `${column / f.width * 100}%`, width: `${100 / f.width}%`, height: `${100 / f.height}%` });
      outline(inputOutline, w, null);
      if (last && last.onDrawing) outline(drawOutline, w, last.onDrawing); else outline(drawOutline, null);
      const value = last ? last.result.layers[name].data[(channel * f.height + row) * f.width + column] : NaN;
      tip.textContent = `${name} · channel ${channel} · row ${row}, column ${column}: ${fmt(value)} (colour scale ${fmt(b.range[0])} to ${fmt(b.range[1])}). ` +
        `It sees input rows ${w[0]}–${w[2]}, columns ${w[1]}–${w[3]} (${w[2] - w[0] + 1}×${w[3] - w[1] + 1}), outlined in red.`;
      tip.style.display = "block";
      tip.style.left = `${e.clientX - root.getBoundingClientRect().left + 14}px`;
      tip.style.top = `${e.clientY - root.getBoundingClientRect().top + 14}px`;
    }

    function unhover() {
      marker.style.display = "none";
      outline(inputOutline, null, null);
      outline(drawOutline, null, null);
      tip.style.display = "none";
    }

    // ---- Input: pointer events cover the mouse, touch and pens alike. ----
    function point(e) {
      const rect = draw.getBoundingClientRect();
      return [(e.clientX - rect.left) / rect.width * DRAW, (e.clientY - rect.top) / rect.height * DRAW];
    }
    // One pointer draws at a time: a second finger or a resting palm is ignored, and so are the mouse's other buttons.
    let drawing = null;
    draw.addEventListener("pointerdown", e => {
      if (drawing !== null || e.button !== 0) return;
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
    afterBox.addEventListener("change", update);
    scaleBox.addEventListener("change", update);
    saliencyBox.addEventListener("change", update);
    const resetScales = () => sections.forEach(b => { b.kept = null; });
    clearButton.addEventListener("click", () => { strokes = []; base = null; resetScales(); redraw(); update(); });
    undoButton.addEventListener("click", () => { strokes.pop(); redraw(); update(); });

    // A test image as the network takes it: [channels, size, size], values 0 … 1.
    function testImage(n) {
      const out = new Float64Array(channels * size * size);
      for (let i = 0; i < out.length; i++) out[i] = tests[n * out.length + i] / 255;
      return out;
    }
    function loadTest(n) {
      n = Math.max(0, Math.min(testCount - 1, Math.floor(Number(n) || 0)));
      if (indexBox) indexBox.value = n;
      base = testImage(n);
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

    // The page starts empty, and says so: a test image is loaded only when asked for.
    redraw();
    update();

    // What tests and benchmarks read: the same functions the page uses.
    const api = {
      forward: input => forward(model, input),
      root, testImage, loadTest, testCount, testLabels, update, updates, fields: spec.fields, canvas: draw,
      state: () => ({ prediction: last.empty ? null : last.best, probabilities: last.result.probabilities, input: Array.from(last.input), strokes: strokes.length,
        answer: answer.textContent, note: last.note }),
      clear: () => clearButton.click(), undo: () => undoButton.click(),
      hover: (block, channel, row, column) => {
        const b = sections[block], canvas = b.canvases[channel], rect = canvas.getBoundingClientRect(), f = spec.fields[b.shown];
        const e = new PointerEvent("pointermove", { clientX: rect.left + (column + 0.5) / f.width * rect.width, clientY: rect.top + (row + 0.5) / f.height * rect.height, bubbles: true });
        canvas.dispatchEvent(e);
        return { tip: tip.textContent, outline: inputOutline.style.cssText, onDrawing: drawOutline.style.cssText };
      },
      showAfter: on => { afterBox.checked = on; update(); },
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

  window.ConvLensExplorer = { mount, forward, saliency, preprocess, renderStrokes };
})();
