using static TorchSharp.torch;

namespace ConvLens.Plots;

/// <summary>How colours map to values.</summary>
public enum Palette
{
    /// <summary>Blue below zero, white at zero, red above: for weights, which have a sign.</summary>
    Diverging,
    /// <summary>The article's palette (matplotlib's default).</summary>
    Viridis,
    /// <summary>Black to white: for input images.</summary>
    Greys,
}

/// <summary>Whether all panels share one colour scale (comparable) or each has its own (every panel's detail visible).</summary>
public enum Scale { Shared, PerPanel }

/// <summary>One panel of a grid: a title and a 2-D array of values; row 0 is drawn at the top.</summary>
public sealed record Panel(string Title, double[,] Values, string Hover)
{
    /// <summary>A panel from a 2-D tensor.</summary>
    public static Panel From(string title, Tensor values, string hover)
    {
        if (values.dim() != 2) throw new ArgumentException($"A panel needs a 2-D tensor, not [{string.Join(", ", values.shape)}].");
        using var cpu = values.detach().cpu().to_type(ScalarType.Float64);
        int rows = (int)cpu.shape[0], cols = (int)cpu.shape[1];
        var data = cpu.data<double>().ToArray();
        var grid = new double[rows, cols];
        Buffer.BlockCopy(data, 0, grid, 0, data.Length * sizeof(double));
        return new Panel(title, grid, hover);
    }
}

/// <summary>Labelled heatmap figures: a grid of panels, each titled, upright, with square pixels and a colour bar.</summary>
public static class Heatmaps
{
    const int PanelPixels = 100;

    static (object Scale, bool? Reverse) Colours(Palette palette) => palette switch
    {
        // ColorBrewer's RdBu: blue below zero, near-white at zero, red above (plotly's own RdBu has a grey middle).
        Palette.Diverging => (new object[][] { [0.0, "#2166ac"], [0.25, "#92c5de"], [0.5, "#f7f7f7"], [0.75, "#f4a582"], [1.0, "#b2182b"] }, null),
        Palette.Viridis => ("Viridis", null),
        _ => ("Greys", true),                  // reversed: high values (ink) black on white paper
    };

    /// <summary>
    /// A grid of heatmaps, <paramref name="columns"/> wide. With <see cref="Scale.Shared"/> one colour bar serves all
    /// panels; with <see cref="Scale.PerPanel"/> each panel has its own thin bar. A diverging palette is centred on zero.
    /// Given <paramref name="input"/>, the image the panels were computed from, it is drawn first, in greys; with
    /// <paramref name="windows"/> ([row][column] = top, left, bottom, right of the input window each map pixel sees),
    /// hovering a map pixel outlines its window on it.
    /// </summary>
    public static Figure Grid(string title, IReadOnlyList<Panel> panels, int columns, Palette palette, Scale scale, string valueLabel, int panelPixels = PanelPixels,
        Panel? input = null, int[][][]? windows = null)
    {
        if (panels.Count == 0) throw new ArgumentException("A grid needs at least one panel.", nameof(panels));
        bool perPanel = scale == Scale.PerPanel && panels.Count > 1;
        var (colours, reverse) = Colours(palette);
        var figure = new Figure();
        var titles = panels.Select(p => p.Title).ToList();
        if (input is not null) titles.Insert(0, input.Title);
        var cells = LayOutGrid(figure, title, titles, columns, perPanel ? 1.6 : 1.1, panelPixels, perPanel ? 0.45 : 0.12);
        if (!perPanel)
            figure.Layout.Coloraxis = SharedScale(palette, panels, new ColorBar { Title = new Text(valueLabel) });
        else figure.Layout.Margin = figure.Layout.Margin! with { R = 40 };
        object?[][]? custom = null;
        string sees = "";
        if (input is not null)
        {
            var (greys, reversed) = Colours(Palette.Greys);
            figure.Data.Add(new Heatmap
            {
                Z = Rows(input.Values), Name = input.Title, Xaxis = "x", Yaxis = "y", Colorscale = greys, Reversescale = reversed,
                Zmin = 0, Zmax = Math.Max(1e-12, input.Values.Cast<double>().Max()), Showscale = false,
                Hovertemplate = $"{input.Hover}<br>row %{{y}}, column %{{x}}<br>pixel %{{z:.2f}}<extra></extra>",
            });
            cells = cells.Skip(1).ToList();
            if (windows is not null)
            {
                custom = windows.Select(r => r.Select(w => (object?)w).ToArray()).ToArray();
                sees = "<br>sees input rows %{customdata[0]}–%{customdata[2]}, columns %{customdata[1]}–%{customdata[3]} (outlined)";
                figure.OutlineOnHover = true;
            }
        }

        for (int i = 0; i < panels.Count; i++)
        {
            var (panel, cell) = (panels[i], cells[i]);
            double? zmin = null, zmax = null;
            if (perPanel)
            {
                var (min, max) = Range([panel.Values]);
                double abs = Math.Max(Math.Abs(min), Math.Abs(max));
                (zmin, zmax) = palette == Palette.Diverging ? (-abs, abs) : (min, max);
            }
            figure.Data.Add(new Heatmap
            {
                Z = Rows(panel.Values),
                Name = panel.Title,
                Xaxis = "x" + cell.Suffix,
                Yaxis = "y" + cell.Suffix,
                Coloraxis = perPanel ? null : "coloraxis",
                Colorscale = perPanel ? colours : null,
                Reversescale = perPanel ? reverse : null,
                Zmin = zmin,
                Zmax = zmax,
                Showscale = perPanel ? true : null,
                Colorbar = perPanel ? new ColorBar { X = cell.X1 + 0.005, Xanchor = "left", Y = (cell.Y0 + cell.Y1) / 2, Len = cell.Y1 - cell.Y0, Thickness = 6, Tickfont = new Font(8) } : null,
                Customdata = custom,
                Hovertemplate = $"{panel.Hover}<br>row %{{y}}, column %{{x}}<br>{valueLabel} %{{z:.4f}}{sees}<extra></extra>",
            });
        }
        return figure;
    }

    /// <summary>
    /// Pairs of panels side by side, <paramref name="pairsPerRow"/> pairs a row: every left panel on one shared colour
    /// scale, every right panel on another, each with its colour bar. For a filter beside the map it makes.
    /// </summary>
    public static Figure Pairs(string title, IReadOnlyList<(Panel Left, Panel Right)> pairs, int pairsPerRow,
        (Palette Palette, string Label) left, (Palette Palette, string Label) right, int panelPixels = 90)
    {
        if (pairs.Count == 0) throw new ArgumentException("Give at least one pair.", nameof(pairs));
        var figure = new Figure();
        var panels = pairs.SelectMany(p => new[] { p.Left, p.Right }).ToList();
        var cells = LayOutGrid(figure, title, panels.Select(p => p.Title).ToList(), 2 * pairsPerRow, 1.1, panelPixels);
        figure.Layout.Margin = figure.Layout.Margin! with { R = 170 };
        ColorAxis Axis((Palette Palette, string Label) side, IEnumerable<Panel> of, double x) =>
            SharedScale(side.Palette, of, new ColorBar { Title = new Text(side.Label), X = x, Len = 0.9, Thickness = 12 });
        figure.Layout.Coloraxis = Axis(left, pairs.Select(p => p.Left), 1.02);
        figure.Layout.Axes["coloraxis2"] = Axis(right, pairs.Select(p => p.Right), 1.14);
        for (int i = 0; i < panels.Count; i++)
        {
            bool isLeft = i % 2 == 0;
            string label = isLeft ? left.Label : right.Label;
            figure.Data.Add(new Heatmap
            {
                Z = Rows(panels[i].Values), Name = panels[i].Title,
                Xaxis = "x" + cells[i].Suffix, Yaxis = "y" + cells[i].Suffix, Coloraxis = isLeft ? "coloraxis" : "coloraxis2",
                Hovertemplate = $"{panels[i].Hover}<br>row %{{y}}, column %{{x}}<br>{label} %{{z:.4f}}<extra></extra>",
            });
        }
        return figure;
    }

    /// <summary>One colour scale for all of <paramref name="panels"/>: their range, centred on zero for a diverging palette.</summary>
    static ColorAxis SharedScale(Palette palette, IEnumerable<Panel> panels, ColorBar bar)
    {
        var (colours, reverse) = Colours(palette);
        var (min, max) = Range(panels.Select(p => p.Values));
        double abs = Math.Max(Math.Abs(min), Math.Abs(max));
        bool diverging = palette == Palette.Diverging;
        return new ColorAxis { Colorscale = colours, Reversescale = reverse, Cmin = diverging ? -abs : min, Cmax = diverging ? abs : max, Colorbar = bar };
    }

    /// <summary>One panel of a grid: its axes' suffix ("", "2", …) and its place on the page, as fractions.</summary>
    public sealed record Cell(string Suffix, double X0, double X1, double Y0, double Y1);

    /// <summary>
    /// Lays out a grid of square, upright, titled panels: axes, titles, size and margins. Returns each panel's cell,
    /// for the traces to draw into. <paramref name="gap"/> is the room between columns (for per-panel colour bars).
    /// </summary>
    public static IReadOnlyList<Cell> LayOutGrid(Figure figure, string title, IReadOnlyList<string> titles, int columns, double widthFactor, int panelPixels, double gap = 0.12)
    {
        int n = titles.Count;
        columns = Math.Clamp(columns, 1, n);
        int rows = (n + columns - 1) / columns;
        double hGap = gap / columns, vGap = 0.28 / rows;
        double cellW = (1.0 + hGap) / columns, cellH = (1.0 + vGap) / rows;
        var layout = figure.Layout;
        layout.Title = new Text(title) { Font = new Font(16) };
        layout.Width = Math.Max(360, (int)(columns * panelPixels * widthFactor) + 140);
        layout.Height = (int)(rows * panelPixels * 1.25) + 110;
        layout.Margin = new Margin(20, 90, 80, 20);
        var cells = new List<Cell>();
        for (int i = 0; i < n; i++)
        {
            int row = i / columns, col = i % columns;
            double x0 = col * cellW, x1 = x0 + cellW - hGap;
            double y1 = 1 - row * cellH, y0 = y1 - (cellH - vGap);
            string s = i == 0 ? "" : (i + 1).ToString();
            layout.Axes["xaxis" + s] = new Axis { Domain = [x0, x1], Anchor = "y" + s, Showticklabels = false, Ticks = "", Showgrid = false, Zeroline = false, Constrain = "domain" };
            layout.Axes["yaxis" + s] = new Axis { Domain = [y0, y1], Anchor = "x" + s, Autorange = "reversed", Scaleanchor = "x" + s, Showticklabels = false, Ticks = "", Showgrid = false, Zeroline = false, Constrain = "domain" };
            if (n > 1)
                layout.Annotations.Add(new Annotation { Content = titles[i], X = (x0 + x1) / 2, Y = y1 + 0.005, Font = new Font(11) });
            cells.Add(new Cell(s, x0, x1, y0, y1));
        }
        return cells;
    }

    /// <summary>
    /// Panels that each lay a map over an image: the image in greys, the map's magnitude on top in red, transparent
    /// where it is zero and opaque at the panel's largest value (<see cref="Scale.PerPanel"/>) or at the largest of all
    /// panels (<see cref="Scale.Shared"/>: for maps in the same units). For attribution maps over the digit they explain.
    /// </summary>
    public static Figure Overlays(string title, double[,] image, IReadOnlyList<Panel> maps, int columns, string valueLabel, int panelPixels = 150, Scale scale = Scale.PerPanel)
    {
        var figure = new Figure();
        // Each title carries its map's peak, so a map that nearly vanished cannot pass for a strong one on its own scale.
        var peaks = maps.Select(m => m.Values.Cast<double>().Select(Math.Abs).DefaultIfEmpty(0).Max()).ToList();
        var cells = LayOutGrid(figure, title, maps.Select((m, i) => $"{m.Title} (peak {peaks[i]:G2})").ToList(), columns, 1.1, panelPixels);
        figure.Layout.Margin = figure.Layout.Margin! with { R = 30 };
        var under = Rows(image);
        for (int i = 0; i < maps.Count; i++)
        {
            var cell = cells[i];
            double max = Math.Max(1e-12, scale == Scale.Shared ? peaks.Max() : peaks[i]);
            figure.Data.Add(new Heatmap
            {
                Z = under, Xaxis = "x" + cell.Suffix, Yaxis = "y" + cell.Suffix, Colorscale = "Greys", Reversescale = true,
                Zmin = 0, Zmax = Math.Max(1e-12, image.Cast<double>().Max()), Showscale = false, Hovertemplate = "pixel %{z:.2f}<extra></extra>",
            });
            figure.Data.Add(new Heatmap
            {
                Z = Rows(maps[i].Values).Select(r => r.Select(v => (double?)Math.Abs(v!.Value)).ToArray()).ToArray(),
                Name = maps[i].Title, Xaxis = "x" + cell.Suffix, Yaxis = "y" + cell.Suffix,
                Colorscale = new object[][] { [0.0, "rgba(220,20,20,0)"], [0.15, "rgba(220,20,20,0.15)"], [1.0, "rgba(220,20,20,0.95)"] },
                Zmin = 0, Zmax = max, Showscale = false,
                Hovertemplate = $"{maps[i].Hover}<br>row %{{y}}, column %{{x}}<br>|{valueLabel}| %{{z:.4g}}<extra></extra>",
            });
        }
        return figure;
    }

    /// <summary>
    /// All kernels of a conv layer in one heatmap: filters down, input channels across, each kernel a small square.
    /// One trace however many kernels (conv2 has 32 × 16 = 512), so it stays fast; hover names filter, channel, row, column.
    /// </summary>
    public static Figure KernelMosaic(string layer, Tensor weights, Palette palette = Palette.Diverging)
    {
        if (weights.dim() != 4) throw new ArgumentException($"Conv weights are [out, in, kH, kW], not [{string.Join(", ", weights.shape)}].");
        using var w = weights.detach().cpu().to_type(ScalarType.Float64);
        int outs = (int)w.shape[0], ins = (int)w.shape[1], kh = (int)w.shape[2], kw = (int)w.shape[3];
        var values = w.data<double>().ToArray();
        int height = outs * (kh + 1) - 1, width = ins * (kw + 1) - 1;
        var z = new double?[height][];
        var custom = new object?[height][];
        for (int r = 0; r < height; r++) { z[r] = new double?[width]; custom[r] = new object?[width]; }
        for (int o = 0; o < outs; o++)
            for (int c = 0; c < ins; c++)
                for (int i = 0; i < kh; i++)
                    for (int j = 0; j < kw; j++)
                    {
                        int r = o * (kh + 1) + i, q = c * (kw + 1) + j;
                        z[r][q] = values[((o * ins + c) * kh + i) * kw + j];
                        custom[r][q] = new object[] { o, c, i, j };
                    }
        double abs = values.Max(Math.Abs);
        var (colours, reverse) = Colours(palette);
        var figure = new Figure();
        figure.Data.Add(new Heatmap
        {
            Z = z,
            Customdata = custom,
            Colorscale = colours,
            Reversescale = reverse,
            Zmin = palette == Palette.Diverging ? -abs : values.Min(),
            Zmax = palette == Palette.Diverging ? abs : values.Max(),
            Colorbar = new ColorBar { Title = new Text("weight") },
            Hovertemplate = $"{layer} · filter %{{customdata[0]}} · input channel %{{customdata[1]}}<br>row %{{customdata[2]}}, column %{{customdata[3]}}<br>weight %{{z:.4f}}<extra></extra>",
        });
        int cell = Math.Clamp(900 / Math.Max(ins * (kw + 1), outs * (kh + 1) / 2), 3, 14);
        var layout = figure.Layout;
        layout.Title = new Text($"{layer}: all {outs} × {ins} kernels ({kh}×{kw}), rows = filters, columns = input channels") { Font = new Font(15) };
        layout.Width = width * cell + 220;
        layout.Height = height * cell + 160;
        layout.Margin = new Margin(70, 90, 70, 60);
        layout.Axes["xaxis"] = new Axis
        {
            Title = new Text("input channel"), Showgrid = false, Zeroline = false, Constrain = "domain",
            Tickvals = Enumerable.Range(0, ins).Select(c => c * (kw + 1) + (kw - 1) / 2.0).ToArray(),
            Ticktext = Enumerable.Range(0, ins).Select(c => c.ToString()).ToArray(),
        };
        layout.Axes["yaxis"] = new Axis
        {
            Title = new Text("filter"), Autorange = "reversed", Scaleanchor = "x", Showgrid = false, Zeroline = false, Constrain = "domain",
            Tickvals = Enumerable.Range(0, outs).Select(o => o * (kh + 1) + (kh - 1) / 2.0).ToArray(),
            Ticktext = Enumerable.Range(0, outs).Select(o => o.ToString()).ToArray(),
        };
        return figure;
    }

    /// <summary>
    /// One number per kernel: the L2 norm of each filter's weights on each input channel. It shows at a glance
    /// which input channels each filter listens to, when 512 kernels are too many to read one by one.
    /// </summary>
    public static Figure KernelNorms(string layer, Tensor weights)
    {
        using var norms = weights.detach().cpu().to_type(ScalarType.Float64).square().sum([2, 3]).sqrt();
        var panel = Panel.From($"{layer}: ‖kernel‖ per filter and input channel", norms, layer);
        var figure = Grid(panel.Title, [panel], 1, Palette.Viridis, Scale.Shared, "‖w‖", panelPixels: Math.Max(240, (int)norms.shape[1] * 24));
        figure.Data[0] = figure.Heatmaps[0] with { Hovertemplate = $"{layer} · filter %{{y}} · input channel %{{x}}<br>‖w‖ = %{{z:.4f}}<extra></extra>" };
        figure.Layout.Annotations.Clear();
        figure.Layout.Axes["xaxis"] = ((Axis)figure.Layout.Axes["xaxis"]) with { Showticklabels = true, Title = new Text("input channel") };
        figure.Layout.Axes["yaxis"] = ((Axis)figure.Layout.Axes["yaxis"]) with { Showticklabels = true, Title = new Text("filter"), Scaleanchor = null };
        figure.Layout.Height = Math.Max(300, (int)norms.shape[0] * 18 + 150);
        return figure;
    }

    static double?[][] Rows(double[,] values) =>
        Enumerable.Range(0, values.GetLength(0)).Select(r => Enumerable.Range(0, values.GetLength(1)).Select(c => (double?)values[r, c]).ToArray()).ToArray();

    static (double Min, double Max) Range(IEnumerable<double[,]> arrays)
    {
        double min = double.PositiveInfinity, max = double.NegativeInfinity;
        foreach (var a in arrays)
            foreach (var v in a)
            {
                min = Math.Min(min, v);
                max = Math.Max(max, v);
            }
        return min == max ? (min - 0.5, max + 0.5) : (min, max);
    }
}
