using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace ConvLens.Model;

/// <summary>One convolution block: a conv layer with <paramref name="Channels"/> filters of <paramref name="Kernel"/>×<paramref name="Kernel"/>.</summary>
public sealed record ConvBlock(int Channels, int Kernel)
{
    /// <summary>Zeros added on each side, Kernel / 2: with an odd kernel and stride 1 the maps keep the image's size, as in the article.</summary>
    public int Padding => Kernel / 2;
}

/// <summary>
/// A shortcut for networks of the article's shape, in one small value: <c>ConvNetSpec.Article with { Convs = [new(16, 3),
/// new(32, 3), new(64, 3)] }</c>. Each block is conv (padding keeps the size) → max-pool → ReLU, as in the article; then
/// Dropout2d, flatten, a hidden linear layer with ReLU and dropout, and the output layer. <see cref="Layers"/> writes it
/// as the <c>Sequential</c> a learner would write by hand; any other shape is written that way directly
/// (<see cref="ConvNet.Create"/>).
/// </summary>
public sealed record ConvNetSpec
{
    public int InputChannels { get; init; } = 1;
    public int ImageSize { get; init; } = 28;
    public IReadOnlyList<ConvBlock> Convs { get; init; } = [new(16, 5), new(32, 5)];
    public int Pool { get; init; } = 2;
    public double ConvDropout { get; init; } = 0.5;
    public int Hidden { get; init; } = 96;
    public double HiddenDropout { get; init; } = 0.1;
    public int Classes { get; init; } = 10;

    /// <summary>The article's network: conv1 1→16 k5, conv2 16→32 k5, Dropout2d 0.5, 1568 → 96 → 10, dropout 0.1.</summary>
    public static ConvNetSpec Article { get; } = new();

    /// <summary>One image's shape: [channels, height, width].</summary>
    public long[] InputShape => [InputChannels, ImageSize, ImageSize];

    /// <summary>
    /// The layers as TorchSharp code would write them, named as the article names its modules (conv1, conv2, drop1,
    /// fc1, drop2, fc2), with the steps its forward() does by function made layers too (pool1, relu1, …, flatten, relu3
    /// for the article); made in this order, so a seed gives the same weights as notebook 02's code.
    /// </summary>
    public Module<Tensor, Tensor> Layers()
    {
        var layers = new List<(string, Module<Tensor, Tensor>)>();
        long channels = InputChannels;
        for (int i = 0; i < Convs.Count; i++)
        {
            layers.Add(($"conv{i + 1}", Conv2d(channels, Convs[i].Channels, Convs[i].Kernel, padding: Convs[i].Padding)));
            layers.Add(($"pool{i + 1}", MaxPool2d(Pool)));
            layers.Add(($"relu{i + 1}", ReLU()));
            channels = Convs[i].Channels;
        }
        layers.AddRange([
            ("drop1", Dropout2d(ConvDropout)), ("flatten", Flatten()),
            ("fc1", Linear(FlattenedSize, Hidden)), ($"relu{Convs.Count + 1}", ReLU()), ("drop2", Dropout(HiddenDropout)),
            ("fc2", Linear(Hidden, Classes)),
        ]);
        return Sequential(layers);
    }

    /// <summary>Side of the feature maps after the last block.</summary>
    public int FinalMapSize => Convs.Aggregate(ImageSize, (size, _) => size / Pool);

    /// <summary>Inputs of the first linear layer (1568 for the article).</summary>
    public int FlattenedSize => Convs[^1].Channels * FinalMapSize * FinalMapSize;

    /// <summary>Throws a <see cref="ConvLensException"/> naming the first setting that cannot make a network.</summary>
    public ConvNetSpec Validate()
    {
        void Check(bool ok, string message)
        {
            if (!ok) throw new ConvLensException($"Invalid architecture: {message}.");
        }
        Check(InputChannels > 0, $"input channels must be positive, not {InputChannels}");
        Check(ImageSize > 0, $"image size must be positive, not {ImageSize}");
        Check(Convs is { Count: > 0 }, "at least one conv block is needed");
        Check(Pool >= 1, $"pool size must be at least 1, not {Pool}");
        for (int i = 0; i < Convs.Count; i++)
        {
            Check(Convs[i].Channels > 0, $"conv{i + 1} needs a positive number of channels, not {Convs[i].Channels}");
            Check(Convs[i].Kernel > 0 && Convs[i].Kernel % 2 == 1, $"conv{i + 1} needs an odd kernel size (padding keeps the size only for odd kernels), not {Convs[i].Kernel}");
        }
        Check(FinalMapSize >= 1, $"{Convs.Count} pooling steps of {Pool} shrink a {ImageSize}×{ImageSize} image to nothing; use fewer conv blocks or a smaller pool");
        Check(ConvDropout is >= 0 and < 1 && HiddenDropout is >= 0 and < 1, "dropout probabilities must be in [0, 1)");
        Check(Hidden > 0, $"hidden width must be positive, not {Hidden}");
        Check(Classes > 1, $"at least two classes are needed, not {Classes}");
        return this;
    }

    /// <summary>A one-line summary, e.g. "1×28×28 → conv1 16@5×5 → conv2 32@5×5 → 1568 → 96 → 10".</summary>
    public override string ToString() =>
        $"{InputChannels}×{ImageSize}×{ImageSize} → " +
        string.Join(" → ", Convs.Select((c, i) => $"conv{i + 1} {c.Channels}@{c.Kernel}×{c.Kernel}")) +
        $" → {FlattenedSize} → {Hidden} → {Classes}";

    // Records compare lists by reference; two specs with equal blocks are the same architecture.
    public bool Equals(ConvNetSpec? other) =>
        other is not null && InputChannels == other.InputChannels && ImageSize == other.ImageSize && Convs.SequenceEqual(other.Convs)
        && Pool == other.Pool && ConvDropout == other.ConvDropout && Hidden == other.Hidden && HiddenDropout == other.HiddenDropout && Classes == other.Classes;

    public override int GetHashCode() => HashCode.Combine(InputChannels, ImageSize, Convs.Count, Pool, Hidden, Classes);
}
