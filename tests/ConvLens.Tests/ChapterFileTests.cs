using System.Text.Json.Nodes;
using ConvLens.Chapters;

namespace ConvLens.Tests;

/// <summary>
/// The chapters (notebooks/NN-name.cs) as text: each is what its notebook makes, and reads back into the notebook's
/// cells. No chapter runs here; <see cref="ChapterRunTests"/> runs them.
/// </summary>
public class ChapterFileTests
{
    static string Notebooks => Path.Combine(Shared.RepositoryRoot, "notebooks");

    static JsonArray NotebookCells(string name) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(Notebooks, name + ".ipynb")))!["cells"]!.AsArray();

    static string Source(JsonNode? cell) => NotebookTests.Join(cell!["source"]).TrimEnd();

    [Fact]
    public void Every_committed_chapter_is_what_its_notebook_makes()
    {
        var differing = ChapterFile.Sync(Notebooks, write: false);
        Assert.True(differing.Count == 0, $"run './convlens chapters': {string.Join(", ", differing.Select(Path.GetFileName))} differ from their notebooks");
        Assert.Equal(NotebookTests.Notebooks.Select(n => n + ".cs"),
            Directory.GetFiles(Notebooks, "*.cs").Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void A_chapter_reads_back_into_its_notebooks_prose_and_code_cells_in_order(string name)
    {
        var cells = ChapterFile.Cells(File.ReadAllText(Path.Combine(Notebooks, name + ".cs")));
        var notebook = NotebookCells(name);
        Assert.Equal(notebook.Count, cells.Count);
        int number = 0;
        for (int i = 0; i < cells.Count; i++)
        {
            bool code = (string)notebook[i]!["cell_type"]! == "code";
            Assert.Equal(code, cells[i].IsCode);
            if (!code) { Assert.Equal(Source(notebook[i]), cells[i].Text); continue; }
            Assert.Equal(++number, cells[i].Number);
            // Each line of the notebook's code is in the chapter's cell, but for #r and using lines (the file's
            // header holds them) and a cell's last expression, which the chapter shows with Show(…).
            var lines = Source(notebook[i]).Split('\n').Where(l => !l.TrimStart().StartsWith("#r ") && !l.TrimStart().StartsWith("using ")).ToList();
            // A parameters cell's values are read through Parameter("name", value).
            bool parameters = notebook[i]!["metadata"]?["tags"]?.AsArray().Any(t => (string?)t == "parameters") == true;
            foreach (var line in lines.SkipLast(1))
                Assert.Contains(parameters ? line.Split('=')[0].Trim() : line.Trim(), cells[i].Text);
        }
    }

    public static TheoryData<string> Names() => new(NotebookTests.Notebooks);

    [Fact]
    public void The_parameters_a_chapter_takes_are_those_its_notebooks_parameters_cell_declares()
    {
        var declared = ChapterFile.Parameters(File.ReadAllText(Path.Combine(Notebooks, "02-define-and-train.cs")));
        Assert.Equal([new("epochs", "int", "10"), new("limit", "int?", "null"), new("seed", "int", "0")], declared);
        foreach (var name in NotebookTests.Notebooks)
        {
            var cell = NotebookCells(name).FirstOrDefault(c => c!["metadata"]?["tags"]?.AsArray().Any(t => (string?)t == "parameters") == true);
            var names = ChapterFile.Parameters(File.ReadAllText(Path.Combine(Notebooks, name + ".cs"))).Select(p => p.Name).ToList();
            var expected = cell is null ? [] : Source(cell).Split('\n').Where(l => l.Contains('=')).Select(l => l.Split('=')[0].Trim().Split(' ')[^1]).ToList();
            Assert.Equal(expected, names);
        }
    }

    static string Chapter(string code, string tags = "[]") => ChapterFile.FromNotebook($$"""
        {"cells": [{"cell_type": "markdown", "metadata": {}, "source": ["# A title"]},
                   {"cell_type": "code", "metadata": {"tags": {{tags}}}, "source": {{System.Text.Json.JsonSerializer.Serialize(code)}}}]}
        """, "99-test");

    static string Body(string chapter) => ChapterFile.Cells(chapter).Single(c => c.IsCode).Text;

    [Theory]
    [InlineData("Charts.Image(image)", "Show(Charts.Image(image));")]
    [InlineData("var x = 1;\nx + 1   // the value", "var x = 1;\nShow(x + 1);   // the value")]
    [InlineData("Console.WriteLine($\"a; {string.Join(\";\", xs)} b\")", "Console.WriteLine($\"a; {string.Join(\";\", xs)} b\");")]
    [InlineData("foreach (var l in layers)\n{\n    display(l);\n}", "foreach (var l in layers)\n{\n    display(l);\n}")]
    [InlineData("Heatmaps.Grid(\"t\",\n    panels, columns: 4)", "Show(Heatmaps.Grid(\"t\",\n    panels, columns: 4));")]
    [InlineData("$\"saved {path}: a \\\"quote\\\" and a ; too\"", "Show($\"saved {path}: a \\\"quote\\\" and a ; too\");")]
    [InlineData("var o = new { A = 1 };\n// only a comment", "var o = new { A = 1 };\n// only a comment")]
    public void A_cells_last_expression_is_shown_as_the_notebook_shows_it_and_a_statement_is_left_alone(string cell, string expected) =>
        Assert.Equal(expected, Body(Chapter(cell)));

    [Fact]
    public void Usings_go_to_the_top_types_after_the_statements_and_parameters_read_the_command_line()
    {
        string chapter = Chapter("#r \"x.dll\"\nusing A.B; using static C.D;\nclass Net : Base\n{\n    int f = 1;\n}\nnew Net()");
        Assert.Contains("\nusing A.B;\nusing static C.D;\nusing static ConvLens.Chapters.Chapter;\n", chapter);
        Assert.DoesNotContain("#r", chapter);
        Assert.True(chapter.IndexOf("\nclass Net") > chapter.IndexOf("\nDone();\n"), chapter);
        Assert.Contains("// class Net is at the end of this file", Body(chapter));
        Assert.EndsWith("class Net : Base\n{\n    int f = 1;\n}", Body(chapter));
        Assert.Contains("Show(new Net());", Body(chapter));

        string parameters = Chapter("var epochs = 10;   // passes\nint? limit = null;\nvar rate = 0.5;", "[\"parameters\"]");
        Assert.Contains("Parameters(1);\nvar epochs = Parameter(\"epochs\", 10);   // passes\nint? limit = Parameter<int?>(\"limit\", null);", parameters);
        Assert.Equal([new("epochs", "int", "10"), new("limit", "int?", "null"), new("rate", "double", "0.5")], ChapterFile.Parameters(parameters));
    }

    [Fact]
    public void A_notebook_the_chapter_form_cannot_hold_is_refused_with_one_line()
    {
        var markdown = Assert.Throws<ConvLensException>(() => ChapterFile.FromNotebook("""{"cells": [{"cell_type": "markdown", "metadata": {}, "source": ["a */ b"]}]}""", "99-test"));
        Assert.Contains("'*/'", markdown.Message);
        var magic = Assert.Throws<ConvLensException>(() => Chapter("#!time\n1"));
        Assert.Contains("99-test, cell [1]: '#!time'", magic.Message);
        var parameter = Assert.Throws<ConvLensException>(() => Chapter("Run();", "[\"parameters\"]"));
        Assert.Contains("is not 'type name = value;'", parameter.Message);
    }

    [Fact]
    public void The_page_keeps_a_progress_lines_last_state()
    {
        Assert.Equal("epoch 1  batch 50\ndone", ChapterPage.Terminal("\repoch 1  batch 25\repoch 1  batch 50\ndone\n"));
    }
}
