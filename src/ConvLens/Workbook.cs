using ConvLens.Checkpoints;
using ConvLens.Model;

namespace ConvLens;

/// <summary>What the notebooks share: where the training notebook saves its model, and which model the later ones load.</summary>
public static class Workbook
{
    /// <summary>
    /// artifacts/notebook/convnet(.json, .weights): written by 02-define-and-train. CONVLENS_NOTEBOOK_CHECKPOINT moves it
    /// (the tests do, so that running them never replaces a model the reader trained).
    /// </summary>
    public static string TrainedCheckpoint =>
        Environment.GetEnvironmentVariable("CONVLENS_NOTEBOOK_CHECKPOINT") is { Length: > 0 } path
            ? path
            : Path.GetFullPath(Path.Combine(RepositoryData.Folder(), "..", "artifacts", "notebook", "convnet"));

    /// <summary>
    /// The model trained in notebook 02 if there is one, else the shipped checkpoint, with a sentence saying which,
    /// so the filter and feature-map notebooks work for whatever architecture the reader built.
    /// </summary>
    public static (ConvNet Model, CheckpointInfo Info, string Source) LoadModel()
    {
        bool trained = File.Exists(Checkpoint.InfoPath(TrainedCheckpoint));
        string path = trained ? TrainedCheckpoint : RepositoryData.ShippedCheckpoint();
        var (model, info) = Checkpoint.Load(path);
        string source = trained
            ? $"the model you trained in 02-define-and-train ({info.Architecture}, {info.History.Count} epochs on {info.Dataset})"
            : $"the shipped checkpoint ({info.Architecture}, {info.History.Count} epochs on {info.Dataset}); train your own in 02-define-and-train";
        return (model, info, source);
    }
}

/// <summary>An <see cref="IProgress{T}"/> that reports on the calling thread (Progress&lt;T&gt; posts to the thread pool, out of order).</summary>
public sealed class CallbackProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
