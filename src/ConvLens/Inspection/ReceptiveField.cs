using ConvLens.Model;

namespace ConvLens.Inspection;

/// <summary>Receptive fields read from a plan.</summary>
public static class PlanFields
{
    /// <summary>The receptive field of layer <paramref name="name"/>: which input window each of its units sees.</summary>
    public static LayerReceptiveField ReceptiveField(this LayerPlan plan, string name)
    {
        var layer = plan[name];
        return layer.Field is { } f && layer.Spatial
            ? new LayerReceptiveField(name, f.Rows, f.Columns, (int)layer.OutputShape[1], (int)layer.OutputShape[2], plan.Height, plan.Width)
            : new LayerReceptiveField(name, new FieldAxis(plan.Height, 0, 0), new FieldAxis(plan.Width, 0, 0), 1, (int)layer.OutputShape.Aggregate(1L, (a, b) => a * b), plan.Height, plan.Width, Spatial: false);
    }
}

/// <summary>
/// The pixels of the input image one unit of a layer depends on, rows <see cref="Top"/> to <see cref="Bottom"/> and
/// columns <see cref="Left"/> to <see cref="Right"/>, both ends included, clipped at the image's borders.
/// </summary>
public sealed record InputWindow(int Top, int Left, int Bottom, int Right)
{
    public int Height => Bottom - Top + 1;
    public int Width => Right - Left + 1;

    public override string ToString() => $"rows {Top}–{Bottom}, columns {Left}–{Right} ({Height}×{Width})";
}

/// <summary>
/// Where the units of one layer look in the input (read from its <see cref="PlanLayer.Field"/>): unit (row, column) sees
/// input rows <c>Rows.Offset + Rows.Jump·row</c> to <c>… + Rows.Size − 1</c>, and the same for columns, before clipping.
/// The offset goes negative with padding, which is why border units see less of the image. Layers that are not maps
/// (after flatten or global pooling) see the whole image: <see cref="Spatial"/> is false and their units are columns of row 0.
/// </summary>
public sealed record LayerReceptiveField(string Layer, FieldAxis Rows, FieldAxis Columns, int MapHeight, int MapWidth, int ImageHeight, int ImageWidth, bool Spatial = true)
{
    /// <summary>The input window of unit (<paramref name="row"/>, <paramref name="column"/>), clipped at the image's borders.</summary>
    public InputWindow Window(int row, int column)
    {
        if (!Spatial)
        {
            if (row != 0 || column < 0 || column >= MapWidth)
                throw new ConvLensException($"{Layer} is a flat layer of {MapWidth} units: give row 0 and a column from 0 to {MapWidth - 1}, not ({row}, {column}).");
            return new InputWindow(0, 0, ImageHeight - 1, ImageWidth - 1);
        }
        if (row < 0 || row >= MapHeight || column < 0 || column >= MapWidth)
            throw new ConvLensException($"{Layer}'s maps are {MapHeight}×{MapWidth}: rows go from 0 to {MapHeight - 1} and columns from 0 to {MapWidth - 1}, not ({row}, {column}).");
        static int Start(FieldAxis a, int i) => Math.Max(0, a.Offset + a.Jump * i);
        static int End(FieldAxis a, int i, int size) => Math.Min(size - 1, a.Offset + a.Jump * i + a.Size - 1);
        return new InputWindow(Start(Rows, row), Start(Columns, column), End(Rows, row, ImageHeight), End(Columns, column, ImageWidth));
    }

    /// <summary>Every unit's window, row by row: [row][column] = (top, left, bottom, right), for figures to outline on hover.</summary>
    public int[][][] AllWindows() =>
        Enumerable.Range(0, Spatial ? MapHeight : 1).Select(r => Enumerable.Range(0, Spatial ? MapWidth : 1).Select(c =>
        {
            var w = Window(r, c);
            return new[] { w.Top, w.Left, w.Bottom, w.Right };
        }).ToArray()).ToArray();
}
