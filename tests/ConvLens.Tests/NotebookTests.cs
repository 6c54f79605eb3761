using System.Text.Json.Nodes;

namespace ConvLens.Tests;

/// <summary>
/// Runs the workbook once, short (1 epoch on 3000 images), in the real .NET Interactive host through Jupyter's client,
/// then once more with the architecture cell edited to three 3×3 conv layers, as a reader would.
/// </summary>
public sealed class WorkbookRuns
{
    public string Article { get; }
    public string Variant { get; }
    public (int ExitCode, string Output) ArticleRun { get; }
    public (int ExitCode, string Output) VariantRun { get; }

    public WorkbookRuns()
    {
        string root = Shared.TempFolder();
        Article = Path.Combine(root, "article");
        Variant = Path.Combine(root, "variant");
        var checkpoint = Path.Combine(root, "checkpoint", "convnet");
        ArticleRun = Run(checkpoint, "--quick", "--output", Article);
        VariantRun = Run(checkpoint, "--quick", "--no-build", "--output", Variant,
            "--edit", "var spec = ConvNetSpec.Article;=>var spec = ConvNetSpec.Article with { Convs = [new(16, 3), new(32, 3), new(64, 3)] };",
            "02", "03", "04", "05", "06");
    }

    static (int, string) Run(string checkpoint, params string[] args)
    {
        // CONVLENS_NOTEBOOK_CHECKPOINT: never replace a model the reader trained.
        var (code, stdout, stderr) = Shared.Run("/usr/bin/python3", ["notebooks/run.py", .. args],
            new Dictionary<string, string> { ["CONVLENS_NOTEBOOK_CHECKPOINT"] = checkpoint }, TimeSpan.FromMinutes(10));
        return (code, stdout + stderr);
    }
}

public class NotebookTests(WorkbookRuns runs) : IClassFixture<WorkbookRuns>
{
    public static readonly string[] Notebooks =
        ["01-what-a-cnn-does", "02-define-and-train", "03-evaluate", "04-visualize-filters", "05-visualize-feature-maps", "06-why-the-network-decides"];

    static JsonArray Outputs(string folder, string notebook) =>
        new(JsonNode.Parse(File.ReadAllText(Path.Combine(folder, notebook + ".ipynb")))!["cells"]!.AsArray()
            .SelectMany(c => c!["outputs"]?.AsArray().Select(o => o!.DeepClone()) ?? []).ToArray());

    static string Text(JsonNode? output) =>
        output?["text"] is JsonArray lines ? string.Concat(lines.Select(l => (string)l!))
        : output?["data"]?["text/plain"] is JsonArray plain ? string.Concat(plain.Select(l => (string)l!)) : "";

    static List<string> Charts(JsonArray outputs) =>
        outputs.Select(o => o!["data"]?["text/html"] is JsonArray html ? string.Concat(html.Select(l => (string)l!)) : "")
            .Where(h => h.Contains("Plotly.newPlot(")).ToList();

    [Fact]
    public void Every_notebook_runs_without_error_in_the_real_host()
    {
        Assert.True(runs.ArticleRun.ExitCode == 0, runs.ArticleRun.Output);
        foreach (var notebook in Notebooks)
        {
            Assert.Contains($"ok   {notebook}.ipynb", runs.ArticleRun.Output);
            Assert.DoesNotContain(Outputs(runs.Article, notebook), o => (string?)o!["output_type"] == "error");
        }
    }

    [Fact]
    public void Each_notebook_shows_its_charts_and_plotly_travels_once()
    {
        foreach (var (notebook, expected) in new[]
        {
            ("01-what-a-cnn-does", "Four hand-made 3×3 filters"), ("02-define-and-train", "Training: epoch 1 of 1"),
            ("03-evaluate", "misclassified"), ("04-visualize-filters", "conv1: 16 filters of 5×5"),
            ("05-visualize-feature-maps", "conv1: 16 feature maps of 28×28"),
            ("06-why-the-network-decides", "Where the network looks: training image 4, class 9"),
            ("06-why-the-network-decides", "Confusion matrix"), ("06-why-the-network-decides", "conv1 filters, before training"),
            ("06-why-the-network-decides", "The input each class prefers"),
        })
        {
            var charts = Charts(Outputs(runs.Article, notebook));
            Assert.True(charts.Count >= 2, $"{notebook}: {charts.Count} charts");
            Assert.Contains(charts, c => c.Contains(expected));
            Assert.Equal(1, charts.Count(c => c.Contains("window.Plotly = Plotly")));
        }
    }

    [Fact]
    public void Training_and_evaluation_print_their_numbers()
    {
        var training = string.Concat(Outputs(runs.Article, "02-define-and-train").Select(Text));
        Assert.Matches(@"epoch  1/1  train loss \d\.\d{4} acc \d+\.\d\d %  val loss \d\.\d{4} acc \d+\.\d\d %", training);
        Assert.Matches(@"test accuracy \d+\.\d\d % \(\d+ of 3000\), test loss \d\.\d{4}", training);
        var evaluation = string.Concat(Outputs(runs.Article, "03-evaluate").Select(Text));
        Assert.Contains("Using the model you trained in 02-define-and-train", evaluation);
        Assert.Matches(@"test accuracy \d+\.\d\d % \(\d+ of 3000 right\)", evaluation);
        var why = string.Concat(Outputs(runs.Article, "06-why-the-network-decides").Select(Text));
        var completeness = System.Text.RegularExpressions.Regex.Match(why, @"sum of the map (-?[\d.]+), score\(digit\) − score\(black\) (-?[\d.]+)");
        Assert.True(completeness.Success, why);
        double sum = double.Parse(completeness.Groups[1].Value), gap = double.Parse(completeness.Groups[2].Value);
        Assert.True(Math.Abs(sum - gap) <= 0.01 * Math.Abs(gap), $"integrated gradients: {sum} vs {gap}");
    }

    [Fact]
    public void The_chart_outputs_render_offline_in_Chromium()
    {
        foreach (var notebook in new[] { "01-what-a-cnn-does", "04-visualize-filters", "05-visualize-feature-maps", "06-why-the-network-decides" })
        {
            string page = Path.Combine(Shared.TempFolder(), notebook + ".html");
            File.WriteAllText(page, "<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body>" +
                string.Join("\n", Charts(Outputs(runs.Article, notebook))) + "</body></html>");
            var shot = Browser.Screenshot(page, 1100, 1400);
            Assert.True(shot.DistinctColours() > 200, $"{notebook}: only {shot.DistinctColours()} colours");
            // Diverging blue, viridis's dark end, the confusion matrix's dark red: one of the palettes must be on screen.
            Assert.True(shot.Count("#2166ac", 40) + shot.Count("#440154", 30) + shot.Count("#b2182b", 40) > 200, $"{notebook}: no heatmap colours on screen");
        }
    }

    [Fact]
    public void Editing_the_architecture_cell_to_three_3x3_conv_layers_still_runs_end_to_end()
    {
        Assert.True(runs.VariantRun.ExitCode == 0, runs.VariantRun.Output);
        var model = string.Concat(Outputs(runs.Variant, "02-define-and-train").Select(Text));
        Assert.Contains("conv3 64@3×3", model);
        Assert.Contains(Charts(Outputs(runs.Variant, "04-visualize-filters")), c => c.Contains("conv3: 64 filters of 3×3"));
        Assert.Contains(Charts(Outputs(runs.Variant, "05-visualize-feature-maps")), c => c.Contains("conv3: 64 feature maps of 7×7"));
    }
}
