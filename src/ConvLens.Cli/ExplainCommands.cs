using System.Diagnostics;
using ConvLens.Data;
using ConvLens.Explain;
using ConvLens.Inspection;
using ConvLens.Model;
using ConvLens.Plots;
using ConvLens.Training;
using static TorchSharp.torch;

namespace ConvLens.Cli;

/// <summary>Settings of the attribution methods, as the explain command takes them.</summary>
public sealed record ExplainSettings(int? Target, string? Layer, int Steps, int Samples, int Window, int Stride, bool Timings);

/// <summary>The commands that go beyond the article: explain (attribution), preferred (activation maximization), errors.</summary>
public static class ExplainCommands
{
    public static int Explain(string? checkpointPath, string? dataDir, ImageChoice choice, ExplainSettings s, string output)
    {
        var (model, info) = Checkpoints.Checkpoint.LoadOrShipped(checkpointPath);
        using var _ = model;
        Commands.EnsureWritable(output);
        using var data = Datasets.Load(info.Dataset, dataDir);
        var set = data.Split(choice.Split);
        int index = choice.Resolve(set);
        using var image = set.Image(index);
        int label = set.Label(index);

        var prediction = Trainer.Predict(model, image);
        float[] probabilities = prediction.Probabilities;
        int predicted = prediction.Class;
        int target = s.Target ?? predicted;
        if (target < 0 || target >= probabilities.Length)
            throw new ConvLensException($"Class {target} is out of range: the model has classes 0 to {probabilities.Length - 1}.");
        // The CAMs' usual layer is the last conv block's output (the plan knows which layer that is).
        var blocks = Inspect.BlockOutputs(model);
        if (s.Layer is not null) model.Plan[s.Layer].ToString();   // an unknown layer: one line naming the layers there are
        string layer = s.Layer ?? blocks[^1];

        var methods = Attribution.Standard(s.Samples, s.Steps, s.Window, s.Stride, layer);
        var timings = new List<(string Method, double Seconds)>();
        var maps = new List<(AttributionMethod Method, string Title, Tensor Map)>();
        foreach (var method in methods)
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
        string verdict = $"The model predicts {set.Classes[predicted]} with {probabilities[predicted]:P1}" +
                         (predicted == label ? " (right)." : $"; the label is {set.Classes[label]}.");
        string page = Path.Combine(output, "explain.html");
        FigureHtml.WritePage(page, $"ConvLens · why {set.Classes[target]}? {set.Split} image {index}",
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
        Console.WriteLine(verdict);
        Console.WriteLine($"wrote {page}");
        if (s.Timings)
            foreach (var (method, seconds) in timings)
                Console.WriteLine($"time  {method,-22} {seconds,6:F2} s");
        foreach (var m in maps) m.Map.Dispose();
        return 0;
    }

    public static int Preferred(string? checkpointPath, int steps, int seed, string output)
    {
        var (model, info) = Checkpoints.Checkpoint.LoadOrShipped(checkpointPath);
        using var _ = model;
        Commands.EnsureWritable(output);
        var options = new MaximizeOptions { Steps = steps, Seed = seed };
        var sections = new List<Section>();
        var clock = Stopwatch.StartNew();
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
        var classes = Enumerable.Range(0, info.Plan.Classes).Select(k =>
        {
            var p = PreferredInput.ForClass(model, k, options);
            return ($"class {k} (score {p.After:F1})", p.Image);
        }).ToList();
        sections.Add(new Section("What each class wants", "Synthesized inputs that maximize each class's score: the strokes the network counts as evidence.",
            Charts.PreferredInputs("Preferred input per class", classes, 5)));
        classes.ForEach(i => i.Image.Dispose());
        string page = Path.Combine(output, "preferred.html");
        FigureHtml.WritePage(page, "ConvLens · preferred inputs (activation maximization)", sections);
        Console.WriteLine($"wrote {page} ({clock.Elapsed.TotalSeconds:F1} s, {steps} steps per image, seed {seed})");
        return 0;
    }

    public static int Mistakes(string? checkpointPath, string? dataDir, string output)
    {
        var (model, info) = Checkpoints.Checkpoint.LoadOrShipped(checkpointPath);
        using var _ = model;
        Commands.EnsureWritable(output);
        using var data = Datasets.Load(info.Dataset, dataDir);
        var test = Trainer.Evaluate(model, data.Test);
        string page = Path.Combine(output, "errors.html");
        FigureHtml.WritePage(page, "ConvLens · where the network goes wrong",
        [
            new Section("Confusion matrix", $"Test accuracy {test.Accuracy:P2}. Each cell counts the test images of one class (row) predicted as another (column).", Charts.Confusion(test, data.Test.Classes)),
            new Section("The most confident mistakes", "Hover for the image's index, its label and the prediction's confidence.", Charts.Misclassified(data.Test, test, 24)),
        ]);
        Console.WriteLine($"test accuracy {test.Accuracy:P2}, {test.Count - test.Correct} mistakes");
        Console.WriteLine($"wrote {page}");
        return 0;
    }

}
