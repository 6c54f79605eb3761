using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ConvLens.Model;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ConvLens.Tests;

/// <summary>
/// What the notebooks' prose says, computed. Notebook 01's hand-made kernels are read from its own code cell, so a
/// change to a kernel that breaks a sentence about it fails here.
/// </summary>
[Trait("Kind", "Claims")]   // what the prose says, computed: a sentence's number read where it stands (Claim)
public class NotebookClaimsTests
{
    const int Size = 21;

    /// <summary>A notebook's cells, or a file of docs/, with every run of whitespace made one space.</summary>
    internal static string Prose(string notebookOrDoc) => Regex.Replace(notebookOrDoc.EndsWith(".md") ? File.ReadAllText(Path.Combine(Shared.RepositoryRoot, "docs", notebookOrDoc)) : NotebookSource(notebookOrDoc), @"\s+", " ");

    internal static string NotebookSource(string notebook) =>
        string.Concat(JsonNode.Parse(File.ReadAllText(Path.Combine(Shared.RepositoryRoot, "notebooks", notebook + ".ipynb")))!["cells"]!.AsArray()
            .Select(c => string.Concat(c!["source"]!.AsArray().Select(l => (string)l!)) + "\n"));

    /// <summary>Notebook 01's four kernels by name, parsed from the cell that defines them.</summary>
    static Dictionary<string, float[,]> HandMadeKernels()
    {
        string source = NotebookSource("01-what-a-cnn-does");
        var body = Regex.Match(source, @"var kernels = from_array\(new float\[\]\s*\{(.*?)\}\)", RegexOptions.Singleline).Groups[1].Value;
        var numbers = Regex.Replace(body, "//[^\n]*", "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(t => t.TrimEnd('f').Split('/') is [var a, var b] ? float.Parse(a, CultureInfo.InvariantCulture) / float.Parse(b.TrimEnd('f'), CultureInfo.InvariantCulture) : float.Parse(t.TrimEnd('f'), CultureInfo.InvariantCulture))
            .ToArray();
        var names = Regex.Match(source, @"string\[\] names = \[(.*?)\]").Groups[1].Value.Split(',').Select(n => n.Trim().Trim('"')).ToArray();
        Assert.Equal(names.Length * 9, numbers.Length);
        return names.Select((n, i) => (n, k: Kernel(numbers.Skip(9 * i).Take(9).ToArray()))).ToDictionary(p => p.n, p => p.k);
    }

    static float[,] Kernel(float[] nine)
    {
        var k = new float[3, 3];
        for (int i = 0; i < 9; i++) k[i / 3, i % 3] = nine[i];
        return k;
    }

    /// <summary>A one-pixel-wide straight stroke of ink through the middle of a blank image, at 0° (—), 45° (/), 90° (|) or 135° (\).</summary>
    static float[,] Stroke(int degrees, int width = 1)
    {
        var image = new float[Size, Size];
        int c = Size / 2;
        for (int t = -Size; t <= Size; t++)
            for (int w = 0; w < width; w++)
            {
                var (r, col) = degrees switch
                {
                    0 => (c + w, c + t),
                    90 => (c + t, c + w),
                    45 => (c - t, c + t + w),      // up and to the right
                    135 => (c + t, c + t + w),     // down and to the right
                    _ => throw new ArgumentException("0, 45, 90 or 135"),
                };
                if (r is >= 0 and < Size && col is >= 0 and < Size) image[r, col] = 1;
            }
        return image;
    }

    /// <summary>conv2d as notebook 01 calls it (padding 1), cropped 3 pixels from the border where a stroke ends.</summary>
    static float[,] Respond(float[,] kernel, float[,] image)
    {
        using var scope = NewDisposeScope();
        var x = tensor(image.Cast<float>().ToArray()).reshape(1, 1, Size, Size);
        var k = tensor(kernel.Cast<float>().ToArray()).reshape(1, 1, 3, 3);
        var y = F.conv2d(x, k, padding: [1, 1])[0, 0, 3..(Size - 3), 3..(Size - 3)].contiguous().data<float>().ToArray();
        int n = Size - 6;
        var result = new float[n, n];
        for (int i = 0; i < y.Length; i++) result[i / n, i % n] = y[i];
        return result;
    }

    static float MaxAbs(float[,] m) => m.Cast<float>().Max(Math.Abs);

    [Fact]
    public void The_diagonal_kernel_answers_to_slash_strokes_and_is_blind_to_backslash_strokes()
    {
        var diagonal = HandMadeKernels()["diagonal"];
        Assert.Equal(0f, MaxAbs(Respond(diagonal, Stroke(135))));      // "\" gives zero everywhere
        var slash = Respond(diagonal, Stroke(45));
        Assert.True(MaxAbs(slash) >= 2, $"'/' stroke: {MaxAbs(slash)}");
        // Positive just below-right of a "/" stroke, negative just above-left of it. The stroke passes through the
        // middle (row 7, column 7 after cropping); (8, 8) lies below-right of it, (6, 6) above-left.
        Assert.True(slash[8, 8] > 0 && slash[6, 6] < 0, $"{slash[8, 8]} below-right, {slash[6, 6]} above-left");
        Assert.Equal(0f, slash[7, 7]);                                   // on the stroke itself: zero
        // As an edge detector (ink on one side of a straight boundary) it answers most to "/" edges, less to
        // horizontal and vertical ones, and not at all to "\" edges.
        float slashEdge = MaxAbs(Respond(diagonal, Edge(45))), backslashEdge = MaxAbs(Respond(diagonal, Edge(135)));
        Assert.Equal(0f, backslashEdge);
        Assert.True(slashEdge > MaxAbs(Respond(diagonal, Edge(0))) && slashEdge > MaxAbs(Respond(diagonal, Edge(90))), $"'/' edge {slashEdge}");
        // 01 says: "to horizontal and vertical edges it gives ¾ of that".
        Assert.Equal(0.75f * slashEdge, MaxAbs(Respond(diagonal, Edge(0))), 5);
        Assert.Equal(0.75f * slashEdge, MaxAbs(Respond(diagonal, Edge(90))), 5);
        string notebook = Prose("01-what-a-cnn-does");
        Assert.Contains("*diagonal* compares the top-left corner with the bottom-right one: it answers most to edges that run like `/` (bottom-left to top-right), positive just below-right of such a stroke and negative just above-left of it; to horizontal and vertical edges it gives ¾ of that; along a stroke that runs like `\\` its numbers cancel (2 + 0 − 2) and it sees nothing.", notebook);
        Assert.Contains("an upright edge gives the diagonal filter ¾ of its best", notebook);
        Assert.Contains("an upright edge gives each diagonal filter ¾ of its best", Prose("solutions.md"));
        Assert.Contains("Along its line of zeros, a / line: one side of such an edge meets only positive weights and the other only negative ones (4 for a full edge). At right angles each side of the edge holds 1, 0 and −1, which cancel: 0.", Prose("teaching.md"));
    }

    /// <summary>Ink on one side of a straight boundary through the middle: below (0°), right of it (90°), below-right of "/" (45°), below-left of "\" (135°).</summary>
    static float[,] Edge(int degrees)
    {
        var image = new float[Size, Size];
        int c = Size / 2;
        for (int r = 0; r < Size; r++)
            for (int col = 0; col < Size; col++)
                image[r, col] = degrees switch { 0 => r > c, 90 => col > c, 45 => r + col > 2 * c, 135 => r > col, _ => false } ? 1 : 0;
        return image;
    }

    [Fact]
    public void The_vertical_kernel_is_red_on_a_strokes_left_edge_and_blue_on_its_right_edge()
    {
        var vertical = HandMadeKernels()["vertical"];
        var response = Respond(vertical, Stroke(90, width: 3));   // ink in columns 10, 11, 12 → 7, 8, 9 after cropping
        Assert.True(response[7, 6] > 0 && response[7, 7] > 0, "left edge");
        Assert.True(response[7, 9] < 0 && response[7, 10] < 0, "right edge");
        Assert.Equal(0f, response[7, 8]);                          // the middle of a stroke: no change from left to right
        Assert.Equal(0f, MaxAbs(Respond(vertical, Stroke(0, width: 3))));   // blind to horizontal strokes
        Assert.Contains("*vertical* (Sobel) compares the column right of a pixel with the column left of it: it finds edges that run up and down, positive where ink begins as you go right (a stroke's left edge), negative where it ends (its right edge)", Prose("01-what-a-cnn-does"));
        Assert.Contains("3. Positive on its left edge (ink begins as you go right), negative on its right edge.", Prose("teaching.md"));
    }

    [Fact]
    public void The_horizontal_kernel_is_red_on_a_strokes_top_edge_and_blue_on_its_bottom_edge()
    {
        var horizontal = HandMadeKernels()["horizontal"];
        var response = Respond(horizontal, Stroke(0, width: 3));   // ink in rows 10, 11, 12 → 7, 8, 9
        Assert.True(response[6, 7] > 0 && response[7, 7] > 0, "top edge");
        Assert.True(response[9, 7] < 0 && response[10, 7] < 0, "bottom edge");
        Assert.Equal(0f, MaxAbs(Respond(horizontal, Stroke(90, width: 3))));
        Assert.Contains("*horizontal* (Sobel) compares the row below with the row above: edges that run left to right, positive on a stroke's top edge, negative on its bottom edge", Prose("01-what-a-cnn-does"));
    }

    [Fact]
    public void Max_pooling_and_ReLU_commute_because_ReLU_never_reorders_values()
    {
        using var scope = NewDisposeScope();
        var x = randn([4, 8, 28, 28], generator: new Generator(5));
        Assert.True(F.relu(F.max_pool2d(x, 2)).eq(F.max_pool2d(F.relu(x), 2)).all().item<bool>());
        // The reason is monotonicity, not "both keep the maximum": a function that reorders values (abs) does not
        // commute with max-pooling, and average pooling does not commute with ReLU.
        Assert.False(F.max_pool2d(x, 2).abs().eq(F.max_pool2d(x.abs(), 2)).all().item<bool>());
        Assert.False(F.relu(F.avg_pool2d(x, 2)).allclose(F.avg_pool2d(F.relu(x), 2)));
        Assert.Contains("The order does not matter for the result, because ReLU never changes which of two values is larger (it is *monotonic*): the largest of four values, clipped at zero, is the largest of the four clipped values. (Average pooling and ReLU would not commute.)", Prose("01-what-a-cnn-does"));
        Assert.Contains("5. It sets negative values to zero. ReLU never changes which of two values is larger, so the largest of four values, clipped at zero, is the largest of the four clipped values.", Prose("teaching.md"));
    }

    [Fact]
    public void The_sizes_the_prose_quotes_are_the_models()
    {
        // 02: "flatten (32 × 7 × 7 = 1568 numbers)"; Try this 2: "28 → 14 → 7 → 3 … drops from 1568 to 576".
        Assert.Equal(1568, ConvNetSpec.Article.FlattenedSize);
        Assert.Equal(576, (ConvNetSpec.Article with { Convs = [new(16, 3), new(32, 3), new(64, 3)] }).FlattenedSize);
        string training = NotebookSource("02-define-and-train");
        // Read where each sentence stands (a number elsewhere in 02's code makes none pass): each product is the size
        // ConvLens computes, and the map sizes are the poolings'.
        var third = ConvNetSpec.Article with { Convs = [new(16, 3), new(32, 3), new(64, 3)] };
        var flatten = Regex.Match(training, @"flatten \((\d+) × (\d+) × (\d+) = (\d+) numbers\)");
        Assert.True(flatten.Success, "02's architecture comment: flatten (C × H × W = N numbers)");
        Assert.Equal([32, 7, 7, ConvNetSpec.Article.FlattenedSize], Enumerable.Range(1, 4).Select(g => int.Parse(flatten.Groups[g].Value)));
        var drops = Regex.Match(training, @"(\d+) → (\d+) → (\d+) → (\d+) after three poolings: the flattened size drops from (\d+) \((\d+) × (\d+) × (\d+)\) to\s+(\d+) \((\d+) × (\d+) × (\d+)\)");
        Assert.True(drops.Success, "02's second exercise: the sizes after three poolings and the flattened sizes");
        int[] read = Enumerable.Range(1, 12).Select(g => int.Parse(drops.Groups[g].Value)).ToArray();
        Assert.Equal([28, 14, 7, third.FinalMapSize], read[..4]);
        Assert.Equal([ConvNetSpec.Article.FlattenedSize, 32, 7, 7], read[4..8]);
        Assert.Equal([third.FlattenedSize, 64, third.FinalMapSize, third.FinalMapSize], read[8..]);
        // 02: "an epoch is one pass over all the training images: 48,000 / 128 = 375 batches".
        using var schedule = new ConvLens.Training.TrainingSchedule(60000, new ConvLens.Training.TrainingOptions());
        Assert.Equal(48000, schedule.TrainIndices.shape[0]);
        Assert.Equal(375, schedule.Batches);
        var batches = new double[] { 48000, new ConvLens.Training.TrainingOptions().BatchSize, schedule.Batches };
        Claim.States(Claim.Cell("02-define-and-train", "one pass over all the training images"), @"([\d,]+) / (\d+) = (\d+) batches", 0, batches);
        Claim.States(Claim.Answer("02", 3), @"([\d,]+) / (\d+) = (\d+)", 0, batches);
    }

    [Fact]
    public void A_library_build_older_than_its_sources_is_named_with_the_fix()
    {
        string folder = Shared.TempFolder();
        string dll = Path.Combine(folder, "bin", "ConvLens.dll"), source = Path.Combine(folder, "Model", "ConvNet.cs");
        Directory.CreateDirectory(Path.GetDirectoryName(dll)!);
        Directory.CreateDirectory(Path.GetDirectoryName(source)!);
        File.WriteAllText(source, "// source");
        File.WriteAllText(dll, "built");
        File.SetLastWriteTimeUtc(source, DateTime.UtcNow.AddMinutes(-5));
        File.SetLastWriteTimeUtc(dll, DateTime.UtcNow.AddMinutes(-1));
        Assert.Null(Workbook.StaleBuild(dll, folder));                 // built after the last edit: nothing to say

        File.SetLastWriteTimeUtc(source, DateTime.UtcNow);              // the reader edits the library
        var message = Workbook.StaleBuild(dll, folder);
        Assert.NotNull(message);
        Assert.Contains("ConvNet.cs changed after the build", message);
        Assert.Contains("dotnet build src/ConvLens -c Release", message);
        Assert.Null(Workbook.StaleBuild(typeof(Workbook).Assembly.Location, Path.Combine(Shared.RepositoryRoot, "src", "ConvLens")));   // this build is current
    }
}
