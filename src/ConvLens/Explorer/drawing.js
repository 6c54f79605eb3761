// Reading the drawing: a drawing (or a test image with strokes over it) made into the network's input, as the data
// set's images were made. Uses el (maps.js) only for canvases.

  const SCALE = 10;          // drawing-canvas pixels per input pixel: 280×280 for a 28×28 input
  const BRUSH = 20;          // stroke width on that canvas: 2 input pixels, as MNIST's pen

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

  // ---- The drawing canvas of one explorer (ex): its strokes painted, its ink read back, made into the input. ----

  // The network's input on a canvas: grey for one channel, red-green-blue for three.
  function paintInput(ex, canvas, input) {
    const size = ex.size, plane = size * size;
    if (ex.channels === 3) paint(canvas, Array.from({ length: plane }, (_, i) => i), size, size, i => [byte(input[i]), byte(input[plane + i]), byte(input[2 * plane + i])]);
    else paint(canvas, input, size, size, grey);
  }

  // The whole drawing again: black, the loaded test image (if any), then every stroke.
  function redraw(ex) {
    const ctx = ex.ctx, s = ex.state;
    ctx.fillStyle = "#000";
    ctx.fillRect(0, 0, ex.DRAW, ex.DRAW);
    if (s.base) {
      const small = document.createElement("canvas");
      small.width = small.height = ex.size;
      paintInput(ex, small, s.base);
      ctx.imageSmoothingEnabled = false;
      ctx.drawImage(small, 0, 0, ex.DRAW, ex.DRAW);
    }
    for (const points of s.strokes) stroke(ex, points, 0);
  }

  // A stroke's points from `from` on, with the screen's brush (a dot for a single point).
  function stroke(ex, points, from) {
    const ctx = ex.ctx;
    ctx.strokeStyle = ctx.fillStyle = "#fff";
    ctx.lineWidth = BRUSH;
    ctx.lineCap = ctx.lineJoin = "round";
    ctx.beginPath();
    if (points.length === 1) {
      ctx.arc(points[0][0], points[0][1], BRUSH / 2, 0, 2 * Math.PI);
      ctx.fill();
      return;
    }
    ctx.moveTo(...points[Math.max(0, from - 1)]);
    for (let i = Math.max(1, from); i < points.length; i++) ctx.lineTo(...points[i]);
    ctx.stroke();
  }

  function ink(ex) {
    const px = ex.ctx.getImageData(0, 0, ex.DRAW, ex.DRAW).data, out = new Float64Array(ex.DRAW * ex.DRAW);
    for (let i = 0; i < out.length; i++) out[i] = px[i * 4] / 255;
    return out;
  }

  // The image the network receives, a sentence on how it was made, and where its pixels are on the drawing (or null).
  function networkInput(ex) {
    const s = ex.state, how = ex.how, size = ex.size, DRAW = ex.DRAW;
    const wholeCanvas = { top: 0, left: 0, sy: DRAW / size, sx: DRAW / size, oy: 0, ox: 0 };
    if (s.base && s.strokes.length === 0) return [s.base, `${s.baseName}, exactly as in the data set.`, wholeCanvas];
    if (s.base) return [ex.toChannels(downsample(ink(ex), DRAW, size)), `${s.baseName} with your strokes over it (not re-centred).`, wholeCanvas];
    if (s.strokes.length === 0) return [new Float64Array(ex.channels * size * size), "Nothing drawn yet, so there is nothing to classify: the maps below are those of a black image.", null];
    if (how.centre === "mass") {
      const [input, transform, enlarged] = renderStrokes(s.strokes, DRAW, size, how);
      const small = enlarged > WARN_ENLARGE
        ? ` It was small, so it was enlarged ${enlarged.toFixed(1)}× to fill the box${enlarged >= MAX_ENLARGE - 1e-9 ? " (as far as it goes: a dot stays a dot)" : ""}: any wobble grew with it. Draw bigger for a fairer reading.`
        : "";
      return [ex.toChannels(input), `Your drawing, ${how.about}, its strokes redrawn ${STROKE} pixels wide as MNIST's pen.${small}`, transform];
    }
    const [input, transform] = preprocess(ink(ex), DRAW, size, how);
    return [ex.toChannels(input), `Your drawing, ${how.about}.`, transform];
  }

  // Pointer events cover the mouse, touch and pens alike. One pointer draws at a time: a second finger or a resting
  // palm is ignored, and so are the mouse's other buttons.
  function wirePointer(ex) {
    const draw = ex.ui.draw, s = ex.state;
    const point = e => { const r = draw.getBoundingClientRect(); return [(e.clientX - r.left) / r.width * ex.DRAW, (e.clientY - r.top) / r.height * ex.DRAW]; };
    draw.addEventListener("pointerdown", e => {
      if (s.drawing !== null || s.penDown || e.button !== 0) return;
      e.preventDefault();
      s.drawing = e.pointerId;
      try { draw.setPointerCapture(e.pointerId); } catch { /* a synthetic pointer cannot be captured */ }
      startStroke(ex, point(e));
    });
    draw.addEventListener("pointermove", e => { if (s.current && e.pointerId === s.drawing) extendStroke(ex, point(e)); });
    const end = e => { if (s.current && e.pointerId === s.drawing) { s.current = null; s.drawing = null; update(ex); } };
    draw.addEventListener("pointerup", end);
    draw.addEventListener("pointercancel", end);
  }

  function startStroke(ex, at) {
    ex.state.current = [at];
    ex.state.strokes.push(ex.state.current);
    stroke(ex, ex.state.current, 0);
    schedule(ex);
  }
  function extendStroke(ex, at) {
    ex.state.current.push(at);
    stroke(ex, ex.state.current, ex.state.current.length - 1);
    schedule(ex);
  }

  // The keyboard's pen: the arrow keys move it (one input pixel, or four with Shift), Space or Enter puts it down or
  // lifts it, and a ring shows where it is, dashed while lifted.
  function wireKeyboardPen(ex) {
    const { draw, pen } = ex.ui, s = ex.state, DRAW = ex.DRAW;
    const showPen = () => Object.assign(pen.style, { display: "block", left: `${s.penAt[0] / DRAW * 100}%`, top: `${s.penAt[1] / DRAW * 100}%`, borderStyle: s.penDown ? "solid" : "dashed" });
    const lift = () => { if (s.penDown) { s.penDown = false; s.current = null; update(ex); } };
    draw.addEventListener("focus", showPen);
    draw.addEventListener("blur", () => { lift(); pen.style.display = "none"; });
    draw.addEventListener("keydown", e => {
      const step = e.shiftKey ? 4 * SCALE : SCALE;
      const move = { ArrowUp: [0, -step], ArrowDown: [0, step], ArrowLeft: [-step, 0], ArrowRight: [step, 0] }[e.key];
      if (move) {
        s.penAt = [clamp(s.penAt[0] + move[0], 0, DRAW - 1), clamp(s.penAt[1] + move[1], 0, DRAW - 1)];
        if (s.penDown) extendStroke(ex, [...s.penAt]);
      } else if (e.key === " " || e.key === "Enter") {
        if (s.penDown) lift();
        else if (s.drawing === null) { s.penDown = true; startStroke(ex, [...s.penAt]); }
      } else if (e.key === "Escape") lift();
      else return;
      e.preventDefault();
      showPen();
    });
  }
