using System.Text;
using System.Text.Json;
using ConvLens.Model;
using Jint;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace ConvLens.Tests;

/// <summary>
/// The explorer's maths without a browser: explorer.js, as the pages embed it, run by Jint (a JavaScript interpreter
/// from NuGet) inside dotnet test. For a small network around each layer kind the plan knows, with random weights and a
/// random input, the page's forward pass (every spatial layer's maps and the logits), its backward pass (the saliency
/// of every class) and a unit's arithmetic (a conv unit's patch × kernel summed plus the bias, a linear unit's sum) are
/// compared with TorchSharp's forward and autograd's input gradient, both in float64 on the float32 weights the page
/// gets. Then once more on the trained article network and a real MNIST test image. Chromium keeps what only a browser
/// can do: rendering, pointer and touch, layout, keyboard.
/// </summary>
public class ExplorerMathsTests(ITestOutputHelper output)
{
    // The page's arithmetic is float64 like the reference, so they differ by rounding only, except GELU: JavaScript has
    // no erf, and the page's (Abramowitz and Stegun 7.1.26) is off by up to 1.5e-7, which the later layers add up.
    const double Rounding = 1e-12, ErfApproximation = 1e-5;   // measured: at most 6e-15, and with GELU 6e-7 (a random network)

    static readonly long[] Small = [3, 8, 8];   // ConvLens takes grey (1) or colour (3) images

    // A conv layer that gives 3 maps of 8×8, then the layer under test, then a linear head of 4 classes.
    static (long[], Func<Module<Tensor, Tensor>>) AfterConv(Module<Tensor, Tensor> layer, long features) => (Small, () => Sequential(
        ("conv", Conv2d(3, 3, 3, padding: 1)), ("tested", layer), ("flatten", Flatten()), ("fc", Linear(features, 4))));

    // The same conv, flattened into 6 features, the layer under test on those, and a linear head.
    static (long[], Func<Module<Tensor, Tensor>>) AfterLinear(Module<Tensor, Tensor> layer) => (Small, () => Sequential(
        ("conv", Conv2d(3, 3, 3, padding: 1)), ("flatten", Flatten()), ("fc1", Linear(192, 6)), ("tested", layer), ("fc2", Linear(6, 4))));

    // Layers are made when a case runs (inside ConvNet.Create's seeding), so each test owns its modules.
    static readonly Dictionary<string, Func<(long[] Input, Func<Module<Tensor, Tensor>> Layers)>> Cases = new()
    {
        ["Conv2d stride 2 padding 1, then dilation 2 without bias"] = () => ([3, 9, 9], () => Sequential(
            ("conv1", Conv2d(3, 3, 3, stride: 2, padding: 1)), ("conv2", Conv2d(3, 4, 2, dilation: 2, bias: false)), ("flatten", Flatten()), ("fc", Linear(36, 5)))),
        ["MaxPool2d 3 stride 2 padding 1"] = () => AfterConv(MaxPool2d(3, stride: 2, padding: 1), 48),
        ["MaxPool2d 2 stride 1 dilation 2"] = () => AfterConv(MaxPool2d(2, stride: 1, dilation: 2), 108),
        ["AvgPool2d 3 stride 2 padding 1"] = () => AfterConv(AvgPool2d(3, stride: 2, padding: 1), 48),
        ["AvgPool2d 3 stride 2 padding 1, padding not counted"] = () => AfterConv(AvgPool2d(3, stride: 2, padding: 1, count_include_pad: false), 48),
        ["AdaptiveAvgPool2d(1)"] = () => AfterConv(AdaptiveAvgPool2d(1), 3),
        ["BatchNorm2d"] = () => AfterConv(BatchNorm2d(3), 192),
        ["ReLU"] = () => AfterConv(ReLU(), 192),
        ["LeakyReLU(0.1)"] = () => AfterConv(LeakyReLU(0.1), 192),
        ["ELU(0.7)"] = () => AfterConv(ELU(0.7), 192),
        ["GELU"] = () => AfterConv(GELU(), 192),
        ["GELU(tanh)"] = () => AfterConv(GELU(TorchSharp.Modules.GELU.Approximate.tanh), 192),
        ["SiLU"] = () => AfterConv(SiLU(), 192),
        ["Hardswish"] = () => AfterConv(Hardswish(), 192),
        ["Tanh"] = () => AfterConv(Tanh(), 192),
        ["Sigmoid"] = () => AfterConv(Sigmoid(), 192),
        ["Dropout2d"] = () => AfterConv(Dropout2d(0.5), 192),
        ["BatchNorm1d"] = () => AfterLinear(BatchNorm1d(6)),
        ["Dropout"] = () => AfterLinear(Dropout(0.3)),
        ["Sigmoid on features"] = () => AfterLinear(Sigmoid()),
    };

    public static TheoryData<string> Names() => [.. Cases.Keys];

    [Fact]
    public void The_cases_hold_every_layer_kind_the_plan_knows()
    {
        var planned = new HashSet<string>();
        foreach (var make in Cases.Values)
        {
            var (input, layers) = make();
            using var model = ConvNet.Create(input, seed: 0, layers);
            planned.UnionWith(model.Plan.Layers.Select(l => l.Kind));
        }
        var missing = LayerKinds.Names.Except(planned).ToList();
        Assert.True(missing.Count == 0, $"no case runs the page's maths for {string.Join(", ", missing)}: add one to {nameof(Cases)}");
    }

    [Fact]
    public void Every_kind_the_plan_knows_has_its_JavaScript_half_and_the_page_no_other()
    {
        var engine = new Engine();
        engine.Execute("var window = globalThis;");
        engine.Execute(Explorer.Script);
        var kinds = JsonDocument.Parse(engine.Evaluate(
            "JSON.stringify(Object.fromEntries(Object.entries(window.ConvLensExplorer.kinds).map(([k, v]) => [k, Object.keys(v)])))").AsString())
            .RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.EnumerateArray().Select(v => v.GetString()).ToHashSet());
        Assert.Equal(LayerKinds.Names.Order(), kinds.Keys.Order());
        // Conv, flatten and linear make new units, so a clicked unit's path stops at them; every other kind passes a
        // unit on to the same map, and says how.
        string[] newUnits = ["Conv2d", "Flatten", "Linear"];
        foreach (var (kind, parts) in kinds)
            foreach (var part in newUnits.Contains(kind) ? ["forward", "backward"] : new[] { "forward", "backward", "follow", "text" })
                Assert.True(parts.Contains(part), $"the page's {kind} has no {part} (kinds.js)");
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void The_pages_forward_backward_and_unit_arithmetic_equal_TorchSharps_in_float64(string name)
    {
        var (input, layers) = Cases[name]();
        using var model = ConvNet.Create(input, seed: 0, layers);
        Randomize(model, new Random(name.Length));
        var random = new Random(7);
        using var image = from_array(Enumerable.Range(0, (int)input.Aggregate(1L, (a, b) => a * b)).Select(_ => Normal(random)).ToArray()).reshape([1, .. input]);
        double tolerance = model.Plan.Layers.Any(l => l is GELULayer { Approximate: not "tanh" }) ? ErfApproximation : Rounding;
        Compare(model, image, Enumerable.Range(0, model.Plan.Classes).ToArray(), tolerance);
    }

    // Ten fixed draws and today's (a new one each day; its seed is printed, CONVLENS_RANDOM_NETWORK_SEED replays it).
    public static TheoryData<int> RandomSeeds() => [.. Enumerable.Range(1, 10).Append(RandomNetwork.TodaysSeed).Distinct()];

    [Theory]
    [MemberData(nameof(RandomSeeds))]
    public void A_random_network_from_the_plans_kinds_is_planned_shown_and_computed_by_the_page_as_TorchSharp_does(int seed)
    {
        var network = new RandomNetwork(seed);
        output.WriteLine(network.ToString());
        using var model = ConvNet.Create([1, 28, 28], seed: 0, network.Modules);
        output.WriteLine(model.Plan.ToString());
        Randomize(model, new Random(seed));
        // The library's views of it, as notebooks 04 and 05 and the command line draw them.
        using var image = Shared.Mnist.Test.Image(0);
        var weights = ConvLens.Inspection.Inspect.ConvLayers(model).ToDictionary(c => c, c => ConvLens.Inspection.Inspect.Filters(model, c));
        Assert.NotEmpty(Pages.Filters(weights).Sections);
        var maps = ConvLens.Inspection.Inspect.FeatureMaps(model, image, [.. ConvLens.Inspection.Inspect.MapLayers(model)]);
        Assert.NotEmpty(Pages.FeatureMaps(Shared.Mnist.Test, 0, maps, model.Plan).Sections);
        double tolerance = model.Plan.Layers.Any(l => l is GELULayer { Approximate: not "tanh" }) ? ErfApproximation : Rounding;
        using var input = image.to(ScalarType.Float64);
        Compare(model, input, Enumerable.Range(0, 10).ToArray(), tolerance);
    }

    [Fact]
    public void On_the_trained_article_network_and_an_MNIST_digit_the_page_computes_what_TorchSharp_computes()
    {
        using var model = Shared.ShippedModel();
        using var image = Shared.Mnist.Test.Image(0).to(ScalarType.Float64);
        Compare(model, image, [7, 3], Rounding);   // test image 0 is a 7; 3 is a class it is not
    }

    /// <summary>The page's numbers for <paramref name="image"/> against TorchSharp's, in float64 on a copy of <paramref name="model"/>'s float32 weights.</summary>
    void Compare(ConvNet model, Tensor image, int[] targets, double tolerance)
    {
        model.eval();
        string spec = Explorer.Spec(model);   // float32 weights, as every page gets them
        model.to(ScalarType.Float64);
        var page = RunPage(spec, image.flatten().data<double>().ToArray(), targets);

        // Forward: each layer's output through the model's own modules, as ConvLens runs them.
        var outputs = new List<Tensor>();
        using (no_grad())
        {
            var x = image;
            foreach (var (_, layer) in model.Layers) outputs.Add(x = layer.call(x));
        }
        var plan = model.Plan.Layers;
        for (int n = 0; n < plan.Count; n++)
        {
            if (plan[n].Spatial) Near(Values(outputs[n]), page.GetProperty("maps").GetProperty(plan[n].Name), tolerance, $"{plan[n].Name}'s maps");
            if (page.GetProperty("units").TryGetProperty(plan[n].Name, out var unit))
            {
                var at = unit.GetProperty("at").EnumerateArray().Select(v => v.GetInt64()).ToArray();
                double expected = outputs[n][[TensorIndex.Single(0), .. at.Select(i => TensorIndex.Single(i))]].item<double>();
                double total = unit.GetProperty("total").GetDouble();
                Assert.True(Math.Abs(total - expected) <= tolerance * Math.Max(1, Math.Abs(expected)), $"{plan[n].Name} unit [{string.Join(", ", at)}]: the page's sum is {total}, TorchSharp's output {expected}");
            }
        }
        Near(Values(outputs[^1]), page.GetProperty("logits"), tolerance, "logits");

        // Backward: autograd's gradient of each target's logit with respect to the input pixels.
        var saliency = page.GetProperty("saliency");
        for (int t = 0; t < targets.Length; t++)
        {
            using var x = image.detach().clone().requires_grad_(true);
            using var logits = model.call(x);
            logits[0, targets[t]].backward();
            Near(Values(x.grad!), saliency[t], tolerance, $"the saliency of class {targets[t]}");
        }
        // The evidence of the first target only: Jint runs a conv layer's backward pass once per unit followed, which is slow.
        CompareEvidence(model, image, outputs, page.GetProperty("evidence")[0], targets[0], tolerance);
        output.WriteLine($"{model.Plan}: the page's maps, logits, unit sums, {targets.Length} saliency maps and the evidence of class {targets[0]} within {tolerance:G2} of TorchSharp's (relative to each one's largest value): at most {worstSeen:G2}");
    }

    /// <summary>
    /// The evidence the page follows down from <paramref name="target"/>'s logit, step by step against autograd: at each
    /// layer, the push of each of its inputs on the units chosen above (∂ their sum / ∂ input × the input, on the layer's
    /// own module) must be the page's, and the page must choose the three that push most.
    /// </summary>
    void CompareEvidence(ConvNet model, Tensor image, List<Tensor> outputs, JsonElement steps, int target, double tolerance)
    {
        var layers = model.Layers.ToList();
        Assert.Equal(layers.Count, steps.GetArrayLength());
        var chosen = new long[] { target };
        foreach (var step in steps.EnumerateArray())
        {
            int n = step.GetProperty("n").GetInt32();
            string where = $"class {target}'s evidence at {layers[n].Name}";
            Assert.Equal(chosen, step.GetProperty("units").EnumerateArray().Select(u => u.GetProperty("index").GetInt64()));
            using var x = (n == 0 ? image : outputs[n - 1]).detach().clone().requires_grad_(true);
            using var y = layers[n].Layer.call(x).flatten();
            y[from_array(chosen)].sum().backward();
            var gradient = Values(x.grad!);
            var push = Values(x).Zip(gradient, (v, g) => v * g).ToArray();
            var expected = Enumerable.Range(0, push.Length).Where(i => gradient[i] != 0).OrderByDescending(i => push[i]).ThenBy(i => i).Take(3).Select(i => (long)i).ToArray();
            var inputs = step.GetProperty("inputs").EnumerateArray().ToList();
            Assert.True(expected.SequenceEqual(inputs.Select(i => i.GetProperty("index").GetInt64())),
                $"{where}: the page follows inputs {string.Join(", ", inputs.Select(i => i.GetProperty("index").GetInt64()))}, autograd's pushes {string.Join(", ", expected)}");
            double peak = Math.Max(1, push.Max(Math.Abs));
            foreach (var input in inputs)
            {
                int i = input.GetProperty("index").GetInt32();
                Assert.True(Math.Abs(input.GetProperty("push").GetDouble() - push[i]) <= tolerance * peak, $"{where}, input {i}: push {input.GetProperty("push").GetDouble()}, autograd's {push[i]}");
                Assert.True(Math.Abs(input.GetProperty("gradient").GetDouble() - gradient[i]) <= tolerance * Math.Max(1, Math.Abs(gradient[i])), $"{where}, input {i}: ∂ {input.GetProperty("gradient").GetDouble()}, autograd's {gradient[i]}");
            }
            chosen = expected;
        }
    }

    // explorer.js under Jint: prepare the model from the spec, run it forward, open the middle unit of the last map of
    // each conv layer and unit 0 of each linear layer, and take the saliency of each target. Returned as JSON (exact
    // for float64: JSON.stringify writes the shortest string that reads back to the same number).
    static JsonElement RunPage(string spec, double[] input, int[] targets)
    {
        var engine = new Engine();
        engine.SetValue("atob", new Func<string, string>(b => Encoding.Latin1.GetString(Convert.FromBase64String(b))));
        engine.Execute("var window = globalThis;");
        engine.Execute(Explorer.Script);
        engine.SetValue("specJson", spec).SetValue("inputJson", JsonSerializer.Serialize(input)).SetValue("targetsJson", JsonSerializer.Serialize(targets));
        string json = engine.Evaluate("""
            (() => {
              const ex = window.ConvLensExplorer, model = ex.prepare(JSON.parse(specJson));
              const result = ex.forward(model, Float64Array.from(JSON.parse(inputJson)));
              const maps = {}, units = {};
              for (const [name, m] of Object.entries(result.layers)) maps[name] = Array.from(m.data);
              model.layers.forEach((layer, n) => {
                if (layer.kind === "Conv2d") {
                  const [O, H, W] = layer.outputShape, at = [O - 1, Math.floor(H / 2), Math.floor(W / 2)];
                  units[layer.name] = { at, total: ex.convUnit(model, result, n, ...at).total };
                } else if (layer.kind === "Linear") units[layer.name] = { at: [0], total: ex.linearUnit(model, result, n, 0).total };
              });
              const saliency = JSON.parse(targetsJson).map(t => Array.from(ex.saliency(model, result, t)));
              const evidence = [ex.evidence(model, result, JSON.parse(targetsJson)[0])];
              return JSON.stringify({ maps, units, logits: Array.from(result.logits), saliency, evidence });
            })()
            """).AsString();
        return JsonDocument.Parse(json).RootElement;
    }

    static double[] Values(Tensor t) => t.detach().flatten().data<double>().ToArray();

    double worstSeen;

    void Near(double[] expected, JsonElement actual, double tolerance, string what)
    {
        var page = actual.EnumerateArray().Select(v => v.GetDouble()).ToArray();
        Assert.True(expected.Length == page.Length, $"{what}: the page has {page.Length} values, TorchSharp {expected.Length}");
        double peak = Math.Max(1, expected.Max(Math.Abs)), worst = expected.Zip(page, (e, p) => Math.Abs(e - p)).Max();
        worstSeen = Math.Max(worstSeen, worst / peak);
        Assert.True(worst <= tolerance * peak, $"{what}: the page differs from TorchSharp by up to {worst:G3} (largest value {peak:G3}, tolerance {tolerance:G2} of it)");
    }

    static double Normal(Random random) => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    // Every weight and bias drawn at random (float32 values), batch norm's running statistics too: a fresh batch norm
    // (mean 0, variance 1, weight 1, bias 0) would hide a wrong formula.
    static void Randomize(ConvNet model, Random random)
    {
        using var _ = no_grad();
        foreach (var (key, tensor) in model.state_dict().Where(p => p.Value.is_floating_point()))
        {
            var values = Enumerable.Range(0, (int)tensor.numel())
                .Select(_ => (float)(key.EndsWith("running_var") ? 0.5 + 1.5 * random.NextDouble() : 0.5 * Normal(random))).ToArray();
            tensor.copy_(from_array(values).reshape(tensor.shape));
        }
    }
}
