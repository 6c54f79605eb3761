"""Benchmark: the explorer page in headless Chromium, for the article's net (the shipped checkpoint).

    python3 bench/explorer.py              # 300 updates while a stroke is drawn, then the same with block outputs shown
    UPDATES=1000 python3 bench/explorer.py
    CHECKPOINT=artifacts/notebook/convnet.json python3 bench/explorer.py   # any network ConvLens can plan, e.g. 02's
    python3 bench/explorer.py --screenshot docs/explorer.png   # the README's pictures: a 2 drawn by pen events, a pixel hovered and clicked
    python3 bench/explorer.py --screens docs/screens         # the first screen, a 2 just drawn, at 1366×768, 768×1024 and 390×844; its bar clicked
    BASE=723b2b9 python3 bench/explorer.py   # that revision's explorer.js and .css against this tree's, same page, alternated rounds

Prints the page's size and the time of one update after a pen move, from the drawing to the network's input, the
forward pass, every map and the bars (median, 90th percentile, worst), against a budget of 16 ms (one 60 Hz frame); and, as a
reference from the same run, PyTorch's forward pass of the same architecture on one image with hooks on every conv
layer (Debian's python3-torch, one thread like the page's JavaScript), where it is installed. Not part of CI.
"""
import html, json, os, re, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
UPDATES = int(os.environ.get("UPDATES", "300"))

# A pen on the explorer's drawing canvas: `send(type, [x, y])` one pointer event, in the canvas's pixels.
PEN = """
  const ex = convlensExplorers[0], canvas = ex.canvas, box = canvas.getBoundingClientRect(), side = canvas.width;
  const send = (type, [x, y]) => canvas.dispatchEvent(new PointerEvent(type, { clientX: box.left + x / side * box.width,
    clientY: box.top + y / side * box.height, pointerId: 1, pointerType: "pen", isPrimary: true, buttons: 1, bubbles: true }));
"""

BENCH = """
<pre id="bench-result"></pre>
<script>
(() => {
""" + PEN + """
  const run = (n) => {
    ex.clear();
    const times = [];
    send("pointerdown", [140, 40]);
    for (let i = 0; i < n; i++) {
      // A pen moving along a loop, one point per update: each update redoes everything a stroke changes.
      const t = i / 40 * 2 * Math.PI;
      send("pointermove", [140 + 60 * Math.sin(t), 140 - 90 * Math.cos(t)]);
      const start = performance.now();
      ex.update();
      times.push(performance.now() - start);
    }
    send("pointerup", [140, 50]);
    return times;
  };
  run(20);   // warm-up: the JIT compiles the forward pass
  const convOutputs = run(%(n)d);
  ex.showAfter(true);
  const blockOutputs = run(%(n)d);
  ex.showAfter(false);
  ex.showSaliency(true);
  const withSaliency = run(%(n)d);
  const input = ex.testImage(0), forward = [];
  for (let i = 0; i < %(n)d; i++) { const s = performance.now(); ex.forward(input); forward.push(performance.now() - s); }
  document.getElementById("bench-result").textContent = JSON.stringify({ convOutputs, blockOutputs, withSaliency, forward });
})();
</script>
</body>"""

TORCH = """
import json, statistics, time, torch
from torch import nn
torch.set_num_threads(1)
net = nn.Sequential(nn.Conv2d(1, 16, 5, padding=2), nn.MaxPool2d(2), nn.ReLU(), nn.Conv2d(16, 32, 5, padding=2), nn.MaxPool2d(2), nn.ReLU(),
                    nn.Dropout2d(0.5), nn.Flatten(), nn.Linear(1568, 96), nn.ReLU(), nn.Dropout(0.1), nn.Linear(96, 10)).eval()
kept = {}
for i in (0, 3):
    net[i].register_forward_hook(lambda m, x, y, i=i: kept.__setitem__(i, y.detach().clone()))
x = torch.rand(1, 1, 28, 28)
times = []
with torch.no_grad():
    for _ in range(20): net(x).softmax(1)
    for _ in range(%(n)d):
        s = time.perf_counter(); net(x).softmax(1); times.append((time.perf_counter() - s) * 1000)
print(json.dumps({"median": statistics.median(times), "version": torch.__version__}))
"""


# A 2 as a hand draws it: an arc over the top, a slanted stem, a flat foot, with a small wobble; the page's own pointer
# handlers take it, as they would a pen's.
SCREENSHOT = """
<script>
(() => {
""" + PEN + """
  const wobble = (i) => 2.5 * Math.sin(i * 1.7) + 1.5 * Math.cos(i * 0.9);
  const points = [];
  for (let i = 0; i <= 24; i++) { const t = Math.PI * (1.1 - 1.25 * i / 24); points.push([140 + 52 * Math.cos(t) + wobble(i), 100 - 48 * Math.sin(t) + wobble(i + 3)]); }
  const [sx, sy] = points[points.length - 1];
  for (let i = 1; i <= 14; i++) points.push([sx + (88 - sx) * i / 14 + wobble(i + 30), sy + (222 - sy) * i / 14]);
  for (let i = 1; i <= 12; i++) points.push([88 + 112 * i / 12, 222 - 6 * i / 12 + wobble(i + 50)]);
  ex.clear();
  send("pointerdown", points[0]);
  for (const p of points.slice(1)) send("pointermove", p);
  send("pointerup", points[points.length - 1]);
  // As on a laptop: the page scrolled to conv2's maps, a pixel hovered (its field on the copy of the input beside the
  // map), or that pixel clicked (its arithmetic).
  if ("%(mode)s" === "first") return;   // the first screen, unscrolled
  if ("%(mode)s" === "evidence") { ex.evidence(ex.state().prediction); return; }   // the predicted class's bar clicked
  if ("%(mode)s" === "unit") { ex.unit(1, %(channel)d, 4, 6); document.querySelector(".cl-unit").scrollIntoView({ block: "center" }); }
  else { ex.mapCanvas(1, %(channel)d).scrollIntoView({ block: "center" }); ex.hover(1, %(channel)d, 4, 6); }
})();
</script>
</body>"""


def shoot(text, out, mode, path, width=1366, height=768):
    """PATH: the page TEXT in an iframe of WIDTH×HEIGHT, so that it scrolls as on that screen, a 2 drawn on it, then MODE."""
    inner = text.replace("</body>", SCREENSHOT % {"channel": 5, "mode": mode})
    page = os.path.join(out, f"explorer-screenshot-{mode}.html")
    with open(page, "w", encoding="utf-8") as f:
        f.write('<!DOCTYPE html><html><head><meta charset="utf-8"></head><body style="margin:0">'
                f'<iframe style="width:{width}px;height:{height}px;border:0" srcdoc="{html.escape(inner, quote=True)}"></iframe></body></html>')
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--proxy-server=127.0.0.1:9",
                        "--host-resolver-rules=MAP * ~NOTFOUND", f"--user-data-dir={profile}", f"--window-size={width},{height}",
                        "--virtual-time-budget=5000", f"--screenshot={os.path.abspath(path)}", "file://" + page],
                       check=True, capture_output=True)
    print(f"wrote {path}")


def screenshot(target, text, out):
    """Writes TARGET (a conv2 pixel hovered) and TARGET-unit (the same pixel clicked), both at 1366×768."""
    stem, ext = os.path.splitext(target)
    for mode, path in (("hover", target), ("unit", stem + "-unit" + ext)):
        shoot(text, out, mode, path)


def screens(folder, text, out):
    """The first screen, unscrolled, a 2 just drawn, at a laptop's, a tablet's and a phone's size: FOLDER/first-WxH.png."""
    os.makedirs(folder, exist_ok=True)
    for width, height in ((1366, 768), (768, 1024), (390, 844)):
        shoot(text, out, "first", os.path.join(folder, f"first-{width}x{height}.png"), width, height)
    shoot(text, out, "evidence", os.path.join(folder, "evidence-1366x768.png"))


def measure(text, out):
    """One run of BENCH in headless Chromium on the page TEXT: each case's update times, in ms."""
    bench = os.path.join(out, "explorer-bench.html")
    with open(bench, "w", encoding="utf-8") as f:
        f.write(text.replace("</body>", BENCH % {"n": UPDATES}))
    with tempfile.TemporaryDirectory() as profile:
        dom = subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--proxy-server=127.0.0.1:9",
                              "--host-resolver-rules=MAP * ~NOTFOUND", f"--user-data-dir={profile}", "--window-size=1400,1400",
                              # No --virtual-time-budget: under virtual time performance.now() stands still. The
                              # measuring script runs synchronously while the page loads, so the dump comes after it.
                              "--dump-dom", "file://" + bench],
                             check=True, capture_output=True, text=True).stdout
    match = re.search(r'<pre id="bench-result">(.*?)</pre>', dom, re.S)
    if not match or not match.group(1):
        sys.exit("the page reported nothing")
    return json.loads(html.unescape(match.group(1)))


def compare(text, base, out):
    """BASE=REV: the same page with REV's explorer.js and explorer.css, against this tree's, in alternated rounds."""
    def at(path):
        return subprocess.run(["git", "-C", ROOT, "show", f"{base}:{path}"], check=True, capture_output=True, text=True).stdout
    def script():
        # Before the split into modules the page's script was explorer.js; since, Explorer.cs joins its Modules.
        try:
            return at("src/ConvLens/Explorer/explorer.js")
        except subprocess.CalledProcessError:
            modules = re.search(r"Modules\s*=\s*\[(.*?)\]", at("src/ConvLens/Explorer/Explorer.cs"), re.S).group(1)
            return "// ConvLens explorer\n(function () {\n\"use strict\";\n" + "\n".join(
                at("src/ConvLens/Explorer/" + m) for m in re.findall(r'"([\w.]+\.js)"', modules)) + "\n})();\n"
    old = text
    start = old.index("<script>// ConvLens explorer"); end = old.index("</script>", start)
    old = old[:start] + "<script>" + script() + old[end:]
    start = old.index(".cl-explorer{"); end = old.index("</style>", start)
    old = old[:start] + at("src/ConvLens/Explorer/explorer.css") + old[end:]
    ratios = []
    for round in range(1, int(os.environ.get("ROUNDS", "3")) + 1):
        before, after = measure(old, out), measure(text, out)
        r = {k: statistics.median(after[k]) / statistics.median(before[k]) for k in ("convOutputs", "withSaliency")}
        ratios.append(r)
        print(f"round {round}: update {statistics.median(before['convOutputs']):.1f} → {statistics.median(after['convOutputs']):.1f} ms "
              f"({r['convOutputs']:.2f}×), with saliency {statistics.median(before['withSaliency']):.1f} → {statistics.median(after['withSaliency']):.1f} ms ({r['withSaliency']:.2f}×)")
    print(f"median ratio this tree / {base}: update {statistics.median(r['convOutputs'] for r in ratios):.2f}×, "
          f"with saliency {statistics.median(r['withSaliency'] for r in ratios):.2f}×")


def main():
    out = os.path.join(ROOT, "artifacts", "bench-explorer")
    os.makedirs(out, exist_ok=True)
    checkpoint = ["--checkpoint", os.environ["CHECKPOINT"]] if os.environ.get("CHECKPOINT") else []
    subprocess.run([os.path.join(ROOT, "convlens"), "explorer", "--output", out, *checkpoint], check=True, stdout=subprocess.DEVNULL)
    page = os.path.join(out, "explorer.html")
    size = os.path.getsize(page)
    with open(page, encoding="utf-8") as f:
        text = f.read()
    if len(sys.argv) == 3 and sys.argv[1] == "--screenshot":
        return screenshot(sys.argv[2], text, out)
    if len(sys.argv) == 3 and sys.argv[1] == "--screens":
        return screens(sys.argv[2], text, out)
    if os.environ.get("BASE"):
        return compare(text, os.environ["BASE"], out)
    result = measure(text, out)

    def line(name, times):
        times = sorted(times)
        p90 = times[int(0.9 * (len(times) - 1))]
        return f"{name:<44} median {statistics.median(times):6.2f} ms   p90 {p90:6.2f} ms   worst {times[-1]:6.2f} ms"

    print(f"page        {page}: {size / 1048576:.2f} MB (budget 3 MB: {size / (3 * 1048576):.2f}×)")
    print(f"chromium    {subprocess.run(['chromium', '--version'], capture_output=True, text=True).stdout.strip()}, {os.cpu_count()} cores, {UPDATES} updates each")
    print(line("update, conv outputs shown", result["convOutputs"]))
    print(line("update, block outputs shown", result["blockOutputs"]))
    print(line("update, conv outputs and saliency shown", result["withSaliency"]))
    print(line("forward pass alone (JavaScript)", result["forward"]))
    worst_median = max(statistics.median(result[k]) for k in ("convOutputs", "blockOutputs", "withSaliency"))
    print(f"budget      one update ≤ 16 ms (one 60 Hz frame): median {worst_median:.2f} ms = {worst_median / 16:.2f}× the budget")
    python = "/usr/bin/python3"
    probe = subprocess.run([python, "-c", "import torch"], capture_output=True)
    if probe.returncode == 0:
        torch = json.loads(subprocess.run([python, "-c", TORCH % {"n": UPDATES}], check=True, capture_output=True, text=True).stdout)
        js = statistics.median(result["forward"])
        print(f"reference   PyTorch {torch['version']} forward + softmax + 2 hooks, 1 thread: median {torch['median']:.3f} ms; "
              f"the page's forward pass takes {js / torch['median']:.1f}× that")
    else:
        print("reference   python3-torch is not installed: no PyTorch reference (apt-get install python3-torch)")


if __name__ == "__main__":
    main()
