namespace ConvLens.Training;

/// <summary>
/// Training progress for a notebook or a console: a line per finished epoch with the article's four numbers, a
/// progress line rewritten in place while an epoch runs, and the epochs so far. Pass it to <see cref="Trainer.Train"/>.
/// </summary>
public sealed class TrainingLog(TextWriter writer, int batchesPerLine = 25) : IProgress<TrainingProgress>
{
    readonly List<EpochResult> history = [];

    /// <summary>The finished epochs, in order.</summary>
    public IReadOnlyList<EpochResult> History => history;

    /// <summary>The loss of the very first batch, as the trainer computed it (to compare with a step done by hand).</summary>
    public double? FirstBatchLoss { get; private set; }

    public void Report(TrainingProgress p)
    {
        if (p is { Epoch: 1, Batch: 1, Completed: null }) FirstBatchLoss = p.RunningLoss;
        if (p.Completed is { } epoch)
        {
            history.Add(epoch);
            writer.Write($"\r{p}\n");
        }
        else if (p.Batch % batchesPerLine == 0)
            writer.Write($"\r{p}");
    }
}
