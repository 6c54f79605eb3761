using ConvLens.Model;

namespace ConvLens.Inspection;

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
/// Where the units of one layer look in the input: unit (row, column) sees input rows <c>Offset + Jump·row</c> to
/// <c>Offset + Jump·row + Size − 1</c> (and the same for columns) before clipping. <see cref="Jump"/> is how far apart
/// in the input two neighbouring units' windows start (each pooling multiplies it); <see cref="Size"/> is the side of the
/// window (each conv adds (kernel − 1)·jump, each pool (pool − 1)·jump); <see cref="Offset"/> goes negative with padding,
/// which is why border units see less of the image. Layers after flatten see the whole image.
/// </summary>
public sealed record LayerReceptiveField(string Layer, int Jump, int Offset, int Size, int MapSize, int ImageSize, bool Spatial = true)
{
    /// <summary>The input window of unit (<paramref name="row"/>, <paramref name="column"/>), clipped at the image's borders.</summary>
    public InputWindow Window(int row, int column)
    {
        if (!Spatial)
        {
            if (row != 0 || column < 0 || column >= MapSize)
                throw new ConvLensException($"{Layer} is a flat layer of {MapSize} units: give row 0 and a column from 0 to {MapSize - 1}, not ({row}, {column}).");
            return new InputWindow(0, 0, ImageSize - 1, ImageSize - 1);
        }
        if (row < 0 || row >= MapSize || column < 0 || column >= MapSize)
            throw new ConvLensException($"{Layer}'s maps are {MapSize}×{MapSize}: rows and columns go from 0 to {MapSize - 1}, not ({row}, {column}).");
        int Start(int i) => Math.Max(0, Offset + Jump * i);
        int End(int i) => Math.Min(ImageSize - 1, Offset + Jump * i + Size - 1);
        return new InputWindow(Start(row), Start(column), End(row), End(column));
    }

    /// <summary>Every unit's window, row by row: [row][column] = (top, left, bottom, right), for figures to outline on hover.</summary>
    public int[][][] AllWindows() =>
        Enumerable.Range(0, Spatial ? MapSize : 1).Select(r => Enumerable.Range(0, Spatial ? MapSize : 1).Select(c =>
        {
            var w = Window(r, c);
            return new[] { w.Top, w.Left, w.Bottom, w.Right };
        }).ToArray()).ToArray();

    /// <summary>
    /// The receptive field of every layer of a network built from <paramref name="spec"/> with <paramref name="layers"/>
    /// named as <see cref="ConvNet"/> names them, in the order they run: the classic recurrence (jump, size, offset),
    /// layer by layer from the input.
    /// </summary>
    public static IReadOnlyList<LayerReceptiveField> OfLayers(ConvNetSpec spec, IEnumerable<string> layers)
    {
        int jump = 1, offset = 0, size = 1, map = spec.ImageSize, block = -1, units = 0;
        bool spatial = true;
        var fields = new List<LayerReceptiveField>();
        foreach (var name in layers)
        {
            if (name.StartsWith("conv") && int.TryParse(name["conv".Length..], out int c))
            {
                // A k×k conv with stride 1: the window grows by (k − 1) steps of the current jump and starts `padding`
                // steps earlier; the map keeps its size.
                block = c - 1;
                offset -= spec.Convs[block].Padding * jump;
                size += (spec.Convs[block].Kernel - 1) * jump;
            }
            else if (name.StartsWith("pool"))
            {
                // Max-pooling p×p with stride p: neighbouring units are p steps apart, and each sees p − 1 more steps.
                size += (spec.Pool - 1) * jump;
                jump *= spec.Pool;
                map /= spec.Pool;
            }
            else if (name == "flatten") { spatial = false; units = spec.FlattenedSize; }
            else if (name.StartsWith("fc") && int.TryParse(name["fc".Length..], out int f)) units = f == 1 ? spec.Hidden : spec.Classes;
            // ReLU and dropout work unit by unit: the window stays as it was.
            fields.Add(spatial
                ? new LayerReceptiveField(name, jump, offset, size, map, spec.ImageSize)
                : new LayerReceptiveField(name, 0, 0, spec.ImageSize, units, spec.ImageSize, Spatial: false));
        }
        return fields;
    }
}
