using ConvLens.Data;
using ConvLens.Inspection;
using static TorchSharp.torch;

namespace ConvLens.Plots;

/// <summary>The article's figures, for any conv net: filters of a layer, an input image, feature maps.</summary>
public static class Charts
{
    /// <summary>
    /// The filters of conv layer <paramref name="layer"/>, one panel each, on input channel <paramref name="channel"/>
    /// (the article shows channel 0 of conv2). Weights use a diverging palette around zero unless told otherwise.
    /// </summary>
    public static Figure Filters(nn.Module model, string layer, int channel = 0, Palette palette = Palette.Diverging, Scale scale = Scale.Shared)
    {
        using var weights = Inspect.Filters(model, layer);
        int outs = (int)weights.shape[0], ins = (int)weights.shape[1];
        if (channel < 0 || channel >= ins)
            throw new ConvLensException($"Input channel {channel} is out of range: {layer} has input channels 0 to {ins - 1}.");
        string of = ins == 1 ? "" : $" · input channel {channel}";
        var panels = Enumerable.Range(0, outs).Select(o =>
        {
            using var kernel = weights[o, channel];
            return Panel.From($"{layer} · filter {o}", kernel, $"{layer} · filter {o}{of}");
        }).ToList();
        string title = $"{layer}: {outs} filters of {weights.shape[2]}×{weights.shape[3]}" + (ins == 1 ? "" : $", input channel {channel} of {ins}")
            + (scale == Scale.Shared ? ", one colour scale" : ", each on its own scale");
        return Heatmaps.Grid(title, panels, Math.Min(8, outs), palette, scale, "weight");
    }

    /// <summary>Every kernel of <paramref name="layer"/> (filters × input channels) in one readable mosaic.</summary>
    public static Figure AllKernels(nn.Module model, string layer, Palette palette = Palette.Diverging)
    {
        using var weights = Inspect.Filters(model, layer);
        return Heatmaps.KernelMosaic(layer, weights, palette);
    }

    /// <summary>The size (L2 norm) of each kernel of <paramref name="layer"/>: which input channels each filter uses.</summary>
    public static Figure KernelNorms(nn.Module model, string layer)
    {
        using var weights = Inspect.Filters(model, layer);
        return Heatmaps.KernelNorms(layer, weights);
    }

    /// <summary>One input image, upright, grey, with its pixel values on hover.</summary>
    public static Figure Image(Tensor image, string title)
    {
        using var plane = image.reshape(-1, image.shape[^2], image.shape[^1])[0];
        return Heatmaps.Grid(title, [Panel.From(title, plane, title)], 1, Palette.Greys, Scale.Shared, "pixel", panelPixels: 220);
    }

    /// <summary>The feature maps of one layer for one image, [channels, H, W], one panel per channel.</summary>
    public static Figure FeatureMaps(string layer, Tensor maps, Palette palette = Palette.Viridis, Scale scale = Scale.Shared, string? about = null)
    {
        if (maps.dim() != 3) throw new ArgumentException($"Feature maps are [channels, height, width], not [{string.Join(", ", maps.shape)}].");
        int channels = (int)maps.shape[0];
        var panels = Enumerable.Range(0, channels).Select(c =>
        {
            using var map = maps[c];
            return Panel.From($"{layer} · channel {c}", map, $"{layer} · channel {c}");
        }).ToList();
        string title = $"{layer}: {channels} feature maps of {maps.shape[1]}×{maps.shape[2]}" + (about is null ? "" : $" for {about}");
        return Heatmaps.Grid(title, panels, Math.Min(8, channels), palette, scale, "activation", panelPixels: maps.shape[1] >= 14 ? 100 : 80);
    }

    /// <summary>The sections of the filters page: every conv layer's filters (channel 0), and for layers with several input channels all kernels and their norms.</summary>
    public static IReadOnlyList<Section> FilterSections(nn.Module model, IEnumerable<string>? layers = null, Palette palette = Palette.Diverging, Scale scale = Scale.Shared)
    {
        var sections = new List<Section>();
        foreach (var layer in layers ?? Inspect.ConvLayers(model))
        {
            using var weights = Inspect.Filters(model, layer);
            long ins = weights.shape[1];
            sections.Add(new Section($"{layer}: filters" + (ins > 1 ? " (input channel 0, as in the article)" : ""),
                $"Each panel is one learned {weights.shape[2]}×{weights.shape[3]} filter. " +
                (palette == Palette.Diverging ? "Red weights add where the input is bright, blue weights subtract; white is zero. " : "") +
                "Hover for exact values.",
                Filters(model, layer, 0, palette, scale)));
            if (ins > 1)
            {
                sections.Add(new Section($"{layer}: every kernel", $"All {weights.shape[0]} filters × {ins} input channels: one row of kernels per filter, one column per input channel of the layer before.", AllKernels(model, layer, palette)));
                sections.Add(new Section($"{layer}: kernel sizes", "The L2 norm of each kernel: bright cells are the input channels a filter listens to most.", KernelNorms(model, layer)));
            }
        }
        return sections;
    }

    /// <summary>
    /// The sections of the feature-maps page for image <paramref name="index"/> of <paramref name="set"/>: the image,
    /// then the maps of each named layer (default: each conv output, as the article hooks, and each block's output after pooling and ReLU).
    /// </summary>
    public static IReadOnlyList<Section> FeatureMapSections(nn.Module<Tensor, Tensor> model, ImageSet set, int index, IEnumerable<string>? layers = null, Palette palette = Palette.Viridis, Scale scale = Scale.Shared)
    {
        var names = (layers ?? DefaultMapLayers(model)).ToArray();
        using var image = set.Image(index);
        string label = set.Classes[set.Label(index)];
        string about = $"{set.Split} image {index} (a {label})";
        var maps = Inspect.FeatureMaps(model, image, names);
        try
        {
            var sections = new List<Section> { new($"Input: {about}", $"{set.Name}, {set.Split} split, image {index}, labelled {label}.", Image(image, about)) };
            foreach (var name in names)
                sections.Add(new Section($"{name}", DescribeLayer(name), FeatureMaps(name, maps[name], palette, scale, about)));
            return sections;
        }
        finally
        {
            foreach (var map in maps.Values) map.Dispose();
        }
    }

    /// <summary>
    /// The article's training curves: loss (left) and accuracy (right) per epoch, for the training and validation splits.
    /// Draw it again after each epoch to watch training live.
    /// </summary>
    public static Figure TrainingCurves(IReadOnlyList<Training.EpochResult> history, int? epochs = null)
    {
        var figure = new Figure();
        double[] x = history.Select(e => (double)e.Epoch).ToArray();
        Scatter Line(string name, Func<Training.EpochResult, double> y, string axis, string format) => new()
        {
            Name = name, X = x, Y = history.Select(y).ToArray(), Xaxis = "x" + axis, Yaxis = "y" + axis,
            Hovertemplate = $"{name}<br>epoch %{{x}}: %{{y:{format}}}<extra></extra>",
        };
        figure.Data.AddRange([
            Line("train loss", e => e.TrainLoss, "", ".4f"), Line("validation loss", e => e.ValidationLoss, "", ".4f"),
            Line("train accuracy", e => e.TrainAccuracy, "2", ".2%"), Line("validation accuracy", e => e.ValidationAccuracy, "2", ".2%"),
        ]);
        var layout = figure.Layout;
        int last = Math.Max(epochs ?? 0, history.Count);
        layout.Title = new Text(history.Count == 0 ? "Training: waiting for the first epoch" : $"Training: epoch {history.Count}" + (epochs is null ? "" : $" of {epochs}"));
        layout.Width = 900;
        layout.Height = 360;
        double[] range = [0.5, last + 0.5];
        layout.Axes["xaxis"] = new Axis { Domain = [0, 0.44], Anchor = "y", Title = new Text("epoch"), Range = range };
        layout.Axes["yaxis"] = new Axis { Anchor = "x", Title = new Text("cross-entropy loss") };
        layout.Axes["xaxis2"] = new Axis { Domain = [0.56, 1], Anchor = "y2", Title = new Text("epoch"), Range = range };
        layout.Axes["yaxis2"] = new Axis { Anchor = "x2", Title = new Text("accuracy"), Tickformat = ".0%", Range = history.Count == 0 ? [0, 1] : null };
        if (history.Count == 0) layout.Axes["yaxis"] = new Axis { Anchor = "x", Title = new Text("cross-entropy loss"), Range = [0, 2.5] };
        return figure;
    }

    /// <summary>conv1, relu1, conv2, relu2, … where those exist; else every conv layer.</summary>
    public static IEnumerable<string> DefaultMapLayers(nn.Module model)
    {
        var convs = Inspect.ConvLayers(model);
        var all = model.named_modules().Select(m => m.name).ToHashSet();
        return convs.SelectMany(c => new[] { c, "relu" + c["conv".Length..] }.Where(all.Contains));
    }

    static string DescribeLayer(string name) =>
        name.StartsWith("conv") ? "The conv layer's output (what the article's forward hook captures): one map per filter, before pooling and ReLU; negative values are where a filter's pattern is absent."
        : name.StartsWith("relu") ? "After max-pooling (half the size) and ReLU (negatives set to zero): what the next layer sees."
        : name.StartsWith("pool") ? "After max-pooling: each value is the largest of a 2×2 block."
        : "The layer's output for this image.";
}
