using System.Text.Json;
using ConvLens.Checkpoints;
using ConvLens.Data;
using ConvLens.Inspection;
using ConvLens.Model;
using ConvLens.Plots;
using static TorchSharp.torch;

namespace ConvLens.Cli;

/// <summary>Where an image comes from: a split and an index, or the n-th image with a label.</summary>
public sealed record ImageChoice(string Split, int? Index, int? Label, int Occurrence)
{
    public int Resolve(ImageSet set) => Label is { } label ? set.IndexOfLabel(label, Occurrence) : Index ?? 4;
}

/// <summary>The commands that look inside a trained model: layers, filters, feature-maps.</summary>
public static class LookCommands
{
    public static int Layers(string? checkpointPath)
    {
        var (model, info) = LoadModel(checkpointPath);
        using var _ = model;
        Console.WriteLine($"{info.Plan}");
        foreach (var layer in Inspect.Layers(model))
            Console.WriteLine(layer);
        Console.WriteLine($"{model.parameters().Sum(p => p.numel()):N0} parameters");
        return 0;
    }

    public static int Filters(string? checkpointPath, string[] layers, Palette palette, Scale scale, string output)
    {
        var (model, _) = LoadModel(checkpointPath);
        using var __ = model;
        foreach (var line in WriteFilters(model, layers, palette, scale, output)) Console.WriteLine(line);
        return 0;
    }

    /// <summary>Writes filters.html and filters.json for <paramref name="model"/> into <paramref name="output"/>; returns a line per file written.</summary>
    public static IReadOnlyList<string> WriteFilters(ConvNet model, string[] layers, Palette palette, Scale scale, string output)
    {
        Commands.EnsureWritable(output);
        var names = layers.Length > 0 ? layers : Inspect.ConvLayers(model).ToArray();
        var weights = names.ToDictionary(n => n, n => Inspect.Filters(model, n));   // once, for the page and the numbers
        try
        {
            string page = Pages.Filters(weights, palette, scale).WriteTo(Path.Combine(output, "filters.html"));
            string numbers = Path.Combine(output, "filters.json");
            WriteJson(numbers, weights.ToDictionary(w => w.Key, w => new { shape = w.Value.shape, weights = Nested(w.Value) }));
            return [$"wrote {page}", $"wrote {numbers} (weights as [filter][input channel][row][column])"];
        }
        finally
        {
            foreach (var w in weights.Values) w.Dispose();
        }
    }

    public static int FeatureMaps(string? checkpointPath, string? dataDir, ImageChoice choice, string[] layers, Palette palette, Scale scale, string output)
    {
        var (model, info) = LoadModel(checkpointPath);
        using var __ = model;
        using var data = Datasets.Load(info.Dataset, dataDir);
        var set = data.Split(choice.Split);
        foreach (var line in WriteFeatureMaps(model, set, choice.Resolve(set), layers, palette, scale, output)) Console.WriteLine(line);
        return 0;
    }

    /// <summary>Writes feature-maps.html and feature-maps.json for image <paramref name="index"/> of <paramref name="set"/>; returns a line per file written.</summary>
    public static IReadOnlyList<string> WriteFeatureMaps(ConvNet model, ImageSet set, int index, string[] layers, Palette palette, Scale scale, string output)
    {
        Commands.EnsureWritable(output);
        var names = layers.Length > 0 ? layers : Inspect.MapLayers(model).ToArray();
        using var image = set.Image(index);
        var maps = Inspect.FeatureMaps(model, image, names);   // once, for the page and the numbers
        try
        {
            string page = Pages.FeatureMaps(set, index, maps, model.Plan, palette, scale).WriteTo(Path.Combine(output, "feature-maps.html"));
            string numbers = Path.Combine(output, "feature-maps.json");
            WriteJson(numbers, new
            {
                split = set.Split,
                index,
                label = set.Label(index),
                layers = names.ToDictionary(n => n, n => new { shape = maps[n].shape, maps = Nested(maps[n]) }),
            });
            return [$"{set.Split} image {index}, labelled {set.Classes[set.Label(index)]}", $"wrote {page}", $"wrote {numbers} (maps as [channel][row][column])"];
        }
        finally
        {
            foreach (var map in maps.Values) map.Dispose();
        }
    }

    public static int Explorer(string? checkpointPath, string? dataDir, int testImages, string output, string? compare = null)
    {
        var (model, info) = LoadModel(checkpointPath);
        using var __ = model;
        // No test images wanted: no need for the data set (which for Fashion-MNIST may not be installed).
        using var data = testImages > 0 ? Datasets.Load(info.Dataset, dataDir) : null;
        foreach (var line in WriteExplorer(model, info, data?.Test, testImages, output)) Console.WriteLine(line);
        if (compare is not null)
        {
            var (other, otherInfo) = Checkpoint.Load(compare);
            using var ___ = other;
            string page = Path.Combine(output, "compare.html");
            AtomicFile.WriteAllText(page, ConvLens.Explorer.ComparePage(model, About(info), other, About(otherInfo), data?.Test, Math.Min(testImages, ConvLens.Explorer.NotebookTestImages)));
            Console.WriteLine($"wrote {page} ({new FileInfo(page).Length / 1024.0 / 1024.0:F1} MB: the two networks side by side on one drawing)");
        }
        return 0;
    }

    static string About(CheckpointInfo info) => $"Trained {info.Trained}" + (info.Test is { } t ? $", {t.Accuracy:P2} on its {t.Count} test images." : ".");

    /// <summary>Writes explorer-epochs.html from a training run's epoch checkpoints; returns a line per file written.</summary>
    public static IReadOnlyList<string> WriteEpochsExplorer(IReadOnlyList<string> checkpoints, ImageSet? test, string output)
    {
        string page = Path.Combine(output, "explorer-epochs.html");
        AtomicFile.WriteAllText(page, ConvLens.Explorer.EpochsPage(checkpoints, test));
        return [$"wrote {page} ({new FileInfo(page).Length / 1024.0 / 1024.0:F1} MB: the explorer with a slider over the {checkpoints.Count} epoch checkpoints)"];
    }

    /// <summary>Writes explorer.html for <paramref name="model"/>, with the first <paramref name="testImages"/> images of <paramref name="test"/>; returns a line per file written.</summary>
    public static IReadOnlyList<string> WriteExplorer(ConvNet model, CheckpointInfo info, ImageSet? test, int testImages, string output)
    {
        Commands.EnsureWritable(output);
        string page = ConvLens.Explorer.WritePage(Path.Combine(output, "explorer.html"), model, test, testImages, About(info));
        return [$"wrote {page} ({new FileInfo(page).Length / 1024.0 / 1024.0:F1} MB; open it in a browser and draw)"];
    }

    static (ConvNet Model, CheckpointInfo Info) LoadModel(string? checkpointPath) => Checkpoint.LoadOrShipped(checkpointPath);

    static void WriteJson(string path, object value) => AtomicFile.WriteAllText(path, JsonSerializer.Serialize(value));

    /// <summary>A tensor as nested arrays of floats, for people who plot elsewhere.</summary>
    static object Nested(Tensor t)
    {
        using var cpu = t.cpu().to_type(ScalarType.Float32);
        var flat = cpu.data<float>().ToArray();
        object Build(int dim, int offset)
        {
            long stride = t.shape.Skip(dim + 1).Aggregate(1L, (a, b) => a * b);
            return dim == t.shape.Length - 1
                ? flat.AsSpan(offset, (int)t.shape[dim]).ToArray()
                : Enumerable.Range(0, (int)t.shape[dim]).Select(i => Build(dim + 1, offset + (int)(i * stride))).ToArray();
        }
        return Build(0, 0);
    }
}
