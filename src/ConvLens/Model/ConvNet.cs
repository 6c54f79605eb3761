using ConvLens.Native;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace ConvLens.Model;

/// <summary>
/// The article's ConvNet, or any variant a <see cref="ConvNetSpec"/> describes. Layers are named as in PyTorch
/// (conv1, pool1, relu1, conv2, …, dropout_conv, flatten, fc1, relu_fc1, dropout_fc1, fc2), so state-dict keys
/// read "conv1.weight", and each is invoked with <c>.call</c> so that forward hooks fire.
/// </summary>
public sealed class ConvNet : Module<Tensor, Tensor>
{
    // The number of conv blocks is data, not code, so layers are registered by name rather than as fields
    // with RegisterComponents(); the list keeps their order for forward().
    readonly List<(string Name, Module<Tensor, Tensor> Layer)> layers = [];

    public ConvNetSpec Spec { get; }

    /// <summary>The article's network, with the initial weights of seed 0.</summary>
    public ConvNet() : this(ConvNetSpec.Article) { }

    /// <summary>The network <paramref name="spec"/> describes; its initial weights depend only on <paramref name="seed"/>.</summary>
    public ConvNet(ConvNetSpec spec, int seed = 0) : base(nameof(ConvNet))
    {
        TorchNative.EnsureLoaded();
        Spec = spec.Validate();
        Seeding.Run(seed, () => AddLayers(spec));
    }

    int AddLayers(ConvNetSpec spec)
    {
        int channels = spec.InputChannels;
        for (int i = 0; i < spec.Convs.Count; i++)
        {
            var block = spec.Convs[i];
            Add($"conv{i + 1}", Conv2d(channels, block.Channels, block.Kernel, padding: block.Padding));
            Add($"pool{i + 1}", MaxPool2d(spec.Pool));
            Add($"relu{i + 1}", ReLU());
            channels = block.Channels;
        }
        Add("dropout_conv", Dropout2d(spec.ConvDropout));
        Add("flatten", Flatten());
        Add("fc1", Linear(spec.FlattenedSize, spec.Hidden));
        Add("relu_fc1", ReLU());
        Add("dropout_fc1", Dropout(spec.HiddenDropout));
        Add("fc2", Linear(spec.Hidden, spec.Classes));
        return layers.Count;
    }

    void Add(string name, Module<Tensor, Tensor> layer)
    {
        register_module(name, layer);
        layers.Add((name, layer));
    }

    /// <summary>The layers in the order forward() runs them.</summary>
    public IReadOnlyList<(string Name, Module<Tensor, Tensor> Layer)> Layers => layers;

    /// <summary>Names of the conv layers: conv1, conv2, …</summary>
    public IEnumerable<string> ConvLayerNames => layers.Where(l => l.Layer is Conv2d).Select(l => l.Name);

    public override Tensor forward(Tensor input)
    {
        var x = input;
        foreach (var (_, layer) in layers)
            x = layer.call(x);
        return x;
    }
}
