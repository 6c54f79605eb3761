using ConvLens.Data;
using ConvLens.Explain;
using ConvLens.Training;

namespace ConvLens.Cli;

/// <summary>The commands that go beyond the article: explain (attribution), preferred (activation maximization), errors. The pages are the library's (<see cref="Pages"/>); these choose the model, the data and the file.</summary>
public static class ExplainCommands
{
    public static int Explain(string? checkpointPath, string? dataDir, ImageChoice choice, ExplainSettings settings, bool timings, string output)
    {
        var (model, info) = Checkpoints.Checkpoint.LoadOrShipped(checkpointPath);
        using var _ = model;
        Commands.EnsureWritable(output);
        using var data = Datasets.Load(info.Dataset, dataDir);
        var set = data.Split(choice.Split);
        var explanation = Pages.Explain(model, set, choice.Resolve(set), settings);
        string page = explanation.Page.WriteTo(Path.Combine(output, "explain.html"));
        Console.WriteLine(explanation.Verdict);
        Console.WriteLine($"wrote {page}");
        if (timings)
            foreach (var (method, seconds) in explanation.Timings)
                Console.WriteLine($"time  {method,-22} {seconds,6:F2} s");
        return 0;
    }

    public static int Preferred(string? checkpointPath, int steps, int seed, string output)
    {
        var (model, _) = Checkpoints.Checkpoint.LoadOrShipped(checkpointPath);
        using var __ = model;
        Commands.EnsureWritable(output);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        string page = Pages.Preferred(model, new MaximizeOptions { Steps = steps, Seed = seed }).WriteTo(Path.Combine(output, "preferred.html"));
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
        string page = Pages.Errors(test, data.Test).WriteTo(Path.Combine(output, "errors.html"));
        Console.WriteLine($"test accuracy {test.Accuracy:P2}, {test.Count - test.Correct} mistakes");
        Console.WriteLine($"wrote {page}");
        return 0;
    }
}
