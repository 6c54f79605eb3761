using ConvLens.Inspection;
using ConvLens.Model;
using static TorchSharp.torch;

namespace ConvLens.Training;

/// <summary>One snapshot of a layer's filters during training.</summary>
public sealed record FilterSnapshot(string Label, int Epoch, int Batch, Tensor Weights);

/// <summary>
/// Records a conv layer's filters while a model trains: before the first step, after every epoch and, optionally, every
/// <c>everyBatches</c> batches. Pass it to <see cref="Trainer.Train"/> as the progress (it forwards every report to
/// <c>inner</c>), then draw its snapshots with <c>Charts.FiltersOverTime</c>.
/// </summary>
public sealed class FilterHistory : IProgress<TrainingProgress>, IDisposable
{
    readonly ConvNet model;
    readonly int? everyBatches;
    readonly IProgress<TrainingProgress>? inner;
    readonly List<FilterSnapshot> snapshots = [];

    public string Layer { get; }
    public IReadOnlyList<FilterSnapshot> Snapshots => snapshots;

    public FilterHistory(ConvNet model, string layer, int? everyBatches = null, IProgress<TrainingProgress>? inner = null)
    {
        if (everyBatches is < 1) throw new ConvLensException($"Snapshots every {everyBatches} batches: give a positive number.");
        this.model = model;
        this.everyBatches = everyBatches;
        this.inner = inner;
        Layer = layer;
        snapshots.Add(new FilterSnapshot("before training", 0, 0, Photograph()));
    }

    // The trainer reports batches from inside its per-batch dispose scope, which disposes every tensor made there when
    // the batch ends; a snapshot must outlive it, so it leaves every scope and this object disposes it.
    Tensor Photograph() => Inspect.Filters(model, Layer).DetachFromDisposeScope();

    public void Report(TrainingProgress p)
    {
        if (p.Completed is not null)
            snapshots.Add(new FilterSnapshot($"after epoch {p.Epoch}", p.Epoch, p.Batch, Photograph()));
        else if (everyBatches is { } n && p.Batch % n == 0 && p.Batch < p.Batches)
            snapshots.Add(new FilterSnapshot($"epoch {p.Epoch}, batch {p.Batch}", p.Epoch, p.Batch, Photograph()));
        inner?.Report(p);
    }

    public void Dispose() => snapshots.ForEach(s => s.Weights.Dispose());
}
