using System.Text.Json.Serialization;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace ConvLens.Model;

/// <summary>A conv layer and the layers that follow it up to the next conv (pooling, norm, activation, dropout); <see cref="Output"/> is what the next block receives.</summary>
public sealed record PlanBlock(string Conv, string Output, IReadOnlyList<string> Layers);

/// <summary>
/// The one description of a network's structure that every ConvLens tool reads: its layers in the order they run, each
/// with its kind, hyperparameters, shapes and receptive field. Made from any TorchSharp module by running it once with
/// hooks on its leaf modules (<see cref="Of"/>), and checked: the layers run one after the other must give the module's
/// own output. Saved with checkpoints, and rebuilt into fresh layers (<see cref="PlanLayer.NewModule"/>).
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
    [JsonIgnore] public IReadOnlyList<Conv2dLayer> Convs => Layers.OfType<Conv2dLayer>().ToList();

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
                blocks.Add(new PlanBlock(current[0].Name, current.Last(l => !l.OffWhenLooking).Name, current.Select(l => l.Name).ToList()));
                current = null;
            }
            foreach (var layer in Layers)
            {
                if (layer is Conv2dLayer) { Close(); current = [layer]; }
                else if (current is not null && layer.Spatial && layer is not AdaptiveAvgPool2dLayer) current.Add(layer);
                else Close();
            }
            Close();
            return blocks;
        }
    }

    /// <summary>The layers whose maps are worth a look: each conv layer's output, then its block's output (conv1, relu1, conv2, relu2, …).</summary>
    [JsonIgnore] public IReadOnlyList<string> MapLayers => Blocks.SelectMany(b => b.Conv == b.Output ? [b.Conv] : new[] { b.Conv, b.Output }).ToList();

    /// <summary>A one-line summary: "1×28×28 → conv1 16@5×5 → conv2 32@5×5 → 1568 → 96 → 10".</summary>
    public override string ToString() =>
        string.Join("×", Input) + " → " + string.Join(" → ", Layers.Where(l => l is Conv2dLayer or FlattenLayer or LinearLayer or AdaptiveAvgPool2dLayer).Select(l => l switch
        {
            Conv2dLayer c => $"{c.Name} {c.Out}@{c.Kernel}" + (c.Stride != 1 ? $"/{c.Stride.Rows}" : ""),
            AdaptiveAvgPool2dLayer => "global average",
            _ => $"{l.OutputShape[^1]}",
        }));

    // Value equality: the input shape by its numbers, the layers one by one.
    public bool Equals(LayerPlan? other) => other is not null && Input.SequenceEqual(other.Input) && Layers.SequenceEqual(other.Layers);
    public override int GetHashCode() => HashCode.Combine(string.Join("×", Input), Layers.Count, Layers.Count > 0 ? Layers[^1] : null);

    /// <summary>
    /// Checks that the layers fit together by each kind's shape rule: each takes what the one before gives, and gives
    /// what its rule says. An edited or damaged plan gets a one-line error that names the layer where it breaks.
    /// </summary>
    public LayerPlan CheckFits()
    {
        long[] shape = Input;
        foreach (var layer in Layers)
        {
            if (!layer.InputShape.SequenceEqual(shape) || !layer.OutputShape.SequenceEqual(layer.OutputFor(shape)))
                throw new ConvLensException($"Layer '{layer.Name}' ({layer.Settings}) does not fit: it receives {PlanLayer.Text(shape)} and would give {PlanLayer.Text(layer.OutputFor(shape))}, but the plan says {PlanLayer.Text(layer.InputShape)} → {PlanLayer.Text(layer.OutputShape)}.");
            shape = layer.OutputShape;
        }
        return this;
    }

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
        var read = leaves.ToDictionary(l => l.name, l => LayerKinds.Read(l.name, l.module));   // every leaf must be a kind ConvLens knows

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
                var kind = read[running].Kind;
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
            var planned = read[name] with { InputShape = inTensor.shape[1..], OutputShape = outTensor.shape[1..] };
            if (!planned.OutputFor(planned.InputShape).SequenceEqual(planned.OutputShape))   // ConvLens's rule must be torch's
                throw new InvalidOperationException($"The shape rule of {planned.Kind} gives {PlanLayer.Text(planned.OutputFor(planned.InputShape))} for '{name}', torch {PlanLayer.Text(planned.OutputShape)}.");
            field = planned.FieldAfter(field);
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
}
