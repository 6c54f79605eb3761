using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;

namespace ConvLens.Chapters;

/// <summary>
/// What a chapter (a notebook as a C# file-based app, see <see cref="ChapterFile"/>) calls, with <c>using static</c>:
/// <c>Start(args)</c> reads the parameters and sends the console to the terminal and to the chapter's page at once;
/// <c>Cell(n)</c> marks where a cell begins, so its output lands under its code; <c>Show(value)</c> does what a notebook
/// does with a cell's last expression; <c>Done()</c> writes the page. A failure anywhere is one line on the terminal
/// (the page keeps the whole error) and a non-zero exit.
/// </summary>
public static class Chapter
{
    static ChapterRun? run;

    static ChapterRun Current => run ?? throw new InvalidOperationException("Call Start(args) first: a chapter begins with it.");

    /// <summary>
    /// Begins the chapter: reads <c>name=value</c> arguments against the parameters the chapter declares (an unknown
    /// name or a value of the wrong type is a one-line error, exit 2), checks that the page's folder can be written,
    /// and prints where the page goes. <c>output=FOLDER</c> moves the page (default artifacts/chapters/).
    /// </summary>
    public static void Start(string[] args, [CallerFilePath] string source = "")
    {
        var clock = Stopwatch.StartNew();
        string text = File.Exists(source) ? File.ReadAllText(source) : "";
        string name = Path.GetFileNameWithoutExtension(source);
        var declared = ChapterFile.Parameters(text);
        var given = ReadArguments(args, declared, name);
        string folder = given.Remove("output", out var output) ? Path.GetFullPath(output)
            : Path.Combine(Path.GetDirectoryName(RepositoryData.Folder())!, "artifacts", "chapters");
        string page = Path.Combine(folder, name + ".html");
        if (!AtomicFile.CanWriteIn(folder, out string reason))
            Fail($"{name}: cannot write the page's folder {folder} ({reason.TrimEnd('.')}); give another with output=FOLDER.", 1);
        run = new ChapterRun(name, source, text, page, given, declared, clock);
        AppDomain.CurrentDomain.UnhandledException += (_, e) => run.Failed((Exception)e.ExceptionObject);
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; run.Stopped(); };
        run.Begin();
    }

    /// <summary>Marks the start of code cell <paramref name="number"/>: what it prints goes under it on the page.</summary>
    public static void Cell(int number) => Current.Cell(number);

    /// <summary>Marks the start of the parameters cell: its values come from the command line, else from the defaults written there.</summary>
    public static void Parameters(int number) => Current.Cell(number);

    /// <summary>The value given as <c>name=value</c> on the command line, else <paramref name="value"/>.</summary>
    public static T Parameter<T>(string name, T value) => Current.Given.TryGetValue(name, out var text) ? Convert<T>(name, text, Current) : value;

    /// <summary>
    /// What a notebook does with a cell's last expression: text goes to the terminal and the page; a chart, the
    /// explorer or any other HTML goes to the page, and the terminal says so.
    /// </summary>
    public static void Show(object? value) => Current.Show(value);

    /// <summary>The notebook host's display(): shows <paramref name="value"/> now, as <see cref="Show"/> does.</summary>
    public static void display(object? value) => Current.Show(value);

    /// <summary>Ends the chapter: writes the page and prints where it is and how long the chapter took.</summary>
    public static void Done() => Current.Done();

    static Dictionary<string, string> ReadArguments(string[] args, IReadOnlyList<ChapterParameter> declared, string name)
    {
        var given = new Dictionary<string, string>();
        foreach (var arg in args)
        {
            int eq = arg.IndexOf('=');
            string key = eq > 0 ? arg[..eq] : arg;
            if (eq <= 0 || (key != "output" && declared.All(p => p.Name != key)))
                Fail($"{name}: unknown parameter '{arg}'. {Usage(declared)}", 2);
            given[key] = arg[(eq + 1)..];
        }
        foreach (var p in declared.Where(p => given.ContainsKey(p.Name)))
            if (!Parses(p.Type, given[p.Name]))
                Fail($"{name}: {p.Name}={given[p.Name]} is not a value of type {p.Type}. {Usage(declared)}", 2);
        return given;
    }

    static string Usage(IReadOnlyList<ChapterParameter> declared) =>
        (declared.Count == 0 ? "This chapter has no parameters" : "Parameters: " + string.Join(", ", declared.Select(p => $"{p.Name}={p.Default} ({p.Type})")))
        + "; output=FOLDER for the page.";

    static bool Parses(string type, string text)
    {
        bool nullable = type.EndsWith('?');
        if (nullable && text == "null") return true;
        string t = type.TrimEnd('?');
        var ci = CultureInfo.InvariantCulture;
        return t switch
        {
            "int" => int.TryParse(text, NumberStyles.Integer, ci, out _),
            "long" => long.TryParse(text, NumberStyles.Integer, ci, out _),
            "double" => double.TryParse(text, NumberStyles.Float, ci, out _),
            "float" => float.TryParse(text, NumberStyles.Float, ci, out _),
            "bool" => bool.TryParse(text, out _),
            _ => true,
        };
    }

    static T Convert<T>(string name, string text, ChapterRun current)
    {
        var type = Nullable.GetUnderlyingType(typeof(T)) ?? typeof(T);
        if (text == "null" && (Nullable.GetUnderlyingType(typeof(T)) is not null || !typeof(T).IsValueType)) return default!;
        try { return (T)System.Convert.ChangeType(text, type, CultureInfo.InvariantCulture); }
        catch (Exception e) when (e is FormatException or InvalidCastException or OverflowException)
        {
            Fail($"{current.Name}: {name}={text} is not a value of type {typeof(T).Name}. {Usage(current.Declared)}", 2);
            return default!;
        }
    }

    internal static void Fail(string line, int code)
    {
        Console.Out.Flush();
        Console.Error.WriteLine(line);
        Environment.Exit(code);
    }
}

/// <summary>One run of a chapter: the cells' outputs as they come, the page they make, and what the terminal shows.</summary>
sealed class ChapterRun(string name, string source, string text, string page, Dictionary<string, string> given, IReadOnlyList<ChapterParameter> declared, Stopwatch clock)
{
    public string Name => name;
    public Dictionary<string, string> Given => given;
    public IReadOnlyList<ChapterParameter> Declared => declared;

    readonly Dictionary<int, List<ChapterOutput>> outputs = [];
    readonly TextWriter terminal = Console.Out, terminalErrors = Console.Error;
    int current;
    bool headed, finished;
    IReadOnlyList<ChapterCell> cells = [];

    public void Begin()
    {
        cells = ChapterFile.Cells(text);
        Console.SetOut(new CellWriter(this, terminal, error: false));
        Console.SetError(new CellWriter(this, terminalErrors, error: true));
        string settings = given.Count == 0 ? "" : " with " + string.Join(", ", given.Select(g => $"{g.Key}={g.Value}"));
        terminal.WriteLine($"{name}{settings}: its page will be {page}");
    }

    public void Cell(int number)
    {
        current = number;
        headed = false;
    }

    // The cell's number before its first output, with the headings of the prose above it, so the terminal reads as
    // the notebook does: each output under its cell.
    internal readonly object Gate = new();

    internal void Heading()
    {
        var to = terminal;
        if (headed || current == 0) return;
        headed = true;
        int at = cells.ToList().FindIndex(c => c.IsCode && c.Number == current);
        var titles = new List<string>();
        for (int i = at - 1; i >= 0 && !cells[i].IsCode; i--)
            titles.InsertRange(0, cells[i].Text.Split('\n').Where(l => l.StartsWith('#')).Select(l => l.TrimStart('#').Trim()));
        foreach (var t in titles) to.WriteLine($"\n== {t}");
        to.WriteLine($"-- [{current}]");
    }

    internal void Append(string value, bool error)
    {
        if (current == 0) return;
        var list = Outputs(current);
        if (list.Count > 0 && list[^1] is ChapterOutput.Text last && last.Error == error) last.Content.Append(value);
        else list.Add(new ChapterOutput.Text(new StringBuilder(value), error));
    }

    List<ChapterOutput> Outputs(int cell) => outputs.TryGetValue(cell, out var list) ? list : outputs[cell] = [];

    public void Show(object? value)
    {
        switch (value)
        {
            case null: return;
            case NotebookStart start: Console.WriteLine(start.Text); return;
            case Plots.INotebookHtml html:
                lock (Gate)
                {
                    Heading();
                    terminal.WriteLine($"   [{Describe(value)}: on the page]");
                    Outputs(current).Add(new ChapterOutput.Html(html.ToNotebookHtml()));
                }
                return;
            default: Console.WriteLine(value); return;
        }
    }

    static string Describe(object value) => value switch
    {
        Plots.Figure { Layout.Title.Content: { Length: > 0 } title } => $"chart \"{title}\"",
        Plots.Figure => "chart",
        ExplorerView => "the explorer, to draw in",
        _ => value.GetType().Name,
    };

    public void Done()
    {
        Write(failure: null);
        finished = true;
        Console.Out.Flush();
        terminal.WriteLine($"\n{name}: done in {clock.Elapsed.TotalSeconds:F1} s; the page is {page}");
    }

    public void Failed(Exception e)
    {
        if (finished) return;
        finished = true;
        string where = current == 0 ? name : $"{name}, cell [{current}]";
        string line = e is ConvLensException ? e.Message : $"{e.GetType().Name}: {e.Message}";
        Outputs(current).Add(new ChapterOutput.Text(new StringBuilder(e.ToString()), Error: true));
        TryWrite(failure: $"Stopped at cell [{current}]: {line}");
        Console.Out.Flush();
        terminalErrors.WriteLine($"{where}: {line}");
        terminalErrors.WriteLine($"(the page, with what ran before and the whole error: {page})");
        Environment.Exit(1);
    }

    public void Stopped()
    {
        if (finished) return;
        finished = true;
        TryWrite(failure: $"Stopped by Ctrl+C in cell [{current}].");
        terminalErrors.WriteLine($"\n{name}: stopped in cell [{current}]; the page so far: {page}");
        Environment.Exit(130);
    }

    void TryWrite(string failure)
    {
        try { Write(failure); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { terminalErrors.WriteLine($"(the page could not be written: {e.Message})"); }
    }

    void Write(string? failure)
    {
        var settings = given.Select(g => $"{g.Key}={g.Value}").ToList();
        AtomicFile.WriteAllText(page, ChapterPage.Html(name, Path.GetFileName(source), cells, outputs, settings, clock.Elapsed, failure));
    }
}

/// <summary>What a cell showed: text it printed (standard output or error), or HTML (a chart, the explorer).</summary>
abstract record ChapterOutput
{
    public sealed record Text(StringBuilder Content, bool Error) : ChapterOutput;
    public sealed record Html(string Content) : ChapterOutput;
}

/// <summary>The console while a chapter runs: everything goes to the terminal as it comes, and to the current cell's output.</summary>
sealed class CellWriter(ChapterRun run, TextWriter terminal, bool error) : TextWriter
{
    public override Encoding Encoding => terminal.Encoding;

    public override void Write(char value) => Write(value.ToString());

    public override void Write(string? value)
    {
        if (string.IsNullOrEmpty(value)) return;
        lock (run.Gate)
        {
            run.Heading();
            terminal.Write(value);
            run.Append(value, error);
        }
    }

    public override void Write(char[] buffer, int index, int count) => Write(new string(buffer, index, count));

    public override void WriteLine(string? value) => Write((value ?? "") + NewLine);

    public override void Flush() => terminal.Flush();
}
