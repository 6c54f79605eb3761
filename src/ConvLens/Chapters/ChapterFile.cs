using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace ConvLens.Chapters;

/// <summary>One cell of a chapter, as its page shows it: prose (Markdown) or code, numbered as a notebook numbers its code cells.</summary>
public sealed record ChapterCell(bool IsCode, int Number, string Text);

/// <summary>A parameter a chapter's parameters cell declares: its name, its C# type as written, and its default as written.</summary>
public sealed record ChapterParameter(string Name, string Type, string Default);

/// <summary>
/// The one owner of the chapter format: a notebook <c>notebooks/NN-name.ipynb</c> becomes the file-based app
/// <c>notebooks/NN-name.cs</c> (<see cref="FromNotebook"/>), and a chapter is read back into its cells for its page
/// (<see cref="Cells"/>, <see cref="Parameters"/>). The notebook is the source; <c>convlens chapters</c> writes the
/// chapters from it and a test fails when a committed chapter is not what the notebook makes.
/// <para>
/// The format, line by line: prose cells are block comments that open with <c>/*</c> and close with <c>*/</c>, each on
/// its own line, holding the Markdown as written. Each code cell starts with <c>Cell(n);</c> (its number, as a notebook
/// run from the top numbers it); the parameters cell with <c>Parameters(n);</c>, each of its values read through
/// <c>Parameter("name", default)</c>. A cell's last expression, which a notebook shows, is wrapped in <c>Show(…);</c>.
/// <c>Done();</c> ends the statements; C# wants type declarations after them, so a cell's types follow there, each
/// under a line <c>// cell [n]</c>.
/// </para>
/// </summary>
public static partial class ChapterFile
{
    /// <summary>The line a chapter's statements end with; the types of its cells follow it.</summary>
    public const string DoneLine = "Done();";

    /// <summary>The chapter for a notebook (its .ipynb text), named <paramref name="name"/> (e.g. 02-define-and-train).</summary>
    public static string FromNotebook(string notebookJson, string name)
    {
        var cells = JsonNode.Parse(notebookJson)!["cells"]!.AsArray();
        var usings = new List<string>();
        var body = new StringBuilder();
        var types = new StringBuilder();
        string title = name;
        int number = 0;
        foreach (var cell in cells)
        {
            string source = Source(cell!).TrimEnd();
            if ((string)cell!["cell_type"]! == "markdown")
            {
                if (title == name && source.StartsWith("# ")) title = source.Split('\n')[0][2..].Trim();
                if (source.Contains("*/")) throw new ConvLensException($"{name}: a Markdown cell holds '*/', which would end its comment in the chapter.");
                body.Append("/*\n").Append(source).Append("\n*/\n\n");
                continue;
            }
            number++;
            bool parameters = cell["metadata"]?["tags"]?.AsArray().Any(t => (string?)t == "parameters") == true;
            string code = Hoist(source, usings, name, number);
            code = MoveTypes(code, types, number);
            code = parameters ? ParameterCode(code, name) : ShowLastExpression(code);
            body.Append(parameters ? $"Parameters({number});\n" : $"Cell({number});\n");
            if (code.Trim().Length > 0) body.Append(code.TrimEnd()).Append('\n');
            body.Append('\n');
        }
        var file = new StringBuilder();
        file.Append($"""
            #!/usr/bin/env dotnet
            // {title}: the chapter form of notebooks/{name}.ipynb, a C# program that runs with the .NET SDK alone.
            //   dotnet run notebooks/{name}.cs            (from the repository root; from notebooks/: dotnet run {name}.cs)
            //   dotnet run notebooks/{name}.cs -- name=value …    sets the parameters cell's values; the page is artifacts/chapters/{name}.html
            // Made from the notebook by './convlens chapters': edit the notebook and run that, or edit this file for yourself.
            // Its properties: no native AOT (TorchSharp needs reflection), and the notebook host's leniency: nullable
            // off, warnings never errors, none for the architectures a learner has not picked.
            #:project ../src/ConvLens
            #:property PublishAot=false
            #:property Nullable=disable
            #:property TreatWarningsAsErrors=false
            #:property NoWarn=CS8321

            """);
        foreach (var u in usings) file.Append(u).Append('\n');
        file.Append("using static ConvLens.Chapters.Chapter;\n\n");
        file.Append("Start(args);\n\n");
        file.Append(body);
        file.Append(DoneLine).Append('\n');
        if (types.Length > 0) file.Append('\n').Append(types.ToString().TrimEnd()).Append('\n');
        return file.ToString();
    }

    /// <summary>
    /// The chapters of every numbered notebook in <paramref name="folder"/> that differ from what their notebook makes:
    /// with <paramref name="write"/>, written (atomically); else only named. Returns the chapter files that differed.
    /// </summary>
    public static IReadOnlyList<string> Sync(string folder, bool write)
    {
        var differing = new List<string>();
        foreach (var notebook in Directory.GetFiles(folder, "*.ipynb").Where(p => char.IsDigit(Path.GetFileName(p)[0])).Order(StringComparer.Ordinal))
        {
            string name = Path.GetFileNameWithoutExtension(notebook), chapter = Path.Combine(folder, name + ".cs");
            string made = FromNotebook(File.ReadAllText(notebook), name);
            if (File.Exists(chapter) && File.ReadAllText(chapter) == made) continue;
            differing.Add(chapter);
            if (write) AtomicFile.WriteAllText(chapter, made);
        }
        return differing;
    }

    static string Source(JsonNode cell) =>
        cell["source"] is JsonArray lines ? string.Concat(lines.Select(l => (string)l!)) : (string?)cell["source"] ?? "";

    // #r lines give way to the chapter's #:project; using directives go to the top of the file, once each.
    static string Hoist(string code, List<string> usings, string name, int number)
    {
        var kept = new List<string>();
        foreach (var line in code.Split('\n'))
        {
            string trimmed = line.Trim();
            if (trimmed.StartsWith("#r ")) continue;
            if (trimmed.StartsWith('#'))
                throw new ConvLensException($"{name}, cell [{number}]: '{trimmed}' is a notebook directive a C# program has no counterpart for.");
            if (UsingLine().IsMatch(trimmed))
            {
                foreach (Match m in UsingDirective().Matches(trimmed))
                    if (!usings.Contains(m.Value)) usings.Add(m.Value);
                continue;
            }
            kept.Add(line);
        }
        return string.Join('\n', kept);
    }

    // A type declared in a cell moves after Done(): C# wants the statements first. The cell says where it went.
    static string MoveTypes(string code, StringBuilder types, int number)
    {
        while (TypeStart().Match(code) is { Success: true } m)
        {
            int end = CSharpText.BlockEnd(code, m.Index);
            string declaration = code[m.Index..end];
            types.Append($"// cell [{number}]\n").Append(declaration.Trim()).Append("\n\n");
            string kind = m.Groups["kind"].Value, typeName = m.Groups["name"].Value;
            code = code[..m.Index] + $"// {kind} {typeName} is at the end of this file: C# wants type declarations after the statements." + code[end..];
        }
        return code;
    }

    // A notebook shows the value of a cell's last expression; the chapter says Show(…). Console.Write… returns nothing.
    static string ShowLastExpression(string code)
    {
        var ends = CSharpText.StatementEnds(code);
        int start = CSharpText.CodeStart(code, ends.Count == 0 ? 0 : ends[^1]);
        if (start >= code.Length) return code;
        int end = CSharpText.CodeEnd(code, start);
        string expression = code[start..end];
        if (expression.StartsWith("Console.Write")) return code[..end] + ";" + code[end..];
        return code[..start] + "Show(" + expression + ");" + code[end..];
    }

    // var epochs = 10;  →  var epochs = Parameter("epochs", 10);   (the type as written; a nullable one is named)
    static string ParameterCode(string code, string name) =>
        string.Join('\n', code.Split('\n').Select(line =>
        {
            if (line.Trim().Length == 0 || line.TrimStart().StartsWith("//")) return line;
            var m = ParameterLine().Match(line);
            if (!m.Success) throw new ConvLensException($"{name}: the parameters cell line '{line.Trim()}' is not 'type name = value;'.");
            string type = m.Groups["type"].Value, generic = type == "var" ? "" : $"<{type}>";
            return $"{m.Groups["indent"].Value}{type} {m.Groups["name"].Value} = Parameter{generic}(\"{m.Groups["name"].Value}\", {m.Groups["value"].Value});{m.Groups["rest"].Value}";
        }));

    /// <summary>The cells of a chapter's source, prose and code, in order, for its page. A cell's types are shown with it.</summary>
    public static IReadOnlyList<ChapterCell> Cells(string chapter)
    {
        var lines = chapter.Replace("\r\n", "\n").Split('\n');
        var cells = new List<ChapterCell>();
        var types = new Dictionary<int, StringBuilder>();
        int? code = null, typesOf = null;
        bool done = false;
        var text = new StringBuilder();
        void Close()
        {
            if (code is { } n) cells.Add(new ChapterCell(true, n, text.ToString().Trim('\n')));
            code = null; text.Clear();
        }
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i];
            if (done)
            {
                if (TypesLine().Match(line) is { Success: true } t) { typesOf = int.Parse(t.Groups[1].Value); types[typesOf.Value] = new(); }
                else if (typesOf is { } of) types[of].Append(line).Append('\n');
                continue;
            }
            if (line == "/*")
            {
                Close();
                int close = Array.IndexOf(lines, "*/", i + 1);
                if (close < 0) close = lines.Length;
                cells.Add(new ChapterCell(false, 0, string.Join('\n', lines[(i + 1)..close])));
                i = close;
            }
            else if (CellLine().Match(line) is { Success: true } m) { Close(); code = int.Parse(m.Groups["n"].Value); }
            else if (line.Trim() == DoneLine) { Close(); done = true; }
            else if (code is not null) text.Append(line).Append('\n');
        }
        Close();
        return cells.Select(c => c.IsCode && types.TryGetValue(c.Number, out var t) ? c with { Text = c.Text + "\n\n" + t.ToString().Trim('\n') } : c).ToList();
    }

    /// <summary>The parameters a chapter declares (its Parameter("name", default) calls), in order.</summary>
    public static IReadOnlyList<ChapterParameter> Parameters(string chapter) =>
        ParameterCall().Matches(chapter).Select(m => new ChapterParameter(m.Groups["name"].Value,
            m.Groups["type"].Success ? m.Groups["type"].Value : Infer(m.Groups["value"].Value.Trim()), m.Groups["value"].Value.Trim())).ToList();

    // The type C# infers for a literal default: what 'var' gives.
    static string Infer(string literal) =>
        literal.StartsWith('"') ? "string" : literal is "true" or "false" ? "bool"
        : literal.Contains('.') || literal.EndsWith('d') ? "double" : literal.EndsWith('f') ? "float" : literal.EndsWith('L') ? "long" : "int";

    [GeneratedRegex(@"^(using\s+(static\s+)?[\w.]+(\s*=\s*[\w.<>, ]+)?\s*;\s*)+(//.*)?$")]
    private static partial Regex UsingLine();
    [GeneratedRegex(@"using\s+(static\s+)?[\w.]+(\s*=\s*[\w.<>, ]+)?\s*;")]
    private static partial Regex UsingDirective();
    [GeneratedRegex(@"^(?:(?:public|internal|sealed|static|abstract|partial)\s+)*(?<kind>class|record|struct|interface|enum)\s+(?<name>\w+)", RegexOptions.Multiline)]
    private static partial Regex TypeStart();
    [GeneratedRegex(@"^(?<indent>\s*)(?<type>var|[\w.]+\??)\s+(?<name>\w+)\s*=\s*(?<value>.+?);(?<rest>.*)$")]
    private static partial Regex ParameterLine();
    [GeneratedRegex(@"^(Cell|Parameters)\((?<n>\d+)\);")]
    private static partial Regex CellLine();
    [GeneratedRegex(@"^// cell \[(\d+)\]$")]
    private static partial Regex TypesLine();
    [GeneratedRegex(@"Parameter(<(?<type>[\w.]+\??)>)?\(""(?<name>\w+)"",\s*(?<value>[^;]+?)\);")]
    private static partial Regex ParameterCall();
}
