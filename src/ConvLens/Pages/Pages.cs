using System.Diagnostics;
using ConvLens.Data;
using ConvLens.Explain;
using ConvLens.Inspection;
using ConvLens.Model;
using ConvLens.Plots;
using ConvLens.Training;
using static TorchSharp.torch;

namespace ConvLens;

/// <summary>A page of figures: its title and its sections, in order. Where it goes (a file, a notebook, a chapter's page) is the caller's choice.</summary>
public sealed record Page(string Title, IReadOnlyList<Section> Sections)
{
    /// <summary>Writes the page as one offline HTML file (plotly.js embedded once).</summary>
    public string WriteTo(string path)
    {
        FigureHtml.WritePage(path, Title, Sections);
        return path;
    }
}

/// <summary>Settings of the attribution methods on the explain page: the target class (the prediction when null), the CAM layer (the last block's output when null) and each method's effort.</summary>
public sealed record ExplainSettings(int? Target = null, string? Layer = null, int Steps = 50, int Samples = 25, int Window = 4, int Stride = 2);

/// <summary>What the explain page found: its verdict in one sentence, and each method's time.</summary>
public sealed record Explanation(Page Page, string Verdict, IReadOnlyList<(string Method, double Seconds)> Timings);

/// <summary>
/// The pages ConvLens shows beyond the article's two figures (which <see cref="Charts.FilterSections"/> and
/// <see cref="Charts.FeatureMapSections"/> compose): each built here, once, from the model and the data, so that the
/// command line, the notebooks and the chapters show the same sections with the same words.
/// </summary>
public static class Pages
{
    /// <summary>The learned filters of <paramref name="weights"/>' conv layers (by name).</summary>
    public static Page Filters(IReadOnlyDictionary<string, Tensor> weights, Palette palette = Palette.Diverging, Scale scale = Scale.Shared) =>
        new("ConvLens · learned filters", Charts.FilterSections(weights, palette, scale));

    /// <summary>The feature maps image <paramref name="index"/> of <paramref name="set"/> produces at each of <paramref name="maps"/>' layers.</summary>
    public static Page FeatureMaps(ImageSet set, int index, IReadOnlyDictionary<string, Tensor> maps, LayerPlan plan, Palette palette = Palette.Viridis, Scale scale = Scale.Shared) =>
        new($"ConvLens · feature maps of {set.Split} image {index}", Charts.FeatureMapSections(set, index, maps, plan, palette, scale));

    /// <summary>A conv layer's filters after each epoch, with a slider.</summary>
    public static Page FiltersOverTime(FilterHistory history) =>
        new($"ConvLens · {history.Layer}'s filters during training",
            [new Section($"{history.Layer} through training", "Move the slider: from random weights before training to the edge detectors of the last epoch, on one colour scale.",
                Charts.FiltersOverTime(history.Layer, history.Snapshots))]);

    /// <summary>Where the network goes wrong on <paramref name="testSet"/>: the confusion matrix and the most confident mistakes.</summary>
    public static Page Errors(Evaluation test, ImageSet testSet) =>
        new("ConvLens · where the network goes wrong",
        [
            new Section("Confusion matrix", $"Test accuracy {test.Accuracy:P2}. Each cell counts the test images of one class (row) predicted as another (column).", Charts.Confusion(test, testSet.Classes)),
            new Section("The most confident mistakes", "Hover for the image's index, its label and the prediction's confidence.", Charts.Misclassified(testSet, test, 24)),
        ]);

    /// <summary>Why the network decides as it does for image <paramref name="index"/> of <paramref name="set"/>: every attribution method, and the CAMs of every block.</summary>
    public static Explanation Explain(ConvNet model, ImageSet set, int index, ExplainSettings s)
    {
        using var image = set.Image(index);
        int label = set.Label(index);
        var prediction = Trainer.Predict(model, image);
        int predicted = prediction.Class, target = s.Target ?? predicted;
        if (target < 0 || target >= prediction.Probabilities.Length)
            throw new ConvLensException($"Class {target} is out of range: the model has classes 0 to {prediction.Probabilities.Length - 1}.");
        // The CAMs' usual layer is the last conv block's output (the plan knows which layer that is).
        var blocks = Inspect.BlockOutputs(model);
        if (s.Layer is not null) _ = model.Plan[s.Layer];   // an unknown layer: one line naming the layers there are
        string layer = s.Layer ?? blocks[^1];

        var timings = new List<(string Method, double Seconds)>();
        var maps = new List<(AttributionMethod Method, string Title, Tensor Map)>();
        try
        {
            foreach (var method in Attribution.Standard(s.Samples, s.Steps, s.Window, s.Stride, layer))
            {
                var clock = Stopwatch.StartNew();
                maps.Add((method, method.Title(model), method.Attribute(model, image, target)));
                timings.Add((method.ToString(), clock.Elapsed.TotalSeconds));
            }
            foreach (var block in blocks.Where(b => b != layer))
            {
                var cam = new HiResCam(block);
                maps.Add((cam, cam.Title(model), cam.Attribute(model, image, target)));
            }
            string about = $"{set.Split} image {index}, a {set.Classes[label]}, for class {set.Classes[target]}";
            string verdict = $"The model predicts {set.Classes[predicted]} with {prediction.Probabilities[predicted]:P1}" +
                             (predicted == label ? " (right)." : $"; the label is {set.Classes[label]}.");
            var page = new Page($"ConvLens · why {set.Classes[target]}? {set.Split} image {index}",
            [
                new Section("The image", verdict, Charts.Image(image, $"{set.Split} image {index} (a {set.Classes[label]})")),
                new Section("Attribution", "Red marks the pixels each method finds most responsible for the score of class " +
                    $"{set.Classes[target]} (magnitude, each panel on its own scale). Gradient methods ask which pixels would move the score most; " +
                    "Grad-CAM and HiResCAM which regions of a conv block's feature maps carry the evidence (Grad-CAM averages each map's gradient, " +
                    "which on this net's dense head is mostly negative, so it can fade to nothing; HiResCAM keeps the gradient position by position); occlusion how much hiding each patch lowers the probability.",
                    Charts.Attributions(image, maps.Select(m => (m.Title, m.Map)).ToList(), about)),
                new Section($"HiResCAM and Grad-CAM on {layer}, on one scale", "The same two maps on one colour scale (they are in the same units): " +
                    "where Grad-CAM looked strong above only because its own scale stretched a tiny map, here it all but vanishes.",
                    Charts.Attributions(image, maps.Where(m => m.Method is ClassActivationMap c && c.LayerOf(model) == layer).Select(m => (m.Title, m.Map)).ToList(), about, Scale.Shared)),
            ]);
            return new Explanation(page, verdict, timings);
        }
        finally
        {
            foreach (var m in maps) m.Map.Dispose();
        }
    }

    /// <summary>Preferred inputs (activation maximization): what each conv channel and each class wants.</summary>
    public static Page Preferred(ConvNet model, MaximizeOptions options)
    {
        var sections = new List<Section>();
        foreach (var layer in Inspect.ConvLayers(model))
        {
            using var weights = Inspect.Filters(model, layer);
            var images = Enumerable.Range(0, (int)weights.shape[0]).Select(c =>
            {
                var p = PreferredInput.ForChannel(model, layer, c, options);
                return ($"{layer} #{c} ({p.After:F2})", p.Image);
            }).ToList();
            sections.Add(new Section($"{layer}: what each channel wants",
                $"Synthesized inputs that maximize the mean activation of each {layer} channel (in brackets: the activation reached). " +
                "Black is the ink the channel wants; pixels are kept between 0 and 1, like the digits.", Charts.PreferredInputs($"{layer}: preferred inputs", images)));
            images.ForEach(i => i.Image.Dispose());
        }
        var classes = Enumerable.Range(0, model.Plan.Classes).Select(k =>
        {
            var p = PreferredInput.ForClass(model, k, options);
            return ($"class {k} (score {p.After:F1})", p.Image);
        }).ToList();
        sections.Add(new Section("What each class wants", "Synthesized inputs that maximize each class's score: the strokes the network counts as evidence.",
            Charts.PreferredInputs("Preferred input per class", classes, 5)));
        classes.ForEach(i => i.Image.Dispose());
        return new Page("ConvLens · preferred inputs (activation maximization)", sections);
    }
}
