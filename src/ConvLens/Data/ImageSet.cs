using TorchSharp;
using static TorchSharp.torch;

namespace ConvLens.Data;

/// <summary>
/// One split of an image classification set, held whole in memory: images as one uint8 tensor, [N, H, W] for grey
/// images or [N, C, H, W] for colour, and labels as one int64 tensor [N]. Batches are taken by index; there are no
/// per-sample objects.
/// </summary>
public sealed class ImageSet : IDisposable
{
    public string Name { get; }
    public string Split { get; }
    public IReadOnlyList<string> Classes { get; }
    public Tensor Images { get; }
    public Tensor Labels { get; }

    public ImageSet(string name, string split, IReadOnlyList<string> classes, Tensor images, Tensor labels)
    {
        if (images.shape.Length is not (3 or 4) || labels.shape.Length != 1 || images.shape[0] != labels.shape[0])
            throw new ArgumentException($"images must be [N, H, W] or [N, C, H, W] and labels [N]; got [{string.Join(", ", images.shape)}] and [{string.Join(", ", labels.shape)}].");
        Name = name;
        Split = split;
        Classes = classes;
        Images = images.DetachFromDisposeScope();
        Labels = labels.DetachFromDisposeScope();
    }

    public int Count => (int)Images.shape[0];
    public int Channels => Images.shape.Length == 4 ? (int)Images.shape[1] : 1;
    public int Height => (int)Images.shape[^2];
    public int Width => (int)Images.shape[^1];

    /// <summary>The images at <paramref name="indices"/> as float [B, C, H, W] scaled to [0, 1] (what torchvision's ToTensor gives), with their labels.</summary>
    public (Tensor Images, Tensor Labels) Batch(Tensor indices)
    {
        using var picked = Images.index_select(0, indices);
        return ((picked.dim() == 3 ? picked.unsqueeze(1) : picked).to_type(ScalarType.Float32).div_(255f), Labels.index_select(0, indices));
    }

    /// <summary>The images from <paramref name="start"/> on, at most <paramref name="count"/>, as a batch.</summary>
    public (Tensor Images, Tensor Labels) Batch(int start, int count)
    {
        using var indices = arange(start, Math.Min(start + count, Count), dtype: ScalarType.Int64);
        return Batch(indices);
    }

    /// <summary>One image as float [1, C, H, W], ready for a model.</summary>
    public Tensor Image(int index) => Batch(CheckIndex(index), 1).Images;

    public int Label(int index) => (int)Labels[CheckIndex(index)].item<long>();

    /// <summary>The index of the <paramref name="occurrence"/>-th image (from 0) whose label is <paramref name="label"/>.</summary>
    public int IndexOfLabel(int label, int occurrence = 0)
    {
        if (label < 0 || label >= Classes.Count)
            throw new ConvLensException($"Label {label} is out of range: {Name} has labels 0 to {Classes.Count - 1}.");
        using var hits = Labels.eq(label).nonzero();
        if (occurrence < 0 || occurrence >= hits.shape[0])
            throw new ConvLensException($"The {Split} split of {Name} has {hits.shape[0]} images labelled {label}; occurrence {occurrence} does not exist.");
        return (int)hits[occurrence, 0].item<long>();
    }

    /// <summary>The first <paramref name="count"/> images (all if fewer), for quick runs.</summary>
    public ImageSet Take(int count)
    {
        if (count >= Count) return new ImageSet(Name, Split, Classes, Images.alias(), Labels.alias());
        return new ImageSet(Name, Split, Classes, Images[..count].clone(), Labels[..count].clone());
    }

    int CheckIndex(int index) =>
        index >= 0 && index < Count ? index
            : throw new ConvLensException($"Index {index} is out of range: the {Split} split of {Name} has images 0 to {Count - 1}.");

    public void Dispose()
    {
        Images.Dispose();
        Labels.Dispose();
    }

    public override string ToString() => $"{Name} {Split}: {Count} images of {(Channels == 1 ? "" : $"{Channels}×")}{Height}×{Width}, {Classes.Count} classes";
}
