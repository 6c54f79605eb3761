using System.Diagnostics;
using System.Text.Json;
using ConvLens.Checkpoints;
using ConvLens.Data;
using ConvLens.Model;
using ConvLens.Plots;
using ConvLens.Training;
using TorchSharp;

namespace ConvLens.Cli;

public sealed record TrainArguments(int Epochs, string Dataset, string? DataDir, int Seed, int BatchSize, double LearningRate,
    int? Limit, string Output, string Name, bool Json, string CommandLine, string? Architecture = null);

public static class Commands
{
    public static int Train(TrainArguments a, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        var log = a.Json ? Console.Error : Console.Out;
        var options = new TrainingOptions { Epochs = a.Epochs, BatchSize = a.BatchSize, LearningRate = a.LearningRate, Seed = a.Seed }.Validate();
        string checkpointPath = Path.Combine(a.Output, a.Name);
        EnsureWritable(a.Output);

        var memory = new PeakMemory();
        using var data = Datasets.Load(a.Dataset, a.DataDir, a.Limit);
        memory.After("load");
        // The article's network, or the plan of a checkpoint (such as notebook 02's), from fresh weights of this seed.
        using var model = a.Architecture is null ? new ConvNet(ConvNetSpec.Article, a.Seed) : ConvNet.Build(Checkpoint.ReadInfo(a.Architecture).Plan, a.Seed);
        model.to(Trainer.DefaultDevice);
        log.WriteLine($"data   {a.Dataset} from {data.Folder}: {data.Train.Count} training images (split {1 - options.ValidationFraction:P0} / {options.ValidationFraction:P0} by seed {a.Seed}), {data.Test.Count} test images");
        log.WriteLine($"model  {model.Plan}, {model.parameters().Sum(p => p.numel()):N0} parameters");
        log.WriteLine($"train  {options.Epochs} epoch{(options.Epochs == 1 ? "" : "s")}, batch {options.BatchSize}, Adam lr {options.LearningRate}, on {Trainer.DefaultDevice.type} ({TorchSharp.torch.get_num_threads()} threads)");

        using var bar = new ProgressBar();
        var progress = new Progress(bar, log);
        var firstConv = ConvLens.Inspection.Inspect.ConvLayers(model).FirstOrDefault()
            ?? throw new ConvLensException($"This network has no conv layer to look at ({model.Plan}).");
        // The weights before training and after each epoch, kept for the explorer's epoch slider (OUTPUT/epochs/NAME-epoch-NN).
        var epochs = new EpochCheckpoints(model, a.Dataset, a.Limit, options, Path.Combine(a.Output, "epochs"), a.Name, inner: progress);
        using var filterHistory = new FilterHistory(model, firstConv, inner: epochs);   // the first conv layer's filters after each epoch
        var history = Trainer.Train(model, data.Train, options, filterHistory, cancel);
        bar.Clear();
        memory.After("train");

        var test = Trainer.Evaluate(model, data.Test, cancel: cancel);
        memory.After("test");
        log.WriteLine($"test   loss {test.Loss:F4}, accuracy {test.Accuracy:P2} ({test.Correct}/{test.Count})");

        var info = new CheckpointInfo
        {
            Plan = model.Plan,
            Dataset = a.Dataset,
            Limit = a.Limit,
            Training = options,
            History = history,
            Test = new TestResult(test.Loss, test.Accuracy, test.Count),
            Command = a.CommandLine,
        };
        string saved = Checkpoint.Save(model, info, checkpointPath);
        log.WriteLine($"saved  {saved} (+ {Path.GetFileName(Path.ChangeExtension(saved, Checkpoint.WeightsExtension))})");
        memory.After("save");

        // The rest of the article: the learned filters and the feature maps of training image 4 (a 9 in MNIST).
        foreach (var line in LookCommands.WriteFilters(model, [], Palette.Diverging, Scale.Shared, a.Output)) log.WriteLine(line);
        memory.After("filters");
        foreach (var line in LookCommands.WriteFeatureMaps(model, data.Train, Math.Min(4, data.Train.Count - 1), [], Palette.Viridis, Scale.Shared, a.Output)) log.WriteLine(line);
        memory.After("featureMaps");
        foreach (var line in LookCommands.WriteExplorer(model, info, data.Test, ConvLens.Explorer.PageTestImages, a.Output)) log.WriteLine(line);
        memory.After("explorer");
        foreach (var line in LookCommands.WriteEpochsExplorer(epochs.Saved, data.Test, a.Output)) log.WriteLine(line);
        memory.After("explorerEpochs");
        string overTime = ConvLens.Pages.FiltersOverTime(filterHistory).WriteTo(Path.Combine(a.Output, "filters-over-time.html"));
        log.WriteLine($"wrote {overTime}");
        memory.After("filtersOverTime");
        log.WriteLine($"total  {FormatDuration(clock.Elapsed)}, peak memory {memory.Peak:F0} MiB (the largest step: {memory.Largest})");

        if (a.Json)
            WriteJson(new
            {
                dataset = a.Dataset,
                epochs = history,
                test = new { loss = test.Loss, accuracy = test.Accuracy, count = test.Count },
                checkpoint = saved,
                seconds = clock.Elapsed.TotalSeconds,
                trainImages = (int)Math.Round(data.Train.Count * (1 - options.ValidationFraction)),
                rssMiBAfterEpoch = progress.RssMiBAfterEpoch,
                peakRssMiB = memory.Peak,
                peakMiBByPhase = memory.ByPhase,
            });
        return 0;
    }

    public static int Evaluate(string? checkpointPath, string? dataset, string? dataDir, int? limit, int batchSize, bool json, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        var log = json ? Console.Error : Console.Out;
        var (model, info) = Checkpoint.LoadOrShipped(checkpointPath);
        checkpointPath ??= RepositoryData.ShippedCheckpoint();
        using var _ = model;
        model.to(Trainer.DefaultDevice);
        dataset ??= info.Dataset;
        using var data = Datasets.Load(dataset, dataDir, limit);
        var test = Trainer.Evaluate(model, data.Test, batchSize, cancel);

        log.WriteLine($"checkpoint  {Checkpoint.InfoPath(checkpointPath)}: {info.Plan}, trained on {info.Dataset} for {info.History.Count} epochs");
        log.WriteLine($"test        {dataset}, {test.Count} images: loss {test.Loss:F4}, accuracy {test.Accuracy:P2} ({test.Correct}/{test.Count})");
        var accuracies = test.PerClassAccuracy();
        var perClass = data.Test.Classes.Select((c, k) => new { label = k, name = c, count = test.Labels.Count(l => l == k), accuracy = accuracies[k] }).ToList();
        log.WriteLine("per class   " + string.Join("  ", perClass.Select(p => $"{p.name}: {p.accuracy:P1}")));
        log.WriteLine($"total       {FormatDuration(clock.Elapsed)}");

        if (json)
            WriteJson(new { checkpoint = Checkpoint.InfoPath(checkpointPath), dataset, loss = test.Loss, accuracy = test.Accuracy, count = test.Count, perClass = perClass.Select(p => new { p.label, p.name, p.count, accuracy = double.IsNaN(p.accuracy) ? (double?)null : p.accuracy }) });
        return 0;
    }

    /// <summary>Fails before any work when the output folder cannot be written, rather than after a long training run.</summary>
    public static void EnsureWritable(string folder)
    {
        if (!AtomicFile.CanWriteIn(folder, out string reason))
            throw new ConvLensException($"Output folder {folder} is not writable: {reason}");
    }

    static void WriteJson(object value) =>
        Console.Out.WriteLine(JsonSerializer.Serialize(value, new JsonSerializerOptions(Checkpoint.Json) { WriteIndented = false }));

    public static string FormatDuration(TimeSpan t) => t.TotalMinutes >= 1 ? $"{(int)t.TotalMinutes}m {t.Seconds:00}s" : $"{t.TotalSeconds:F1} s";

    /// <summary>Draws the bar for each batch and prints the article's line for each epoch.</summary>
    sealed class Progress(ProgressBar bar, TextWriter log) : IProgress<TrainingProgress>
    {
        /// <summary>Resident memory after each epoch: flat from epoch 2 on means nothing leaks per batch.</summary>
        public List<double> RssMiBAfterEpoch { get; } = [];

        public void Report(TrainingProgress p)
        {
            if (p.Completed is not null)
            {
                RssMiBAfterEpoch.Add(Memory.CurrentMiB());
                bar.Clear();
                log.WriteLine(p);
            }
            else
            {
                bar.Draw($"epoch {p.Epoch,2}/{p.Epochs}", p.Batch, p.Batches, $"loss {p.RunningLoss:F4}");
            }
        }
    }
}

/// <summary>This process's resident memory now, in MiB (Process.WorkingSet64: every OS).</summary>
static class Memory
{
    public static double CurrentMiB()
    {
        using var self = Process.GetCurrentProcess();
        return self.WorkingSet64 / 1048576.0;
    }
}

/// <summary>
/// The process's peak resident memory at the end of each phase of a run (Process.PeakWorkingSet64, which only grows):
/// the phase after which it grows is the one that set the new peak.
/// </summary>
sealed class PeakMemory
{
    public Dictionary<string, double> ByPhase { get; } = [];

    public void After(string phase)
    {
        // What the phase left free goes back to the OS before the next begins (measured: see the README's memory line).
        ConvLens.Native.TorchNative.ReturnFreeMemory();
        using var self = Process.GetCurrentProcess();
        ByPhase[phase] = Math.Round(self.PeakWorkingSet64 / 1048576.0, 1);
    }

    public double Peak => ByPhase.Values.DefaultIfEmpty(0).Max();

    /// <summary>The phase after the first (loading, which holds the runtime, libtorch and the data) that raised the peak most.</summary>
    public string Largest
    {
        get
        {
            var rises = ByPhase.Zip(ByPhase.Values.Prepend(0), (p, before) => (Phase: p.Key, Rise: p.Value - before)).Skip(1).ToList();
            return rises.Count == 0 ? "none" : rises.MaxBy(r => r.Rise) is var top ? $"{top.Phase}, +{top.Rise:F0} MiB" : "none";
        }
    }
}
