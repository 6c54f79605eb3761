using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Xunit.Abstractions;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ConvLens.Tests;

/// <summary>
/// The explorer as people see it: at a laptop's, a tablet's and a phone's viewport (the page in an iframe of exactly
/// that size, so that the window, the container queries and scrolling are real), by keyboard, and the arithmetic of a
/// clicked unit, every number on it compared with TorchSharp on the shipped model.
/// </summary>
[Collection(TorchRandom.Name)]
public class ExplorerScreenTests(ITestOutputHelper output)
{
    /// <summary>A page holding <paramref name="page"/> in an iframe of exactly <paramref name="width"/>×<paramref name="height"/>.</summary>
    static string Framed(string page, int width, int height) => Browser.Page(
        $"<iframe style=\"width:{width}px;height:{height}px;border:0\" srcdoc=\"{WebUtility.HtmlEncode(page)}\"></iframe>").Replace("<body>", "<body style=\"margin:0\">");

    // Waits for the framed page's explorer; `win` is the frame's window and `ex` its explorer.
    const string InFrame = """
        const frame = document.querySelector("iframe");
        await new Promise(r => { const check = () => frame.contentWindow && frame.contentWindow.convlensExplorers ? r() : setTimeout(check, 20); check(); });
        const win = frame.contentWindow, doc = win.document, ex = win.convlensExplorers[0];
        const inside = (r, [w, h]) => !!r && r.left >= 0 && r.top >= 0 && r.right <= w && r.bottom <= h;
        const overlap = (a, b) => !!a && !!b && a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
        """;

    [SkippableTheory]
    [InlineData(1366, 768)]   // a laptop
    [InlineData(768, 1024)]   // a tablet, upright
    [InlineData(390, 844)]    // a phone
    public void The_field_stays_in_sight_while_any_layer_is_hovered_and_the_probabilities_while_drawing(int width, int height)
    {
        Needs.Chromium();
        using var model = Shared.ShippedModel();
        var result = Browser.Evaluate(Framed(Explorer.Page(model, Shared.Mnist.Test, 10), width, height), InFrame + """
            ex.loadTest(4);
            const hovered = [];
            for (const after of [false, true]) {
              ex.showAfter(after);
              const sections = ex.layout().sections;
              for (let k = 0; k < sections.length; k++) {
                const count = sections[k].canvases.length;
                for (const c of [0, Math.floor(count / 2), count - 1])        // the first map, one in the middle, the last
                  for (const [row, column] of [[0, 0], [3, 3]]) {
                    ex.mapCanvas(k, c).scrollIntoView({ block: "center" });
                    ex.hover(k, c, row, column);
                    const l = ex.layout();
                    hovered.push({ where: `${after ? "output" : "conv"} block ${k} map ${c} (${row}, ${column})`,
                                   field: inside(l.tipOutline, l.viewport), label: inside(l.tip, l.viewport), covers: overlap(l.tip, l.marker) });
                  }
              }
            }
            // Drawing: the drawing column's top at the window's top, as when a finger is on the canvas.
            ex.canvas.parentNode.parentNode.scrollIntoView({ block: "start" });
            const l = ex.layout();
            return { hovered, viewport: l.viewport, draw: l.draw, answer: l.answer, bars: l.bars, touch: l.touch,
                     overflow: doc.documentElement.scrollWidth - l.viewport[0], hint: doc.querySelector(".cl-hint").textContent, page: doc.body.innerText };
            """, width + 40, height + 40);
        Assert.Equal([width, height], result.GetProperty("viewport").EnumerateArray().Select(v => v.GetInt32()));
        foreach (var h in result.GetProperty("hovered").EnumerateArray())
        {
            string where = h.GetProperty("where").GetString()!;
            Assert.True(h.GetProperty("field").GetBoolean(), $"{width}×{height}, {where}: the field's outline is off screen");
            Assert.True(h.GetProperty("label").GetBoolean(), $"{width}×{height}, {where}: the label is off screen");
            Assert.False(h.GetProperty("covers").GetBoolean(), $"{width}×{height}, {where}: the label covers the hovered unit");
        }
        double bottom = height;
        foreach (var part in new[] { "draw", "answer", "bars" })
        {
            var r = result.GetProperty(part);
            Assert.True(r.GetProperty("top").GetDouble() >= 0 && r.GetProperty("bottom").GetDouble() <= bottom,
                $"{width}×{height}: while drawing, {part} spans {r.GetProperty("top").GetDouble():F0}–{r.GetProperty("bottom").GetDouble():F0} px of {height}");
        }
        Assert.True(result.GetProperty("overflow").GetDouble() <= 0, $"{width}×{height}: the page scrolls sideways");
        // A swipe over the maps scrolls the page; only the drawing keeps the finger.
        Assert.Equal("none", result.GetProperty("touch").GetProperty("draw").GetString());
        Assert.All(result.GetProperty("touch").GetProperty("maps").EnumerateArray(), t => Assert.Equal("pan-y", t.GetString()));
        // The text says nothing about a side the layout may not put things on.
        Assert.DoesNotMatch(new Regex(@"\b(on|to) the (right|left)\b"), result.GetProperty("page").GetString()!);
        output.WriteLine($"{width}×{height}: {result.GetProperty("hovered").GetArrayLength()} hovers in sight; while drawing the bars end at {result.GetProperty("bars").GetProperty("bottom").GetDouble():F0} px");
    }

    /// <summary>The article's net and every variant of VariantTests, untrained: their layouts are what is tested.</summary>
    public static TheoryData<string> Networks() => ["article", .. VariantTests.Variants.Keys];

    [SkippableTheory]
    [MemberData(nameof(Networks))]
    public void At_a_laptops_size_every_layer_is_on_the_first_screen_beside_the_drawing(string network)
    {
        Needs.Chromium();
        using var model = network == "article" ? Shared.ShippedModel()
            : ConvLens.Model.ConvNet.Create(VariantTests.Variants[network].Input, seed: 0, VariantTests.Variants[network].Layers);
        ConvLens.Data.ImageSet? images = model.Plan.Input.SequenceEqual([1L, 28, 28]) ? Shared.Mnist.Test : null;
        var result = Browser.Evaluate(Framed(Explorer.Page(model, images, 10), 1366, 768), InFrame + """
            const l = ex.layout();
            return { viewport: l.viewport, draw: l.draw, bars: l.bars, scrolled: win.scrollY,
                     parts: [...l.sections.map((b, k) => ({ name: "block " + k + " heading", r: b.heading })),
                             ...l.sections.flatMap((b, k) => b.canvases.map((r, c) => ({ name: "block " + k + " map " + c, r }))),
                             ...l.dense.flatMap((d, k) => [{ name: "dense " + k + " heading", r: d.heading }, { name: "dense " + k, r: d.canvas }])] };
            """, 1366 + 40, 768 + 40);
        Assert.Equal(0, result.GetProperty("scrolled").GetDouble());
        double right = result.GetProperty("draw").GetProperty("right").GetDouble();
        Assert.True(result.GetProperty("bars").GetProperty("bottom").GetDouble() <= 768, $"{network}: the bars end below the first screen");
        int parts = 0;
        foreach (var part in result.GetProperty("parts").EnumerateArray())
        {
            var r = part.GetProperty("r");
            double Side(string name) => r.GetProperty(name).GetDouble();
            string where = $"{network}: {part.GetProperty("name").GetString()} at {Side("left"):F0}–{Side("right"):F0} × {Side("top"):F0}–{Side("bottom"):F0}";
            Assert.True(Side("top") >= 0 && Side("bottom") <= 768 && Side("right") <= 1366, where + " is not on the first screen of 1366×768");
            Assert.True(Side("left") >= right, where + " is not beside the drawing (which ends at x = " + right.ToString("F0", CultureInfo.InvariantCulture) + ")");
            parts++;
        }
        output.WriteLine($"{network}: all {parts} headings and maps on the first screen of 1366×768, beside the drawing");
    }

    [SkippableFact]
    public void Keyboard_users_draw_move_over_units_and_open_their_arithmetic_and_every_control_is_labelled()
    {
        Needs.Chromium();
        using var model = Shared.ShippedModel();
        var result = Browser.Evaluate(Framed(Explorer.Page(model, Shared.Mnist.Test, 10), 1366, 768), InFrame + """
            const key = (target, k, shift = false) => target.dispatchEvent(new win.KeyboardEvent("keydown", { key: k, shiftKey: shift, bubbles: true, cancelable: true }));
            // A "1" by keyboard: pen to the top, down, 16 steps down, up.
            ex.canvas.focus();
            for (let i = 0; i < 3; i++) key(ex.canvas, "ArrowUp", true);
            key(ex.canvas, " ");
            for (let i = 0; i < 16; i++) key(ex.canvas, "ArrowDown");
            key(ex.canvas, " ");
            const drawn = ex.state();
            // A conv2 map: focus shows its centre unit; the arrow keys move; Enter opens the arithmetic.
            const map = ex.mapCanvas(1, 5);
            map.focus();
            const focused = ex.layout().tip !== null;
            key(map, "ArrowLeft"); key(map, "ArrowUp");
            const tip = doc.querySelector(".cl-tip-text").textContent;
            key(map, "Enter");
            const panel = ex.panel();
            // What has no name for a screen reader: canvases, inputs, selects and buttons without a label, text or aria-label.
            const unnamed = [...doc.querySelectorAll("canvas[tabindex], input, select, button")].filter(e =>
              !(e.getAttribute("aria-label") || e.closest("label") || e.textContent.trim())).map(e => e.outerHTML.slice(0, 80));
            const live = doc.querySelector("[aria-live]");
            return { strokes: drawn.strokes, prediction: drawn.prediction, spoken: drawn.spoken, answer: drawn.answer, focused, tip,
                     panel: panel && panel.lines[0], title: panel && panel.text.slice(0, 60), unnamed, live: live && live.getAttribute("aria-live"),
                     focusable: [...doc.querySelectorAll(".cl-map")].every(c => c.tabIndex === 0) };
            """);
        Assert.Equal(1, result.GetProperty("strokes").GetInt32());
        Assert.Equal(1, result.GetProperty("prediction").GetInt32());   // a straight vertical stroke reads as 1
        Assert.Equal(result.GetProperty("answer").GetString(), result.GetProperty("spoken").GetString());
        Assert.Equal("polite", result.GetProperty("live").GetString());
        Assert.True(result.GetProperty("focused").GetBoolean(), "focusing a map shows no unit");
        Assert.Contains("conv2 · channel 5 · row 6, column 6", result.GetProperty("tip").GetString());
        Assert.StartsWith("conv2 · map 5 · row 6, column 6 =", result.GetProperty("title").GetString());
        Assert.True(result.GetProperty("focusable").GetBoolean(), "a map cannot be reached with Tab");
        Assert.Empty(result.GetProperty("unnamed").EnumerateArray());
    }

    // The page's number format: 0 decimals from 100, 2 from 1, else 3. A shown number must be TorchSharp's to within
    // half its last digit (plus float32's error).
    static void Shown(string shown, double torch, string what)
    {
        double value = double.Parse(shown.Replace('−', '-'), CultureInfo.InvariantCulture);
        double step = Math.Abs(torch) >= 100 ? 1 : Math.Abs(torch) >= 1 ? 0.01 : 0.001;
        Assert.True(Math.Abs(value - torch) <= step / 2 + 1e-4 * Math.Max(1, Math.Abs(torch)), $"{what}: the page shows {shown}, TorchSharp gives {torch:G6}");
    }

    static IEnumerable<string> Numbers(string text) => Regex.Matches(text, @"-?\d+\.\d+").Select(m => m.Value);

    [SkippableFact]
    public void Every_number_a_clicked_unit_shows_is_TorchSharps_from_the_patch_to_the_softmax()
    {
        Needs.Chromium();
        using var model = Shared.ShippedModel();
        const int image = 0;
        var page = Browser.Evaluate(Explorer.Page(model, Shared.Mnist.Test, 5), $$"""
            const ex = convlensExplorers[0];
            ex.loadTest({{image}});
            const conv1 = ex.unit(0, 3, 14, 9), corner = ex.unit(0, 0, 0, 1);
            const conv2 = ex.unit(1, 5, 7, 7), channels = [];
            for (let c = 0; c < 16; c++) channels.push(ex.pickChannel(c).cells);
            const fc1 = ex.linear(0, 17), fc2 = ex.linear(1, 7), softmax = ex.softmax();
            ex.showAfter(true);
            const fromOutput = ex.unit(1, 5, 3, 3);
            return { conv1, corner, conv2, channels, fc1, fc2, softmax, fromOutput };
            """);
        using var scope = NewDisposeScope();
        using var input = Shared.Mnist.Test.Image(image);
        var plan = model.Plan;
        var maps = Inspection.Inspect.FeatureMaps(model, input, plan.Layers.Select(l => l.Name).ToArray());
        Tensor Weight(string layer) => model.Layer(layer).named_parameters().First(p => p.name == "weight").parameter.detach();
        Tensor Bias(string layer) => model.Layer(layer).named_parameters().First(p => p.name == "bias").parameter.detach();
        Tensor InputOf(string layer) { int n = plan.Layers.ToList().FindIndex(l => l.Name == layer); return n == 0 ? input[0] : maps[plan.Layers[n - 1].Name]; }
        int checkedNumbers = 0;
        void Check(string shown, double torch, string what) { Shown(shown, torch, what); checkedNumbers++; }

        // A conv unit: patch × kernel per input channel, the products, their sum; the channels' sums plus the bias; the
        // value on the map; then the pool window it falls in and the ReLU.
        void ConvUnit(JsonElement shown, string layer, int o, int i, int j, IReadOnlyList<string[]>? perChannel)
        {
            var conv = (ConvLens.Model.Conv2dLayer)plan[layer];
            var (k, p) = (conv.Kernel.Rows, conv.Padding.Rows);
            using var padded = F.pad(InputOf(layer), [p, p, p, p]);
            using var kernel = Weight(layer)[o];
            int C = (int)kernel.shape[0];
            using var patches = padded[.., i..(i + k), j..(j + k)];
            using var products = patches * kernel;
            var sums = products.sum([1, 2]).data<float>().ToArray();
            double bias = Bias(layer)[o].item<float>(), value = maps[layer][o, i, j].item<float>();
            Assert.Equal(value, shown.GetProperty("value").GetDouble(), 4);
            Assert.Equal(sums.Sum() + bias, shown.GetProperty("total").GetDouble(), 4);
            int shownChannel = shown.GetProperty("shownChannel").GetInt32();
            for (int c = 0; c < C; c++)
            {
                var cells = perChannel?[c] ?? (c == shownChannel ? shown.GetProperty("cells").EnumerateArray().Select(e => e.GetString()!).ToArray() : null);
                if (cells is null) continue;
                var (patch, weights, product) = (patches[c].flatten().data<float>().ToArray(), kernel[c].flatten().data<float>().ToArray(), products[c].flatten().data<float>().ToArray());
                for (int t = 0; t < k * k; t++)
                {
                    int r = i - p + t / k, q = j - p + t % k;
                    if (r < 0 || q < 0 || r >= padded.shape[1] - 2 * p || q >= padded.shape[2] - 2 * p) Assert.Equal("pad", cells[t]);
                    else Check(cells[t], patch[t], $"{layer} ({o}, {i}, {j}) channel {c} patch [{t / k}, {t % k}]");
                    Check(cells[k * k + t], weights[t], $"{layer} kernel {o} channel {c} [{t / k}, {t % k}]");
                    Check(cells[2 * k * k + t], product[t], $"{layer} ({o}, {i}, {j}) channel {c} product [{t / k}, {t % k}]");
                }
            }
            if (C > 1)
                foreach (var (chip, c) in shown.GetProperty("chips").EnumerateArray().Select((e, c) => (e.GetString()!, c)))
                    Check(chip.Split(": ")[1], sums[c], $"{layer} ({o}, {i}, {j}) channel {c}'s sum");
            // "Σ over the 16 channels: S + bias B = T: the map's value, V."
            var total = Numbers(shown.GetProperty("lines").EnumerateArray().Select(e => e.GetString()!).Single(l => l.Contains("+ bias"))).ToArray();
            Check(total[0], sums.Sum(), $"{layer} Σ"); Check(total[1], bias, $"{layer} bias"); Check(total[2], sums.Sum() + bias, $"{layer} total"); Check(total[3], value, $"{layer} value");
            // The pool window (2×2, stride 2) it falls in, its largest, and the ReLU.
            string pool = plan.Layers[plan.Layers.ToList().FindIndex(l => l.Name == layer) + 1].Name;
            var window = shown.GetProperty("cells").EnumerateArray().Skip(3 * k * k).Select(e => e.GetString()!).ToArray();
            using var expected = maps[layer][o, (i / 2 * 2)..(i / 2 * 2 + 2), (j / 2 * 2)..(j / 2 * 2 + 2)].flatten();
            var pooled = expected.data<float>().ToArray();
            Assert.Equal(4, window.Length);
            for (int t = 0; t < 4; t++) Check(window[t], pooled[t], $"{pool} window [{t / 2}, {t % 2}]");
            var steps = shown.GetProperty("steps").EnumerateArray().ToArray();
            Assert.Equal(maps[pool][o, i / 2, j / 2].item<float>(), steps[0].GetProperty("value").GetDouble(), 4);
            Assert.Equal(pooled.Max(), steps[0].GetProperty("value").GetDouble(), 4);
            Assert.Equal(Math.Max(0, pooled.Max()), steps[1].GetProperty("value").GetDouble(), 4);
            string relu = plan.Layers[plan.Layers.ToList().FindIndex(l => l.Name == pool) + 1].Name;
            Assert.Equal(maps[relu][o, i / 2, j / 2].item<float>(), steps[1].GetProperty("value").GetDouble(), 4);
        }
        ConvUnit(page.GetProperty("conv1"), "conv1", 3, 14, 9, null);
        ConvUnit(page.GetProperty("corner"), "conv1", 0, 0, 1, null);   // the window hangs over the padding
        var channels = page.GetProperty("channels").EnumerateArray().Select(c => c.EnumerateArray().Select(e => e.GetString()!).ToArray()).ToList();
        ConvUnit(page.GetProperty("conv2"), "conv2", 5, 7, 7, channels);

        // A unit of relu2 opens the conv2 unit that max-pooling passed on, followed to it.
        var fromOutput = page.GetProperty("fromOutput");
        var unit = fromOutput.GetProperty("unit").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        using (var window = maps["conv2"][5, 6..8, 6..8])
            Assert.Equal(window.max().item<float>(), maps["conv2"][5, unit[1], unit[2]].item<float>());
        Assert.Equal(maps["relu2"][5, 3, 3].item<float>(), fromOutput.GetProperty("steps")[1].GetProperty("value").GetDouble(), 4);

        // Linear units: the largest products, the rest, the sum, the bias; and the logits' softmax.
        void LinearUnit(JsonElement shown, string layer, int j, Func<int, string> source)
        {
            var x = InputOf(layer).flatten().data<float>().ToArray();
            var w = Weight(layer)[j].data<float>().ToArray();
            var products = x.Zip(w, (a, b) => (double)a * b).ToArray();
            double bias = Bias(layer)[j].item<float>(), value = maps[layer].flatten()[j].item<float>();
            var order = Enumerable.Range(0, x.Length).OrderByDescending(i => Math.Abs(products[i])).ToArray();
            var cells = shown.GetProperty("cells").EnumerateArray().Select(e => e.GetString()!).ToArray();
            var top = shown.GetProperty("top").EnumerateArray().ToArray();
            for (int t = 0; t < top.Length; t++)
            {
                int i = top[t].GetProperty("index").GetInt32();
                Assert.True(Math.Abs(products[i]) >= Math.Abs(products[order[top.Length]]) - 1e-6, $"{layer} unit {j}: input {i} is not among the largest products");
                Assert.Equal(source(i), cells[4 * t]);
                Check(cells[4 * t + 1], x[i], $"{layer} unit {j} input {i}");
                Check(cells[4 * t + 2], w[i], $"{layer} unit {j} weight {i}");
                Check(cells[4 * t + 3], products[i], $"{layer} unit {j} product {i}");
            }
            Assert.Equal(x.Count(v => v == 0), shown.GetProperty("zeros").GetInt32());
            // "The other N products add up to R. Σ of all N: S + bias B = T: the unit's value, V."
            var line = Numbers(shown.GetProperty("lines").EnumerateArray().Select(e => e.GetString()!).Single(l => l.Contains("+ bias"))).ToArray();
            double rest = order.Skip(top.Length).Sum(i => products[i]);
            Check(line[0], rest, $"{layer} unit {j} rest"); Check(line[1], products.Sum(), $"{layer} unit {j} Σ");
            Check(line[2], bias, $"{layer} unit {j} bias"); Check(line[3], products.Sum() + bias, $"{layer} unit {j} total"); Check(line[4], value, $"{layer} unit {j} value");
        }
        LinearUnit(page.GetProperty("fc1"), "fc1", 17, i => $"relu2 map {i / 49}, row {i / 7 % 7}, column {i % 7}");   // through flatten and drop1
        LinearUnit(page.GetProperty("fc2"), "fc2", 7, i => $"relu3 unit {i}");                                          // through drop2
        Assert.Contains("relu3 (ReLU): max(0, ", page.GetProperty("fc1").GetProperty("text").GetString());

        var logits = maps["fc2"].data<float>().ToArray();
        using var probabilities = softmax(maps["fc2"], 0);
        var p = probabilities.data<float>().ToArray();
        double largest = logits.Max();
        var rows = page.GetProperty("softmax").GetProperty("cells").EnumerateArray().Select(e => e.GetString()!).ToArray();
        for (int c = 0; c < 10; c++)
        {
            Assert.Equal(c.ToString(), rows[5 * c]);
            Check(rows[5 * c + 1], logits[c], $"logit {c}");
            Check(rows[5 * c + 2], logits[c] - largest, $"logit {c} − the largest");
            Check(rows[5 * c + 3], Math.Exp(logits[c] - largest), $"e^(logit {c} − the largest)");
            Check(rows[5 * c + 4].Replace(" %", ""), p[c] * 100, $"probability {c} in %");
        }
        output.WriteLine($"{checkedNumbers} numbers shown on conv1, conv2 (all 16 channels), fc1, fc2 and softmax units of test image {image} equal TorchSharp's");
    }

    [SkippableFact]
    public void A_clicked_bar_follows_its_evidence_down_every_layer_to_the_input_marked_on_the_maps()
    {
        Needs.Chromium();
        using var model = Shared.ShippedModel();
        const int image = 0;
        var page = Browser.Evaluate(Explorer.Page(model, Shared.Mnist.Test, 5), $$"""
            const ex = convlensExplorers[0];
            ex.loadTest({{image}});
            const best = ex.state().prediction, shown = ex.evidence(best);
            return { best, shown, closed: (ex.root.querySelector(".cl-unit-head button").click(), ex.root.querySelectorAll(".cl-evidence").length) };
            """);
        var plan = model.Plan;
        var shown = page.GetProperty("shown");
        int best = page.GetProperty("best").GetInt32();
        Assert.Equal("evidence", shown.GetProperty("type").GetString());
        var steps = shown.GetProperty("steps").EnumerateArray().ToArray();
        // One step per layer, from the last down to the first, each starting from the units the step above chose.
        Assert.Equal(Enumerable.Reverse(plan.Layers).Select(l => l.Name), steps.Select(s => s.GetProperty("layer").GetString()));
        Assert.Equal(new[] { best }, steps[0].GetProperty("units").EnumerateArray().Select(u => u.GetProperty("index").GetInt32()));
        for (int n = 1; n < steps.Length; n++)
            Assert.Equal(steps[n - 1].GetProperty("inputs").EnumerateArray().Select(i => i.GetProperty("index").GetInt32()),
                         steps[n].GetProperty("units").EnumerateArray().Select(u => u.GetProperty("index").GetInt32()));
        var pixels = steps[^1].GetProperty("inputs").EnumerateArray().ToArray();
        Assert.Equal(3, pixels.Length);

        // The top step by hand: fc2's pushes on the class's logit are weight × activation, the largest three shown.
        using var scope = NewDisposeScope();
        using var input = Shared.Mnist.Test.Image(image);
        var maps = Inspection.Inspect.FeatureMaps(model, input, plan.Layers.Select(l => l.Name).ToArray());
        var last = plan.Layers[^1].Name;
        var x = maps[plan.Layers[^2].Name].flatten().data<float>().ToArray();
        var w = model.Layer(last).named_parameters().First(p => p.name == "weight").parameter.detach()[best].data<float>().ToArray();
        var push = x.Zip(w, (a, b) => (double)a * b).ToArray();
        var order = Enumerable.Range(0, x.Length).OrderByDescending(i => push[i]).ToArray();
        var top = steps[0].GetProperty("inputs").EnumerateArray().ToArray();
        for (int t = 0; t < top.Length; t++)
        {
            int i = top[t].GetProperty("index").GetInt32();
            Assert.True(push[i] >= push[order[top.Length - 1]] - 1e-6, $"{last}: input {i} is not among the three largest pushes");
            Shown(top[t].GetProperty("push").GetDouble().ToString("R", CultureInfo.InvariantCulture), push[i], $"{last} push of {i}");
            Shown(top[t].GetProperty("gradient").GetDouble().ToString("R", CultureInfo.InvariantCulture), w[i], $"{last} weight {i}");
        }

        // Each layer's line names it, and the path is marked: at least the input's three pixels, and gone once closed.
        var lines = shown.GetProperty("lines").EnumerateArray().Select(l => l.GetString()!).ToArray();
        foreach (var layer in plan.Layers) Assert.Contains(lines, l => l.StartsWith($"{layer.Name} ({layer.Kind})"));
        Assert.True(shown.GetProperty("marks").GetInt32() >= 3, $"{shown.GetProperty("marks").GetInt32()} marks");
        Assert.Equal(0, page.GetProperty("closed").GetInt32());
        output.WriteLine($"class {best}: {string.Join(" ← ", steps.Select(s => s.GetProperty("layer").GetString()))}, {shown.GetProperty("marks").GetInt32()} marks");
    }

    [SkippableFact]
    public void The_epoch_slider_runs_each_epochs_weights_and_a_comparison_draws_once_for_two_networks()
    {
        Needs.Chromium();
        string folder = Shared.TempFolder();
        using var model = new ConvLens.Model.ConvNet(ConvLens.Model.ConvNetSpec.Article);
        using var slice = Shared.Mnist.Train.Take(1000);
        var options = new ConvLens.Training.TrainingOptions { Epochs = 2 };
        var kept = new ConvLens.Checkpoints.EpochCheckpoints(model, "mnist", 1000, options, folder);
        ConvLens.Training.Trainer.Train(model, slice, options, kept);
        Assert.Equal(3, kept.Saved.Count);
        Assert.Equal(kept.Saved, ConvLens.Checkpoints.EpochCheckpoints.In(folder));
        using var image = Shared.Mnist.Test.Image(0);
        float[] Logits(string checkpoint)
        {
            using var weights = ConvLens.Checkpoints.Checkpoint.Load(checkpoint).Model;
            using var logits = ConvLens.Inspection.Inspect.CallInEvalMode(weights, image);
            return logits.data<float>().ToArray();
        }
        var page = Browser.Evaluate(Explorer.EpochsPage(kept.Saved, Shared.Mnist.Test, 5), """
            const ex = convlensExplorers[0], start = ex.epoch(), out = [];
            ex.loadTest(0);
            for (let k = 0; k < ex.epochs.length; k++) { ex.setEpoch(k); out.push({ label: ex.epochs[k], logits: ex.state().probabilities.length, forward: Array.from(ex.forward(ex.testImage(0)).logits) }); }
            return { start, out, slider: !!ex.root.querySelector(".cl-epochs input[type=range]") };
            """);
        Assert.Equal(2, page.GetProperty("start").GetInt32());   // it opens on the last epoch
        Assert.True(page.GetProperty("slider").GetBoolean());
        for (int k = 0; k < 3; k++)
        {
            var js = page.GetProperty("out")[k].GetProperty("forward").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            Assert.True(Logits(kept.Saved[k]).Zip(js).All(p => Math.Abs(p.First - p.Second) <= 1e-4), $"epoch {k}: the page's logits differ from TorchSharp's");
        }
        Assert.Equal(["before training", "after epoch 1 of 2", "after epoch 2 of 2"], page.GetProperty("out").EnumerateArray().Select(o => o.GetProperty("label").GetString()));

        // Two networks on one drawing: the trained one and its untrained start. A stroke on either is the input of both.
        using var untrained = ConvLens.Checkpoints.Checkpoint.Load(kept.Saved[0]).Model;
        var compare = Browser.Evaluate(Explorer.ComparePage(model, "trained", untrained, "untrained", Shared.Mnist.Test, 5), """
            const [a, b] = convlensExplorers, canvas = b.canvas, box = canvas.getBoundingClientRect(), side = canvas.width;
            const at = ([x, y]) => ({ clientX: box.left + x / side * box.width, clientY: box.top + y / side * box.height, pointerId: 1, pointerType: "pen", isPrimary: true, buttons: 1, bubbles: true });
            canvas.dispatchEvent(new PointerEvent("pointerdown", at([140, 50])));
            for (let y = 60; y <= 230; y += 10) canvas.dispatchEvent(new PointerEvent("pointermove", at([142, y])));
            canvas.dispatchEvent(new PointerEvent("pointerup", at([142, 230])));
            const drawn = { a: a.state(), b: b.state() };
            a.loadTest(3);
            const loaded = { a: a.state(), b: b.state() };
            return { count: convlensExplorers.length, drawn, loaded };
            """);
        Assert.Equal(2, compare.GetProperty("count").GetInt32());
        foreach (var step in new[] { "drawn", "loaded" })
        {
            var (a, b) = (compare.GetProperty(step).GetProperty("a"), compare.GetProperty(step).GetProperty("b"));
            Assert.Equal(a.GetProperty("input").GetRawText(), b.GetProperty("input").GetRawText());
            var input = from_array(b.GetProperty("input").EnumerateArray().Select(v => (float)v.GetDouble()).ToArray()).reshape(1, 1, 28, 28);
            foreach (var (net, state) in new[] { (model, a), (untrained, b) })
            {
                var torch = ConvLens.Training.Trainer.Predict(net, input).Probabilities;
                var js = state.GetProperty("probabilities").EnumerateArray().Select(v => v.GetDouble()).ToArray();
                Assert.True(torch.Zip(js).All(p => Math.Abs(p.First - p.Second) <= 1e-4), $"{step}: a page's probabilities differ from TorchSharp's");
            }
        }
        Assert.Equal(1, compare.GetProperty("drawn").GetProperty("a").GetProperty("strokes").GetInt32());
    }
}
