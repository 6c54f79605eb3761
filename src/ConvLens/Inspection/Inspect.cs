using ConvLens.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ConvLens.Inspection;

/// <summary>
/// Looks inside a <see cref="ConvNet"/>, whatever its architecture, through its <see cref="LayerPlan"/>: the layers it
/// has, the weights of a conv layer, the activations an input produces at named layers (through forward hooks, removed
/// afterwards), and what each unit sees of the input.
/// </summary>
public static class Inspect
{
    /// <summary>The layers in the order they run: name, kind and settings, shapes for one image, receptive field.</summary>
    public static IReadOnlyList<PlanLayer> Layers(ConvNet model) => model.Plan.Layers;

    /// <summary>The weights of conv layer <paramref name="layer"/> as a CPU tensor [out, in, kH, kW], detached from the model.</summary>
    public static Tensor Filters(ConvNet model, string layer)
    {
        var planned = model.Plan[layer];
        if (planned is not Conv2dLayer)
            throw new ConvLensException($"Layer '{layer}' is a {planned.Kind}, not a conv layer; conv layers: {string.Join(", ", ConvLayers(model))}.");
        return ((Conv2d)model.Layer(layer)).weight!.detach().cpu().clone();
    }

    /// <summary>Names of the conv layers of <paramref name="model"/>.</summary>
    public static IReadOnlyList<string> ConvLayers(ConvNet model) => model.Plan.Convs.Select(l => l.Name).ToList();

    /// <summary>
    /// The output of each conv block, what the next block receives (relu1, relu2, … in the article's net, after pooling
    /// and ReLU): see <see cref="LayerPlan.Blocks"/>.
    /// </summary>
    public static IReadOnlyList<string> BlockOutputs(ConvNet model) => model.Plan.Blocks.Select(b => b.Output).ToList();

    /// <summary>The layers whose maps are worth a look: each conv layer's output, then its block's output (conv1, relu1, conv2, relu2, …).</summary>
    public static IReadOnlyList<string> MapLayers(ConvNet model) => model.Plan.MapLayers;

    /// <summary>
    /// The input window unit (<paramref name="row"/>, <paramref name="column"/>) of <paramref name="layer"/> sees, clipped at
    /// the image's borders: for the article's net a conv2 unit sees 14×14 pixels (conv1's 5×5, pooled, then conv2's 5×5
    /// over pooled maps), fewer at the borders, where padding stands in for the rest.
    /// </summary>
    public static InputWindow ReceptiveField(ConvNet model, string layer, int row, int column) =>
        model.Plan.ReceptiveField(layer).Window(row, column);

    /// <summary>The receptive field of every layer of <paramref name="model"/>, by name, in the order they run.</summary>
    public static IReadOnlyDictionary<string, LayerReceptiveField> ReceptiveFields(ConvNet model) =>
        model.Plan.Layers.ToDictionary(l => l.Name, l => model.Plan.ReceptiveField(l.Name));

    /// <summary>
    /// Runs <paramref name="input"/> (one image, [1, C, H, W] or [C, H, W]) through <paramref name="model"/> in eval mode
    /// and returns the output of each named layer for that image ([channels, height, width] for maps), on the CPU.
    /// The hooks are removed before this returns, also when it fails, so running a notebook cell twice is safe.
    /// </summary>
    public static IReadOnlyDictionary<string, Tensor> FeatureMaps(ConvNet model, Tensor input, params string[] layers)
    {
        if (layers.Length == 0) throw new ArgumentException("Name at least one layer.", nameof(layers));
        foreach (var name in layers) _ = model.Plan[name];
        var maps = new Dictionary<string, Tensor>();
        Observe(model, input.dim() == 3 ? input.unsqueeze(0) : input, layers, (name, output) =>
            maps[name] = output[0].detach().cpu().clone().DetachFromDisposeScope());
        return layers.ToDictionary(n => n, n => maps[n]);
    }

    /// <summary>
    /// Runs <paramref name="input"/> through <paramref name="model"/> in eval mode (dropout off) with autograd recording,
    /// and returns the model's output and the output of each named layer: views in the same graph, so gradients can be
    /// taken with respect to them (Grad-CAM) or through them (preferred inputs). Wrap the call in <c>no_grad()</c> when
    /// only the values are wanted. Hooks are removed and the training mode restored before it returns.
    /// </summary>
    public static (Tensor Output, IReadOnlyDictionary<string, Tensor> Layers) ForwardWithLayers(ConvNet model, Tensor input, params string[] names)
    {
        var layers = new Dictionary<string, Tensor>();
        // The caller keeps the captured tensor, so the network goes on with an alias (a view autograd follows).
        var output = WithHooks(model, names, (name, o) => { layers[name] = o; return o.alias(); },
            () => model.call(input.to(model.parameters().First().device)));
        return (output, layers);
    }

    /// <summary><c>model.call(input)</c> in eval mode (dropout off), with autograd recording; the training mode is restored afterwards.</summary>
    public static Tensor CallInEvalMode(ConvNet model, Tensor input) =>
        WithHooks(model, [], (_, o) => o, () => model.call(input.to(model.parameters().First().device)));

    // Runs input in eval mode, without autograd, handing each named layer's output to onOutput; every tensor made
    // inside (the outputs included) is freed when it returns, so onOutput copies what it keeps.
    static void Observe(ConvNet model, Tensor input, IEnumerable<string> names, Action<string, Tensor> onOutput) =>
        WithHooks(model, names, (name, o) => { onOutput(name, o); return o; }, () =>
        {
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            model.call(input.to(model.parameters().First().device));
            return empty(0);
        }).Dispose();

    // Registers a forward hook on each named layer, puts the model in eval mode, runs `run`, then removes the hooks
    // and restores the training mode, also when it fails, so running a notebook cell twice never leaves a hook behind.
    static Tensor WithHooks(ConvNet model, IEnumerable<string> names, Func<string, Tensor, Tensor> hook, Func<Tensor> run)
    {
        var handles = new List<nn.HookableModule<Func<nn.Module<Tensor, Tensor>, Tensor, Tensor>, Func<nn.Module<Tensor, Tensor>, Tensor, Tensor, Tensor>>.HookRemover>();
        bool wasTraining = model.training;
        try
        {
            foreach (var name in names.Distinct())
                handles.Add(model.Layer(name).register_forward_hook((_, _, output) => hook(name, output)));
            model.eval();
            return run();
        }
        finally
        {
            handles.ForEach(h => h.remove());
            model.train(wasTraining);
        }
    }
}
