using ConvLens.Training;
using ConvLens.Data;
using ConvLens.Inspection;
using ConvLens.Model;
using static TorchSharp.torch;

namespace ConvLens.Plots;

/// <summary>The article's figures, for any conv net: filters of a layer, an input image, feature maps.</summary>
public static class Charts
{
    /// <summary>
    /// The filters of conv layer <paramref name="layer"/>, <paramref name="weights"/> [filters, input channels, rows,
    /// columns] (read them with <c>Inspect.Filters</c>), one panel each, on input channel <paramref name="channel"/>
    /// (the article shows channel 0 of conv2). Weights use a diverging palette around zero unless told otherwise.
    /// </summary>
    public static Figure Filters(string layer, Tensor weights, int channel = 0, Palette palette = Palette.Diverging, Scale scale = Scale.Shared, int? columns = null)
    {
        if (weights.dim() != 4) throw new ArgumentException($"Conv weights are [filters, input channels, rows, columns], not [{string.Join(", ", weights.shape)}].");
        int outs = (int)weights.shape[0], ins = (int)weights.shape[1];
        if (channel < 0 || channel >= ins)
            throw new ConvLensException($"Input channel {channel} is out of range: {layer} has input channels 0 to {ins - 1}.");
        string of = ins == 1 ? "" : $" · input channel {channel}";
        var panels = Enumerable.Range(0, outs).Select(o =>
        {
            using var kernel = weights[o, channel];
            return Panel.From($"#{o}", kernel, $"{layer} · filter {o}{of}");   // short titles: 32 of them share a row's width
        }).ToList();
        string title = $"{layer}: {outs} filters of {weights.shape[2]}×{weights.shape[3]}" + (ins == 1 ? "" : $", input channel {channel} of {ins}")
            + (scale == Scale.Shared ? ", one colour scale" : ", each on its own scale");
        return Heatmaps.Grid(title, panels, columns ?? Math.Min(8, outs), palette, scale, "weight");
    }

    /// <summary>Every kernel of <paramref name="layer"/>'s <paramref name="weights"/> (filters × input channels) in one readable mosaic.</summary>
    public static Figure AllKernels(string layer, Tensor weights, Palette palette = Palette.Diverging) =>
        Heatmaps.KernelMosaic(layer, weights, palette);

    /// <summary>The size (L2 norm) of each kernel of <paramref name="layer"/>'s <paramref name="weights"/>: which input channels each filter uses.</summary>
    public static Figure KernelNorms(string layer, Tensor weights) => Heatmaps.KernelNorms(layer, weights);

    /// <summary>One input image, upright, grey, with its pixel values on hover.</summary>
    public static Figure Image(Tensor image, string title)
    {
        using var plane = FirstPlane(image);
        return Heatmaps.Grid(title, [Panel.From(title, plane, title)], 1, Palette.Greys, Scale.Shared, "pixel", panelPixels: 220);
    }

    /// <summary>
    /// The feature maps of one layer for one image, [channels, H, W], one panel per channel. Given the <paramref name="input"/>
    /// image and the layer's receptive <paramref name="field"/> (from <c>Inspect.ReceptiveFields(model)</c>), the image
    /// comes first, and hovering a map pixel outlines on it the window that pixel sees.
    /// </summary>
    public static Figure FeatureMaps(string layer, Tensor maps, Palette palette = Palette.Viridis, Scale scale = Scale.Shared, string? about = null, int? columns = null,
        Tensor? input = null, LayerReceptiveField? field = null)
    {
        if (maps.dim() != 3) throw new ArgumentException($"Feature maps are [channels, height, width], not [{string.Join(", ", maps.shape)}].");
        if (field is not null && (!field.Spatial || field.MapHeight != maps.shape[1] || field.MapWidth != maps.shape[2]))
            throw new ArgumentException($"The receptive field given is {field.Layer}'s, whose maps are {field.MapHeight}×{field.MapWidth}; these maps are {maps.shape[1]}×{maps.shape[2]}.");
        if (field is not null && input is null) throw new ArgumentException("Give the input image too: the receptive field is outlined on it.", nameof(input));
        int channels = (int)maps.shape[0];
        var panels = Enumerable.Range(0, channels).Select(c =>
        {
            using var map = maps[c];
            return Panel.From($"#{c}", map, $"{layer} · channel {c}");   // short titles: 32 of them share a row's width
        }).ToList();
        string title = $"{layer}: {channels} feature maps of {maps.shape[1]}×{maps.shape[2]}" + (about is null ? "" : $" for {about}")
            + (scale == Scale.Shared ? ", one colour scale" : ", each on its own scale");
        Panel? image = null;
        if (input is not null)
        {
            using var plane = FirstPlane(input);
            image = Panel.From("input", plane, "input image" + (about is null ? "" : $": {about}"));
        }
        return Heatmaps.Grid(title, panels, columns ?? Math.Min(8, channels), palette, scale, "activation", panelPixels: maps.shape[1] >= 14 ? 100 : 80,
            image, field?.AllWindows());
    }

    /// <summary>
    /// Each filter of conv layer <paramref name="layer"/> (its <paramref name="weights"/>, input channel 0) beside the feature map it produced,
    /// <paramref name="maps"/> [channels, height, width]: what the filter looks for, and where in the image it found it.
    /// </summary>
    public static Figure FiltersBesideMaps(string layer, Tensor weights, Tensor maps, string? about = null, int pairsPerRow = 4)
    {
        if (maps.dim() != 3 || maps.shape[0] != weights.shape[0])
            throw new ArgumentException($"{layer} has {weights.shape[0]} filters; give its maps, [{weights.shape[0]}, height, width], not [{string.Join(", ", maps.shape)}].");
        string of = weights.shape[1] == 1 ? "" : ", input channel 0";
        var pairs = Enumerable.Range(0, (int)weights.shape[0]).Select(k =>
        {
            using var kernel = weights[k, 0];
            using var map = maps[k];
            return (Panel.From($"filter {k}", kernel, $"{layer} · filter {k}{of}: what it looks for"),
                    Panel.From($"map {k}", map, $"{layer} · feature map {k}: where it found it"));
        }).ToList();
        return Heatmaps.Pairs($"{layer}: each filter{of} beside its feature map" + (about is null ? "" : $" for {about}"),
            pairs, pairsPerRow, (Palette.Diverging, "weight"), (Palette.Viridis, "activation"));
    }

    /// <summary>The sections of the filters page, from each conv layer's weights by name: its filters (channel 0), and for layers with several input channels all kernels and their norms.</summary>
    public static IReadOnlyList<Section> FilterSections(IReadOnlyDictionary<string, Tensor> layers, Palette palette = Palette.Diverging, Scale scale = Scale.Shared)
    {
        var sections = new List<Section>();
        foreach (var (layer, weights) in layers)
        {
            long ins = weights.shape[1];
            sections.Add(new Section($"{layer}: filters" + (ins > 1 ? " (input channel 0, as in the article)" : ""),
                $"Each panel is one learned {weights.shape[2]}×{weights.shape[3]} filter. " +
                (palette == Palette.Diverging ? "Red weights add where the input is bright, blue weights subtract; white is zero. " : "") +
                "Hover for exact values.",
                Filters(layer, weights, 0, palette, scale)));
            if (ins > 1)
            {
                sections.Add(new Section($"{layer}: every kernel", $"All {weights.shape[0]} filters × {ins} input channels: one row of kernels per filter, one column per input channel of the layer before.", AllKernels(layer, weights, palette)));
                sections.Add(new Section($"{layer}: kernel sizes", "The L2 norm of each kernel: bright cells are the input channels a filter listens to most.", KernelNorms(layer, weights)));
            }
        }
        return sections;
    }

    /// <summary>
    /// The sections of the feature-maps page for image <paramref name="index"/> of <paramref name="set"/>: the image,
    /// then the maps of each named layer, each described from <paramref name="plan"/>. Each spatial layer's figure starts
    /// with the image, and hovering a map pixel outlines on it the window that pixel sees (its receptive field).
    /// </summary>
    public static IReadOnlyList<Section> FeatureMapSections(ImageSet set, int index, IReadOnlyDictionary<string, Tensor> maps, LayerPlan plan, Palette palette = Palette.Viridis, Scale scale = Scale.Shared)
    {
        using var image = set.Image(index);
        string label = set.Classes[set.Label(index)];
        string about = $"{set.Split} image {index} (a {label})";
        var sections = new List<Section> { new($"Input: {about}", $"{set.Name}, {set.Split} split, image {index}, labelled {label}.", Image(image, about)) };
        foreach (var (name, map) in maps)
        {
            var field = plan.ReceptiveField(name) is { Spatial: true } f && map.dim() == 3 ? f : null;
            sections.Add(new Section($"{name}", plan[name].About + (field is null ? "" : " Hover a map's pixel: the red square on the input is what it sees."),
                FeatureMaps(name, map, palette, scale, about, input: field is null ? null : image, field: field)));
        }
        return sections;
    }

    /// <summary>
    /// The article's training curves: loss (left) and accuracy (right) per epoch, for the training and validation splits.
    /// Draw it again after each epoch to watch training live.
    /// </summary>
    public static Figure TrainingCurves(IReadOnlyList<EpochResult> history, int? epochs = null)
    {
        var figure = new Figure();
        double[] x = history.Select(e => (double)e.Epoch).ToArray();
        Scatter Line(string name, Func<EpochResult, double> y, string axis, string format) => new()
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

    /// <summary>
    /// Attribution maps laid over the image they explain, one panel per method: the image in greys, the map's magnitude
    /// in red (each panel scaled to its own largest value).
    /// </summary>
    public static Figure Attributions(Tensor image, IReadOnlyList<(string Method, Tensor Map)> maps, string about, Scale scale = Scale.PerPanel)
    {
        using var plane = FirstPlane(image);
        var under = Panel.From("image", plane, "image").Values;
        var panels = maps.Select(m =>
        {
            using var map = m.Map.reshape(-1, m.Map.shape[^2], m.Map.shape[^1]).sum([0L]);
            return Panel.From(m.Method, map, m.Method);
        }).ToList();
        return Heatmaps.Overlays($"Where the network looks: {about}" + (scale == Scale.Shared ? ", one scale" : ""), under, panels, Math.Min(3, panels.Count), "attribution", scale: scale);
    }

    /// <summary>The confusion matrix of <paramref name="evaluation"/>, the diagonal left blank, each row labelled with its class's accuracy.</summary>
    public static Figure Confusion(Evaluation evaluation, IReadOnlyList<string> classes)
    {
        var counts = evaluation.ConfusionMatrix();
        int k = counts.GetLength(0);
        var z = new double?[k][];
        int mistakes = 0, total = 0;
        for (int t = 0; t < k; t++)
        {
            z[t] = new double?[k];
            for (int p = 0; p < k; p++)
            {
                total += counts[t, p];
                if (t != p) mistakes += counts[t, p];
                z[t][p] = t == p ? null : counts[t, p];
            }
        }
        var accuracy = evaluation.PerClassAccuracy();
        var figure = new Figure();
        figure.Data.Add(new Heatmap
        {
            Z = z,
            Colorscale = new object[][] { [0.0, "#ffffff"], [0.05, "#fde0c5"], [1.0, "#b2182b"] },
            Colorbar = new ColorBar { Title = new Text("images") },
            Texttemplate = "%{z}",
            Hovertemplate = "true %{y}, predicted %{x}: %{z} images<extra></extra>",
        });
        string[] labels = classes.Select((c, i) => $"{c} ({accuracy[i]:P1})").ToArray();
        var layout = figure.Layout;
        layout.Title = new Text($"Confusion matrix: {mistakes} mistakes in {total} images (the diagonal, the right answers, is left blank)") { Font = new Font(15) };
        layout.Width = 40 * k + 330;
        layout.Height = 40 * k + 200;
        layout.Margin = new Margin(150, 40, 70, 70);
        layout.Axes["xaxis"] = new Axis { Title = new Text("predicted"), Tickvals = Enumerable.Range(0, k).Select(i => (double)i).ToArray(), Ticktext = classes.ToArray(), Showgrid = false, Zeroline = false };
        layout.Axes["yaxis"] = new Axis { Title = new Text("true (per-class accuracy)"), Autorange = "reversed", Scaleanchor = "x", Tickvals = Enumerable.Range(0, k).Select(i => (double)i).ToArray(), Ticktext = labels, Showgrid = false, Zeroline = false };
        return figure;
    }

    /// <summary>The misclassified images of <paramref name="set"/>, most confident mistakes first, titled true → predicted (confidence).</summary>
    public static Figure Misclassified(ImageSet set, Evaluation evaluation, int count = 16)
    {
        var wrong = evaluation.Misclassified().Take(count).ToList();
        if (wrong.Count == 0) throw new ConvLensException($"No image of the {set.Split} split is misclassified.");
        var panels = wrong.Select(i =>
        {
            using var image = set.Image(i);
            using var plane = image[0, 0];
            return Panel.From($"#{i}: {set.Classes[evaluation.Labels[i]]} → {set.Classes[evaluation.Predictions[i]]} ({evaluation.Confidences[i]:P0})", plane,
                $"{set.Split} image {i}: true {set.Classes[evaluation.Labels[i]]}, predicted {set.Classes[evaluation.Predictions[i]]} with {evaluation.Confidences[i]:P1}");
        }).ToList();
        return Heatmaps.Grid($"{evaluation.Count - evaluation.Correct} of {evaluation.Count} {set.Split} images are misclassified; the {wrong.Count} most confident mistakes (true → predicted)",
            panels, Math.Min(8, panels.Count), Palette.Greys, Scale.Shared, "pixel");
    }

    /// <summary>Preferred inputs: one panel per synthesized image, in greys like the digits (black = ink the unit wants), on one scale.</summary>
    public static Figure PreferredInputs(string title, IReadOnlyList<(string Title, Tensor Image)> images, int columns = 8) =>
        Heatmaps.Grid(title, images.Select(i =>
        {
            using var plane = FirstPlane(i.Image);
            return Panel.From(i.Title, plane, i.Title);
        }).ToList(), Math.Min(columns, images.Count), Palette.Greys, Scale.Shared, "pixel");

    /// <summary>
    /// The filters of <paramref name="layer"/> through training, with a slider over <paramref name="snapshots"/> (a FilterHistory records them): all on one
    /// colour scale, so growing weights show as deepening colour. Input channel <paramref name="channel"/> for deeper layers.
    /// </summary>
    public static Figure FiltersOverTime(string layer, IReadOnlyList<FilterSnapshot> snapshots, int channel = 0)
    {
        if (snapshots.Count == 0) throw new ArgumentException("Give at least one snapshot.", nameof(snapshots));
        var grids = snapshots.Select(s =>
        {
            var panels = Enumerable.Range(0, (int)s.Weights.shape[0]).Select(o =>
            {
                using var kernel = s.Weights[o, channel];
                return Panel.From($"#{o}", kernel, $"{layer} · filter {o} · {s.Label}");
            }).ToList();
            return Heatmaps.Grid($"{layer} filters, {s.Label}", panels, Math.Min(8, panels.Count), Palette.Diverging, Scale.Shared, "weight");
        }).ToList();
        var figure = grids[0];
        double abs = grids.Max(g => g.Layout.Coloraxis!.Cmax!.Value);
        figure.Layout.Coloraxis = figure.Layout.Coloraxis! with { Cmin = -abs, Cmax = abs };
        int perSnapshot = figure.Data.Count;
        foreach (var grid in grids.Skip(1))
            figure.Data.AddRange(grid.Heatmaps.Select(t => t with { Visible = false }));
        figure.Layout.Sliders =
        [
            new Slider
            {
                Steps = snapshots.Select((s, i) => new SliderStep(s.Label, "update",
                [
                    new Dictionary<string, object> { ["visible"] = Enumerable.Range(0, figure.Data.Count).Select(t => t / perSnapshot == i).ToArray() },
                    new Dictionary<string, object> { ["title.text"] = $"{layer} filters, {s.Label}" },
                ])).ToList(),
            },
        ];
        figure.Layout.Height += 90;
        return figure;
    }

    // The first channel of an image given as [H, W], [C, H, W] or [1, C, H, W]: what the figures draw of an input.
    static Tensor FirstPlane(Tensor image)
    {
        using var planes = image.reshape(-1, image.shape[^2], image.shape[^1]);
        return planes[0];
    }

}
