using System.Text.Json;
using System.Text.Json.Serialization;

namespace ConvLens.Plots;

// A small typed model of the Plotly figures ConvLens draws, serialized to plotly.js's JSON.
// Why not Plotly.NET or XPlot.Plotly: Plotly.NET 6 needs FSharp.Core 10.1 and fails at the first chart in the
// .NET Interactive host (which loads 10.0); XPlot.Plotly 4.1 works there but loads plotly.js from a CDN (no offline
// rendering) and brings FSharp.Core along. This model needs neither, and plotly.js travels inside the library.
// Property names are plotly's attribute words, so snake_case serialization yields them: Hovertemplate → "hovertemplate".

/// <summary>What every plotly trace has: its type, name, axes and hover text.</summary>
public abstract record Trace
{
    public abstract string Type { get; }
    public string? Name { get; init; }
    public string? Xaxis { get; init; }
    public string? Yaxis { get; init; }
    public string? Hovertemplate { get; init; }
    /// <summary>False hides the trace until a slider step shows it.</summary>
    public bool? Visible { get; init; }
}

/// <summary>Lines and markers, for curves such as loss per epoch.</summary>
public sealed record Scatter : Trace
{
    public override string Type => "scatter";
    public required double[] X { get; init; }
    public required double[] Y { get; init; }
    public string Mode { get; init; } = "lines+markers";
}

public sealed record Heatmap : Trace
{
    public override string Type => "heatmap";
    public required double?[][] Z { get; init; }
    public object? Colorscale { get; init; }
    public bool? Reversescale { get; init; }
    public double? Zmin { get; init; }
    public double? Zmax { get; init; }
    public double? Zmid { get; init; }
    public bool? Showscale { get; init; }
    public ColorBar? Colorbar { get; init; }
    /// <summary>"coloraxis" to share the layout's colour axis (one colour bar for many panels).</summary>
    public string? Coloraxis { get; init; }
    public object?[][]? Customdata { get; init; }
    /// <summary>Text drawn in each cell, e.g. "%{z}" for the value.</summary>
    public string? Texttemplate { get; init; }
    public double? Opacity { get; init; }
}

public sealed record ColorBar
{
    public Text? Title { get; init; }
    public double? X { get; init; }
    public double? Y { get; init; }
    public double? Len { get; init; }
    public int? Thickness { get; init; }
    public string? Xanchor { get; init; }
    public Font? Tickfont { get; init; }
}

public sealed record ColorAxis
{
    public object? Colorscale { get; init; }
    public bool? Reversescale { get; init; }
    public double? Cmin { get; init; }
    public double? Cmax { get; init; }
    public double? Cmid { get; init; }
    public ColorBar? Colorbar { get; init; }
}

public sealed record Text(string Content)
{
    [JsonPropertyName("text")] public string Content { get; init; } = Content;
    public Font? Font { get; init; }
}

public sealed record Font(int Size);

public sealed record Axis
{
    public double[]? Domain { get; init; }
    public string? Anchor { get; init; }
    /// <summary>"reversed" puts row 0 at the top, so images are upright.</summary>
    public string? Autorange { get; init; }
    /// <summary>The x axis this y axis keeps a 1:1 scale with: square pixels.</summary>
    public string? Scaleanchor { get; init; }
    public string? Constrain { get; init; }
    public bool? Showticklabels { get; init; }
    public string? Ticks { get; init; }
    public bool? Showgrid { get; init; }
    public bool? Zeroline { get; init; }
    public Text? Title { get; init; }
    public double[]? Tickvals { get; init; }
    public double[]? Range { get; init; }
    public string? Tickformat { get; init; }
    public string[]? Ticktext { get; init; }
}

public sealed record Annotation
{
    [JsonPropertyName("text")] public required string Content { get; init; }
    public double X { get; init; }
    public double Y { get; init; }
    public string Xref { get; init; } = "paper";
    public string Yref { get; init; } = "paper";
    public string Xanchor { get; init; } = "center";
    public string Yanchor { get; init; } = "bottom";
    public bool Showarrow { get; init; }
    public Font? Font { get; init; }
}

public sealed record Margin(int L, int R, int T, int B);

public sealed record SliderStep(string Label, string Method, object[] Args);

public sealed record Slider
{
    public int Active { get; init; }
    public required List<SliderStep> Steps { get; init; }
    public double? Y { get; init; }
    public string? Yanchor { get; init; }
}

public sealed class Layout
{
    public Text? Title { get; set; }
    public int? Width { get; set; }
    public int? Height { get; set; }
    public Margin? Margin { get; set; }
    public ColorAxis? Coloraxis { get; set; }
    public List<Annotation> Annotations { get; } = [];
    public string PlotBgcolor { get; set; } = "white";
    /// <summary>Sliders, e.g. one that steps through snapshots by switching traces' visibility.</summary>
    public List<Slider>? Sliders { get; set; }
    /// <summary>xaxis, xaxis2, yaxis2, …: plotly names each axis of a multi-panel figure by number.</summary>
    [JsonExtensionData] public Dictionary<string, object> Axes { get; } = [];
}

/// <summary>A plotly.js figure: traces and a layout. Show it with <see cref="FigureHtml"/>.</summary>
public sealed class Figure : INotebookHtml
{
    /// <summary>The figure as a notebook output: its div and script (plotly.js comes with the setup cell's output).</summary>
    public string ToNotebookHtml() => FigureHtml.Div(this);

    public List<Trace> Data { get; } = [];

    /// <summary>
    /// Hovering a pixel whose customdata is an input window (top, left, bottom, right) outlines that window on the
    /// figure's first panel, the input image: what the pixel sees. Not part of plotly's JSON; <see cref="FigureHtml"/> adds the handler.
    /// </summary>
    [JsonIgnore] public bool OutlineOnHover { get; set; }

    /// <summary>The heatmap traces, in order.</summary>
    public IReadOnlyList<Heatmap> Heatmaps => Data.OfType<Heatmap>().ToList();
    public Layout Layout { get; } = new();

    static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        // Titles keep their ×, ‖ and · readable in the page source; <, > and & stay escaped, which keeps the JSON
        // safe inside a <script> element.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.Create(System.Text.Unicode.UnicodeRanges.All),
    };

    /// <summary>The figure as plotly.js reads it: {"data": [...], "layout": {...}}.</summary>
    public string ToJson() => JsonSerializer.Serialize(new { data = Data.Cast<object>(), layout = Layout }, JsonOptions);  // each trace by its own type
}
