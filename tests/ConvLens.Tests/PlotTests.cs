using System.Text.Json;
using ConvLens.Checkpoints;
using ConvLens.Inspection;
using ConvLens.Model;
using ConvLens.Plots;
using static TorchSharp.torch;

namespace ConvLens.Tests;

public class PlotTests
{
    [Fact]
    public void A_filter_figure_has_one_labelled_upright_square_heatmap_per_filter_holding_its_weights()
    {
        using var model = Shared.ShippedModel();
        var figure = Charts.Filters("conv1", Inspect.Filters(model, "conv1"));
        using var weights = Inspect.Filters(model, "conv1");
        Assert.Equal(16, figure.Data.Count);
        for (int f = 0; f < 16; f++)
        {
            var trace = figure.Heatmaps[f];
            Assert.Equal(5, trace.Z.Length);
            Assert.All(trace.Z, row => Assert.Equal(5, row.Length));
            Assert.Equal(weights[f, 0, 2, 3].item<float>(), trace.Z[2][3]!.Value, 6);
            Assert.Contains($"conv1 · filter {f}", trace.Hovertemplate);
            Assert.Equal($"#{f}", figure.Layout.Annotations[f].Content);
            string n = f == 0 ? "" : (f + 1).ToString();
            var y = (Axis)figure.Layout.Axes["yaxis" + n];
            Assert.Equal("reversed", y.Autorange);
            Assert.Equal("x" + n, y.Scaleanchor);
        }
        // One shared colour bar, symmetric around zero, titled with what the colours mean.
        Assert.Equal(-figure.Layout.Coloraxis!.Cmin, figure.Layout.Coloraxis.Cmax);
        Assert.Equal("weight", figure.Layout.Coloraxis.Colorbar!.Title!.Content);
        // Blue for the most negative, white at zero (the middle of a symmetric scale), red for the most positive.
        using var json = JsonDocument.Parse(figure.ToJson());
        var stops = json.RootElement.GetProperty("layout").GetProperty("coloraxis").GetProperty("colorscale").EnumerateArray()
            .Select(s => (At: s[0].GetDouble(), Colour: Rgb(s[1].GetString()!))).ToList();
        var (low, middle, high) = (stops.First(), stops.Single(s => s.At == 0.5), stops.Last());
        Assert.True(low.At == 0 && low.Colour.B > low.Colour.R + 100, "blue for negative");
        Assert.True(middle.Colour.R > 240 && middle.Colour.G > 240 && middle.Colour.B > 240, "white at zero");
        Assert.True(high.At == 1 && high.Colour.R > high.Colour.B + 100, "red for positive");
        static (int R, int G, int B) Rgb(string hex) => (Convert.ToInt32(hex[1..3], 16), Convert.ToInt32(hex[3..5], 16), Convert.ToInt32(hex[5..7], 16));
        Assert.Contains("Blue is negative, red positive, white zero.", NotebookClaimsTests.Prose("01-what-a-cnn-does"));
        Assert.Contains("red weights add where the input is bright, blue ones subtract, white is zero", NotebookClaimsTests.Prose("04-visualize-filters"));
    }

    [Fact]
    public void The_json_is_what_plotly_reads()
    {
        using var model = Shared.ShippedModel();
        using var json = JsonDocument.Parse(Charts.Filters("conv2", Inspect.Filters(model, "conv2"), channel: 3, Palette.Viridis, Scale.PerPanel).ToJson());
        var trace = json.RootElement.GetProperty("data")[0];
        Assert.Equal("heatmap", trace.GetProperty("type").GetString());
        Assert.Equal("Viridis", trace.GetProperty("colorscale").GetString());
        Assert.True(trace.GetProperty("showscale").GetBoolean());
        Assert.Equal("x", trace.GetProperty("xaxis").GetString());
        Assert.Contains("input channel 3", trace.GetProperty("hovertemplate").GetString());
        Assert.Equal("reversed", json.RootElement.GetProperty("layout").GetProperty("yaxis2").GetProperty("autorange").GetString());
    }

    [Fact]
    public void The_kernel_mosaic_places_every_kernel_and_labels_filters_and_channels()
    {
        using var model = Shared.ShippedModel();
        var figure = Charts.AllKernels("conv2", Inspect.Filters(model, "conv2"));
        using var w = Inspect.Filters(model, "conv2");
        var z = figure.Heatmaps.Single().Z;
        Assert.Equal((32 * 6 - 1, 16 * 6 - 1), (z.Length, z[0].Length));
        Assert.Equal(w[7, 11, 4, 0].item<float>(), z[7 * 6 + 4][11 * 6 + 0]!.Value, 6);
        Assert.Null(z[5][0]);   // the gap between filter 0 and filter 1
        Assert.Equal(16, ((Axis)figure.Layout.Axes["xaxis"]).Ticktext!.Length);
    }

    [Fact]
    public void A_feature_map_figure_has_one_heatmap_per_channel_of_the_maps_shape()
    {
        using var scope = NewDisposeScope();
        using var model = Shared.ShippedModel();
        var maps = Inspect.FeatureMaps(model, Shared.Mnist.Train.Image(4), "conv2");
        var figure = Charts.FeatureMaps("conv2", maps["conv2"]);
        Assert.Equal(32, figure.Data.Count);
        Assert.All(figure.Heatmaps, t => Assert.Equal((14, 14), (t.Z.Length, t.Z[0].Length)));
        Assert.Equal("#31", figure.Layout.Annotations[31].Content);
        Assert.Equal("activation", figure.Layout.Coloraxis!.Colorbar!.Title!.Content);
    }

    [Fact]
    public void Pages_carry_plotly_once_and_notebook_charts_leave_it_to_the_setup_cell()
    {
        using var model = Shared.ShippedModel();
        var sections = Charts.FilterSections(Inspect.ConvLayers(model).ToDictionary(l => l, l => Inspect.Filters(model, l)));
        string page = FigureHtml.Page("t", sections);
        Assert.Equal(1, Count(page, "window.Plotly = Plotly"));
        Assert.Equal(sections.Count, Count(page, "Plotly.newPlot("));
        Assert.DoesNotContain("<script src=", page);   // nothing fetched: plotly.js is inline
        var figure = sections[0].Figure;
        // Every chart output is the same small div and script; plotly.js travels in the setup cell's output, once.
        var outputs = Enumerable.Range(0, 3).Select(_ => figure.ToNotebookHtml()).ToList();
        Assert.All(outputs, o => Assert.Equal(0, Count(o, "window.Plotly = Plotly")));
        Assert.All(outputs, o => Assert.Equal(1, Count(o, "Plotly.newPlot(")));
        Assert.Equal(1, Count(Workbook.Start().ToNotebookHtml(), "window.Plotly = Plotly"));
    }

    static int Count(string text, string part) => (text.Length - text.Replace(part, "").Length) / part.Length;
}
