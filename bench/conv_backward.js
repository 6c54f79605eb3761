// Benchmark: the explorer's Conv2d backward pass (kinds.js, as the page embeds it) on the article's conv2 (16 → 32
// maps, 5×5, padding 2, 14×14), row by row against scattering each nonzero gradient value, under Node:
//     node bench/conv_backward.js
// Three gradients: saliency's (after max-pool 2×2 and ReLU: a quarter or less nonzero), a dense one, and one unit's
// (following the evidence down). Prints ms per call, the ratio scatter / rows, and the page's choice. Not part of CI.
const fs = require("fs"), path = require("path");
const folder = path.join(__dirname, "..", "src", "ConvLens", "Explorer");
const source = fs.readFileSync(path.join(folder, "kinds.js"), "utf8");
// Each way forced: SCATTER_BELOW = 0 scatters always, Infinity never (the rows the page used before it).
const load = below => new Function("fmt", "clamp", source.replace(/const SCATTER_BELOW = [^;]+;/, `const SCATTER_BELOW = ${below};`) + "\nreturn KINDS;")(String, (v, a, b) => Math.min(b, Math.max(a, v)));
const ways = { rows: load(Infinity), scatter: load(0), page: load(source.match(/const SCATTER_BELOW = ([^;]+);/)[1]) };

let seed = 1;
const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5;
const layer = { kind: "Conv2d", out: 32, kernel: [5, 5], stride: [1, 1], padding: [2, 2], dilation: [1, 1],
                p: { weight: Float64Array.from({ length: 32 * 16 * 25 }, random), bias: Float64Array.from({ length: 32 }, random) } };
const shape = [16, 14, 14], x = Float64Array.from({ length: 16 * 14 * 14 }, random), n = 32 * 14 * 14;
const pooled = new Float64Array(n);   // one value per 2×2 block, half of them cut by the ReLU after the pool
for (let o = 0; o < 32; o++) for (let i = 0; i < 14; i += 2) for (let j = 0; j < 14; j += 2) if (random() > 0) pooled[(o * 14 + i + (j & 2) / 2) * 14 + j] = random();
const one = new Float64Array(n); one[(5 * 14 + 6) * 14 + 7] = 1;
const gradients = { "saliency's (after pool, ReLU)": pooled, "dense": Float64Array.from({ length: n }, random), "one unit's": one };

function time(kinds, g) {
  for (let k = 0; k < 20; k++) kinds.Conv2d.backward(g, x, shape, layer);   // warm-up: the JIT
  const times = [];
  for (let r = 0; r < 7; r++) {
    const start = process.hrtime.bigint();
    for (let k = 0; k < 50; k++) kinds.Conv2d.backward(g, x, shape, layer);
    times.push(Number(process.hrtime.bigint() - start) / 1e6 / 50);
  }
  return times.sort((a, b) => a - b)[3];
}
const largest = (a, b) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
for (const [name, g] of Object.entries(gradients)) {
  const t = Object.fromEntries(Object.entries(ways).map(([way, kinds]) => [way, time(kinds, g)]));
  const difference = largest(ways.rows.Conv2d.backward(g, x, shape, layer), ways.scatter.Conv2d.backward(g, x, shape, layer));
  const nonzero = g.reduce((c, v) => c + (v !== 0), 0) / n;
  console.log(`${name.padEnd(30)} ${(100 * nonzero).toFixed(1).padStart(5)} % nonzero: rows ${t.rows.toFixed(3)} ms, scatter ${t.scatter.toFixed(3)} ms ` +
              `(${(t.scatter / t.rows).toFixed(2)}×), the page ${t.page.toFixed(3)} ms (${(t.page / t.rows).toFixed(2)}×); largest difference ${difference.toExponential(1)}`);
}
