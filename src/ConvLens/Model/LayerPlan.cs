using System.Text.Json.Serialization;
using ConvLens.Inspection;
using TorchSharp;
using M = TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace ConvLens.Model;

/// <summary>The layer kinds ConvLens can show, run in the explorer, save and rebuild.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<LayerKind>))]
public enum LayerKind
{
    Conv2d, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, BatchNorm2d, BatchNorm1d,
    ReLU, LeakyReLU, ELU, GELU, SiLU, Tanh, Sigmoid, Dropout, Dropout2d, Flatten, Linear,
}

/// <summary>
/// What one unit of a layer sees of the input, along one axis: unit i sees input positions <c>Offset + Jump·i</c> to
/// <c>Offset + Jump·i + Size − 1</c> (before clipping at the border). Each conv or pool adds (kernel − 1)·jump to the
/// size, starts padding·jump earlier, and multiplies the jump by its stride.
/// </summary>
public sealed record FieldAxis(int Size, int Jump, int Offset)
{
    internal FieldAxis Through(int kernel, int stride, int padding, int dilation) =>
        new(Size + dilation * (kernel - 1) * Jump, Jump * stride, Offset - padding * Jump);
}

/// <summary>A unit's receptive field along rows and columns; a layer whose units see the whole image has none.</summary>
public sealed record Field(FieldAxis Rows, FieldAxis Columns);

/// <summary>
/// One layer of a <see cref="LayerPlan"/>: its name (as in the state dict), kind, hyperparameters (only those of its
/// kind are set), the shape it takes and gives for one image, and its receptive field (null: it sees the whole image).
/// </summary>
public sealed record PlanLayer
{
    public required string Name { get; init; }
    public required LayerKind Kind { get; init; }
    /// <summary>Conv: input and output channels. Linear: input and output features. Batch norm: features (both).</summary>
    public int? In { get; init; }
    public int? Out { get; init; }
    /// <summary>Conv and pools: [rows, columns].</summary>
    public int[]? Kernel { get; init; }
    public int[]? Stride { get; init; }
    public int[]? Padding { get; init; }
    public int[]? Dilation { get; init; }
    /// <summary>Conv and linear: whether the layer adds a bias.</summary>
    public bool? Bias { get; init; }
    /// <summary>LeakyReLU's slope for negatives.</summary>
    public double? Slope { get; init; }
    /// <summary>ELU's α.</summary>
    public double? Alpha { get; init; }
    /// <summary>GELU: "none" (exact, with erf) or "tanh".</summary>
    public string? Approximate { get; init; }
    /// <summary>Dropout's probability (off in evaluation).</summary>
    public double? P { get; init; }
    /// <summary>Batch norm's ε and momentum.</summary>
    public double? Eps { get; init; }
    public double? Momentum { get; init; }
    /// <summary>AvgPool2d: whether the padding's zeros count in the mean (torch's default, true).</summary>
    public bool? CountIncludePad { get; init; }
    public required long[] InputShape { get; init; }
    public required long[] OutputShape { get; init; }
    public Field? Field { get; init; }

    /// <summary>The layer gives maps [channels, height, width].</summary>
    [JsonIgnore] public bool Spatial => OutputShape.Length == 3;
    [JsonIgnore] public bool IsDropout => Kind is LayerKind.Dropout or LayerKind.Dropout2d;

    static string Pair(int[] v) => v[0] == v[1] ? $"{v[0]}" : $"{v[0]}×{v[1]}";
    static string Box(int[] v) => $"{v[0]}×{v[1]}";
    static string Shape(long[] s) => string.Join("×", s);

    /// <summary>The kind and its hyperparameters, as a reader would write them: "Conv2d 1→16, 5×5, padding 2".</summary>
    [JsonIgnore] public string Settings => Kind switch
    {
        LayerKind.Conv2d => $"Conv2d {In}→{Out}, {Box(Kernel!)}" + (Pair(Stride!) == "1" ? "" : $", stride {Pair(Stride!)}")
            + (Pair(Padding!) == "0" ? "" : $", padding {Pair(Padding!)}") + (Pair(Dilation!) == "1" ? "" : $", dilation {Pair(Dilation!)}") + (Bias == false ? ", no bias" : ""),
        LayerKind.MaxPool2d or LayerKind.AvgPool2d => $"{Kind} {Box(Kernel!)}" + (Stride!.SequenceEqual(Kernel!) ? "" : $", stride {Pair(Stride!)}")
            + (Pair(Padding!) == "0" ? "" : $", padding {Pair(Padding!)}") + (Dilation is { } d && Pair(d) != "1" ? $", dilation {Pair(d)}" : ""),
        LayerKind.AdaptiveAvgPool2d => "AdaptiveAvgPool2d(1)",
        LayerKind.BatchNorm2d or LayerKind.BatchNorm1d => $"{Kind}({In})",
        LayerKind.LeakyReLU => $"LeakyReLU({Slope})",
        LayerKind.ELU => $"ELU({Alpha})",
        LayerKind.GELU => Approximate == "tanh" ? "GELU(tanh)" : "GELU",
        LayerKind.Dropout or LayerKind.Dropout2d => $"{Kind}({P})",
        LayerKind.Linear => $"Linear {In}→{Out}" + (Bias == false ? ", no bias" : ""),
        _ => Kind.ToString(),
    };

    /// <summary>What the layer's output is, in a sentence, for figure captions.</summary>
    [JsonIgnore] public string About => Kind switch
    {
        LayerKind.Conv2d => $"The conv layer's output ({Settings}): one map per filter, before whatever follows it; negative values are where a filter's pattern is absent.",
        LayerKind.MaxPool2d => $"After max-pooling ({Settings}): each value is the largest of a {Box(Kernel!)} window, so the maps go from {Shape(InputShape[1..])} to {Shape(OutputShape[1..])}.",
        LayerKind.AvgPool2d => $"After average pooling ({Settings}): each value is the mean of a {Box(Kernel!)} window, so the maps go from {Shape(InputShape[1..])} to {Shape(OutputShape[1..])}.",
        LayerKind.AdaptiveAvgPool2d => "Global average pooling: each map becomes one number, its mean.",
        LayerKind.BatchNorm2d or LayerKind.BatchNorm1d => "After batch norm: each channel shifted and scaled by statistics learned in training (its running mean and variance), then by its learned weight and bias.",
        LayerKind.ReLU => "After ReLU: negatives set to zero.",
        LayerKind.LeakyReLU => $"After LeakyReLU: negatives multiplied by {Slope}, positives kept.",
        LayerKind.ELU => "After ELU: positives kept, negatives bent smoothly towards −α.",
        LayerKind.GELU => "After GELU: positives mostly kept, negatives mostly damped, smoothly.",
        LayerKind.SiLU => "After SiLU (x · sigmoid(x)): positives mostly kept, negatives mostly damped, smoothly.",
        LayerKind.Tanh => "After tanh: every value squashed into −1 … 1.",
        LayerKind.Sigmoid => "After the sigmoid: every value squashed into 0 … 1.",
        LayerKind.Dropout or LayerKind.Dropout2d => "After dropout, which is off outside training: the same values as its input.",
        LayerKind.Flatten => "The maps laid out in one row of numbers.",
        LayerKind.Linear => $"A linear layer's output ({Settings}): each value a weighted sum of all its inputs, plus a bias.",
        _ => "The layer's output for this image.",
    };

    /// <summary>One line: name, kind and settings, the shapes in and out, and the receptive field.</summary>
    public override string ToString() =>
        $"{Name,-12} {Settings,-36} {Shape(InputShape),9} → {Shape(OutputShape),-9}" +
        (Field is { } f ? $"  sees {f.Rows.Size}×{f.Columns.Size}, jump {Pair([f.Rows.Jump, f.Columns.Jump])}" : "  sees the whole image");
}

/// <summary>A conv layer and the layers that follow it up to the next conv (pooling, norm, activation, dropout); <see cref="Output"/> is what the next block receives.</summary>
public sealed record PlanBlock(string Conv, string Output, IReadOnlyList<string> Layers);

/// <summary>
/// The one description of a network's structure that every ConvLens tool reads: its layers in the order they run, each
/// with its kind, hyperparameters, shapes and receptive field. Made from any TorchSharp module by running it once with
/// hooks on its leaf modules (<see cref="Of"/>), and checked: the layers run one after the other must give the module's
/// own output. Saved with checkpoints, and rebuilt into fresh layers (<see cref="Instantiate"/>).
/// </summary>
public sealed record LayerPlan
{
    /// <summary>The shape of one input image: [channels, height, width].</summary>
    public required long[] Input { get; init; }
    public required IReadOnlyList<PlanLayer> Layers { get; init; }

    [JsonIgnore] public int Channels => (int)Input[0];
    [JsonIgnore] public int Height => (int)Input[1];
    [JsonIgnore] public int Width => (int)Input[2];
    [JsonIgnore] public int Classes => (int)Layers[^1].OutputShape[^1];

    /// <summary>The layer named <paramref name="name"/>, or an error that lists the layers there are.</summary>
    public PlanLayer this[string name] =>
        Layers.FirstOrDefault(l => l.Name == name) ?? throw new ConvLensException($"The model has no layer '{name}'; its layers: {string.Join(", ", Layers.Select(l => l.Name))}.");

    /// <summary>The conv layers, in order.</summary>
    [JsonIgnore] public IReadOnlyList<PlanLayer> Convs => Layers.Where(l => l.Kind == LayerKind.Conv2d).ToList();

    /// <summary>
    /// Each conv layer with what follows it on the same maps (pooling, batch norm, activation, dropout) up to the next
    /// conv, global pooling or flatten. A block's output is its last layer that changes the values (dropout is off when
    /// looking): what the next block receives, and what Grad-CAM looks at.
    /// </summary>
    [JsonIgnore]
    public IReadOnlyList<PlanBlock> Blocks
    {
        get
        {
            var blocks = new List<PlanBlock>();
            List<PlanLayer>? current = null;
            void Close()
            {
                if (current is null) return;
                blocks.Add(new PlanBlock(current[0].Name, current.Last(l => !l.IsDropout).Name, current.Select(l => l.Name).ToList()));
                current = null;
            }
            foreach (var layer in Layers)
            {
                if (layer.Kind == LayerKind.Conv2d) { Close(); current = [layer]; }
                else if (current is not null && layer.Spatial && layer.Kind != LayerKind.AdaptiveAvgPool2d) current.Add(layer);
                else Close();
            }
            Close();
            return blocks;
        }
    }

    /// <summary>The layers whose maps are worth a look: each conv layer's output, then its block's output (conv1, relu1, conv2, relu2, …).</summary>
    [JsonIgnore] public IReadOnlyList<string> MapLayers => Blocks.SelectMany(b => b.Conv == b.Output ? [b.Conv] : new[] { b.Conv, b.Output }).ToList();

    /// <summary>The receptive field of layer <paramref name="name"/>: which input window each of its units sees.</summary>
    public LayerReceptiveField ReceptiveField(string name)
    {
        var layer = this[name];
        return layer.Field is { } f && layer.Spatial
            ? new LayerReceptiveField(name, f.Rows, f.Columns, (int)layer.OutputShape[1], (int)layer.OutputShape[2], Height, Width)
            : new LayerReceptiveField(name, new FieldAxis(Height, 0, 0), new FieldAxis(Width, 0, 0), 1, (int)layer.OutputShape.Aggregate(1L, (a, b) => a * b), Height, Width, Spatial: false);
    }

    /// <summary>A one-line summary: "1×28×28 → conv1 16@5×5 → conv2 32@5×5 → 1568 → 96 → 10".</summary>
    public override string ToString() =>
        string.Join("×", Input) + " → " + string.Join(" → ", Layers.Where(l => l.Kind is LayerKind.Conv2d or LayerKind.Flatten or LayerKind.Linear or LayerKind.AdaptiveAvgPool2d).Select(l => l.Kind switch
        {
            LayerKind.Conv2d => $"{l.Name} {l.Out}@{l.Kernel![0]}×{l.Kernel![1]}" + (l.Stride!.Any(s => s != 1) ? $"/{l.Stride![0]}" : ""),
            LayerKind.AdaptiveAvgPool2d => "global average",
            _ => $"{l.OutputShape[^1]}",
        }));

    // ---- Making a plan from a module ----

    /// <summary>
    /// The plan of <paramref name="module"/> for inputs of shape <paramref name="input"/> ([channels, height, width]):
    /// runs it once (in evaluation mode, on random pixels, without gradients) with a forward hook on every leaf module,
    /// then checks that running those layers one after the other gives the module's own output to 1e-5. Returns the
    /// plan and the modules it found, in the order they run. Every failure is one <see cref="ConvLensException"/> line
    /// that says what to change.
    /// </summary>
    public static (LayerPlan Plan, IReadOnlyList<(string Name, Module<Tensor, Tensor> Layer)> Modules) Of(Module<Tensor, Tensor> module, long[] input)
    {
        if (input.Length != 3 || input.Any(d => d < 1))
            throw new ConvLensException($"Give the input as [channels, height, width], e.g. [1, 28, 28]; not [{string.Join(", ", input)}].");
        if (input[0] is not (1 or 3))
            throw new ConvLensException($"ConvLens shows networks whose images have 1 channel (grey) or 3 (colour), not {input[0]}.");
        var leaves = module.named_modules().Where(m => m.name.Length > 0 && !m.module.children().Any()).ToList();
        foreach (var (name, leaf) in leaves) KindOf(name, leaf);   // every leaf must be a kind ConvLens knows

        var calls = new List<(string Name, Module<Tensor, Tensor> Layer, Tensor In, Tensor Out)>();
        var remove = new List<Action>();
        string? running = null;
        bool wasTraining = module.training;
        using var generator = new Generator(0);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var x = rand([2, .. input], generator: generator, dtype: module.parameters().FirstOrDefault()?.dtype ?? ScalarType.Float32);
        x = x.to(module.parameters().FirstOrDefault()?.device ?? CPU);
        Tensor output;
        try
        {
            foreach (var (name, leaf) in leaves)
            {
                var layer = (Module<Tensor, Tensor>)leaf;
                Tensor? seenInput = null;
                var pre = layer.register_forward_pre_hook((_, i) => { running = name; seenInput = i.detach().clone(); return i; });
                var post = layer.register_forward_hook((_, _, o) =>
                {
                    if (calls.Any(c => c.Name == name))
                        throw new ConvLensException($"Layer '{name}' runs twice in forward(); a plan is a chain of layers, so give each use a layer of its own.");
                    calls.Add((name, layer, seenInput!, o.detach().clone()));
                    running = null;
                    return o;
                });
                remove.Add(pre.remove); remove.Add(post.remove);
            }
            module.eval();
            try
            {
                output = module.call(x);
            }
            catch (Exception e) when (e is not ConvLensException && running is not null)
            {
                var kind = KindOf(running, leaves.First(l => l.name == running).module);
                string received = calls.Count == 0 ? string.Join("×", input) : string.Join("×", calls[^1].Out.shape.Skip(1));
                throw new ConvLensException($"A {string.Join("×", input)} input does not fit: layer '{running}' ({kind}) receives {received} and fails" +
                    (calls.Count > 0 && calls[^1].Out.shape.Length == 4 ? " (the maps have shrunk too far: use fewer poolings or strides, more padding, or a bigger image)" : "") +
                    $": {e.Message.Split('\n')[0]}");
            }
            catch (Exception e) when (e is not ConvLensException)
            {
                throw new ConvLensException($"The module fails on a [{string.Join(", ", input)}] input: {e.Message.Split('\n')[0]}");
            }
        }
        finally
        {
            remove.ForEach(r => r());
            module.train(wasTraining);
        }
        if (calls.Count == 0)
            throw new ConvLensException("No layer of the module ran: call every layer with .call(x) in forward(), not .forward(x), so ConvLens can see it.");

        // The chain: each layer must take exactly what the one before gave. Anything else is work the tools cannot see.
        Check(x, calls[0].In, $"forward() changes the input before its first layer '{calls[0].Name}'", "make that step a layer");
        for (int i = 1; i < calls.Count; i++)
            Check(calls[i - 1].Out, calls[i].In, $"between '{calls[i - 1].Name}' and '{calls[i].Name}', forward() changes the tensor without a layer",
                "make that step a layer (for functional.relu use ReLU(), for max_pool2d MaxPool2d(), for view or reshape Flatten()) and call it with .call");
        Check(calls[^1].Out, output, $"forward() changes the output of its last layer '{calls[^1].Name}'", "make that step a layer, or leave it to the loss (CrossEntropyLoss takes the raw scores)");
        if (output.dim() != 2)
            throw new ConvLensException($"The network must end in class scores, [batch, classes]; its last layer '{calls[^1].Name}' gives [{string.Join(", ", output.shape.Skip(1))}] per image. End it with Flatten() and a Linear layer.");

        // The plan: each layer described from the module itself, with its receptive field, layer by layer from the input.
        var layers = new List<PlanLayer>();
        Field? field = new(new FieldAxis(1, 1, 0), new FieldAxis(1, 1, 0));
        foreach (var (name, layer, inTensor, outTensor) in calls)
        {
            var planned = Describe(name, layer) with { InputShape = inTensor.shape[1..], OutputShape = outTensor.shape[1..] };
            field = planned.Kind switch
            {
                _ when field is null || !planned.Spatial => null,
                LayerKind.AdaptiveAvgPool2d => null,
                LayerKind.Conv2d or LayerKind.MaxPool2d or LayerKind.AvgPool2d => new Field(
                    field.Rows.Through(planned.Kernel![0], planned.Stride![0], planned.Padding![0], planned.Dilation?[0] ?? 1),
                    field.Columns.Through(planned.Kernel[1], planned.Stride[1], planned.Padding[1], planned.Dilation?[1] ?? 1)),
                _ => field,   // batch norm, activations and dropout work unit by unit: the window stays as it was
            };
            layers.Add(planned with { Field = field });
        }
        var plan = new LayerPlan { Input = input.ToArray(), Layers = layers };

        // Last, the whole chain once more, each layer run on what the one before gave: the module's own output, to 1e-5.
        module.eval();
        try
        {
            var y = x;
            foreach (var c in calls) y = c.Layer.call(y);
            Check(y, output, "running the layers one after the other does not give the module's output", "call each layer once, in order, with .call");
        }
        finally { module.train(wasTraining); }
        return (plan, calls.Select(c => (c.Name, c.Layer)).ToList());
    }

    static void Check(Tensor expected, Tensor actual, string problem, string fix)
    {
        if (!expected.shape.SequenceEqual(actual.shape))
            throw new ConvLensException($"Hidden work: {problem} (its shape goes from [{string.Join(", ", expected.shape.Skip(1))}] to [{string.Join(", ", actual.shape.Skip(1))}]); {fix}.");
        double difference = expected.numel() == 0 ? 0 : (expected - actual).abs().max().to_type(ScalarType.Float64).item<double>();
        if (!(difference <= 1e-5))
            throw new ConvLensException($"Hidden work: {problem} (values differ by up to {difference:G3}); {fix}.");
    }

    // ---- The one place that knows each kind: its TorchSharp module read into a plan layer, and built back. ----

    static readonly string Supported = string.Join(", ", Enum.GetNames<LayerKind>());

    static LayerKind KindOf(string name, Module module) => module switch
    {
        M.Conv2d => LayerKind.Conv2d, M.MaxPool2d => LayerKind.MaxPool2d, M.AvgPool2d => LayerKind.AvgPool2d, M.AdaptiveAvgPool2d => LayerKind.AdaptiveAvgPool2d,
        M.BatchNorm2d => LayerKind.BatchNorm2d, M.BatchNorm1d => LayerKind.BatchNorm1d,
        M.ReLU => LayerKind.ReLU, M.LeakyReLU => LayerKind.LeakyReLU, M.ELU => LayerKind.ELU, M.GELU => LayerKind.GELU, M.SiLU => LayerKind.SiLU,
        M.Tanh => LayerKind.Tanh, M.Sigmoid => LayerKind.Sigmoid, M.Dropout => LayerKind.Dropout, M.Dropout2d => LayerKind.Dropout2d,
        M.Flatten => LayerKind.Flatten, M.Linear => LayerKind.Linear,
        _ => throw new ConvLensException($"Layer '{(name.Length == 0 ? "(the module itself)" : name)}' is a {module.GetType().Name}, which ConvLens cannot show; it knows {Supported}."),
    };

    static int[] Ints(long[]? values, int fallback) => values is null ? [fallback, fallback] : values.Length == 1 ? [(int)values[0], (int)values[0]] : values.Select(v => (int)v).ToArray();

    static PlanLayer Describe(string name, Module module)
    {
        var kind = KindOf(name, module);
        var layer = new PlanLayer { Name = name, Kind = kind, InputShape = [], OutputShape = [] };
        void Unsupported(string what) => throw new ConvLensException($"Layer '{name}' ({kind}) uses {what}, which ConvLens cannot show yet.");
        switch (module)
        {
            case M.Conv2d c:
                if (c.groups != 1) Unsupported($"groups = {c.groups}");
                if (c.padding_mode != PaddingModes.Zeros) Unsupported($"padding mode {c.padding_mode}");
                var kernel = Ints(c.kernel_size, 1);
                var dilation = Ints(c.dilation, 1);
                int[] padding = c.padding is { } p ? Ints(p, 0) : [0, 0];
                if (c.padding is null && c.padding_type == TorchSharp.Padding.Same)
                {
                    // 'same' pads dilation·(kernel − 1) in all, split evenly only when that is even.
                    if (kernel.Zip(dilation).Any(kd => kd.Second * (kd.First - 1) % 2 != 0)) Unsupported("padding 'same' with an even kernel (torch then pads one side more); give the padding as numbers");
                    padding = kernel.Zip(dilation, (k, d) => d * (k - 1) / 2).ToArray();
                }
                return layer with { In = (int)c.in_channels, Out = (int)c.out_channels, Kernel = kernel, Stride = Ints(c.stride, 1), Padding = padding, Dilation = dilation, Bias = c.bias is not null };
            case M.MaxPool2d m:
                if (m.ceil_mode) Unsupported("ceil_mode");
                var mk = Ints(m.kernel_size, 1);
                return layer with { Kernel = mk, Stride = m.stride is null ? mk : Ints(m.stride, 1), Padding = Ints(m.padding, 0), Dilation = Ints(m.dilation, 1) };
            case M.AvgPool2d a:
                if (a.ceil_mode) Unsupported("ceil_mode");
                if (a.divisor_override is not null) Unsupported("divisor_override");
                var ak = Ints(a.kernel_size, 1);
                return layer with { Kernel = ak, Stride = a.stride is null ? ak : Ints(a.stride, 1), Padding = Ints(a.padding, 0), CountIncludePad = a.count_include_pad };
            case M.AdaptiveAvgPool2d g:
                if (g.output_size.Any(s => s != 1)) Unsupported($"output size {string.Join("×", g.output_size)} (only 1, global average pooling)");
                return layer;
            case M.BatchNorm2d or M.BatchNorm1d:
                var n = (M.NormBase)module;
                if (!n.affine || !n.track_running_stats) Unsupported("affine = false or no running statistics");
                return layer with { In = (int)n.num_features, Out = (int)n.num_features, Eps = n.eps, Momentum = n.momentum };
            case M.LeakyReLU l: return layer with { Slope = l.negative_slope };
            case M.ELU e: return layer with { Alpha = e.alpha };
            case M.GELU g: return layer with { Approximate = g.approximate == M.GELU.Approximate.tanh ? "tanh" : "none" };
            case M.Dropout d: return layer with { P = d.p };
            case M.Dropout2d d: return layer with { P = d.p };
            case M.Flatten f:
                if (f.start_dim != 1 || f.end_dim != -1) Unsupported($"start_dim {f.start_dim}, end_dim {f.end_dim} (only Flatten(), all but the batch)");
                return layer;
            case M.Linear li: return layer with { In = (int)li.in_features, Out = (int)li.out_features, Bias = li.bias is not null };
            default: return layer;   // ReLU, SiLU, Tanh, Sigmoid: nothing to set
        }
    }

    /// <summary>A fresh TorchSharp module for <paramref name="layer"/>: the same kind and settings (weights start untrained).</summary>
    public static Module<Tensor, Tensor> Instantiate(PlanLayer layer) => layer.Kind switch
    {
        LayerKind.Conv2d => Conv2d(layer.In!.Value, layer.Out!.Value, (layer.Kernel![0], layer.Kernel[1]), stride: (layer.Stride![0], layer.Stride[1]),
            padding: (layer.Padding![0], layer.Padding[1]), dilation: (layer.Dilation![0], layer.Dilation[1]), bias: layer.Bias ?? true),
        LayerKind.MaxPool2d => MaxPool2d((layer.Kernel![0], layer.Kernel[1]), (layer.Stride![0], layer.Stride[1]), (layer.Padding![0], layer.Padding[1]),
            layer.Dilation is { } d ? (d[0], d[1]) : (1, 1)),
        LayerKind.AvgPool2d => AvgPool2d((layer.Kernel![0], layer.Kernel[1]), (layer.Stride![0], layer.Stride[1]), (layer.Padding![0], layer.Padding[1]),
            count_include_pad: layer.CountIncludePad ?? true),
        LayerKind.AdaptiveAvgPool2d => AdaptiveAvgPool2d(1),
        LayerKind.BatchNorm2d => BatchNorm2d(layer.In!.Value, layer.Eps ?? 1e-5, layer.Momentum ?? 0.1),
        LayerKind.BatchNorm1d => BatchNorm1d(layer.In!.Value, layer.Eps ?? 1e-5, layer.Momentum ?? 0.1),
        LayerKind.ReLU => ReLU(),
        LayerKind.LeakyReLU => LeakyReLU(layer.Slope ?? 0.01),
        LayerKind.ELU => ELU(layer.Alpha ?? 1.0),
        LayerKind.GELU => GELU(layer.Approximate == "tanh" ? M.GELU.Approximate.tanh : M.GELU.Approximate.none),
        LayerKind.SiLU => SiLU(),
        LayerKind.Tanh => Tanh(),
        LayerKind.Sigmoid => Sigmoid(),
        LayerKind.Dropout => Dropout(layer.P ?? 0.5),
        LayerKind.Dropout2d => Dropout2d(layer.P ?? 0.5),
        LayerKind.Flatten => Flatten(),
        LayerKind.Linear => Linear(layer.In!.Value, layer.Out!.Value, hasBias: layer.Bias ?? true),
        _ => throw new ConvLensException($"Layer '{layer.Name}' has kind {layer.Kind}, which ConvLens does not know; it knows {Supported}."),
    };
}
