using System.Net;
using System.Text;
using Markdig;

namespace ConvLens.Chapters;

/// <summary>
/// A chapter's offline page, as a notebook's HTML export shows a notebook: the prose rendered, each code cell's code,
/// then what it printed and the charts it showed, in order. plotly.js is inlined once, in the head; nothing is fetched.
/// </summary>
public static class ChapterPage
{
    static readonly MarkdownPipeline Markdown = new MarkdownPipelineBuilder().UseAdvancedExtensions().Build();

    internal static string Html(string name, string file, IReadOnlyList<ChapterCell> cells, IReadOnlyDictionary<int, List<ChapterOutput>> outputs,
        IReadOnlyList<string> settings, TimeSpan elapsed, string? failure)
    {
        string title = cells.FirstOrDefault(c => !c.IsCode && c.Text.StartsWith("# ")) is { } first ? first.Text.Split('\n')[0][2..].Trim() : name;
        var html = new StringBuilder();
        html.Append($$"""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>{{Encode(title)}}</title>
            <style>{{Style}}</style>
            <script>{{Plots.FigureHtml.PlotlyJs}}</script>
            </head><body><main>
            <p class="run">Chapter <code>notebooks/{{Encode(file)}}</code>{{(settings.Count == 0 ? ", as written" : ", with " + Encode(string.Join(", ", settings)))}};
            {{(failure is null ? $"ran in {elapsed.TotalSeconds:F1} s" : "<strong>" + Encode(failure) + "</strong>")}}.</p>

            """);
        foreach (var cell in cells)
        {
            if (!cell.IsCode)
            {
                html.Append("<section class=\"prose\">").Append(Markdig.Markdown.ToHtml(cell.Text, Markdown)).Append("</section>\n");
                continue;
            }
            html.Append($"<section class=\"cell\" id=\"cell-{cell.Number}\"><div class=\"number\">[{cell.Number}]</div>");
            html.Append("<pre class=\"code\"><code>").Append(Encode(cell.Text)).Append("</code></pre>");
            foreach (var output in outputs.TryGetValue(cell.Number, out var list) ? list : [])
                html.Append(output switch
                {
                    ChapterOutput.Text { Error: false } t => $"<pre class=\"output\" data-cell=\"{cell.Number}\">{Encode(Terminal(t.Content.ToString()))}</pre>",
                    ChapterOutput.Text t => $"<pre class=\"output error\" data-cell=\"{cell.Number}\">{Encode(Terminal(t.Content.ToString()))}</pre>",
                    ChapterOutput.Html h => $"<div class=\"display\">{h.Content}</div>",
                    _ => "",
                });
            html.Append("</section>\n");
        }
        return html.Append("</main></body></html>\n").ToString();
    }

    /// <summary>Text as a terminal leaves it: a line rewritten with '\r' (the training progress line) shows its last state.</summary>
    public static string Terminal(string text) =>
        string.Join('\n', text.Replace("\r\n", "\n").Split('\n').Select(line => line[(line.LastIndexOf('\r') + 1)..])).TrimEnd('\n');

    static string Encode(string text) => WebUtility.HtmlEncode(text);

    const string Style = """
        body{font-family:system-ui,sans-serif;margin:0;color:#222;background:#fff}
        main{max-width:1100px;margin:0 auto;padding:16px 20px 60px}
        .run{color:#555;font-size:14px;border-bottom:1px solid #ddd;padding-bottom:8px}
        .prose{max-width:52em;line-height:1.5}
        .prose code,.run code{background:#f3f3f3;padding:1px 4px;border-radius:3px}
        .prose pre{background:#f6f6f6;padding:8px;overflow-x:auto}
        .cell{margin:14px 0;border-left:3px solid #4a78c2;padding-left:10px}
        .number{color:#4a78c2;font:12px ui-monospace,monospace}
        pre{font:13px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;white-space:pre;overflow-x:auto;margin:4px 0}
        pre.code{background:#f6f8fa;padding:8px;border-radius:4px}
        pre.output{padding:4px 8px;border-left:3px solid #ccc;color:#111}
        pre.error{color:#b2182b;border-left-color:#b2182b}
        .display{overflow-x:auto;margin:6px 0}
        """;
}
