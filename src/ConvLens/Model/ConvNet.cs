using ConvLens.Native;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace ConvLens.Model;

/// <summary>
/// A network ConvLens can look inside: the layers of a <see cref="LayerPlan"/>, run in order with <c>.call</c> (so
/// forward hooks fire), with the plan beside them. Make one from any TorchSharp module whose forward() calls its layers
/// one after the other, such as a <c>Sequential</c> of named layers (<see cref="Create"/>, <see cref="From"/>), from a
/// <see cref="ConvNetSpec"/> (a shortcut for the article's shape), or from a saved plan (<see cref="Build"/>).
/// The layers are the module's own objects, registered under the same names, so state-dict keys read "conv1.weight"
/// (or "features.0.weight") as in the module, and training one trains the other.
/// </summary>
public sealed class ConvNet : Module<Tensor, Tensor>
{
    readonly List<(string Name, Module<Tensor, Tensor> Layer)> layers;

    /// <summary>The one description of this network's structure: every ConvLens tool reads it.</summary>
    public LayerPlan Plan { get; }

    /// <summary>The article's network, with the initial weights of seed 0.</summary>
    public ConvNet() : this(ConvNetSpec.Article) { }

    /// <summary>The network <paramref name="spec"/> describes; its initial weights depend only on <paramref name="seed"/>.</summary>
    public ConvNet(ConvNetSpec spec, int seed = 0) : this(Planned(spec.Validate().InputShape, seed, spec.Layers)) { }

    ConvNet((LayerPlan Plan, IReadOnlyList<(string Name, Module<Tensor, Tensor> Layer)> Modules) planned) : base(nameof(ConvNet))
    {
        Plan = planned.Plan;
        layers = planned.Modules.ToList();
        foreach (var (name, layer) in layers) Register(this, name.Split('.'), layer);
    }

    /// <summary>
    /// Builds the layers <paramref name="layers"/> makes with torch's generator seeded by <paramref name="seed"/> (so the
    /// initial weights depend only on the seed), then plans and checks them for images of shape <paramref name="input"/>
    /// ([channels, height, width]).
    /// </summary>
    public static ConvNet Create(long[] input, int seed, Func<Module<Tensor, Tensor>> layers) => new(Planned(input, seed, layers));

    /// <summary>An existing module (its weights as they are), planned and checked for images of shape <paramref name="input"/>.</summary>
    public static ConvNet From(Module<Tensor, Tensor> module, long[] input)
    {
        TorchNative.EnsureLoaded();
        return new(LayerPlan.Of(module, input));
    }

    /// <summary>Fresh layers for a saved <paramref name="plan"/> (weights untrained until loaded), checked against it.</summary>
    public static ConvNet Build(LayerPlan plan, int seed = 0)
    {
        (LayerPlan Plan, IReadOnlyList<(string Name, Module<Tensor, Tensor> Layer)> Modules) built;
        try
        {
            plan.CheckFits();
            built = Planned([.. plan.Input], seed, () =>
            {
                var sequential = Sequential();
                foreach (var layer in plan.Layers) sequential.append(layer.Name.Replace('.', '_'), layer.NewModule());
                return sequential;
            });
        }
        catch (ConvLensException e)
        {
            throw new ConvLensException($"The saved plan does not describe layers that fit together; it was edited or damaged: {e.Message}");
        }
        // Rebuilt under '_' names (Sequential forbids dots); registered under the plan's own names, so weights load by them.
        var modules = built.Modules.Select((m, i) => (plan.Layers[i].Name, m.Layer)).ToList();
        var rebuilt = built.Plan with { Layers = built.Plan.Layers.Select((l, i) => l with { Name = plan.Layers[i].Name }).ToList() };
        if (rebuilt != plan)
            throw new ConvLensException("The saved plan does not describe the layers it builds (its shapes or receptive fields differ); it was edited or made by another version of ConvLens.");
        return new((plan, modules));
    }

    static (LayerPlan Plan, IReadOnlyList<(string Name, Module<Tensor, Tensor> Layer)> Modules) Planned(long[] input, int seed, Func<Module<Tensor, Tensor>> layers)
    {
        TorchNative.EnsureLoaded();
        var module = Seeding.Run(seed, layers);
        return LayerPlan.Of(module, input);
    }

    // "features.0" is registered as child "0" of a container "features", so the state dict says "features.0.weight".
    static void Register(Module parent, string[] path, Module layer)
    {
        if (path.Length == 1) { parent.register_module(path[0], layer); return; }
        var group = parent.named_children().FirstOrDefault(c => c.name == path[0]).module;
        if (group is null) parent.register_module(path[0], group = new Group(path[0]));
        Register(group, path[1..], layer);
    }

    sealed class Group(string name) : Module(name);

    /// <summary>The layers in the order forward() runs them, by their plan names.</summary>
    public IReadOnlyList<(string Name, Module<Tensor, Tensor> Layer)> Layers => layers;

    /// <summary>The module of layer <paramref name="name"/> (an error lists the layers there are).</summary>
    public Module<Tensor, Tensor> Layer(string name) =>
        layers.FirstOrDefault(l => l.Name == name).Layer ?? throw new ConvLensException($"The model has no layer '{name}'; its layers: {string.Join(", ", layers.Select(l => l.Name))}.");

    public override Tensor forward(Tensor input)
    {
        var x = input;
        foreach (var (_, layer) in layers)
            x = layer.call(x);
        return x;
    }

    /// <summary>
    /// <paramref name="set"/> if this network can take its images and has a score for each of its classes, or a
    /// one-line error: a set of another image size would reach the first linear layer with the wrong number of inputs,
    /// and libtorch would answer with a matrix-shape error and a native stack trace; say it in the reader's terms instead.
    /// </summary>
    public Data.ImageSet EnsureFits(Data.ImageSet set)
    {
        if (set.Height != Plan.Height || set.Width != Plan.Width || set.Channels != Plan.Channels)
            throw new ConvLensException($"The {set.Name} {set.Split} images are {set.Channels}×{set.Height}×{set.Width}, but this model takes " +
                $"{Plan.Channels}×{Plan.Height}×{Plan.Width} images ({Plan}). Use data of that shape, or a model built for it.");
        if (set.Classes.Count > Plan.Classes)
            throw new ConvLensException($"The {set.Name} images have {set.Classes.Count} classes, but this model gives {Plan.Classes} scores ({Plan}); give its last layer {set.Classes.Count} outputs.");
        return set;
    }

    /// <summary>The plan in one line: "1×28×28 → conv1 16@5×5 → conv2 32@5×5 → 1568 → 96 → 10".</summary>
    public override string ToString() => Plan.ToString();
}
