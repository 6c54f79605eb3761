using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ConvLens.Inspection;

/// <summary>One inspectable layer: its name (as in the state dict), type, parameter shapes and output shape for one input.</summary>
public sealed record LayerInfo(string Name, string Type, IReadOnlyDictionary<string, long[]> Parameters, long[] OutputShape)
{
    public override string ToString() =>
        $"{Name,-14} {Type,-10} out [{string.Join(", ", OutputShape)}]" +
        (Parameters.Count == 0 ? "" : "  " + string.Join("  ", Parameters.Select(p => $"{p.Key} [{string.Join(", ", p.Value)}]")));
}

/// <summary>
/// Looks inside any TorchSharp module, whatever its architecture: the layers it has, the weights of a conv layer,
/// and the activations an input produces at named layers (through forward hooks, removed afterwards).
/// </summary>
public static class Inspect
{
    /// <summary>The named leaf modules of <paramref name="model"/>, in the order they run, with their output shapes for <paramref name="input"/>.</summary>
    public static IReadOnlyList<LayerInfo> Layers(nn.Module<Tensor, Tensor> model, Tensor input)
    {
        var leaves = Leaves(model);
        var outputs = new Dictionary<string, long[]>();
        var order = new List<string>();
        Observe(model, input, leaves.Select(l => l.Name), (name, output) =>
        {
            outputs[name] = output.shape;
            order.Add(name);
        });
        return order.Distinct().Select(name =>
        {
            var module = leaves.First(l => l.Name == name).Module;
            var parameters = module.named_parameters(recurse: false).ToDictionary(p => p.name, p => p.parameter.shape);
            return new LayerInfo(name, module.GetType().Name, parameters, outputs[name]);
        }).ToList();
    }

    /// <summary>The weights of conv layer <paramref name="layer"/> as a CPU tensor [out, in, kH, kW], detached from the model.</summary>
    public static Tensor Filters(nn.Module model, string layer)
    {
        var module = Find(model, layer);
        if (module is not Conv2d conv)
            throw new ConvLensException($"Layer '{layer}' is a {module.GetType().Name}, not a conv layer; conv layers: {string.Join(", ", ConvLayers(model))}.");
        return conv.weight!.detach().cpu().clone();
    }

    /// <summary>Names of the conv layers of <paramref name="model"/>.</summary>
    public static IReadOnlyList<string> ConvLayers(nn.Module model) =>
        Leaves(model).Where(l => l.Module is Conv2d).Select(l => l.Name).ToList();

    /// <summary>
    /// The output of each conv block, what the next block receives: relu1, relu2, … (after pooling and ReLU) for a
    /// <see cref="Model.ConvNet"/>; for another model, its conv layers.
    /// </summary>
    public static IReadOnlyList<string> BlockOutputs(nn.Module model)
    {
        var names = Leaves(model).Select(l => l.Name).ToHashSet();
        var relus = ConvLayers(model).Select(c => "relu" + c["conv".Length..]).ToList();
        return relus.All(names.Contains) ? relus : ConvLayers(model);
    }

    /// <summary>The layers whose maps are worth a look: each conv layer's output, then its block's output (conv1, relu1, conv2, relu2, …).</summary>
    public static IReadOnlyList<string> MapLayers(nn.Module model) =>
        ConvLayers(model).Zip(BlockOutputs(model)).SelectMany(p => p.First == p.Second ? [p.First] : new[] { p.First, p.Second }).ToList();

    /// <summary>
    /// The input window unit (<paramref name="row"/>, <paramref name="column"/>) of <paramref name="layer"/> sees, clipped at
    /// the image's borders: for the article's net a conv2 unit sees 14×14 pixels (conv1's 5×5, pooled, then conv2's 5×5
    /// over pooled maps), fewer at the borders, where padding stands in for the rest.
    /// </summary>
    public static InputWindow ReceptiveField(Model.ConvNet model, string layer, int row, int column) =>
        ReceptiveFields(model)[Known(model, layer)].Window(row, column);

    /// <summary>The receptive field of every layer of <paramref name="model"/>, by name, in the order they run.</summary>
    public static IReadOnlyDictionary<string, LayerReceptiveField> ReceptiveFields(Model.ConvNet model) =>
        LayerReceptiveField.OfLayers(model.Spec, model.Layers.Select(l => l.Name)).ToDictionary(f => f.Layer);

    /// <summary>
    /// Runs <paramref name="input"/> (one image, [1, C, H, W] or [C, H, W]) through <paramref name="model"/> in eval mode
    /// and returns the output of each named layer for that image, [channels, height, width], on the CPU.
    /// The hooks are removed before this returns, also when it fails, so running a notebook cell twice is safe.
    /// </summary>
    public static IReadOnlyDictionary<string, Tensor> FeatureMaps(nn.Module<Tensor, Tensor> model, Tensor input, params string[] layers)
    {
        if (layers.Length == 0) throw new ArgumentException("Name at least one layer.", nameof(layers));
        foreach (var name in layers) Find(model, name);
        var maps = new Dictionary<string, Tensor>();
        Observe(model, input.dim() == 3 ? input.unsqueeze(0) : input, layers, (name, output) =>
            maps[name] = output[0].detach().cpu().clone().DetachFromDisposeScope());
        return layers.ToDictionary(n => n, n => maps.TryGetValue(n, out var map) ? map
            : throw new ConvLensException($"Layer '{n}' did not run in forward(); it is registered but not called with .call."));
    }

    /// <summary>
    /// Runs <paramref name="input"/> through <paramref name="model"/> in eval mode (dropout off) with autograd recording,
    /// and returns the model's output and the output of each named layer: views in the same graph, so gradients can be
    /// taken with respect to them (Grad-CAM) or through them (preferred inputs). Wrap the call in <c>no_grad()</c> when
    /// only the values are wanted. Hooks are removed and the training mode restored before it returns.
    /// </summary>
    public static (Tensor Output, IReadOnlyDictionary<string, Tensor> Layers) ForwardWithLayers(nn.Module<Tensor, Tensor> model, Tensor input, params string[] names)
    {
        var layers = new Dictionary<string, Tensor>();
        // Sequential disposes each layer's output once the next layer has run; the caller keeps the captured tensor,
        // so the network goes on with an alias (a view autograd follows).
        var output = WithHooks(model, names, (name, o) => { layers[name] = o; return o.alias(); },
            () => model.call(input.to(model.parameters().First().device)));
        return (output, layers);
    }

    /// <summary><c>model.call(input)</c> in eval mode (dropout off), with autograd recording; the training mode is restored afterwards.</summary>
    public static Tensor CallInEvalMode(nn.Module<Tensor, Tensor> model, Tensor input) =>
        WithHooks(model, [], (_, o) => o, () => model.call(input.to(model.parameters().First().device)));

    // Runs input in eval mode, without autograd, handing each named layer's output to onOutput; every tensor made
    // inside (the outputs included) is freed when it returns, so onOutput copies what it keeps.
    static void Observe(nn.Module<Tensor, Tensor> model, Tensor input, IEnumerable<string> names, Action<string, Tensor> onOutput) =>
        WithHooks(model, names, (name, o) => { onOutput(name, o); return o; }, () =>
        {
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            model.call(input.to(model.parameters().First().device));
            return empty(0);
        }).Dispose();

    // Registers a forward hook on each named layer, puts the model in eval mode, runs `run`, then removes the hooks
    // and restores the training mode, also when it fails, so running a notebook cell twice never leaves a hook behind.
    static Tensor WithHooks(nn.Module<Tensor, Tensor> model, IEnumerable<string> names, Func<string, Tensor, Tensor> hook, Func<Tensor> run)
    {
        var handles = new List<nn.HookableModule<Func<nn.Module<Tensor, Tensor>, Tensor, Tensor>, Func<nn.Module<Tensor, Tensor>, Tensor, Tensor, Tensor>>.HookRemover>();
        bool wasTraining = model.training;
        try
        {
            foreach (var name in names.Distinct())
            {
                if (Find(model, name) is not nn.Module<Tensor, Tensor> layer)
                    throw new ConvLensException($"Layer '{name}' does not take and return one tensor, so it cannot be hooked.");
                handles.Add(layer.register_forward_hook((_, _, output) => hook(name, output)));
            }
            model.eval();
            return run();
        }
        finally
        {
            handles.ForEach(h => h.remove());
            model.train(wasTraining);
        }
    }

    static List<(string Name, nn.Module Module)> Leaves(nn.Module model) =>
        model.named_modules().Where(m => m.name.Length > 0 && !m.module.children().Any()).Select(m => (m.name, m.module)).ToList();

    static string Known(nn.Module model, string name)
    {
        Find(model, name);
        return name;
    }

    static nn.Module Find(nn.Module model, string name) =>
        Leaves(model).FirstOrDefault(l => l.Name == name).Module
        ?? throw new ConvLensException($"The model has no layer '{name}'; its layers: {string.Join(", ", Leaves(model).Select(l => l.Name))}.");
}
