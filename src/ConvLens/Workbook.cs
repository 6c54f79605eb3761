using ConvLens.Checkpoints;
using ConvLens.Model;
using ConvLens.Training;

namespace ConvLens;

/// <summary>What the notebooks share: where the training notebook saves its model, and which model the later ones load.</summary>
public static class Workbook
{
    /// <summary>
    /// What a notebook's setup cell shows (<c>Workbook.Start()</c>, its last line): plotly.js, once, for every chart the
    /// notebook draws later, offline; and, when a source file of the library is newer than the build the notebook
    /// loaded, one line saying so and how to fix it, instead of old behaviour that would puzzle the reader.
    /// </summary>
    public static NotebookStart Start()
    {
        RegisterWithNotebookHost();
        string? stale = StaleBuild();
        if (stale is not null) Console.Error.WriteLine(stale);   // plain text too, for front ends that do not show HTML
        var warning = stale is null ? "" : $"<p style=\"color:#b2182b;font-weight:bold\">{System.Net.WebUtility.HtmlEncode(stale)}</p>";
        const string loaded = "ConvLens loaded; charts work offline.";
        return new NotebookStart(Plots.FigureHtml.PlotlyScript() + warning + $"<span style=\"color:#666\">{loaded}</span>", loaded);
    }

    /// <summary>
    /// Tells the notebook host to show every <see cref="Plots.INotebookHtml"/> (figures, the setup output) as HTML. The
    /// library does not reference the host (it runs in the CLI and the tests too); inside a host the host's Formatting
    /// assembly is loaded, and its Formatter.Register(Type, Action&lt;object, TextWriter&gt;, string) is found by name
    /// (present in the pinned 1.0.712001). Returns false outside a host.
    /// </summary>
    public static bool RegisterWithNotebookHost()
    {
        var formatter = AppDomain.CurrentDomain.GetAssemblies()
            .FirstOrDefault(a => a.GetName().Name == "Microsoft.DotNet.Interactive.Formatting")
            ?.GetType("Microsoft.DotNet.Interactive.Formatting.Formatter");
        var register = formatter?.GetMethod("Register", [typeof(Type), typeof(Action<object, TextWriter>), typeof(string)]);
        if (register is null) return false;
        Action<object, TextWriter> write = (value, writer) => writer.Write(((Plots.INotebookHtml)value).ToNotebookHtml());
        register.Invoke(null, [typeof(Plots.INotebookHtml), write, "text/html"]);
        return true;
    }

    /// <summary>A sentence if the ConvLens.dll in use is older than a source file of the library beside it, else null.</summary>
    public static string? StaleBuild() =>
        StaleBuild(typeof(Workbook).Assembly.Location, Path.Combine(Path.GetDirectoryName(RepositoryData.Folder())!, "src", "ConvLens"));

    /// <summary>A sentence if <paramref name="dll"/> is older than a source under <paramref name="sources"/> (<see cref="BuildAge"/>'s rule), else null.</summary>
    public static string? StaleBuild(string dll, string sources) =>
        Directory.Exists(sources) && BuildAge.NewerSource(dll, sources) is { } newer
            ? $"This notebook loaded a ConvLens build older than its sources ({Path.GetFileName(newer)} changed after the build). " +
              "Run 'dotnet build src/ConvLens -c Release' in the repository, then restart the kernel and run the notebook again."
            : null;

    /// <summary>
    /// artifacts/notebook/convnet(.json, .weights): written by 02-define-and-train. CONVLENS_NOTEBOOK_CHECKPOINT moves it
    /// (the tests do, so that running them never replaces a model the reader trained).
    /// </summary>
    public static string TrainedCheckpoint =>
        Environment.GetEnvironmentVariable("CONVLENS_NOTEBOOK_CHECKPOINT") is { Length: > 0 } path
            ? path
            : Path.GetFullPath(Path.Combine(RepositoryData.Folder(), "..", "artifacts", "notebook", "convnet"));

    /// <summary>Where notebook 02 keeps the weights before training and after each epoch: epochs/ beside <see cref="TrainedCheckpoint"/>.</summary>
    public static string EpochsFolder => Path.Combine(Path.GetDirectoryName(TrainedCheckpoint)!, "epochs");

    /// <summary>Notebook 02's progress: the trainer's reports go to <paramref name="log"/>, and each epoch's weights to <see cref="EpochsFolder"/>.</summary>
    public static EpochCheckpoints KeepEpochs(ConvNet model, string dataset, int? limit, TrainingOptions options, IProgress<TrainingProgress>? log) =>
        new(model, dataset, limit, options, EpochsFolder, Path.GetFileName(TrainedCheckpoint), log);

    /// <summary>
    /// The explorer with an epoch slider for the model notebook 02 trained (its weights before training and after each
    /// epoch), or a sentence saying why there is none.
    /// </summary>
    public static object EpochsExplorer(Data.ImageSet? images = null)
    {
        var checkpoints = EpochCheckpoints.In(EpochsFolder, Path.GetFileName(TrainedCheckpoint));
        return checkpoints.Count >= 2 && File.Exists(Checkpoint.InfoPath(TrainedCheckpoint))
            ? Explorer.ShowEpochs(checkpoints, images)
            : "No epoch checkpoints yet: notebook 02 keeps the weights after each epoch when it trains. Run it, then this cell again.";
    }

    /// <summary>
    /// Saves what notebook 02 trained to <see cref="TrainedCheckpoint"/>, with how it was trained and tested, and
    /// returns the full path; notebooks 03 to 06 then load it with <see cref="LoadModel"/>.
    /// </summary>
    public static string SaveTrained(ConvNet model, string dataset, int? limit, TrainingOptions options, IReadOnlyList<EpochResult> history, Evaluation test) =>
        Path.GetFullPath(Checkpoint.Save(model, new CheckpointInfo
        {
            Plan = model.Plan, Dataset = dataset, Limit = limit, Training = options, History = history,
            Test = new TestResult(test.Loss, test.Accuracy, test.Count), Command = "notebooks/02-define-and-train.ipynb",
        }, TrainedCheckpoint));

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
            ? $"the model you trained in 02-define-and-train ({info.Plan}, {info.Trained})"
            : $"the shipped checkpoint ({info.Plan}, {info.Trained}); train your own in 02-define-and-train";
        return (model, info, source);
    }
}

/// <summary>The setup cell's output: plotly.js for the notebook's charts, and a warning if the library build is stale; <see cref="Text"/> is what a terminal shows of it (a stale build is reported on standard error).</summary>
public sealed record NotebookStart(string Html, string Text) : Plots.INotebookHtml
{
    public string ToNotebookHtml() => Html;
}

/// <summary>An <see cref="IProgress{T}"/> that reports on the calling thread (Progress&lt;T&gt; posts to the thread pool, out of order).</summary>
public sealed class CallbackProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
