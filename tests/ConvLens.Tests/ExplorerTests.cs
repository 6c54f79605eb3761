using System.Text.Json;
using Xunit.Abstractions;
using ConvLens.Inspection;
using ConvLens.Model;
using ConvLens.Training;
using static TorchSharp.torch;

namespace ConvLens.Tests;

/// <summary>Receptive fields against a hand computation and against autograd; the explorer page run in headless Chromium against TorchSharp.</summary>
[Collection(TorchRandom.Name)]
public class ExplorerTests(ITestOutputHelper output)
{
    // By hand, for the article's net, one axis (rows and columns alike):
    //   conv1 (5×5, padding 2): unit i sees input i−2 … i+2;
    //   pool1 (2×2, stride 2):  unit i covers conv1 units 2i and 2i+1, so input 2i−2 … 2i+3;
    //   conv2 (5×5, padding 2): unit i covers pool1 units i−2 … i+2, so input 2(i−2)−2 … 2(i+2)+3 = 2i−6 … 2i+7, 14 pixels;
    //   pool2 (2×2, stride 2):  unit i covers conv2 units 2i and 2i+1, so input 4i−6 … 4i+9, 16 pixels.
    [Theory]
    [InlineData("conv2", 7, 7, 8, 8, 21, 21)]      // centre: the whole 14×14
    [InlineData("conv2", 0, 0, 0, 0, 7, 7)]        // corner: −6 … 7 clipped to 0 … 7, padding stands in for the rest
    [InlineData("conv2", 13, 13, 20, 20, 27, 27)]  // the other corner: 20 … 33 clipped to 20 … 27
    [InlineData("conv2", 0, 7, 0, 8, 7, 21)]       // top edge, middle column
    [InlineData("conv1", 10, 3, 8, 1, 12, 5)]
    [InlineData("pool1", 5, 5, 8, 8, 13, 13)]
    [InlineData("relu2", 3, 3, 6, 6, 21, 21)]      // after pool2: 16×16
    public void Receptive_fields_of_the_articles_net_are_the_windows_a_hand_computation_gives(string layer, int row, int column, int top, int left, int bottom, int right)
    {
        using var model = new ConvNet();
        Assert.Equal(new InputWindow(top, left, bottom, right), Inspect.ReceptiveField(model, layer, row, column));
    }

    [Fact]
    public void The_centre_conv2_unit_sees_14x14_pixels_and_flat_layers_see_the_whole_image()
    {
        using var model = new ConvNet();
        var centre = Inspect.ReceptiveField(model, "conv2", 7, 7);
        Assert.Equal((14, 14), (centre.Height, centre.Width));
        Assert.Equal("rows 8–21, columns 8–21 (14×14)", centre.ToString());
        Assert.Equal(new InputWindow(0, 0, 27, 27), Inspect.ReceptiveField(model, "fc1", 0, 95));
        var outside = Assert.Throws<ConvLensException>(() => Inspect.ReceptiveField(model, "conv2", 14, 0));
        Assert.Contains("conv2's maps are 14×14: rows go from 0 to 13 and columns from 0 to 13", outside.Message);
        Assert.Contains("has no layer 'conv9'", Assert.Throws<ConvLensException>(() => Inspect.ReceptiveField(model, "conv9", 0, 0)).Message);
    }

    // The reference: the pixels whose gradient reaches a unit are exactly the pixels it sees. Over 32 random images
    // (max-pooling routes each image's gradient through one pixel of each 2×2), the union of those pixels must fill
    // the computed window and never leave it; for the 3×3 variant too.
    [Theory]
    [InlineData(false, "conv1", 0, 27)]
    [InlineData(false, "conv2", 7, 7)]
    [InlineData(false, "conv2", 0, 0)]
    [InlineData(false, "relu2", 3, 2)]
    [InlineData(true, "conv3", 3, 3)]
    [InlineData(true, "relu3", 1, 0)]
    public void Receptive_fields_are_where_the_gradient_of_a_unit_reaches_the_input(bool variant, string layer, int row, int column)
    {
        using var model = new ConvNet(variant ? ThreeConvs : ConvNetSpec.Article, seed: 3);
        var window = Inspect.ReceptiveField(model, layer, row, column);
        using var generator = new Generator(1);
        using var input = rand(32, 1, 28, 28, generator: generator).requires_grad_();
        var (_, layers) = Inspect.ForwardWithLayers(model, input, layer);
        layers[layer][.., .., row, column].sum().backward();
        using var reached = input.grad!.abs().sum([0L, 1L]).gt(0);
        var pixels = reached.nonzero();
        var rows = pixels[.., 0].data<long>().ToArray();
        var columns = pixels[.., 1].data<long>().ToArray();
        Assert.Equal(window, new InputWindow((int)rows.Min(), (int)columns.Min(), (int)rows.Max(), (int)columns.Max()));
        Assert.Equal(window.Height * window.Width, rows.Length);   // every pixel of the window, none outside
    }

    static readonly ConvNetSpec ThreeConvs = ConvNetSpec.Article with { Convs = [new(16, 3), new(32, 3), new(64, 3)] };

    [SkippableFact]
    public void The_pages_forward_pass_matches_TorchSharp_on_200_test_images_for_the_articles_net()
    {
        using var model = Shared.ShippedModel();
        PageMatchesTorchSharp(model);
    }

    [SkippableFact]
    public void The_pages_forward_pass_matches_TorchSharp_on_200_test_images_for_a_three_conv_3x3_variant()
    {
        Needs.Chromium();
        using var model = new ConvNet(ThreeConvs);
        using var slice = Shared.Mnist.Train.Take(3000);
        Trainer.Train(model, slice, new TrainingOptions { Epochs = 1 });   // trained a little, so the logits mean something
        PageMatchesTorchSharp(model);
    }

    void PageMatchesTorchSharp(ConvNet model)
    {
        Needs.Chromium();
        const int count = 200;
        var test = Shared.Mnist.Test;
        var page = Browser.Evaluate(Explorer.Page(model, test, count), """
            const ex = convlensExplorers[0], logits = [];
            for (let i = 0; i < ex.testCount; i++) logits.push(Array.from(ex.forward(ex.testImage(i)).logits));
            const first = ex.forward(ex.testImage(0)).layers;
            return { logits, maps: Object.fromEntries(Object.entries(first).map(([k, v]) => [k, Array.from(v.data)])) };
            """);
        var (images, _) = test.Batch(0, count);
        using var __ = images;
        float[] expected;
        using (no_grad())
        {
            using var logits = Inspect.CallInEvalMode(model, images);
            expected = logits.data<float>().ToArray();
        }
        var actual = page.GetProperty("logits").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();
        Assert.Equal(count, actual.Length);
        int classes = model.Plan.Classes;
        double worst = 0;
        for (int i = 0; i < count; i++)
        {
            var torch = expected.AsSpan(i * classes, classes).ToArray();
            Assert.Equal(Array.IndexOf(torch, torch.Max()), Array.IndexOf(actual[i], actual[i].Max()));
            worst = Math.Max(worst, torch.Zip(actual[i]).Max(p => Math.Abs(p.First - p.Second)));
        }
        Assert.True(worst <= 1e-4, $"the page's logits differ from TorchSharp's by up to {worst:G3}");
        output.WriteLine($"{model.Plan}: {count} test images, same argmax, largest logit difference {worst:G3}");

        // Every spatial layer's maps, for test image 0, as Inspect.FeatureMaps gives them.
        using var first = test.Image(0);
        var names = page.GetProperty("maps").EnumerateObject().Select(p => p.Name).ToArray();
        Assert.Equal(model.Layers.Select(l => l.Name).TakeWhile(n => n != "flatten"), names);
        var maps = Inspect.FeatureMaps(model, first, names);
        foreach (var name in names)
        {
            var torch = maps[name].data<float>().ToArray();
            var js = page.GetProperty("maps").GetProperty(name).EnumerateArray().Select(v => v.GetDouble()).ToArray();
            Assert.Equal(torch.Length, js.Length);
            Assert.True(torch.Zip(js).All(p => Math.Abs(p.First - p.Second) <= 1e-4), $"{name}'s maps differ");
        }
    }

    [SkippableFact]
    public void The_pages_saliency_is_TorchSharps_gradient_of_the_predicted_class()
    {
        Needs.Chromium();
        using var model = Shared.ShippedModel();
        const int count = 5;
        var page = Browser.Evaluate(Explorer.Page(model, Shared.Mnist.Test, count), """
            const ex = convlensExplorers[0], out = [];
            for (let i = 0; i < ex.testCount; i++) {
              const input = ex.testImage(i), result = ex.forward(input);
              const target = result.probabilities.indexOf(Math.max(...result.probabilities));
              out.push({ target, gradient: Array.from(ex.saliency(input, target)) });
            }
            ex.showSaliency(true);   // and the overlay draws without an error
            return out;
            """);
        for (int i = 0; i < count; i++)
        {
            using var image = Shared.Mnist.Test.Image(i);
            int target = page[i].GetProperty("target").GetInt32();
            Assert.Equal(Trainer.Predict(model, image).Class, target);
            using var torch = new ConvLens.Explain.Saliency().Attribute(model, image, target)[0];
            var expected = torch.flatten().data<float>().ToArray();
            var actual = page[i].GetProperty("gradient").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            Assert.Equal(expected.Length, actual.Length);
            double peak = expected.Max(v => Math.Abs(v)), worst = expected.Zip(actual).Max(p => Math.Abs(p.First - p.Second));
            Assert.True(worst <= 1e-4 * peak + 1e-6, $"test image {i}: the page's gradient differs from TorchSharp's by {worst:G3} (peak {peak:G3})");
            output.WriteLine($"test image {i}: saliency differs by at most {worst:G3} (peak {peak:G3})");
        }
    }

    // Strokes as pointer events on the first explorer's drawing canvas, in its pixels: `send` one event (pointer 1 is the
    // pen, others are fingers); `draw` a stroke with the pen, 20 ms between moves, resolving once it is lifted.
    const string Pen = """
        const ex = convlensExplorers[0], canvas = ex.canvas, box = canvas.getBoundingClientRect(), side = canvas.width;
        const at = ([x, y], id = 1) => ({ clientX: box.left + x / side * box.width, clientY: box.top + y / side * box.height,
                                          pointerId: id, pointerType: id === 1 ? "pen" : "touch", isPrimary: id === 1, buttons: 1, bubbles: true });
        const send = (type, p, id = 1) => canvas.dispatchEvent(new PointerEvent(type, at(p, id)));
        const line = (n, x0, y0, x1, y1) => Array.from({ length: n }, (_, i) => [x0 + (x1 - x0) * i / (n - 1), y0 + (y1 - y0) * i / (n - 1)]);
        async function draw(points) {
          send("pointerdown", points[0]);
          for (const p of points.slice(1)) { send("pointermove", p); await new Promise(resolve => setTimeout(resolve, 20)); }
          send("pointerup", points[points.length - 1]);
        }
        """;

    [SkippableFact]
    public void Drawing_with_synthetic_pointer_events_updates_the_page_live_and_changes_the_prediction()
    {
        Needs.Chromium();
        using var model = Shared.ShippedModel();
        var result = Browser.Evaluate(Explorer.Page(model, Shared.Mnist.Test, 10), Pen + """
            const start = ex.state();               // the page starts empty and says so
            ex.loadTest(0);
            const loaded = ex.state().prediction;   // test image 0, a 7
            ex.clear();
            const before = ex.updates.length;
            await draw(Array.from({ length: 20 }, (_, i) => [135 + i * 0.5, 50 + i * 9]));   // a stroke down: a 1
            const live = ex.updates.length - before;
            const one = ex.state();
            ex.clear();
            await draw(Array.from({ length: 41 }, (_, i) => [140 + 60 * Math.sin(i / 40 * 2 * Math.PI), 140 - 85 * Math.cos(i / 40 * 2 * Math.PI)]));   // a loop: a 0
            const zero = ex.state();
            await draw([[140, 30], [140, 250]]);   // a second stroke, then undo it
            const two = ex.state().strokes;
            ex.undo();
            const undone = ex.state();
            return { start, loaded, live, one: one.prediction, oneInput: one.input, zero: zero.prediction, two, undoneStrokes: undone.strokes, undonePrediction: undone.prediction };
            """);
        Assert.Equal(JsonValueKind.Null, result.GetProperty("start").GetProperty("prediction").ValueKind);
        Assert.Equal("Nothing to classify yet: draw a digit", result.GetProperty("start").GetProperty("answer").GetString());
        Assert.Equal(7, result.GetProperty("loaded").GetInt32());
        Assert.True(result.GetProperty("live").GetInt32() >= 3, $"only {result.GetProperty("live")} updates while drawing: the page does not follow the pen");
        Assert.Equal(1, result.GetProperty("one").GetInt32());
        Assert.Equal(0, result.GetProperty("zero").GetInt32());
        Assert.Equal(2, result.GetProperty("two").GetInt32());
        Assert.Equal(1, result.GetProperty("undoneStrokes").GetInt32());
        Assert.Equal(0, result.GetProperty("undonePrediction").GetInt32());

        // The stroke was read as MNIST's digits are made: 20 pixels tall, its centre of mass on pixel (14, 14).
        var input = result.GetProperty("oneInput").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        var inked = Enumerable.Range(0, 28).Where(r => Enumerable.Range(0, 28).Any(c => input[r * 28 + c] > 0.05)).ToList();
        Assert.InRange(inked.Max() - inked.Min() + 1, 19, 21);
        double mass = input.Sum(), rowCentre = input.Select((v, i) => v * (i / 28)).Sum() / mass, columnCentre = input.Select((v, i) => v * (i % 28)).Sum() / mass;
        Assert.InRange(rowCentre, 14 - 0.2, 14 + 0.2);
        Assert.InRange(columnCentre, 14 - 0.2, 14 + 0.2);
    }

    [SkippableFact]
    public void Map_colour_scales_hold_zero_only_widen_while_drawing_and_come_per_layer_per_map_or_for_all_and_saliency_is_blue()
    {
        Needs.Chromium();
        using var model = Shared.ShippedModel();
        var result = Browser.Evaluate(Explorer.Page(model, Shared.Mnist.Test, 10), Pen + """
            ex.clear();
            const ranges = [];
            await draw(line(10, 140, 60, 140, 150));  ranges.push(ex.legends().map(l => l.range));
            await draw(line(10, 90, 60, 190, 60));    ranges.push(ex.legends().map(l => l.range));
            await draw(line(10, 100, 200, 180, 230)); ranges.push(ex.legends().map(l => l.range));
            const perLayer = ex.legends();
            ex.setScale("global"); const global = ex.legends();
            ex.setScale("map");    const perMap = ex.legends();
            ex.setScale("layer");
            ex.showAfter(true);    const after = ex.legends();
            ex.showSaliency(true);
            return { ranges, perLayer, global, perMap, after, saliency: ex.saliencyColour() };
            """);
        var ranges = result.GetProperty("ranges").EnumerateArray().Select(step => step.EnumerateArray().Select(r => (Low: r[0].GetDouble(), High: r[1].GetDouble())).ToArray()).ToArray();
        for (int step = 1; step < ranges.Length; step++)
            for (int layer = 0; layer < ranges[step].Length; layer++)
            {
                Assert.True(ranges[step][layer].Low <= ranges[step - 1][layer].Low && ranges[step][layer].High >= ranges[step - 1][layer].High,
                    $"layer {layer}'s scale shrank while drawing: {ranges[step - 1][layer]} then {ranges[step][layer]}");
                Assert.True(ranges[step][layer].Low <= 0 && ranges[step][layer].High >= 0, $"layer {layer}'s scale leaves out 0: {ranges[step][layer]}");
            }
        foreach (var legend in result.GetProperty("perLayer").EnumerateArray())
        {
            double low = legend.GetProperty("range")[0].GetDouble(), high = legend.GetProperty("range")[1].GetDouble();
            double zero = double.Parse(legend.GetProperty("zero").GetString()!.TrimEnd('%'), System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal(-low / (high - low) * 100, zero, 1);   // the zero mark sits where 0 is on the bar
        }
        var global = result.GetProperty("global").EnumerateArray().Select(l => l.GetProperty("range").ToString()).Distinct();
        Assert.Single(global);
        Assert.All(result.GetProperty("perMap").EnumerateArray(), l => Assert.Equal("each map's lowest", l.GetProperty("low").GetString()));
        var headings = result.GetProperty("after").EnumerateArray().Select(l => l.GetProperty("heading").GetString()).ToArray();
        Assert.Equal("relu1: 16 maps of 14×14, after MaxPool2d 2×2 → ReLU: what the next layer receives", headings[0]);
        var colour = result.GetProperty("saliency").EnumerateArray().Select(v => v.GetInt32()).ToArray();
        Assert.Equal([0, 114, 178], colour[..3]);   // blue, not the receptive field's red
    }

    [SkippableFact]
    [Trait("Kind", "Claims")]   // also reads what the guide and 05 say of the preprocessing, where they say it
    public void The_pages_preprocessing_keeps_the_test_images_accuracy()
    {
        // The 1,000 embedded test images, as they are and through the page's own preprocessing (box into 20×20, centre
        // of mass on (14, 14)): MNIST's images are made that way, so the pipeline must not cost accuracy.
        Needs.Chromium();
        using var model = Shared.ShippedModel();
        var result = Browser.Evaluate(Explorer.Page(model, Shared.Mnist.Test, 1000), """
            const ex = convlensExplorers[0], how = { box: 20 / 28, centre: "mass" };
            let raw = 0, piped = 0;
            for (let i = 0; i < ex.testCount; i++) {
              const image = ex.testImage(i), label = ex.testLabels[i];
              const best = r => r.probabilities.indexOf(Math.max(...r.probabilities));
              if (best(ex.forward(image)) === label) raw++;
              if (best(ex.forward(ConvLensExplorer.preprocess(image, 28, 28, how)[0])) === label) piped++;
            }
            return { raw, piped, count: ex.testCount, box: Math.round(28 * how.box), pen: ConvLensExplorer.stroke };
            """);
        int raw = result.GetProperty("raw").GetInt32(), piped = result.GetProperty("piped").GetInt32(), count = result.GetProperty("count").GetInt32();
        output.WriteLine($"{count} test images: {raw} right as they are, {piped} through the page's preprocessing");
        Assert.Equal(1000, count);
        // What the guide and 05 say of it, read where they say it: the images the page holds, the box and the centre.
        Claim.States(Claim.Section("teaching.md", "The explorer: let them draw"), @"embeds the first ([\d,]+) test images", 0, count);
        double box = result.GetProperty("box").GetInt32(), pen = result.GetProperty("pen").GetDouble();
        Claim.States(Claim.Cell("05-visualize-feature-maps", "as MNIST's digits were made"), @"ink scaled into (\d+)×(\d+)", 0, box, box);
        Claim.States(Claim.Answer("05", 8), @"scaled into (\d+)×(\d+) and the strokes redrawn ([\d.]+) pixels wide.*?pixel \((\d+), (\d+)\)", 0,
                     box, box, pen, 14, 14);   // (14, 14): the centre of 28×28, where MNIST put the centre of mass
        Assert.True(piped >= raw - 1, $"the preprocessing costs accuracy: {raw} right as they are, {piped} after it (at most 0.1 points, one image, may go)");
    }

    [SkippableFact]
    public void Strokes_keep_MNISTs_width_at_every_drawing_size_and_a_dot_or_an_empty_canvas_are_shown_honestly()
    {
        Needs.Chromium();
        using var model = Shared.ShippedModel();
        var result = Browser.Evaluate(Explorer.Page(model, Shared.Mnist.Test, 10), Pen + """
            const sizes = [40, 80, 160, 280], widths = [];
            for (const h of sizes) {
              ex.clear();
              await draw(line(12, 140, 140 - h / 2, 140, 140 + h / 2));   // a vertical stroke h drawing pixels tall
              const input = ex.state().input, rows = [];
              for (let r = 0; r < 28; r++) { let s = 0; for (let c = 0; c < 28; c++) s += input[r * 28 + c]; rows.push(s); }
              const inked = rows.map((s, r) => s > 0.05 ? r : -1).filter(r => r >= 0);
              widths.push({ h, width: rows[14], height: inked[inked.length - 1] - inked[0] + 1, note: ex.state().note });
            }
            ex.clear();
            await draw([[140, 140]]);   // one click
            const dot = ex.state();
            ex.clear();
            const empty = ex.state();
            return { widths, dot: { note: dot.note, ink: dot.input.reduce((a, b) => a + b, 0) }, empty: { answer: empty.answer, prediction: empty.prediction, note: empty.note } };
            """);
        foreach (var w in result.GetProperty("widths").EnumerateArray())
        {
            double width = w.GetProperty("width").GetDouble();
            int h = w.GetProperty("h").GetInt32();
            output.WriteLine($"a stroke {h} px tall on the drawing: {width:F2} px wide, {w.GetProperty("height").GetInt32()} px tall in the 28×28");
            Assert.InRange(width, 2.3, 3.3);                       // MNIST's vertical strokes are about 2.8 pixels wide
            Assert.InRange(w.GetProperty("height").GetInt32(), 19, 21);
            Assert.Equal(h < 57, w.GetProperty("note").GetString()!.Contains("enlarged"));   // drawings enlarged over 3× say so (17.2 / 57 px ≈ 3 × 28 / 280)
        }
        var dot = result.GetProperty("dot");
        Assert.Contains("a dot stays a dot", dot.GetProperty("note").GetString());
        Assert.InRange(dot.GetProperty("ink").GetDouble(), 4, 8);   // a disc 2.8 pixels across (π · 1.4² ≈ 6.2), not a 20×20 blot
        var empty = result.GetProperty("empty");
        Assert.Equal(JsonValueKind.Null, empty.GetProperty("prediction").ValueKind);
        Assert.Equal("Nothing to classify yet: draw a digit", empty.GetProperty("answer").GetString());
        Assert.Contains("nothing to classify", empty.GetProperty("note").GetString());
    }

    [SkippableFact]
    public void A_second_finger_does_not_scribble_into_the_stroke_and_the_drawing_shows_the_hovered_window()
    {
        Needs.Chromium();
        using var model = Shared.ShippedModel();
        var result = Browser.Evaluate(Explorer.Page(model, Shared.Mnist.Test, 10), Pen + """
            ex.clear();
            const stroke = line(20, 140, 50, 145, 230);
            await draw(stroke);
            const alone = ex.state();
            ex.clear();
            send("pointerdown", stroke[0], 1);
            send("pointerdown", [30, 30], 2);                                       // a palm comes down
            stroke.slice(1, 10).forEach(p => { send("pointermove", p, 1); send("pointermove", [250, 250], 2); });
            send("pointerup", [250, 250], 2);                                       // and lifts: the stroke goes on
            stroke.slice(10).forEach(p => send("pointermove", p, 1)); send("pointerup", stroke[19], 1);
            const palm = ex.state();
            const hovered = ex.hover(1, 0, 7, 7);
            return { same: JSON.stringify(alone.input) === JSON.stringify(palm.input), strokes: palm.strokes, hovered };
            """);
        Assert.True(result.GetProperty("same").GetBoolean(), "a second pointer changed the drawing");
        Assert.Equal(1, result.GetProperty("strokes").GetInt32());
        // After the MNIST-like scaling the window is drawn where those input pixels came from on the drawing: inside the canvas.
        string onDrawing = result.GetProperty("hovered").GetProperty("onDrawing").GetString()!;
        Assert.Contains("display: block", onDrawing);
        Assert.DoesNotContain("-", onDrawing);
    }

    [SkippableFact]
    public void Two_explorers_on_one_page_keep_their_own_state_and_a_32x32_network_runs_as_TorchSharp_does()
    {
        Needs.Chromium();
        using var article = Shared.ShippedModel();
        using var wide = new ConvNet(ConvNetSpec.Article with { ImageSize = 32, Convs = [new(8, 3), new(16, 5), new(16, 3)] }, seed: 2);
        var result = Browser.Evaluate(Browser.Page(Explorer.Show(article, Shared.Mnist.Test, 5).Html, Explorer.Show(wide).Html), Pen.Replace("convlensExplorers[0]", "convlensExplorers[1]") + """
            const first = convlensExplorers[0];
            first.loadTest(3);
            ex.clear();
            await draw(line(20, 160, 40, 150, 280));
            const drawn = ex.state();
            return { count: convlensExplorers.length, firstStrokes: first.state().strokes, firstInput: first.state().input.slice(0, 784),
                     input: drawn.input, logits: Array.from(ex.forward(Float64Array.from(drawn.input)).logits) };
            """);
        Assert.Equal(2, result.GetProperty("count").GetInt32());
        Assert.Equal(0, result.GetProperty("firstStrokes").GetInt32());
        using var three = Shared.Mnist.Test.Image(3);
        var expectedFirst = three.flatten().data<float>().ToArray();
        Assert.Equal(expectedFirst.Select(v => (double)v), result.GetProperty("firstInput").EnumerateArray().Select(v => v.GetDouble()), new ToleranceComparer(1e-6));

        var input = result.GetProperty("input").EnumerateArray().Select(v => (float)v.GetDouble()).ToArray();
        Assert.Equal(32 * 32, input.Length);
        Assert.All(input, v => Assert.True(float.IsFinite(v)));
        Assert.True(input.Sum() > 10, "the stroke left no ink in the 32×32 input");
        using var tensor = TorchSharp.torch.tensor(input).reshape(1, 1, 32, 32);
        using (no_grad())
        {
            using var logits = Inspect.CallInEvalMode(wide, tensor);
            var torch = logits.data<float>().ToArray();
            var js = result.GetProperty("logits").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            Assert.True(torch.Zip(js).All(p => Math.Abs(p.First - p.Second) <= 1e-4), $"TorchSharp {string.Join(", ", torch)} vs the page {string.Join(", ", js)}");
        }
    }

    sealed class ToleranceComparer(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double a, double b) => Math.Abs(a - b) <= tolerance;
        public int GetHashCode(double value) => 0;
    }

    [SkippableFact]
    public void Hovering_a_map_pixel_outlines_the_window_Inspect_computes()
    {
        Needs.Chromium();
        using var model = Shared.ShippedModel();
        var result = Browser.Evaluate(Explorer.Page(model, Shared.Mnist.Test, 10), """
            const ex = convlensExplorers[0];
            const centre = ex.hover(1, 5, 7, 7), corner = ex.hover(1, 5, 0, 0);
            ex.showAfter(true);
            const after = ex.hover(1, 5, 3, 3);
            return { centre, corner, after };
            """);
        string Tip(string key) => result.GetProperty(key).GetProperty("tip").GetString()!;
        Assert.Contains($"conv2 · channel 5 · row 7, column 7", Tip("centre"));
        Assert.Contains($"It sees input {Inspect.ReceptiveField(model, "conv2", 7, 7)}", Tip("centre"));
        Assert.Contains($"It sees input {Inspect.ReceptiveField(model, "conv2", 0, 0)}", Tip("corner"));
        Assert.Contains("relu2 · channel 5 · row 3, column 3", Tip("after"));
        Assert.Contains($"It sees input {Inspect.ReceptiveField(model, "relu2", 3, 3)}", Tip("after"));
        // The outline on the 28×28 input: rows and columns 8–21 are 8/28 from the top-left and 14/28 across.
        Assert.Contains("top: 28.5714%; left: 28.5714%; height: 50%; width: 50%", result.GetProperty("centre").GetProperty("outline").GetString());
    }

    [SkippableFact]
    public void Hovering_a_conv2_pixel_in_the_feature_maps_page_outlines_its_window_on_the_input()
    {
        Needs.Chromium();
        string output = Shared.TempFolder();
        var run = Shared.RunCli("feature-maps", "--output", output);
        Assert.True(run.ExitCode == 0, run.Stderr);
        // A real mouse move over pixel (row 7, column 7) of conv2's map 3, where plotly listens for it.
        var result = Browser.Evaluate(File.ReadAllText(Path.Combine(output, "feature-maps.html")), """
            await new Promise(resolve => setTimeout(resolve, 300));   // plotly attaches its handlers after drawing
            const gd = [...document.querySelectorAll(".convlens-figure")].find(f => f.layout.title.text.startsWith("conv2:"));
            const trace = gd.data.findIndex(t => t.name === "#3"), subplot = gd.data[trace].xaxis + gd.data[trace].yaxis;
            const drag = gd.querySelector(`.nsewdrag[data-subplot="${subplot}"]`), box = drag.getBoundingClientRect();
            const xa = gd._fullLayout[gd.data[trace].xaxis.replace("x", "xaxis")], ya = gd._fullLayout[gd.data[trace].yaxis.replace("y", "yaxis")];
            drag.dispatchEvent(new MouseEvent("mousemove", { clientX: box.left + xa.c2p(7), clientY: box.top + ya.c2p(7), bubbles: true }));
            await new Promise(resolve => setTimeout(resolve, 300));
            return { shapes: gd.layout.shapes || [], hover: (gd.querySelector(".hovertext") || {}).textContent || "" };
            """);
        var shape = Assert.Single(result.GetProperty("shapes").EnumerateArray());
        var window = Inspect.ReceptiveField(Shared.ShippedModel(), "conv2", 7, 7);
        // Drawn on the input panel (axes x and y), around pixels 8–21: edges half a pixel outside.
        Assert.Equal(("x", "y"), (shape.GetProperty("xref").GetString(), shape.GetProperty("yref").GetString()));
        Assert.Equal((window.Left - 0.5, window.Right + 0.5, window.Top - 0.5, window.Bottom + 0.5),
            (shape.GetProperty("x0").GetDouble(), shape.GetProperty("x1").GetDouble(), shape.GetProperty("y0").GetDouble(), shape.GetProperty("y1").GetDouble()));
        Assert.Contains("sees input rows 8–21, columns 8–21", result.GetProperty("hover").GetString());
    }

    [Fact]
    public void The_explorer_command_writes_one_offline_page_under_3_MB()
    {
        string output = Shared.TempFolder();
        var run = Shared.RunCli("explorer", "--output", output);
        Assert.True(run.ExitCode == 0, run.Stderr);
        string page = Path.Combine(output, "explorer.html");
        Assert.Contains($"wrote {page}", run.Stdout);
        long bytes = new FileInfo(page).Length;
        Assert.True(bytes <= 3 * 1024 * 1024, $"the page is {bytes / 1048576.0:F2} MB");
        string html = File.ReadAllText(page);
        Assert.DoesNotContain("src=\"http", html);
        Assert.DoesNotContain("href=\"http", html);
        Assert.Contains("\"tests\":{\"pixels\":", html);
    }
}
