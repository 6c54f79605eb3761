using ConvLens.Model;
using ConvLens.Training;

namespace ConvLens.Checkpoints;

/// <summary>
/// Keeps the weights of a model as it trains: a checkpoint before the first step (epoch 0) and after every epoch, as
/// FOLDER/NAME-epoch-NN (.json and .weights, each with the history so far), so that the explorer can step from the
/// untrained network to the trained one on the same drawing. Pass it to <see cref="Trainer.Train"/> as the progress; it
/// forwards every report to <c>inner</c>. About 0.7 MB an epoch for the article's network.
/// </summary>
public sealed class EpochCheckpoints : IProgress<TrainingProgress>
{
    readonly ConvNet model;
    readonly CheckpointInfo template;
    readonly IProgress<TrainingProgress>? inner;
    readonly List<EpochResult> history = [];
    readonly List<string> saved = [];

    public string Folder { get; }
    public string Name { get; }
    /// <summary>The checkpoints written so far, epoch 0 first.</summary>
    public IReadOnlyList<string> Saved => saved;

    public EpochCheckpoints(ConvNet model, string dataset, int? limit, TrainingOptions options, string folder, string name = "convnet", IProgress<TrainingProgress>? inner = null)
    {
        this.model = model;
        this.inner = inner;
        (Folder, Name) = (folder, name);
        template = new CheckpointInfo { Plan = model.Plan, Dataset = dataset, Limit = limit, Training = options, Command = "before training" };
        // A folder from an earlier run would mix its epochs with these: start it afresh.
        foreach (var old in Directory.Exists(folder) ? Directory.GetFiles(folder, $"{name}-epoch-*") : []) File.Delete(old);
        saved.Add(Checkpoint.Save(model, template, PathOf(0)));
    }

    /// <summary>FOLDER/NAME-epoch-NN: the checkpoint after epoch <paramref name="epoch"/> (0: before training).</summary>
    public string PathOf(int epoch) => Path.Combine(Folder, $"{Name}-epoch-{epoch:00}");

    public void Report(TrainingProgress p)
    {
        if (p.Completed is { } epoch)
        {
            history.Add(epoch);
            saved.Add(Checkpoint.Save(model, template with { History = [.. history], Command = $"after epoch {epoch.Epoch}" }, PathOf(epoch.Epoch)));
        }
        inner?.Report(p);
    }

    /// <summary>The epoch checkpoints in a folder, in order (epoch 0 first), as <see cref="Saved"/> lists them.</summary>
    public static IReadOnlyList<string> In(string folder, string name = "convnet") =>
        Directory.Exists(folder)
            ? Directory.GetFiles(folder, $"{name}-epoch-*{Checkpoint.InfoExtension}").Order(StringComparer.Ordinal).ToList()
            : [];
}
