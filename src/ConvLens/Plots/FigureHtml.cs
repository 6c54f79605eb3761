using System.Net;
using System.Text;

namespace ConvLens.Plots;

/// <summary>
/// Something a notebook shows as HTML: a figure, or the setup cell's output. <see cref="Workbook.Start"/> registers one
/// formatter for this interface with the host (the host's own HTML() helper would bring a compiler warning, CS1701,
/// about its ASP.NET assembly's version into every notebook).
/// </summary>
public interface INotebookHtml
{
    string ToNotebookHtml();
}

/// <summary>A heading, a sentence on what to look at, and a figure: one part of a page.</summary>
public sealed record Section(string Heading, string? Description, Figure Figure);

/// <summary>
/// Turns figures into HTML that renders with no internet access: plotly.js (its cartesian bundle, embedded in this
/// library) is written once per standalone page, and once per notebook, in its setup cell's output.
/// </summary>
public static class FigureHtml
{
    static readonly Lazy<string> plotly = new(() =>
    {
        using var stream = typeof(FigureHtml).Assembly.GetManifestResourceStream("plotly.min.js")
            ?? throw new InvalidOperationException("plotly.js is missing from the ConvLens assembly.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });

    /// <summary>The embedded plotly.js source.</summary>
    public static string PlotlyJs => plotly.Value;

    /// <summary>A standalone page with every section's figure; plotly.js is inlined once.</summary>
    public static string Page(string title, IEnumerable<Section> sections)
    {
        var html = new StringBuilder();
        html.Append($$"""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>{{WebUtility.HtmlEncode(title)}}</title>
            <style>body{font-family:system-ui,sans-serif;margin:24px;color:#222} h2{margin-top:32px} p{max-width:60em}</style>
            <script>{{PlotlyJs}}</script>
            </head><body>
            <h1>{{WebUtility.HtmlEncode(title)}}</h1>

            """);
        foreach (var section in sections)
        {
            html.Append($"<h2>{WebUtility.HtmlEncode(section.Heading)}</h2>\n");
            if (section.Description is { } d) html.Append($"<p>{WebUtility.HtmlEncode(d)}</p>\n");
            html.Append(Div(section.Figure)).Append('\n');
        }
        return html.Append("</body></html>\n").ToString();
    }

    /// <summary>Writes <see cref="Page"/> to <paramref name="path"/> atomically (temporary file, then rename).</summary>
    public static void WritePage(string path, string title, IEnumerable<Section> sections) =>
        AtomicFile.WriteAllText(path, Page(title, sections));

    /// <summary>plotly.js in a script element: for the output of a notebook's setup cell, which every later chart uses.</summary>
    public static string PlotlyScript() => $"<script>{PlotlyJs}</script>";

    /// <summary>A div and the script that draws <paramref name="figure"/> into it (plotly.js must be on the page).</summary>
    public static string Div(Figure figure)
    {
        string id = "convlens-" + Guid.NewGuid().ToString("N")[..12];
        return $$"""
            <div id="{{id}}" class="convlens-figure"></div>
            <script>(function(){var f={{figure.ToJson()}};Plotly.newPlot("{{id}}",f.data,f.layout,{displaylogo:false,responsive:false}){{(figure.OutlineOnHover ? OutlineScript : "")}};})();</script>
            """;
    }

    // Outlines the hovered pixel's input window (its customdata) on the first panel, axes x and y, in the explorer's red.
    const string OutlineScript = """
        .then(function(gd){
        gd.on("plotly_hover",function(e){var w=e.points[0].customdata;if(!Array.isArray(w)||w.length!==4)return;
        Plotly.relayout(gd,{shapes:[{type:"rect",xref:"x",yref:"y",x0:w[1]-0.5,x1:w[3]+0.5,y0:w[0]-0.5,y1:w[2]+0.5,line:{color:"#ff2a2a",width:2}}]});});
        gd.on("plotly_unhover",function(){Plotly.relayout(gd,{shapes:[]});});})
        """;
}
