using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace ConvLens.Cli.Notebooks;

/// <summary>What <c>convlens workbook</c> runs, and how.</summary>
public sealed record WorkbookRun(
    IReadOnlyList<string> Only,
    IReadOnlyDictionary<string, string> Parameters,
    IReadOnlyList<(string Old, string New)> Edits,
    string Output,
    bool Exercises,
    bool Timings,
    TimeSpan CellTimeout);

/// <summary>
/// Executes the workbook's notebooks, in order, each in a fresh host, cell by cell, as a reader pressing "Run All"
/// would, and writes each executed copy (outputs included, in Jupyter's .ipynb format) to an output folder. The first
/// failing cell stops the run. Papermill's convention for parameters: a cell tagged "parameters" declares them, and a
/// cell tagged "injected-parameters" that sets the given values is inserted after it.
/// </summary>
public static partial class NotebookRunner
{
    /// <summary>A short run of every notebook: 1 epoch on 3000 images, fewer optimisation steps.</summary>
    public static readonly IReadOnlyDictionary<string, string> Quick =
        new Dictionary<string, string> { ["epochs"] = "1", ["limit"] = "3000", ["maximizeSteps"] = "30" };

    public static int Run(WorkbookRun run, TextWriter log)
    {
        string root = Path.GetDirectoryName(RepositoryData.Folder())!;
        string folder = Path.Combine(root, "notebooks");
        var paths = Directory.GetFiles(folder, "*.ipynb").Where(p => char.IsDigit(Path.GetFileName(p)[0]))
            .Where(p => run.Only.Count == 0 || run.Only.Any(o => Path.GetFileName(p).StartsWith(o, StringComparison.Ordinal)))
            .Order(StringComparer.Ordinal).ToList();
        if (paths.Count == 0)
            throw new ConvLensException($"No notebook in {folder} starts with {string.Join(" or ", run.Only)}.");

        var notebooks = paths.Select(p => (Path: p, Document: (JsonObject)JsonNode.Parse(File.ReadAllText(p))!)).ToList();
        var unmatched = run.Edits.Where(e => !notebooks.Any(n => CodeCells(n.Document).Any(c => Source(c).Contains(e.Old)))).ToList();
        if (unmatched.Count > 0)
            throw new ConvLensException($"--edit matched no code cell: {string.Join("; ", unmatched.Select(e => e.Old))}");
        var undeclared = run.Parameters.Keys.Where(name => !notebooks.Any(n => ParameterCell(n.Document) is { } c && Declares(c, name))).ToList();
        if (undeclared.Count > 0)
            throw new ConvLensException($"No notebook's parameters cell declares {string.Join(", ", undeclared)}.");

        Directory.CreateDirectory(run.Output);
        EnsureNotebookLibrary(root, log);
        EnsureHost(root);
        foreach (var (path, document) in notebooks)
        {
            Inject(document, run.Parameters);
            Edit(document, run.Edits);
            if (run.Exercises) AppendExercises(document, Path.GetFileName(path)[..2], File.ReadAllText(Path.Combine(root, "docs", "solutions.md")));
            if (!Execute(Path.GetFileName(path), document, root, folder, run, log))
                return 1;
        }
        return 0;
    }

    /// <summary>
    /// The notebooks load the library from src/ConvLens/bin/Release (their first cell's #r): build it when it is missing
    /// or older than its sources, so that a fresh clone, or a test run in Debug, runs the notebooks against current code
    /// instead of failing with CS0006 in the first cell.
    /// </summary>
    public static void EnsureNotebookLibrary(string root, TextWriter log)
    {
        string sources = Path.Combine(root, "src", "ConvLens"), dll = Path.Combine(sources, "bin", "Release", "net10.0", "ConvLens.dll");
        if (File.Exists(dll) && Workbook.StaleBuild(dll, sources) is null) return;
        log.WriteLine(File.Exists(dll) ? "The library the notebooks load is older than its sources: building src/ConvLens (Release)…"
                                       : "Building the library the notebooks load: src/ConvLens (Release), once…");
        var build = ChildProcess.Run(root, "dotnet", "build", sources, "-c", "Release", "-v", "q", "-nologo", "-clp:NoSummary");
        if (build.Code != 0)
            throw new ConvLensException($"'dotnet build src/ConvLens -c Release' failed, so the notebooks have no library to load: {ChildProcess.OneLine(build.Output)}");
        // An up-to-date build leaves the DLL's time as it was; mark it as built after the sources it was checked against.
        if (Workbook.StaleBuild(dll, sources) is not null) File.SetLastWriteTimeUtc(dll, DateTime.UtcNow);
    }

    // The pinned host (.config/dotnet-tools.json) comes through the .NET toolchain itself: nothing to install by hand.
    static void EnsureHost(string root)
    {
        var restore = ChildProcess.Run(root, "dotnet", "tool", "restore");
        if (restore.Code != 0)
            throw new ConvLensException($"'dotnet tool restore' could not get the notebook host (Microsoft.dotnet-interactive): {ChildProcess.OneLine(restore.Output)}");
    }

    static bool Execute(string name, JsonObject document, string root, string folder, WorkbookRun run, TextWriter log)
    {
        var clock = Stopwatch.StartNew();
        var cells = CodeCells(document).ToList();
        var timings = new List<string>();
        string? failure = null;
        using (var host = KernelHost.Start(root, folder))
        {
            var displays = new Dictionary<string, JsonObject>();   // the host's value id → the output it updates
            int count = 0;
            foreach (var cell in cells)
            {
                var outputs = new JsonArray();
                cell["outputs"] = outputs;
                cell["execution_count"] = ++count;
                string kernel = (string?)cell["metadata"]?["polyglot_notebook"]?["kernelName"] ?? "csharp";
                bool failed = false;
                try
                {
                    host.Submit(Source(cell), kernel, e => failed |= Record(e, outputs, displays, count), run.CellTimeout);
                }
                catch (Exception e) when (e is TimeoutException or ConvLensException)
                {
                    outputs.Add(Error(e.Message));
                    failed = true;
                }
                bool chart = outputs.Any(o => o?["data"]?["text/html"] is { } h && Join(h).Contains("Plotly.newPlot("));
                timings.Add($"    cell {cells.IndexOf(cell) + 1,2}/{cells.Count}: {clock.Elapsed.TotalSeconds,6:F1} s{(chart ? "  (chart)" : "")}");
                if (failed)
                {
                    failure = $"error in code cell {cells.IndexOf(cell) + 1} of {name}:\n    "
                        + string.Join("\n    ", Source(cell).Split('\n').Take(6))
                        + "\n  → " + string.Join("\n  → ", outputs.Where(o => (string?)o?["output_type"] == "error").Select(o => (string?)o!["evalue"]));
                    break;
                }
            }
        }
        // The executed copy is written whatever happened, so a failure can be read in context.
        string target = Path.Combine(run.Output, name);
        AtomicFile.WriteAllText(target, document.ToJsonString(new() { WriteIndented = true }) + "\n");
        log.WriteLine($"{(failure is null ? "ok  " : "FAIL")} {name}: {clock.Elapsed.TotalSeconds:F1} s → {target}");
        if (run.Timings) timings.ForEach(log.WriteLine);
        if (failure is not null) Console.Error.WriteLine(failure);
        return failure is null;
    }

    /// <summary>Turns one host event into the Jupyter output it stands for; returns true when the cell failed.</summary>
    static bool Record(KernelEvent e, JsonArray outputs, Dictionary<string, JsonObject> displays, int count)
    {
        switch (e.Type)
        {
            case "StandardOutputValueProduced":
            case "StandardErrorValueProduced":
                Stream(outputs, e.Type == "StandardOutputValueProduced" ? "stdout" : "stderr", PlainText(e.Body));
                break;
            case "DisplayedValueProduced":
            case "ReturnValueProduced":
            {
                var output = new JsonObject
                {
                    ["output_type"] = e.Type == "ReturnValueProduced" ? "execute_result" : "display_data",
                    ["data"] = Data(e.Body),
                    ["metadata"] = new JsonObject(),
                };
                if (e.Type == "ReturnValueProduced") output["execution_count"] = count;
                outputs.Add(output);
                if ((string?)e.Body["valueId"] is { } id) displays[id] = output;
                break;
            }
            case "DisplayedValueUpdated":
                // Like Jupyter's update_display_data: the display keeps its place and shows the new value.
                if ((string?)e.Body["valueId"] is { } updated && displays.TryGetValue(updated, out var shown))
                    shown["data"] = Data(e.Body);
                break;
            case "DiagnosticsProduced":
                // Compiler warnings show under the cell, as Jupyter shows them (on stderr); errors come with CommandFailed.
                foreach (var d in e.Body["diagnostics"]?.AsArray() ?? [])
                    if (string.Equals((string?)d?["severity"], "warning", StringComparison.OrdinalIgnoreCase))
                        Stream(outputs, "stderr", $"warning {(string?)d!["code"]}: {(string?)d["message"]}\n");
                break;
            case "CommandFailed":
                outputs.Add(Error((string?)e.Body["message"] ?? "the cell failed"));
                return true;
        }
        return false;
    }

    static string PlainText(JsonObject body) =>
        string.Concat(body["formattedValues"]?.AsArray().Where(v => (string?)v?["mimeType"] == "text/plain").Select(v => (string?)v!["value"]) ?? []);

    static JsonObject Data(JsonObject body)
    {
        var data = new JsonObject();
        foreach (var value in body["formattedValues"]?.AsArray() ?? [])
            if (value?["suppressDisplay"]?.GetValue<bool>() != true && (string?)value?["mimeType"] is { } mime)
                data[mime] = Lines((string?)value["value"] ?? "");
        return data;
    }

    // Consecutive writes to one stream make one output, as Jupyter keeps them.
    static void Stream(JsonArray outputs, string stream, string text)
    {
        if (text.Length == 0) return;
        if (outputs.LastOrDefault() is JsonObject last && (string?)last["output_type"] == "stream" && (string?)last["name"] == stream)
            last["text"] = Lines(Join(last["text"]!) + text);
        else
            outputs.Add(new JsonObject { ["output_type"] = "stream", ["name"] = stream, ["text"] = Lines(text) });
    }

    static JsonObject Error(string message) => new()
    {
        ["output_type"] = "error", ["ename"] = "Error", ["evalue"] = message, ["traceback"] = new JsonArray(message),
    };

    // .ipynb keeps multi-line strings as arrays of lines, each with its line ending.
    static JsonArray Lines(string text) => new(LineBreak().Split(text).Where(l => l.Length > 0).Select(l => (JsonNode)l).ToArray());

    [GeneratedRegex(@"(?<=\n)")]
    private static partial Regex LineBreak();

    internal static string Join(JsonNode node) => node is JsonArray a ? string.Concat(a.Select(l => (string?)l)) : (string?)node ?? "";

    static string Source(JsonObject cell) => Join(cell["source"]!);

    static IEnumerable<JsonObject> CodeCells(JsonObject document) =>
        document["cells"]!.AsArray().OfType<JsonObject>().Where(c => (string?)c["cell_type"] == "code");

    static JsonObject? ParameterCell(JsonObject document) =>
        CodeCells(document).FirstOrDefault(c => c["metadata"]?["tags"]?.AsArray().Any(t => (string?)t == "parameters") == true);

    static bool Declares(JsonObject cell, string name) => Regex.IsMatch(Source(cell), $@"\b{Regex.Escape(name)}\s*=");

    static JsonObject NewCodeCell(string source, string tag) => new()
    {
        ["cell_type"] = "code",
        ["execution_count"] = null,
        ["metadata"] = new JsonObject
        {
            ["tags"] = new JsonArray(tag),
            ["dotnet_interactive"] = new JsonObject { ["language"] = "csharp" },
            ["polyglot_notebook"] = new JsonObject { ["kernelName"] = "csharp" },
        },
        ["outputs"] = new JsonArray(),
        ["source"] = Lines(source),
    };

    static void Inject(JsonObject document, IReadOnlyDictionary<string, string> parameters)
    {
        if (ParameterCell(document) is not { } cell) return;
        var assignments = parameters.Where(p => Declares(cell, p.Key)).Select(p => $"{p.Key} = {p.Value};\n").ToList();
        if (assignments.Count == 0) return;
        var cells = document["cells"]!.AsArray();
        cells.Insert(cells.IndexOf(cell) + 1, NewCodeCell("// Injected by convlens workbook\n" + string.Concat(assignments), "injected-parameters"));
    }

    static void Edit(JsonObject document, IReadOnlyList<(string Old, string New)> edits)
    {
        foreach (var cell in CodeCells(document))
            foreach (var (old, replacement) in edits)
                if (Source(cell).Contains(old))
                    cell["source"] = Lines(Source(cell).Replace(old, replacement));
    }

    /// <summary>
    /// Appends each exercise of the notebook's "Try this" section (every ```csharp block in it) as a cell of its own,
    /// after the last cell: a reader who ran the notebook top to bottom pastes it into a new cell, exactly as written.
    /// </summary>
    /// <summary>
    /// A notebook's "Try this" exercises, in order: each numbered item's code block, or, for an exercise that asks the
    /// reader to write the code, the worked solution's block under "### NN.k" in docs/solutions.md, so that CI runs
    /// every solution as a reader would paste it.
    /// </summary>
    public static IReadOnlyList<string> Exercises(JsonObject document, string notebook, string solutions)
    {
        string tryThis = string.Concat(document["cells"]!.AsArray().OfType<JsonObject>()
            .Where(c => (string?)c["cell_type"] == "markdown" && Source(c).Contains("## Try this")).Select(Source));
        var items = ListItem().Split(tryThis).Where(item => char.IsDigit(item.FirstOrDefault())).ToList();   // the text before item 1 aside
        return items.Select((item, i) =>
        {
            var block = ExerciseBlock().Match(item);
            if (block.Success) return block.Groups[1].Value;
            string heading = $"### {notebook}.{i + 1} ";
            int start = solutions.IndexOf(heading, StringComparison.Ordinal);
            int end = start < 0 ? -1 : solutions.IndexOf("\n#", start + heading.Length, StringComparison.Ordinal);
            var solution = start < 0 ? Match.Empty : ExerciseBlock().Match(end < 0 ? solutions[start..] : solutions[start..end]);
            return solution.Success ? solution.Groups[1].Value
                : throw new ConvLensException($"Exercise {notebook}.{i + 1} has no code: neither its notebook nor docs/solutions.md ({heading.Trim()}) has a csharp block.");
        }).ToList();
    }

    [GeneratedRegex(@"```csharp\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex ExerciseBlock();

    // A numbered list item at the start of a line ("1. "), where the split begins each exercise.
    [GeneratedRegex(@"^(?=\d+\. )", RegexOptions.Multiline)]
    private static partial Regex ListItem();

    static void AppendExercises(JsonObject document, string notebook, string solutions)
    {
        var exercises = Exercises(document, notebook, solutions);
        for (int i = 0; i < exercises.Count; i++)
            document["cells"]!.AsArray().Add(NewCodeCell($"// Try this: exercise {i + 1}\n" + Dedent(exercises[i]), "exercise"));
    }

    // Code blocks inside a numbered list are indented by the list; the cell a reader pastes them into is not.
    static string Dedent(string code)
    {
        var lines = code.Split('\n');
        int indent = lines.Where(l => l.Trim().Length > 0).Select(l => l.Length - l.TrimStart().Length).DefaultIfEmpty(0).Min();
        return string.Join('\n', lines.Select(l => l.Length >= indent ? l[indent..] : l.TrimStart()));
    }
}
