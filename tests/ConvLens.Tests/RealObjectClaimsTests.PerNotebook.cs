using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ConvLens.Checkpoints;
using ConvLens.Data;
using ConvLens.Explain;
using ConvLens.Inspection;
using ConvLens.Model;
using ConvLens.Plots;
using ConvLens.Training;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ConvLens.Tests;

/// <summary>
/// The rest of the checkable sentences, notebook by notebook: sides and signs of the hand-made maps on image 4 and the
/// first 0, what pooling keeps, the shipped checkpoint's settings, accuracy and layers, what its filters and preferred
/// inputs look like, measured; and the guide's structure (exercises, answers, disk).
/// </summary>
public partial class RealObjectClaimsTests
{
    static string F2(double v) => v.ToString("F2", CultureInfo.InvariantCulture);

    /// <summary>Notebook 01's four kernels [4, 1, 3, 3] as its cell defines them: vertical, horizontal, diagonal, blur.</summary>
    // Notebook 01's four hand-made filters and exercise 1's mirrored one, read from the notebook's code (comments dropped,
    // "1/9f" divided), so the tests work on the filters the learner runs.
    static float[] NotebookFloats(string pattern)
    {
        var code = Regex.Match(NotebookClaimsTests.NotebookSource("01-what-a-cnn-does"), pattern, RegexOptions.Singleline);
        Assert.True(code.Success, $"notebook 01 has no code matching {pattern}");
        return Regex.Replace(code.Groups[1].Value, "//[^\n]*", "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(t => t.Split('/') is [var a, var b] ? float.Parse(a, CultureInfo.InvariantCulture) / float.Parse(b.TrimEnd('f'), CultureInfo.InvariantCulture) : float.Parse(t, CultureInfo.InvariantCulture))
            .ToArray();
    }

    static float[] HandMadeWeights() => NotebookFloats(@"var kernels = from_array\(new float\[\]\s*\{(.*?)\}\)\.reshape\(4, 1, 3, 3\)");

    static Tensor HandMadeKernels() => from_array(HandMadeWeights()).reshape(4, 1, 3, 3);

    static float[] MirroredKernel() => NotebookFloats(@"var mirrored = from_array\(new float\[\] \{([^}]*)\}\)");

    static float[,] Grid(Tensor map)
    {
        var values = map.contiguous().data<float>().ToArray();
        int rows = (int)map.shape[0], columns = (int)map.shape[1];
        var grid = new float[rows, columns];
        for (int i = 0; i < values.Length; i++) grid[i / columns, i % columns] = values[i];
        return grid;
    }

    /// <summary>The runs of ink (value above ½) along one row (or column): first and last pixel of each.</summary>
    static List<(int First, int Last)> InkRuns(Func<int, float> ink, int length)
    {
        var runs = new List<(int, int)>();
        for (int i = 0; i < length;)
        {
            if (ink(i) <= 0.5f) { i++; continue; }
            int first = i;
            while (i < length && ink(i) > 0.5f) i++;
            runs.Add((first, i - 1));
        }
        return runs;
    }

    static double Correlation(Tensor a, Tensor b)
    {
        using var scope = NewDisposeScope();
        var x = a.flatten() - a.mean(); var y = b.flatten() - b.mean();
        return ((x * y).sum() / (x.norm() * y.norm())).item<float>();
    }

    [Fact]
    public void Notebook01s_edge_maps_are_red_on_each_strokes_left_and_top_edge_and_blue_on_its_right_and_bottom()
    {
        using var scope = NewDisposeScope();
        var kernels = HandMadeKernels();
        var image = Image4();
        var maps = F.conv2d(image, kernels, padding: [1, 1]);
        // "Padding 1 … the four feature maps stay 28×28"; the guide's formula and its 784 values per map.
        Assert.Equal([1, 4, 28, 28], maps.shape);
        Assert.Contains("Padding 1 adds a one-pixel border of zeros, so the four feature maps stay 28×28.", Notebook("01-what-a-cnn-does"));
        // The guide's worked formula, read by pattern: its numbers are this image, this call's padding and kernel, and this map's size.
        var formula = Regex.Match(Doc("teaching.md"), @"⌊\(n \+ 2p − k\) / s⌋ \+ 1 = ⌊\((\d+) \+ (\d+) − (\d+)\) / (\d+)⌋ \+ 1 = (\d+)");
        Assert.True(formula.Success, "the guide's output-size formula, with numbers");
        var (n, twoP, k, stride, size) = (int.Parse(formula.Groups[1].Value), int.Parse(formula.Groups[2].Value), int.Parse(formula.Groups[3].Value), int.Parse(formula.Groups[4].Value), int.Parse(formula.Groups[5].Value));
        Assert.Equal((image.shape[3], 2 * 1, kernels.shape[3], 1, maps.shape[3]), ((long)n, twoP, (long)k, stride, (long)size));
        Assert.Equal(size, (n + twoP - k) / stride + 1);
        string talking = Claim.Section("teaching.md", "Talking points");
        Claim.States(talking, @"one value of a map is (\d+) multiplications", 0, kernels.shape[2] * kernels.shape[3]);
        Claim.States(talking, @"`conv2d` does ([\d,]+) of them", 0, maps.shape[2] * maps.shape[3]);

        // Every ink run of two pixels or more: the vertical map is positive just left of it and negative on its last
        // pixel; the horizontal map positive just above it and negative on its last pixel.
        int checkedRuns = 0;
        void Sides(Tensor digit, Tensor digitMaps, string what)
        {
            var ink = Grid(digit[0, 0]); var vertical = Grid(digitMaps[0, 0]); var horizontal = Grid(digitMaps[0, 1]);
            for (int row = 0; row < 28; row++)
                foreach (var (first, last) in InkRuns(c => ink[row, c], 28).Where(r => r.Last > r.First && r.First > 0))
                {
                    checkedRuns++;
                    Assert.True(vertical[row, first - 1] > 0 && vertical[row, last] < 0, $"{what}, row {row}, ink in columns {first}–{last}: vertical map {vertical[row, first - 1]:F1} left of it, {vertical[row, last]:F1} on its right edge");
                }
            for (int column = 0; column < 28; column++)
                foreach (var (first, last) in InkRuns(r => ink[r, column], 28).Where(r => r.Last > r.First && r.First > 0))
                {
                    checkedRuns++;
                    Assert.True(horizontal[first - 1, column] > 0 && horizontal[last, column] < 0, $"{what}, column {column}, ink in rows {first}–{last}: horizontal map {horizontal[first - 1, column]:F1} above it, {horizontal[last, column]:F1} on its bottom edge");
                }
        }
        Sides(image, maps, "image 4");
        Assert.Contains("The vertical map is red along the left edge of each upright stroke (the loop's left side, the stem's left side) and blue along their right edges; the horizontal map is red along the tops of strokes and blue along their bottoms.", Notebook("01-what-a-cnn-does"));
        Assert.Contains("the vertical map is red along the left edge of each upright stroke and blue along the right edge; the horizontal map red on tops of strokes, blue under them", Doc("teaching.md"));

        // Solution 01.2, the first 0 of the training set: the left arc (each row's first run) red on its left and blue
        // on its right; the top arc (each column's first run) red on its top; the bottom arc (last run) blue under it.
        int zeroIndex = Shared.Mnist.Train.IndexOfLabel(0);
        var zero = Shared.Mnist.Train.Image(zeroIndex);
        var zeroMaps = F.conv2d(zero, kernels, padding: [1, 1]);
        var zeroInk = Grid(zero[0, 0]); var zv = Grid(zeroMaps[0, 0]); var zh = Grid(zeroMaps[0, 1]); var zd = Grid(zeroMaps[0, 2]);
        for (int row = 0; row < 28; row++)
            if (InkRuns(c => zeroInk[row, c], 28) is [var left, _, ..])
                Assert.True(zv[row, left.First - 1] > 0 && zv[row, left.Last] < 0, $"the 0's left arc, row {row}");
        for (int column = 0; column < 28; column++)
            if (InkRuns(r => zeroInk[r, column], 28) is [var top, .., var bottom])
                Assert.True(zh[top.First - 1, column] > 0 && zh[bottom.Last, column] < 0, $"the 0's arcs, column {column}");
        // "The diagonal map shows bands along most of the ring": the share of the ring's ink pixels where the diagonal
        // map is at least a quarter of its largest magnitude.
        double largest = zeroMaps[0, 2].abs().max().item<float>();
        int ring = 0, lit = 0;
        for (int r = 0; r < 28; r++) for (int c = 0; c < 28; c++)
            if (zeroInk[r, c] > 0.5f) { ring++; if (Math.Abs(zd[r, c]) >= largest / 4) lit++; }
        output.WriteLine($"{checkedRuns} ink runs checked on image 4; the first 0 is training image {zeroIndex}; diagonal map ≥ ¼ of its largest on {lit} of {ring} ring pixels");
        Assert.True(lit > ring / 2, "the diagonal map answers along most of the ring");
        string solution = Solution("01.2");
        Assert.Contains("vertical red on the left of the left arc and blue on its right, horizontal red on the top arc's top and blue under the bottom arc", solution);
        Claim.States(solution, @"(\d+) % of the ring's ink pixels answer with at least a quarter of its largest", 0.5, 100.0 * lit / ring);
    }

    [Fact]
    public void The_mirrored_filter_wins_on_the_loops_top_right_and_bottom_left_arcs_and_most_of_all_on_the_foot()
    {
        using var image = Image4();
        // Rows [from, to) and columns [from, to) of a region, Σ |response| of each diagonal filter there.
        static double Region(Tensor image, float[] kernel, int top, int bottom, int left, int right)
        {
            using var scope = NewDisposeScope();
            return F.conv2d(image, from_array(kernel).reshape(1, 1, 3, 3), padding: [1, 1])[0, 0, top..bottom, left..right].abs().sum().item<float>();
        }
        double Ratio(int top, int bottom, int left, int right) => Region(image, Mirrored, top, bottom, left, right) / Region(image, Diagonal, top, bottom, left, right);
        double topRight = Ratio(6, 10, 16, 22), bottomLeft = Ratio(14, 18, 6, 11), foot = Ratio(24, 28, 0, 28), loop = Ratio(10, 17, 0, 28), stem = Ratio(17, 24, 0, 28);
        output.WriteLine($"mirrored / original: top-right arc {topRight:F2}, bottom-left arc {bottomLeft:F2}, foot {foot:F2}, loop rows 10–16 {loop:F2}, stem {stem:F2}");
        Assert.InRange(topRight, 1.3, 1.7);
        Assert.InRange(bottomLeft, 1.3, 1.7);
        Assert.True(foot > Math.Max(topRight, bottomLeft) && foot > stem, "most of all, the foot");
        Assert.Contains("the loop's top-right and bottom-left arcs (rows 6–9, columns 16–21, and rows 14–17, columns 6–10: there the mirrored map's total response is about 1.5 times the original's) and, most of all, the foot", Solution("01.1"));
    }

    [Fact]
    public void Max_pooling_keeps_a_digit_moved_one_pixel_much_the_same_and_average_pooling_is_paler()
    {
        using var scope = NewDisposeScope();
        var kernels = HandMadeKernels();
        var image = Image4();
        var moved = F.pad(image, [1, 0, 0, 0])[.., .., .., ..28];   // one pixel to the right
        var relued = F.relu(F.conv2d(image, kernels, padding: [1, 1])); var movedRelued = F.relu(F.conv2d(moved, kernels, padding: [1, 1]));
        var pooled = F.max_pool2d(relued, 2); var movedPooled = F.max_pool2d(movedRelued, 2);
        double before = Correlation(relued, movedRelued), after = Correlation(pooled, movedPooled);
        output.WriteLine($"the 9 and the 9 moved one pixel right: ReLU'd maps correlate {before:F3}, max-pooled {after:F3}");
        Assert.True(after > before);
        string pooling = Claim.Cell("01-what-a-cnn-does", "pooled maps correlate");
        Claim.States(pooling, @"moved one pixel right: its pooled maps correlate (\d+\.\d+)", 0.005, after);
        Claim.States(pooling, @"against (\d+\.\d+) before pooling", 0.005, before);

        // The article's network: pool, then ReLU, after each conv layer.
        using var model = Shared.ShippedModel();
        var names = model.Plan.Layers.Select(l => l.Name).ToList();
        Assert.Equal(["conv1", "pool1", "relu1", "conv2", "pool2", "relu2"], names.Take(6));
        Assert.Equal(["Conv2d", "MaxPool2d", "ReLU", "Conv2d", "MaxPool2d", "ReLU"], model.Plan.Layers.Take(6).Select(l => l.Kind));
        Assert.Contains("The article's network does exactly this after each conv layer, in the order pool, then ReLU.", Notebook("01-what-a-cnn-does"));

        // Solution 01.3: averaging is paler on every map of the 9; a one-pixel line loses half, an isolated point three quarters.
        var averaged = F.avg_pool2d(relued, 2);
        for (int k = 0; k < 4; k++)
            Assert.True(averaged[0, k].max().item<float>() < pooled[0, k].max().item<float>() && averaged[0, k].mean().item<float>() < pooled[0, k].mean().item<float>(), $"map {k}");
        var line = zeros(1, 1, 4, 4); line[0, 0, .., 1].fill_(1);
        var point = zeros(1, 1, 4, 4); point[0, 0, 1, 1].fill_(1);
        Assert.Equal(0.5f, F.avg_pool2d(line, 2).max().item<float>());
        Assert.Equal(0.25f, F.avg_pool2d(point, 2).max().item<float>());
        Assert.Equal(1f, F.max_pool2d(point, 2).max().item<float>());
        Assert.Contains("the average-pooled maps are paler and blurrier than the max-pooled ones above them", Solution("01.3"));
        Assert.Contains("(by two for a line through the block, by four for an isolated point)", Solution("01.3"));
    }

    [Fact]
    public void Notebook02s_settings_dropout_first_loss_and_short_runs_are_what_it_says()
    {
        var info = Checkpoint.Load(RepositoryData.ShippedCheckpoint()).Info;
        string notebook = Notebook("02-define-and-train");
        // The shipped checkpoint's settings are the ones 02 states (48,000 of 60,000 learn, 12,000 validate).
        var training = info.Training;
        Assert.Equal((10, 128, 0.002, 0, 0.2), (training.Epochs, training.BatchSize, training.LearningRate, training.Seed, training.ValidationFraction));
        Assert.Equal(48_000, (int)Math.Round(Shared.Mnist.Train.Count * (1 - training.ValidationFraction)));
        Assert.Contains("48,000 training images, 12,000 held out to check that it generalises, batches of 128, the Adam optimiser with learning rate 0.002, cross-entropy loss, 10 epochs, seed 0.", notebook);
        Assert.Contains("one full run of the article's settings", Notebook("03-evaluate"));

        // Dropout in the article's network: half of conv2's pooled maps, a tenth of the 96 hidden units.
        using var model = Shared.ShippedModel();
        var layers = model.Plan.Layers.ToList();
        int drop1 = layers.FindIndex(l => l.Name == "drop1"), drop2 = layers.FindIndex(l => l.Name == "drop2");
        Assert.Equal(("Dropout2d", 0.5, "relu2"), (layers[drop1].Kind, ((DroppingLayer)layers[drop1]).P, layers[drop1 - 1].Name));
        Assert.Equal(("Dropout", 0.1, "relu3", 96L), (layers[drop2].Kind, ((DroppingLayer)layers[drop2]).P, layers[drop2 - 1].Name, layers[drop2].OutputShape[0]));
        Assert.Contains("(in the article's network, half of conv2's maps and a tenth of the hidden units)", notebook);
        Assert.Contains("(in the article's network, half of conv2's pooled maps and a tenth of the hidden units)", Doc("teaching.md"));

        // The untrained network guesses evenly: its loss on 1,000 training images is ln 10 ≈ 2.3.
        using (var fresh = ConvNet.Build(info.Plan, seed: training.Seed))
        using (no_grad())
        using (var scope = NewDisposeScope())
        {
            fresh.eval();
            var (images, labels) = Shared.Mnist.Train.Batch(0, 1000);
            double loss = F.cross_entropy(fresh.call(images), labels).item<float>();
            output.WriteLine($"untrained loss {loss:F3}, ln 10 = {Math.Log(10):F3}");
            Assert.InRange(loss, Math.Log(10) - 0.05, Math.Log(10) + 0.05);
        }
        Assert.Contains("ln 10 ≈ 2.3 when it guesses evenly", notebook);
        Assert.Contains("4. ln 10 ≈ 2.3.", Doc("teaching.md"));

        // The six edits: the architecture cell defines them, and the pick cell names them.
        string source = NotebookClaimsTests.NotebookSource("02-define-and-train");
        var defined = Regex.Matches(source, @"^nn\.Module<Tensor, Tensor> (\w+)\(\) =>", RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(["Article", "ThreeByThree", "ThirdConv", "StrideTwo", "WithTanh", "WithBatchNorm", "GlobalAverage"], defined);
        Assert.Contains("var architecture = Article;   // or ThreeByThree, ThirdConv, StrideTwo, WithTanh, WithBatchNorm, GlobalAverage", source);
        Assert.Contains("Six changes people try first after the article, each written out as code.", notebook);

        // A short run (limit 3,000) learns from 2,400 images, and its one epoch is far behind the full run's first.
        using (var schedule = new TrainingSchedule(3000, training with { Epochs = 1 }))
            Assert.Equal(2400, schedule.TrainIndices.shape[0]);
        Assert.Contains("After a short run, which sees 2,400 training images in its one epoch, it is much lower.", notebook);
        using (var overfit = new TrainingSchedule(4000, training with { ValidationFraction = 0.75 }))
            Assert.Equal(1000, overfit.TrainIndices.shape[0]);
        Assert.Contains("trained for 30 epochs on 1,000 images, with 3,000 others held out to check it (`ValidationFraction = 0.75` of 4,000;", notebook);
        // With a limit of 3,000, Take(4000) has 3,000 to give: three quarters of them validate.
        Assert.Equal(3000, Datasets.Load(limit: 3000).Train.Take(4000).Count);
        using (var shortOverfit = new TrainingSchedule(3000, training with { ValidationFraction = 0.75 }))
            Assert.Equal(750, shortOverfit.TrainIndices.shape[0]);
        Assert.Contains("with a `limit` below 4,000 it is three quarters of what there is: after a short run, 750 to learn from and 2,250 to check", notebook);
        using var small = ConvNet.Build(info.Plan, seed: training.Seed);
        var shortRun = Trainer.Train(small, Datasets.Load(limit: 3000).Train, training with { Epochs = 1 });
        output.WriteLine($"a short run's validation accuracy {shortRun[0].ValidationAccuracy:P2}, the full run's first epoch {info.History![0].ValidationAccuracy:P2}");
        Assert.True(shortRun[0].ValidationAccuracy < info.History[0].ValidationAccuracy - 0.1, "much lower");
        // That small model is what 03–06 pick up after a short run: 70–90 % on the 3,000 test images, far behind the shipped model.
        double shortTest = Trainer.Evaluate(small, Datasets.Load(limit: 3000).Test).Accuracy;
        output.WriteLine($"a short run's test accuracy on the first 3,000 test images: {shortTest:P2}");
        Assert.InRange(shortTest, 0.7, 0.9);
        Assert.Contains("notebooks 03–06 pick up that small model (about 70–90 % accurate)", Doc("teaching.md"));
        using (var shipped = Shared.ShippedModel())
        {
            double there = Trainer.Evaluate(shipped, Datasets.Load(limit: 3000).Test).Accuracy;
            var said = Regex.Match(Solution("03.3"), @"the shipped model gets ([\d.]+) % there, and yours is far behind");
            Assert.True(said.Success, "solution 03.3: the shipped model's accuracy on a short run's 3,000 test images");
            Assert.Equal(Percent(there, 2), said.Groups[1].Value + " %");
            Assert.True(shortTest < there - 0.05, $"a short run's {shortTest:P1} is far behind the shipped model's {there:P2}");
        }

        // Solution 02.4: conv1 with 8 filters of 7×7, padding 3; the layer counts it quotes, and the article's.
        using var wide = ConvNet.Create([1, 28, 28], 0, () => nn.Sequential(
            ("conv1", nn.Conv2d(1, 8, kernel_size: 7, padding: 3)), ("pool1", nn.MaxPool2d(2)), ("relu1", nn.ReLU()),
            ("conv2", nn.Conv2d(8, 32, kernel_size: 5, padding: 2)), ("pool2", nn.MaxPool2d(2)), ("relu2", nn.ReLU()),
            ("drop1", nn.Dropout2d(0.5)), ("flatten", nn.Flatten()),
            ("fc1", nn.Linear(1568, 96)), ("relu3", nn.ReLU()), ("drop2", nn.Dropout(0.1)), ("fc2", nn.Linear(96, 10))));
        long Count(ConvNet net, string layer) => net.Layer(layer).parameters().Sum(p => p.numel());
        Assert.Equal((400L, 416L, 6_432L, 12_832L), (Count(wide, "conv1"), Count(model, "conv1"), Count(wide, "conv2"), Count(model, "conv2")));
        Assert.Equal((Count(model, "fc1"), Count(model, "fc2")), (Count(wide, "fc1"), Count(wide, "fc2")));
        Assert.Equal([28L, 28], wide.Plan["conv1"].OutputShape[1..]);
        Assert.Equal([14L, 14], wide.Plan["conv2"].OutputShape[1..]);
        Assert.Contains("conv1 holds 8 × 49 + 8 = 400 parameters (the article's 416) and conv2, which now reads 8 maps instead of 16, 32 × 8 × 25 + 32 = 6,432 (the article's 12,832); fc1 and fc2 are unchanged", Solution("02.4"));
        Assert.Equal(158_426, wide.parameters().Sum(p => p.numel()));
        Assert.Equal([32L, 7, 7], wide.Plan["pool2"].OutputShape);
        Assert.Contains("In all 158,426. conv2's padding 2 still keeps 14×14, and conv1's 7×7 with padding 3 keeps 28×28.", Solution("02.4"));
        Assert.Contains("because the maps are still 32 of 7×7", Solution("02.4"));
    }

    [Fact]
    public void Notebook03s_accuracy_loss_and_mistakes_are_the_shipped_checkpoints()
    {
        using var model = Shared.ShippedModel();
        var test = Trainer.Evaluate(model, Shared.Mnist.Test);
        string accuracy = Percent(test.Accuracy, 2), loss = test.Loss.ToString("F4", CultureInfo.InvariantCulture);
        output.WriteLine($"shipped: {accuracy}, loss {loss}, {test.Count - test.Correct} mistakes");
        string accuracyCell = Claim.Cell("03-evaluate", "the shipped checkpoint gets");
        Claim.States(accuracyCell, @"the shipped checkpoint gets (\d+\.\d+) %", 0.005, test.Accuracy * 100);
        Claim.States(accuracyCell, @"the shipped checkpoint gets \d+\.\d+ % and (\d+\.\d+)", 0.00005, test.Loss);
        Claim.States(Solution("03.3"), @"the shipped model gets (\d+\.\d+) % \(\d+ mistakes\)", 0.005, test.Accuracy * 100);
        Claim.States(Solution("03.3"), @"\((\d+) mistakes\) on the ([\d,]+) test images", 0, test.Count - test.Correct, test.Count);
        Claim.States(Claim.Section("teaching.md", "On the day: no internet"), @"Proves the native libraries load: (\d+\.\d+) %", 0.005, test.Accuracy * 100);
        // The MLP is trained with the checkpoint's own settings.
        Assert.Contains("Trainer.Train(mlp, mnist.Train, info.Training", NotebookClaimsTests.NotebookSource("03-evaluate"));

        // Exercise 03.2: a network without dropout or batch norm gives the same counts in train() and eval().
        var (input, layers) = VariantTests.Variants["global average pooling"];
        using var gap = ConvNet.Create(input, 0, layers);
        Assert.DoesNotContain(gap.Plan.Layers, l => l is DroppingLayer or BatchNormLayer);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var (images, _) = Shared.Mnist.Test.Batch(0, 1000);
        gap.train(); var inTraining = gap.call(images);
        gap.eval(); var inEvaluation = gap.call(images);
        Assert.True(inTraining.eq(inEvaluation).all().item<bool>(), "train() changes nothing in a network without dropout or batch norm");
        Assert.Contains("with `GlobalAverage`, which has none, the counts are equal", Notebook("03-evaluate"));
    }

    /// <summary>
    /// How much of a filter is a ramp from one side to the other (the shape of an edge filter): R² of the best tilted
    /// plane through its weights, and the direction it rises in (degrees, 0 = left to right, 90 = top to bottom).
    /// </summary>
    static (double Share, double Degrees) Ramp(Tensor filter)
    {
        var w = filter.flatten().data<float>().ToArray();
        int size = (int)Math.Round(Math.Sqrt(w.Length));
        double mean = w.Average(), centre = (size - 1) / 2.0, sx = 0, sy = 0, sxx = 0, syy = 0;
        for (int i = 0; i < w.Length; i++)
        {
            double x = i % size - centre, y = i / size - centre;   // on a symmetric grid x and y are orthogonal
            sx += x * w[i]; sy += y * w[i]; sxx += x * x; syy += y * y;
        }
        double a = sx / sxx, b = sy / syy, total = 0, residual = 0;
        for (int i = 0; i < w.Length; i++)
        {
            double x = i % size - centre, y = i / size - centre, fit = mean + a * x + b * y;
            total += (w[i] - mean) * (w[i] - mean); residual += (w[i] - fit) * (w[i] - fit);
        }
        return (1 - residual / total, Math.Atan2(b, a) * 180 / Math.PI);
    }

    [Fact]
    public void Many_of_conv1s_trained_filters_are_edge_detectors_at_different_angles_and_none_of_its_random_start()
    {
        using var model = Shared.ShippedModel();
        var info = Checkpoint.Load(RepositoryData.ShippedCheckpoint()).Info;
        using var fresh = ConvNet.Build(info.Plan, seed: info.Training.Seed);
        using var scope = NewDisposeScope();
        var trained = Inspect.Filters(model, "conv1"); var start = Inspect.Filters(fresh, "conv1");
        Assert.Equal([16L, 1, 5, 5], trained.shape);
        var ramps = Enumerable.Range(0, 16).Select(f => Ramp(trained[f])).ToArray();
        var startRamps = Enumerable.Range(0, 16).Select(f => Ramp(start[f])).ToArray();
        var edges = Enumerable.Range(0, 16).Where(f => ramps[f].Share > 0.25).ToList();
        output.WriteLine("ramp share, trained: " + string.Join(" ", ramps.Select(r => F2(r.Share))) + "; at the start: " + string.Join(" ", startRamps.Select(r => F2(r.Share))));
        output.WriteLine("edge filters and the direction they rise in: " + string.Join(", ", edges.Select(f => $"#{f} {ramps[f].Degrees:F0}°")));
        Assert.True(edges.Count >= 5, "many");
        Assert.Equal(0, startRamps.Count(r => r.Share > 0.25));
        // "At different angles": the edges' directions (an edge and its opposite are one orientation) span at least 90°.
        var orientations = edges.Select(f => ((ramps[f].Degrees % 180) + 180) % 180).Order().ToArray();
        double widestGap = orientations.Zip(orientations.Skip(1).Append(orientations[0] + 180), (a, b) => b - a).Max();
        Assert.True(180 - widestGap >= 90, $"the orientations {string.Join(", ", orientations.Select(o => o.ToString("F0")))} cover {180 - widestGap:F0}°");
        Claim.States(Claim.Cell("04-visualize-filters", "a quarter of the weights' variance"), @"more than a quarter of the weights' variance in (\d+) of the (\d+), against none of them at their random start", 0, edges.Count, trained.shape[0]);
        Assert.Contains("[16, 1, 5, 5]: 16 filters, 1 input channel (grey), 5 rows, 5 columns", Doc("teaching.md"));
        Assert.Contains("Edge detectors like 01's, at different angles: a band of positive weights beside a band of negative ones.", Doc("teaching.md"));

        // Solution 04.4: the largest filter's norm against the smallest's, "almost three times".
        var norms = trained.flatten(1).norm(1).data<float>().ToArray();
        double times = norms.Max() / norms.Min();
        Assert.InRange(times, 2.5, 3.0);
        Assert.Contains("almost three times smaller", Solution("04.4"));
    }

    [Fact]
    public void Conv1s_ink_filters_draw_the_9_in_reverse_and_the_fields_the_guide_quotes_are_the_plans()
    {
        using var model = Shared.ShippedModel();
        using var scope = NewDisposeScope();
        var image = Image4();
        var maps = Inspect.FeatureMaps(model, image, "conv1")["conv1"];
        var blurred = F.avg_pool2d(image, 5, stride: 1, padding: 2)[0, 0];
        var correlations = Enumerable.Range(0, (int)maps.shape[0]).Select(f => Correlation(maps[f], blurred)).ToArray();
        output.WriteLine("conv1 maps of the 9 against the blurred 9: " + string.Join(" ", correlations.Select(F2)));
        var ink = Enumerable.Range(0, correlations.Length).Where(f => correlations[f] <= -0.5).ToList();
        Assert.InRange(ink.Count, 2, 5);                                // "a few"
        Assert.DoesNotContain(correlations, c => c >= 0.5);            // none draws it the right way round
        var filters = Inspect.Filters(model, "conv1");
        Assert.All(ink, f => Assert.True(filters[f].sum().item<float>() < 0, $"filter {f}'s weights are mostly negative"));
        var listed = Regex.Match(Claim.Cell("05-visualize-feature-maps", "correlate −0\\.5 or less"), @"maps (\d+(?:(?:,| and) \d+)*) correlate −0\.5 or less with the blurred digit");
        Assert.True(listed.Success, "05 names the maps that draw the 9 in reverse");
        Assert.Equal(ink, Regex.Matches(listed.Groups[1].Value, @"\d+").Select(m => int.Parse(m.Value)));
        Assert.Contains("a few maps a blurred 9 in reverse (dark where the ink is)", Doc("teaching.md"));

        // conv2: 16 channels × 5×5 products per value (the guide's "16 × 25", its question's 400); relu2's cells stand
        // for 4×4 patches and see 16×16.
        var conv2 = (Conv2dLayer)model.Plan["conv2"];
        Assert.Equal((16, 5), (conv2.In, conv2.Kernel.Rows));
        Assert.Contains("a click shows its 16 × 25 products", Doc("teaching.md"));
        Assert.Contains("each output value adds 16 × 5 × 5 = 400 products", Doc("teaching.md"));
        var relu2 = model.Plan["relu2"].Field!.Rows;
        Assert.Equal((4, 16), (relu2.Jump, relu2.Size));
        Assert.Contains("In the article's network each relu2 cell stands for a 4×4 patch but sees 16×16 pixels", Doc("teaching.md"));

        // Solution 05.4: a third 5×5 conv after pool2 sees 32×32, clipped to the image.
        using var deeper = ConvNet.Create([1, 28, 28], 0, () => nn.Sequential(
            ("conv1", nn.Conv2d(1, 16, kernel_size: 5, padding: 2)), ("pool1", nn.MaxPool2d(2)), ("relu1", nn.ReLU()),
            ("conv2", nn.Conv2d(16, 32, kernel_size: 5, padding: 2)), ("pool2", nn.MaxPool2d(2)), ("relu2", nn.ReLU()),
            ("conv3", nn.Conv2d(32, 64, kernel_size: 5, padding: 2)), ("flatten", nn.Flatten()), ("fc", nn.Linear(64 * 49, 10))));
        var conv3 = deeper.Plan.ReceptiveField("conv3");
        Assert.Equal(32, conv3.Rows.Size);
        Assert.Equal(new InputWindow(0, 0, 27, 27), conv3.Window(conv3.MapHeight / 2, conv3.MapWidth / 2));
        Assert.Contains("A third 5×5 conv after pool2 would add 4 × 4 = 16: 32×32, more than the 28×28 image, so its centre pixel sees the whole digit (clipped to 0–27).", Solution("05.4"));
    }

    /// <summary>The share of an image's variation (its spectrum's power, the mean left out) that lies within the best
    /// 45° band of orientations: about ¼ for noise, near 1 for stripes at one angle.</summary>
    static double OrientationShare(Tensor image)
    {
        using var scope = NewDisposeScope();
        var x = image.reshape(image.shape[^2], image.shape[^1]);
        int rows = (int)x.shape[0], columns = (int)x.shape[1];
        var power = fft.fft2(x - x.mean()).abs().pow(2).data<float>().ToArray();
        var bins = new double[8];
        for (int u = 0; u < rows; u++)
            for (int v = 0; v < columns; v++)
            {
                if (u == 0 && v == 0) continue;
                int fu = u <= rows / 2 ? u : u - rows, fv = v <= columns / 2 ? v : v - columns;
                double angle = Math.Atan2(fu, fv); if (angle < 0) angle += Math.PI;
                bins[(int)(angle / (Math.PI / 8)) % 8] += power[u * columns + v];
            }
        return Enumerable.Range(0, 8).Max(b => bins[b] + bins[(b + 1) % 8]) / bins.Sum();
    }

    [Fact]
    public void Notebook06s_methods_preferred_inputs_and_baselines_are_what_it_says()
    {
        using var model = Shared.ShippedModel();
        using var scope = NewDisposeScope();
        var image = Image4();
        string source = NotebookClaimsTests.NotebookSource("06-why-the-network-decides"), notebook = Notebook("06-why-the-network-decides");
        // Six methods, SmoothGrad's 25 copies, occlusion's 4×4 patch: as the cell that runs them sets them.
        var cell = Regex.Match(source, @"var methods = new AttributionMethod\[\]\s*\{(.*?)\};", RegexOptions.Singleline).Groups[1].Value;
        Assert.Equal(6, Regex.Matches(cell, @"new \w+\(").Count);
        Assert.Contains("new SmoothGrad(Samples: 25)", cell);
        Assert.Contains("new Occlusion(Window: 4,", cell);
        Assert.Contains("six methods, each an object with one call", notebook);
        Assert.Contains("averaged over 25 noisy copies of the image", notebook);
        Assert.Contains("hide a 4×4 patch at a time", notebook);

        // Preferred inputs: conv1's channels come out as stripes at one angle, conv2's mix orientations.
        var options = new MaximizeOptions { Seed = 0 };
        double Median(string layer, int channels)
        {
            var shares = Enumerable.Range(0, channels).Select(c => OrientationShare(PreferredInput.ForChannel(model, layer, c, options).Image)).Order().ToArray();
            return (shares[channels / 2 - 1] + shares[channels / 2]) / 2;
        }
        double conv1 = Median("conv1", 16), conv2 = Median("conv2", 32), noise = OrientationShare(rand(28, 28, generator: new Generator(0)));
        output.WriteLine($"within the best 45° of orientations: conv1's median channel {conv1:P1}, conv2's {conv2:P1}, noise {noise:P1}");
        Assert.True(conv1 > 0.7 && conv2 < conv1 - 0.1);
        Assert.InRange(noise, 0.25, 0.35);
        string orientation = Claim.Cell("06-why-the-network-decides", "45° band of orientations");
        Claim.States(orientation, @"the median conv1 channel's picture has (\d+) % of its variation within one 45° band", 0.5, conv1 * 100);
        Claim.States(orientation, @"the median conv2 channel's (\d+) %", 0.5, conv2 * 100);
        Claim.States(orientation, @"for noise it is about (\d+) %", 5, noise * 100);

        // Exercise 3: the class score the penalty is added to is in the tens.
        var eight = PreferredInput.ForClass(model, 8, options);
        output.WriteLine($"class 8's preferred input: score {eight.Before:F2} → {eight.After:F2}");
        Assert.InRange(eight.After, 10, 100);
        Assert.Contains("added to a class score in the tens", notebook);
        Assert.Contains("added to a class score in the tens", Solution("06.3"));

        // Solution 06.2: from grey, completeness against the grey gap, and evidence on the paper; from the blank
        // image, none there at all (a pixel equal to its baseline gets exactly 0).
        var grey = full_like(image, 0.5);
        var fromGrey = new IntegratedGradients(Steps: 50, Baseline: grey).Attribute(model, image, 9);
        var fromBlank = new IntegratedGradients(Steps: 50).Attribute(model, image, 9);
        double gap = Trainer.Predict(model, image).Scores[9] - Trainer.Predict(model, grey).Scores[9], sum = fromGrey.sum().item<float>();
        var paper = image.eq(0);
        double onPaper = (fromGrey.masked_select(paper).abs().sum() / fromGrey.abs().sum()).item<float>();
        output.WriteLine($"from grey: sum {sum:F4}, gap {gap:F4}, {onPaper:P1} on paper; from blank, largest on paper {fromBlank.masked_select(paper).abs().max().item<float>()}");
        Assert.Equal(0f, fromBlank.masked_select(paper).abs().max().item<float>());
        Assert.True(Math.Abs(sum - gap) <= 0.01 * Math.Abs(gap));
        Assert.Contains("completeness still holds, now against score(digit) − score(grey), within 1 %", Solution("06.2"));
        Claim.States(Solution("06.2"), @"\(The shipped model: (\d+\.\d+) against (\d+\.\d+)", 0.00005, sum, gap);
        Claim.States(Solution("06.2"), @"(\d+\.\d) % apart", 0.05, Math.Abs(sum - gap) / gap * 100);
        Claim.States(Solution("06.2"), @"(\d+) % of the map's total size lies on paper from grey", 0.5, onPaper * 100);
        Claim.States(Solution("06.2"), @"on paper from grey, and exactly (\d+) from the blank image", 0, fromBlank.masked_select(paper).abs().max().item<float>());

        // Solution 06.1: the first 3 of the test set, class 3.
        var three = Shared.Mnist.Test.Image(Shared.Mnist.Test.IndexOfLabel(3));
        var ig = new IntegratedGradients().Attribute(model, three, 3);
        double onInk = (ig.masked_select(three.gt(0.1)).abs().sum() / ig.abs().sum()).item<float>();
        double ratio = new GradCam().Attribute(model, three, 3).max().item<float>() / new HiResCam().Attribute(model, three, 3).max().item<float>();
        output.WriteLine($"the first 3: {onInk:P1} of integrated gradients on its ink; Grad-CAM's peak / HiResCAM's {ratio:F3}");
        Assert.True(onInk > 0.9, "integrated gradients follow the 3's strokes");
        Assert.InRange(ratio, 0.08, 0.12);
        Assert.Contains("integrated gradients follow the 3's strokes (from the blank baseline they must: a paper pixel equals the baseline, so it gets exactly 0)", Solution("06.1"));
        Assert.Equal(0f, ig.masked_select(three.eq(0)).abs().max().item<float>());
        Assert.Contains("(on the shipped model, a tenth of HiResCAM's for this 3)", Solution("06.1"));
    }

    [Fact]
    public void The_guides_exercise_counts_answers_and_disk_sizes_are_the_workbooks()
    {
        // "Every notebook ends with five or six 'Try this' exercises … the last two ask participants to write the code".
        foreach (var name in Directory.GetFiles(Path.Combine(Shared.RepositoryRoot, "notebooks"), "*.ipynb").Select(Path.GetFileNameWithoutExtension).Order())
        {
            var cells = JsonNode.Parse(File.ReadAllText(Path.Combine(Shared.RepositoryRoot, "notebooks", name! + ".ipynb")))!["cells"]!.AsArray()
                .Select(c => (Kind: (string)c!["cell_type"]!, Text: string.Concat(c!["source"]!.AsArray().Select(l => (string)l!)))).ToList();
            var tryThis = cells.Single(c => c.Text.Contains("## Try this")).Text;
            var items = Regex.Matches(tryThis[tryThis.IndexOf("## Try this", StringComparison.Ordinal)..], @"^(\d+)\. (.*)$", RegexOptions.Multiline).Select(m => m.Groups[2].Value).ToList();
            Assert.InRange(items.Count, 5, 6);
            Assert.All(items[^2..], i => Assert.StartsWith("**Write it yourself:**", i));
            Assert.DoesNotContain(items[..^2], i => i.StartsWith("**Write it yourself:**", StringComparison.Ordinal));
            // Each "Predict, then run" is answered, in order, by a markdown cell that comes after a code cell.
            var prompts = cells.Select((c, i) => (c, i)).Where(p => p.c.Text.Contains("**Predict, then run.**")).Select(p => p.i).ToList();
            var answers = cells.Select((c, i) => (c, i)).Where(p => p.c.Kind == "markdown" && Regex.IsMatch(p.c.Text, @"\*\*The answer[.*]")).Select(p => p.i).ToList();
            Assert.Equal(prompts.Count, answers.Count);
            for (int k = 0; k < prompts.Count; k++)
            {
                Assert.True(answers[k] > prompts[k] && (k + 1 == prompts.Count || answers[k] < prompts[k + 1]), $"{name}: prompt {k + 1}'s answer is after it and before the next prompt");
                Assert.Contains(cells.Skip(prompts[k] + 1).Take(answers[k] - prompts[k] - 1), c => c.Kind == "code");
                Assert.Equal("code", cells[answers[k] - 1].Kind);
            }
        }
        Assert.Contains("Every notebook ends with five or six \"Try this\" exercises", Doc("teaching.md"));
        Assert.Contains("the last two ask participants to write the code themselves", Doc("teaching.md"));
        Assert.Contains("Each prompt's answer is also in its notebook, in the cell after the figure that shows it.", Doc("teaching.md"));
    }

    [SkippableFact]
    public void The_packages_a_Linux_restore_unpacks_take_what_the_README_and_the_guide_say()
    {
        Skip.IfNot(OperatingSystem.IsLinux() && System.Runtime.InteropServices.RuntimeInformation.OSArchitecture == System.Runtime.InteropServices.Architecture.X64, "the sizes quoted are Linux x64's");
        // The library's restore, as NuGet recorded it: each package's folder under the packages folder it used.
        var assets = JsonNode.Parse(File.ReadAllText(Path.Combine(Shared.RepositoryRoot, "src", "ConvLens", "obj", "project.assets.json")))!;
        string folder = assets["packageFolders"]!.AsObject().First().Key;
        static long Size(string path) => Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
        var libraries = assets["libraries"]!.AsObject().Where(l => (string?)l.Value!["type"] == "package").Select(l => Path.Combine(folder, (string)l.Value!["path"]!)).ToList();
        double all = libraries.Sum(Size) / 1e6, libtorch = libraries.Where(l => l.Contains("libtorch-cpu-linux-x64", StringComparison.OrdinalIgnoreCase)).Sum(Size) / 1e6;
        output.WriteLine($"{libraries.Count} packages, {all:F0} MB; libtorch {libtorch:F0} MB");
        Assert.InRange(all, 700, 900);
        Assert.InRange(libtorch, 550, 650);
        Assert.Contains("(about 800 MB on Linux, libtorch alone 600 MB)", Flat(File.ReadAllText(Path.Combine(Shared.RepositoryRoot, "README.md"))));
        // The notebook host, which the kit's install restores too: `dotnet tool restore` unpacks it in the user's
        // NuGet folder, wherever this build's packages are.
        string? hostPackage = new[] { folder, Environment.GetEnvironmentVariable("NUGET_PACKAGES"), Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages") }
            .Where(f => !string.IsNullOrEmpty(f)).Select(f => Path.Combine(f!, "microsoft.dotnet-interactive")).FirstOrDefault(Directory.Exists);
        Skip.If(hostPackage is null, "the notebook host is not restored yet (dotnet tool restore)");
        var host = Directory.GetDirectories(hostPackage!).Single();
        double notebookHost = Size(host) / 1e6;
        output.WriteLine($"the notebook host's package: {notebookHost:F0} MB");
        Assert.InRange(notebookHost, 180, 280);
        Assert.InRange(all + notebookHost, 900, 1150);
        Assert.Contains("the unpacked packages take about 1 GB on Linux (ConvLens's 800 MB, libtorch alone 600 MB, and the notebook host's 230 MB)", Doc("teaching.md"));
        // A build's output folder carries libtorch too: this test's own, like the library's and the command's.
        double build = Size(AppContext.BaseDirectory) / 1e6;
        output.WriteLine($"this build's folder: {build:F0} MB");
        Assert.InRange(build, 450, 650);
        Assert.InRange(all + notebookHost + 2 * build, 1800, 2300);
        Assert.Contains("About 2 GB of free disk on Linux: 800 MB of packages for ConvLens and 230 MB for the notebook host, and two builds of about 530 MB each", Doc("teaching.md"));
    }

    [Fact]
    public void Image_4s_strokes_the_first_cells_describe_and_the_pixel_by_hand_are_where_01_says()
    {
        using var scope = NewDisposeScope();
        var mnist = Shared.Mnist;
        var (images, _) = mnist.Train.Batch(0, 1000);
        Assert.Equal((60_000, 10_000), (mnist.Train.Count, mnist.Test.Count));
        Assert.Equal([1000L, 1, 28, 28], images.shape);
        Assert.Equal((0f, 1f), (images.min().item<float>(), images.max().item<float>()));
        string notebook = Notebook("01-what-a-cnn-does");
        Assert.Contains("MNIST has 60,000 training images of handwritten digits, 28×28 pixels, each a number from 0 (paper) to 1 (ink).", notebook);

        var ink = Grid(Image4()[0, 0]);
        // "Row 12, column 7 is where the loop's left side begins, coming from the left."
        Assert.Equal(0f, ink[12, 6]);
        Assert.InRange(ink[12, 7], 0.2f, 0.8f);
        Assert.True(ink[12, 8] > 0.9f);
        Assert.Contains("Row 12, column 7 is where the loop's left side begins, coming from the left", notebook);
        // "The 9's loop is drawn leaning forward": its top rows sit further right than its bottom rows.
        double Centre(int from, int to)
        {
            double sum = 0, weighted = 0;
            for (int r = from; r <= to; r++) for (int c = 0; c < 28; c++) { sum += ink[r, c]; weighted += ink[r, c] * c; }
            return weighted / sum;
        }
        double top = Centre(7, 9), bottom = Centre(14, 16);
        output.WriteLine($"ink centre: loop's top rows 7–9 column {top:F1}, bottom rows 14–16 column {bottom:F1}");
        Assert.True(top > bottom + 3, "leaning forward");
        Assert.Contains("(the 9's loop is drawn leaning forward)", notebook);
        // Solution 06.5: hiding rows 0–13 leaves the loop's bottom bar (rows 14–16) with the stem.
        Assert.True(Enumerable.Range(7, 10).All(c => ink[15, c] > 0.5f), "row 15 is ink from column 7 to 16: the loop's bottom bar");
        Assert.Contains("the lower half (the stem and the loop's bottom bar, rows 14–16) still says 9 more than the upper half (most of the loop) does alone", Solution("06.5"));

        // Pooling halves 28 to 14; a layer with 16 filters makes 16 maps.
        var pooled = F.max_pool2d(F.relu(F.conv2d(Image4(), HandMadeKernels(), padding: [1, 1])), 2);
        Assert.Equal([1L, 4, 14, 14], pooled.shape);
        Assert.Contains("halving the size (28 → 14)", notebook);
        using var model = Shared.ShippedModel();
        Assert.Equal((16, 16L), (((Conv2dLayer)model.Plan["conv1"]).Out, Inspect.FeatureMaps(model, Image4(), "conv1")["conv1"].shape[0]));
        Assert.Contains("a layer with 16 filters makes 16 maps", notebook);
        // Exercise 1's mirrored filter is the diagonal one mirrored left to right.
        var diagonal = HandMadeKernels()[2, 0].flip(1).flatten().data<float>().ToArray();
        Assert.Equal(diagonal, MirroredKernel());
        Assert.Contains("mirror the *diagonal* filter left to right", notebook);
        // conv2d lays the filter over the patch as it is, unflipped: the vertical filter at (12, 7), by hand both ways.
        var vertical = HandMadeKernels()[0, 0];
        var patch = F.pad(Image4(), [1, 1, 1, 1])[0, 0, 12..15, 7..10];
        float byConv = F.conv2d(Image4(), HandMadeKernels(), padding: [1, 1])[0, 0, 12, 7].item<float>();
        Assert.Equal(byConv, (patch * vertical).sum().item<float>(), 5);
        Assert.NotEqual(byConv, (patch * vertical.flip(0, 1)).sum().item<float>(), 1);
        Assert.Contains("TorchSharp's `conv2d` does not flip the filter: what you see in the grid above is what is laid over each patch of the image", notebook);
    }

    /// <summary>The article's class as the article writes it: fields for the layers with weights and dropout, and a
    /// forward() that pools and applies ReLU with function calls.</summary>
    sealed class ArticleClass : nn.Module<Tensor, Tensor>
    {
        readonly nn.Module<Tensor, Tensor> conv1 = nn.Conv2d(1, 16, 5, padding: 2), conv2 = nn.Conv2d(16, 32, 5, padding: 2),
            drop1 = nn.Dropout2d(0.5), fc1 = nn.Linear(1568, 96), drop2 = nn.Dropout(0.1), fc2 = nn.Linear(96, 10);
        public ArticleClass() : base(nameof(ArticleClass)) => RegisterComponents();
        public override Tensor forward(Tensor x)
        {
            x = F.relu(F.max_pool2d(conv1.call(x), 2));
            x = F.relu(F.max_pool2d(conv2.call(x), 2));
            x = drop1.call(x).flatten(1);
            return fc2.call(drop2.call(F.relu(fc1.call(x))));
        }
    }

    [Fact]
    public void Notebook02s_network_its_split_and_dropout_are_what_its_words_say()
    {
        using var model = Shared.ShippedModel();
        var plan = model.Plan;
        string notebook = Notebook("02-define-and-train");
        // "two conv layers …, then two linear layers that turn what the filters found into ten scores"
        Assert.Equal((2, 2, 10), (plan.Convs.Count, plan.Layers.Count(l => l is LinearLayer), plan.Classes));
        Assert.Contains("two conv layers that learn their own filters, then two linear layers that turn what the filters found into ten scores, one per digit", notebook);
        // "every step, pooling and ReLU included, is a layer": the plan has a layer for each.
        Assert.Equal(12, plan.Layers.Count);
        Assert.Equal(2, plan.Layers.Count(l => l is MaxPool2dLayer));
        Assert.Equal(3, plan.Layers.Count(l => l is ReLULayer));
        Assert.Contains("every step, pooling and ReLU included, is a layer", notebook);
        // The article's own class, given the shipped weights, computes the same thing.
        using var article = new ArticleClass();
        var fields = article.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        using (no_grad())
            foreach (var (name, parameter) in model.named_parameters())
                fields[name].copy_(parameter);
        Assert.Equal(fields.Count, model.parameters().Count());
        article.eval(); model.eval();
        using (var scope = NewDisposeScope())
        using (no_grad())
        {
            var (images, _) = Shared.Mnist.Test.Batch(0, 256);
            double difference = (article.call(images) - model.call(images)).abs().max().item<float>();
            output.WriteLine($"the article's class against the Sequential, same weights: largest difference {difference:G2}");
            Assert.True(difference < 1e-5);
        }
        Assert.Contains("the network computes the same thing, but the pooling and the ReLU happen between layers, where no hook sees them", notebook);
        Assert.Contains("(Its drop2 is a `Dropout2d(p=0.1)` on the 96 hidden units", notebook);
        // Dropout2d on [images, 96], as this libtorch runs it: the images are taken for channels, so whole rows go.
        using (var scope = NewDisposeScope())
        {
            var dropout2d = nn.Dropout2d(0.1);
            dropout2d.train();
            var dropped = Seeding.Run(0, () => dropout2d.call(ones(64, 96))).eq(0);
            var perImage = dropped.sum(1).data<long>().ToArray();
            output.WriteLine($"Dropout2d(0.1) on [64, 96]: zeros per image {perImage.Min()}–{perImage.Max()}, {dropped.to_type(ScalarType.Float32).mean().item<float>():P1} of all");
            Assert.All(perImage, n => Assert.True(n is 0 or 96));
            Assert.InRange(perImage.Count(n => n == 96), 2, 12);   // about a tenth of 64
            var single = Seeding.Run(0, () => nn.Dropout(0.1).call(ones(64, 96))).eq(0).sum(1).data<long>().ToArray();
            Assert.Contains(single, n => n > 0 && n < 96);          // plain dropout: single units
        }
        Assert.Contains("given that tensor, the libtorch under TorchSharp drops all 96 units of about a tenth of the images at once. Here drop2 is plain `Dropout(0.1)`, which drops a tenth of the single units", notebook);
        // Exercise 2's flattened size: 28 → 14 → 7 → 3 after three poolings.
        using (var third = ConvNet.Create([1, 28, 28], 0, VariantTests.Variants["a third conv"].Layers))
        {
            Assert.Equal([64L, 3, 3], third.Plan["pool3"].OutputShape);
            Assert.Equal([576L], third.Plan["flatten"].OutputShape);
        }
        Assert.Contains("28 → 14 → 7 → 3 after three poolings: the flattened size drops from 1568 (32 × 7 × 7) to 576 (64 × 3 × 3)", notebook);

        // The split: at random by the seed, 80 % and 20 %.
        var options = Checkpoint.Load(RepositoryData.ShippedCheckpoint()).Info.Training;
        using var first = new TrainingSchedule(60_000, options);
        using var again = new TrainingSchedule(60_000, options);
        using var other = new TrainingSchedule(60_000, options with { Seed = 1 });
        Assert.Equal((48_000L, 12_000L), (first.TrainIndices.shape[0], first.ValidationIndices.shape[0]));
        Assert.True(first.TrainIndices.eq(again.TrainIndices).all().item<bool>(), "the same seed, the same split");
        Assert.False(first.TrainIndices.eq(other.TrainIndices).all().item<bool>(), "another seed, another split");
        Assert.False(first.TrainIndices.eq(arange(48_000)).all().item<bool>(), "at random, not the first 48,000");
        Assert.Contains("The trainer splits the training images at random (by the seed) into 80 % to learn from and 20 % to validate on.", notebook);

        // Dropout zeros a share p while training and scales the rest by 1 / (1 − p): 2 for 0.5, 1.11 for 0.1.
        using (var scope = NewDisposeScope())
        {
            foreach (var (layer, p) in new[] { (nn.Dropout2d(0.5), 0.5), (nn.Dropout(0.1) as nn.Module<Tensor, Tensor>, 0.1) })
            {
                layer.train();
                var kept = Seeding.Run(0, () => layer.call(ones(64, 32, 7, 7))).flatten().unique().output.data<float>().ToArray();
                Assert.Equal(new[] { 0f, (float)(1 / (1 - p)) }, kept, (a, b) => Math.Abs(a - b) < 1e-6);
            }
        }
        Assert.Contains("and scales up the rest; it is off when the network is evaluated", Doc("teaching.md"));
        Assert.Contains("zeros a random half of conv2's pooled maps and a tenth of the hidden units on every call, and doubles or scales up the rest", Solution("03.2"));

        // Exercise 2: ThirdConv is ThreeByThree with a third conv block, and so a 576-input fc1.
        string source = NotebookClaimsTests.NotebookSource("02-define-and-train");
        List<string> Layers(string name) => Regex.Matches(Regex.Match(source, $@"nn\.Module<Tensor, Tensor> {name}\(\) => nn\.Sequential\((.*?)\);\n", RegexOptions.Singleline).Groups[1].Value,
            @"\(""(\w+)"", (nn\.\w+\([^)]*\))\)").Select(m => $"{Regex.Replace(m.Groups[1].Value, @"relu\d", "relu")} {m.Groups[2].Value}").ToList();
        var threeByThree = Layers("ThreeByThree"); var thirdConv = Layers("ThirdConv");
        var added = thirdConv.Except(threeByThree).ToList(); var removed = threeByThree.Except(thirdConv).ToList();
        Assert.Equal(["conv3 nn.Conv2d(32, 64, kernel_size: 3, padding: 1)", "pool3 nn.MaxPool2d(2)", "fc1 nn.Linear(576, 96)"], added);
        Assert.Equal(["fc1 nn.Linear(1568, 96)"], removed);
        Assert.Contains("differs from it by the third conv block alone, and so by fc1's inputs: 576 instead of 1,568", notebook);
        Assert.Contains("differs from it by the third conv block alone, and so by fc1's inputs (576 instead of 1,568)", Solution("02.2"));
        // Exercise 1 (02.1): the 3×3 network's conv layers shrink, its dense layers do not.
        using var small = ConvNet.Create([1, 28, 28], 0, VariantTests.Variants["3×3 kernels"].Layers);
        long Count(ConvNet net, string layer) => net.Layer(layer).parameters().Sum(p => p.numel());
        Assert.True(Count(small, "conv1") < Count(model, "conv1") && Count(small, "conv2") < Count(model, "conv2"));
        Assert.Equal((Count(model, "fc1"), Count(model, "fc2")), (Count(small, "fc1"), Count(small, "fc2")));
        Assert.Contains("(the conv layers shrink, the dense layers do not)", Solution("02.1"));
    }

    [Fact]
    public void Notebook03s_loss_per_digit_and_batch_norm_are_what_it_says()
    {
        using var model = Shared.ShippedModel();
        var test = Trainer.Evaluate(model, Shared.Mnist.Test);
        // "Loss is the average cross-entropy."
        double loss = 0;
        model.eval();
        using (no_grad())
            for (int start = 0; start < 10_000; start += 1000)
            {
                using var scope = NewDisposeScope();
                var (images, labels) = Shared.Mnist.Test.Batch(start, 1000);
                loss += F.cross_entropy(model.call(images), labels, reduction: nn.Reduction.Sum).item<float>();
            }
        Assert.Equal(loss / 10_000, test.Loss, 4);
        Assert.Contains("Loss is the average cross-entropy", Notebook("03-evaluate"));
        // "Some digits are harder than others", which "an overall 99 % hides".
        var perDigit = test.PerClassAccuracy();
        output.WriteLine("per digit: " + string.Join(" ", perDigit.Select(a => Percent(a, 1))));
        Assert.True(perDigit.Min() < 0.99 && perDigit.Max() - perDigit.Min() > 0.01);
        Assert.Contains("Some digits are harder than others.", Notebook("03-evaluate"));
        Assert.Contains("Which digits are hard (the row of the weakest), which an overall 99 % hides.", Doc("teaching.md"));
        // 03 tests what 02 trained, on all 10,000 test images or the limit it trained with.
        Assert.Contains("Datasets.Load(info.Dataset, limit: info.Limit)", NotebookClaimsTests.NotebookSource("03-evaluate"));
        Assert.Contains("tests it on the test images: all 10,000, or fewer if 02 ran with a `limit`", Notebook("03-evaluate"));
        Assert.Contains("An MLP with one hidden layer, trained the same way as your network (same images, epochs, seed, optimiser)", Notebook("03-evaluate"));
        // Exercise 2: with batch norm, train() makes it use each batch's own statistics.
        var (input, layers) = VariantTests.Variants["batch norm"];
        using var normed = ConvNet.Create(input, 0, layers);
        using (var scope = NewDisposeScope())
        using (no_grad())
        {
            var (images, _) = Shared.Mnist.Test.Batch(0, 64);
            var first = normed.Layer("bn1");
            var conv = normed.Layer("conv1").call(images);
            first.train(); var inTraining = first.call(conv);
            first.eval(); var inEvaluation = first.call(conv);
            double batchMean = inTraining.mean([0, 2, 3]).abs().max().item<float>();
            Assert.True(batchMean < 1e-4, "in train() each channel is normalised by this batch's own mean");
            Assert.False(inTraining.allclose(inEvaluation), "in eval() the running statistics are used instead");
        }
        Assert.Contains("with `WithBatchNorm`, `train()` also makes batch norm use each batch's own statistics", Notebook("03-evaluate"));
        Assert.Contains("with `WithBatchNorm`, `train()` also switches batch norm to each batch's own statistics", Solution("03.2"));
        Assert.Contains("With `GlobalAverage`, which has no dropout, the three counts are equal", Solution("03.2"));
        // 03.2 on the shipped model: with dropout on, the count changes from run to run and is lower than with it off.
        using (var scope = NewDisposeScope())
        using (no_grad())
        {
            var (images, labels) = Shared.Mnist.Test.Batch(0, 1000);
            model.eval();
            long off = model.call(images).argmax(1).eq(labels).sum().item<long>();
            model.train();
            var on = Seeding.Run(0, () => Enumerable.Range(0, 3).Select(_ => model.call(images).argmax(1).eq(labels).sum().item<long>()).ToArray());
            model.eval();
            output.WriteLine($"first 1,000 test images, dropout on: {string.Join(", ", on)}; off: {off}");
            Assert.All(on, count => Assert.True(count < off));
            Assert.True(on.Distinct().Count() > 1);
        }
        Assert.Contains("with dropout on the count changes from run to run and is lower", Solution("03.2"));
        Assert.Contains("4. So that the answer is the same every time and the whole network is used.", Doc("teaching.md"));
        // "torch uses one per core".
        Assert.Equal(Environment.ProcessorCount, TorchSharp.torch.get_num_threads());
        Assert.Contains("the same number of threads (torch uses one per core)", Solution("03.3"));
    }

    [Fact]
    public void Notebook04s_starting_weights_shapes_and_largest_filter_are_what_it_says()
    {
        using var model = Shared.ShippedModel();
        var info = Checkpoint.Load(RepositoryData.ShippedCheckpoint()).Info;
        using var scope = NewDisposeScope();
        // Exercise 1: the saved plan and the seed rebuild exactly the weights training started from.
        using var rebuilt = ConvNet.Build(info.Plan, seed: info.Training.Seed);
        var (input, _) = VariantTests.Variants["3×3 kernels"];
        using var created = ConvNet.Create(input, info.Training.Seed, () => nn.Sequential(
            ("conv1", nn.Conv2d(1, 16, kernel_size: 5, padding: 2)), ("pool1", nn.MaxPool2d(2)), ("relu1", nn.ReLU()),
            ("conv2", nn.Conv2d(16, 32, kernel_size: 5, padding: 2)), ("pool2", nn.MaxPool2d(2)), ("relu2", nn.ReLU()),
            ("drop1", nn.Dropout2d(0.5)), ("flatten", nn.Flatten()),
            ("fc1", nn.Linear(1568, 96)), ("relu3", nn.ReLU()), ("drop2", nn.Dropout(0.1)), ("fc2", nn.Linear(96, 10))));
        Assert.All(rebuilt.parameters().Zip(created.parameters()), p => Assert.True(p.First.eq(p.Second).all().item<bool>()));
        Assert.Contains("the same architecture and seed, so the same starting weights", Notebook("04-visualize-filters"));
        Assert.True(Inspect.Filters(rebuilt, "conv1").abs().max().item<float>() <= 0.2f);
        Assert.Contains("the starting weights are uniform noise within ±0.2 (PyTorch's default initialisation: ±1/√(fan-in), fan-in 25 for a 5×5 filter on one channel", Solution("04.1"));
        // Inspect.Filters copies: changing the copy leaves the model alone.
        var copy = Inspect.Filters(model, "conv1");
        copy.fill_(0);
        Assert.NotEqual(0f, Inspect.Filters(model, "conv1").abs().max().item<float>());
        Assert.Contains("(it also copies the weights to the CPU, so it works after training on a GPU)", Notebook("04-visualize-filters"));
        // conv2 has one kernel per map of the layer before.
        Assert.Equal([32L, 16, 5, 5], Inspect.Filters(model, "conv2").shape);
        Assert.Contains("A deeper filter has one kernel per feature map of the layer before (16 for conv2)", Notebook("04-visualize-filters"));
        Assert.Contains("4. 16: one per map of the layer before (conv1's 16 filters, pooled).", Doc("teaching.md"));
        // Exercise 3 learns from 8,000 of the first 10,000 images.
        using (var schedule = new TrainingSchedule(10_000, new TrainingOptions { Epochs = 1 }))
            Assert.Equal(8000, schedule.TrainIndices.shape[0]);
        Assert.Contains("on the first 10,000 images (8,000 train it, 2,000 check it", Notebook("04-visualize-filters"));
        // 04.2: filter 25's row is bright in column 0 (its kernel on channel 0 is its largest).
        var norms = Inspect.Filters(model, "conv2").flatten(2).norm(2);   // [filter, channel]
        int loudest = (int)norms[.., 0].argmax().item<long>();
        output.WriteLine($"conv2 filter {loudest}: its largest kernel is on channel {norms[loudest].argmax().item<long>()}, {norms[loudest, 0].item<float>():F3} against its mean {norms[loudest].mean().item<float>():F3}");
        Assert.True(norms[loudest, 0].item<float>() > 1.2 * norms[loudest].mean().item<float>(), "bright in column 0");
        Assert.Contains("in the norm chart its row is bright in column 0", Solution("04.2"));
        // 04.4: the largest filter is a band of negative weights across its middle, not an edge.
        var filters = Inspect.Filters(model, "conv1");
        int largest = (int)filters.flatten(1).norm(1).argmax().item<long>();
        var rows = filters[largest, 0].mean([1]).data<float>().ToArray();   // the mean of each of its 5 rows
        output.WriteLine($"conv1 filter {largest}: row means " + string.Join(" ", rows.Select(r => F2(r))) + $"; ramp share {F2(Ramp(filters[largest]).Share)}");
        Assert.True(rows[1] < 0 && rows[2] < 0 && rows[0] > 0 && rows[4] > 0);
        // The band falls from left to right: its most negative weight sits further right in row 2 than in row 1.
        Assert.True(filters[largest, 0, 2].argmin().item<long>() > filters[largest, 0, 1].argmin().item<long>());
        // It is one of the filters that draw the 9 in reverse.
        using (var image = Image4())
            Assert.True(Correlation(Inspect.FeatureMaps(model, image, "conv1")["conv1"][largest], F.avg_pool2d(image, 5, stride: 1, padding: 2)[0, 0]) <= -0.5);
        Assert.True(Ramp(filters[largest]).Share < 0.25, "not an edge");
        Assert.Contains("a band of strong negative weights across its middle (rows 1–2, falling gently from left to right), positive ones above it and along its bottom row, so it answers to a stroke at that angle, dark where the ink is (it is one of the filters that draw the 9 in reverse in 05), not to an edge", Solution("04.4"));
    }

    [Fact]
    public void Notebook05s_hooks_shapes_fields_and_conv2s_peaks_are_what_it_says()
    {
        using var model = Shared.ShippedModel();
        using var scope = NewDisposeScope();
        var image = Image4();
        string notebook = Notebook("05-visualize-feature-maps");
        // Hooks fire through call, not through forward.
        int fired = 0;
        var conv1 = model.Layer("conv1");
        var hook = conv1.register_forward_hook((_, _, output) => { fired++; return output; });
        try
        {
            using (no_grad()) conv1.forward(image);
            Assert.Equal(0, fired);
            using (no_grad()) conv1.call(image);
            Assert.Equal(1, fired);
        }
        finally { hook.remove(); }
        Assert.Contains("(hooks fire only through `.call`, not through `.forward`)", notebook);
        Assert.Contains("TorchSharp runs hooks only through `.call`", Doc("teaching.md"));
        // A hook left in place fires on every later image too.
        var kept = conv1.register_forward_hook((_, _, output) => { fired++; return output; });
        try
        {
            using (no_grad()) { conv1.call(image); conv1.call(image); }
            Assert.Equal(3, fired);
        }
        finally { kept.remove(); }
        Assert.Contains("then remove the hook, or it would fire on every later image too", notebook);
        Assert.Contains("2. It would fire on every later image too.", Doc("teaching.md"));
        Assert.Equal((16, 32), (((Conv2dLayer)model.Plan["conv2"]).In, ((Conv2dLayer)model.Plan["conv2"]).Out));
        Assert.Contains("7. It reads 16 maps and makes 32", Doc("teaching.md"));
        // The plan: padding 2 keeps 28×28; conv2 reads conv1's pooled maps at half the resolution; block outputs.
        Assert.Equal([16L, 28, 28], model.Plan["conv1"].OutputShape);
        Assert.Contains("(in the article's network the same size as the image: padding 2 keeps 28×28)", notebook);
        Assert.Equal([16L, 14, 14], model.Plan["conv2"].InputShape);
        Assert.Contains("(in the article's network, the first layer's pooled maps, at half the resolution)", notebook);
        Assert.Equal(["relu1", "relu2"], Inspect.BlockOutputs(model));
        Assert.Equal([16L, 14, 14], model.Plan["relu1"].OutputShape);
        Assert.Equal([32L, 7, 7], model.Plan["relu2"].OutputShape);
        Assert.Contains("in the article's network, after max-pooling and ReLU, so negatives are cut to zero and the size is halved. `Inspect.BlockOutputs` names those layers (relu1, relu2, … here)", notebook);
        Assert.Contains("7. The block's: after pooling and ReLU in the article's network (relu1, relu2).", Doc("teaching.md"));
        // Fields: conv1 5×5; pooling, ReLU and dropout as the rule says; conv2 14×14.
        FieldAxis Field(string layer) => model.Plan[layer].Field!.Rows;
        Assert.Equal(5, Field("conv1").Size);
        Assert.Contains("In the article's network, a pixel of a conv1 map is computed from a 5×5 patch of the image.", notebook);
        Assert.Equal(Field("pool1").Size, Field("conv1").Size + (2 - 1) * Field("conv1").Jump);
        Assert.Equal(Field("conv2").Size, Field("relu1").Size + (5 - 1) * Field("relu1").Jump);
        Assert.Equal((Field("pool1"), Field("relu2")), (Field("relu1"), Field("drop1")));
        Assert.Equal(2 * Field("conv1").Jump, Field("pool1").Jump);
        Assert.Contains("Convs widen the window by (kernel − 1) × jump and pools by (pool − 1) × jump, and each pool doubles the jump; ReLU and dropout work pixel by pixel and leave it as it is.", Solution("05.4"));
        Assert.Equal(14, Field("conv2").Size);
        Assert.Contains("4. The part of the input a pixel depends on; 14×14 for a conv2 pixel near the centre.", Doc("teaching.md"));
        Assert.Contains("hovering a conv2 pixel:** it sees 14×14 of the image", Doc("teaching.md"));
        // conv2's maps of the 9: where each peaks (rows of the image its centre pixel stands for).
        var maps = Inspect.FeatureMaps(model, image, "conv2")["conv2"];
        // A conv2 row r stands for image rows 2r and 2r + 1: up to row 7 (image row 15) the loop, from row 9 (image row
        // 18) the stem, row 8 (image rows 16–17) where the loop's bottom bar meets the stem.
        int loop = 0, meet = 0, stem = 0;
        for (int m = 0; m < maps.shape[0]; m++)
        {
            int row = (int)(maps[m].flatten().argmax().item<long>() / maps.shape[2]);
            if (row <= 7) loop++; else if (row == 8) meet++; else stem++;
        }
        output.WriteLine($"conv2's maps of the 9 peak in or above the loop: {loop}, where it meets the stem: {meet}, on the stem: {stem}");
        string peaksCell = Claim.Cell("05-visualize-feature-maps", "maps peak in or above the loop");
        Claim.States(peaksCell, @"(\d+) of conv2's (\d+) maps peak in or above the loop", 0, loop, maps.shape[0]);
        Claim.States(peaksCell, @"(\d+) on the stem and its foot", 0, stem);
        Claim.States(peaksCell, @"(\d+) where the two meet", 0, meet);
        // 05.3's "99 % and more it gives most real digits": most right answers are over 99 % sure.
        var test = Trainer.Evaluate(model, Shared.Mnist.Test);
        Assert.True(test.Confidences.Where((c, i) => test.Predictions[i] == test.Labels[i]).Count(c => c > 0.99) > test.Correct / 2);
        Assert.Contains("far from the 99 % and more it gives most real digits", Solution("05.3"));
    }

    [Fact]
    public void Notebook06s_defaults_and_the_shipped_checkpoints_peaks_are_what_it_says()
    {
        using var model = Shared.ShippedModel();
        using var scope = NewDisposeScope();
        string notebook = Notebook("06-why-the-network-decides");
        // HiResCAM's strongest pixel is on blank paper beside the loop; relu2's cells are 7×7, 4 apart, 16×16 wide.
        var image = Image4();
        var hiRes = new HiResCam().Attribute(model, image, 9)[0, 0];
        int peak = (int)hiRes.flatten().argmax().item<long>();
        Assert.Equal(0f, image[0, 0, peak / 28, peak % 28].item<float>());
        Assert.Contains("HiResCAM's strongest area is the loop's lower left and the blank paper beside it", notebook);
        Assert.Contains("can peak beside the ink rather than on it", Solution("06.1"));
        var relu2 = model.Plan["relu2"];
        Assert.Equal([32L, 7, 7], relu2.OutputShape);
        Assert.Equal((4, 16), (relu2.Field!.Rows.Jump, relu2.Field.Rows.Size));
        Assert.Contains("each cell of relu2's 7×7 map stands for a 4×4 patch of the image but *sees* a much wider window (16×16 pixels, through two 5×5 convolutions and two poolings)", notebook);
        Assert.Contains("(the article's net: 7×7 cells, each seeing 16×16 pixels)", Solution("06.1"));
        // Preferred inputs' defaults: L2, total variation and one-pixel jitter.
        var defaults = new MaximizeOptions();
        Assert.True(defaults.L2 > 0 && defaults.TotalVariation > 0);
        Assert.Equal(1, defaults.Jitter);
        Assert.Contains("with penalties that keep it small (L2) and smooth (total variation), and random one-pixel shifts (jitter)", notebook);
        Assert.Contains("(The penalty is a mean over pixels, added to a class score in the tens: it has to be large before it shows.)", notebook);
    }

    /// <summary>A notebook's code cells, joined.</summary>
    static string Code(string notebook) => string.Concat(JsonNode.Parse(File.ReadAllText(Path.Combine(Shared.RepositoryRoot, "notebooks", notebook + ".ipynb")))!["cells"]!.AsArray()
        .Where(c => (string)c!["cell_type"]! == "code").Select(c => string.Concat(c!["source"]!.AsArray().Select(l => (string)l!)) + "\n"));

    [Fact]
    public void What_the_prose_says_the_code_does_it_does()
    {
        // 02: the first three exercises train a second network for `epochs` epochs (with the notebook's options).
        var exercises = Regex.Matches(NotebookClaimsTests.NotebookSource("02-define-and-train"), @"```csharp\n(.*?)```", RegexOptions.Singleline).Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(3, exercises.Count);
        Assert.All(exercises, e => Assert.Matches(@"Trainer\.Train\(\w+, \w+\.Train, options", e));
        Assert.Contains("(the first three train a second network beside yours, for `epochs` epochs)", Notebook("02-define-and-train"));
        Assert.Contains("var options = new TrainingOptions { Epochs = epochs, Seed = seed };", Code("02-define-and-train"));

        // 02: the test images go into evaluation only; every training call takes a training split.
        var code02 = Code("02-define-and-train").Split('\n');
        Assert.All(code02.Where(l => l.Contains("Trainer.Train(")), l => Assert.DoesNotContain(".Test", l));
        Assert.All(code02.Where(l => l.Contains("mnist.Test")), l => Assert.True(l.Contains("Trainer.Evaluate(") || l.Contains("Console.WriteLine(mnist.Test)"), l));
        Assert.Contains("The test images were never used for training or for choosing anything", Notebook("02-define-and-train"));
        // 03: the MLP has one weight per pixel and hidden unit: fc1 is Linear(784, 96), 784 = 28 × 28.
        Assert.Contains("(\"flatten\", nn.Flatten()), (\"fc1\", nn.Linear(784, 96))", Code("03-evaluate"));
        Assert.Contains("A plain network of linear layers (a multi-layer perceptron, MLP) has one weight per pixel and unit instead", Notebook("03-evaluate"));

        // 03: the 16 mistakes drawn are the most confident ones.
        Assert.Contains("Charts.Misclassified(mnist.Test, test, 16)", Code("03-evaluate"));
        using var model = Shared.ShippedModel();
        var test = Trainer.Evaluate(model, Shared.Mnist.Test);
        var mistakes = test.Misclassified();
        Assert.All(mistakes, i => Assert.NotEqual(test.Labels[i], test.Predictions[i]));
        Assert.Equal(mistakes.Select(i => test.Confidences[i]).OrderDescending(), mistakes.Select(i => test.Confidences[i]));
        Assert.Contains("The 16 test images the network gets wrong most confidently", Notebook("03-evaluate"));
        // 03.2: Trainer.Evaluate switches dropout off itself.
        model.train();
        var inTraining = Trainer.Evaluate(model, Shared.Mnist.Test.Take(1000));
        model.eval();
        Assert.Equal(Trainer.Evaluate(model, Shared.Mnist.Test.Take(1000)).Predictions, inTraining.Predictions);
        Assert.Contains("so `Trainer.Evaluate` calls `model.eval()` first", Solution("03.2"));

        // 04: the article-style grids (viridis) give each panel its own scale; every other figure shares one.
        var calls = Regex.Matches(Code("04-visualize-filters"), @"Charts\.\w+\([^;\n]*\)").Select(m => m.Value).Where(c => !c.Contains("Inspect.Filters(before") && !c.Contains("Inspect.Filters(small")).ToList();
        var perPanel = calls.Where(c => c.Contains("Scale.PerPanel")).ToList();
        Assert.Equal(2, perPanel.Count);
        Assert.All(perPanel, c => Assert.Contains("Palette.Viridis", c));
        Assert.True(calls.Count - perPanel.Count > perPanel.Count, string.Join("\n", calls));
        Assert.Contains("most figures share one colour scale so their panels can be compared (the article-style grids give each panel its own)", Notebook("04-visualize-filters"));

        // 06: SmoothGrad's map is less speckled than saliency's: its neighbouring pixels differ less, relative to its size.
        var image = Image4();
        double Speckle(Tensor map)
        {
            var m = map.abs()[0, 0];
            return (((m[1..] - m[..^1]).abs().mean() + (m[.., 1..] - m[.., ..^1]).abs().mean()) / m.mean()).item<float>();
        }
        double saliency = Speckle(new Saliency().Attribute(model, image, 9)), smooth = Speckle(new SmoothGrad(Samples: 25).Attribute(model, image, 9));
        output.WriteLine($"speckle (mean neighbour difference / mean): saliency {saliency:F2}, SmoothGrad {smooth:F2}");
        Assert.True(smooth < 0.95 * saliency && smooth > 0.5 * saliency, "a little less");
        Assert.Contains("**SmoothGrad**: the gradient averaged over 25 noisy copies of the image: a little less speckle.", Notebook("06-why-the-network-decides"));

        // The guide: every notebook's questions are answered, one answer per question; global.json's SDK.
        string guide = File.ReadAllText(Path.Combine(Shared.RepositoryRoot, "docs", "teaching.md"));
        string answers = guide[guide.IndexOf("## Answers: the questions at the end of each notebook", StringComparison.Ordinal)..guide.IndexOf("## On Debian 12", StringComparison.Ordinal)];
        foreach (var name in Directory.GetFiles(Path.Combine(Shared.RepositoryRoot, "notebooks"), "*.ipynb").Select(Path.GetFileNameWithoutExtension).Order())
        {
            string source = NotebookClaimsTests.NotebookSource(name!);
            string questions = source[source.IndexOf("## Questions", StringComparison.Ordinal)..];
            int asked = Regex.Matches(questions, @"^\d+\. ", RegexOptions.Multiline).Count;
            int number = int.Parse(name![..2]);
            string section = Regex.Match(answers, $@"\*\*0{number} · [^*]+\*\*\n(.*?)(?=\n\*\*0\d · |\z)", RegexOptions.Singleline).Groups[1].Value;
            int answered = Regex.Matches(section, @"^\d+\. ", RegexOptions.Multiline).Count;
            Assert.True(asked >= 6 && asked == answered, $"{name}: {asked} questions, {answered} answers");
            Assert.Contains("Short answers are all in this notebook; the teacher's guide (`docs/teaching.md`) has them.", source);
            Assert.Contains("The last two ask you to write the code yourself.", Regex.Replace(source, @"\s+", " "));
        }
        var sdk = JsonNode.Parse(File.ReadAllText(Path.Combine(Shared.RepositoryRoot, "global.json")))!["sdk"]!;
        Assert.Equal(("10.0.100", "latestFeature"), ((string)sdk["version"]!, (string)sdk["rollForward"]!));
        Assert.Contains("global.json asks for SDK 10.0.100 or a later 10.0 release (`rollForward: latestFeature`; an SDK 11 alone is refused)", Doc("teaching.md"));
    }

    [Fact]
    public void The_third_3_lights_conv1s_horizontal_edge_filters_far_more_than_the_9_and_the_vertical_ones_about_as_much()
    {
        using var model = Shared.ShippedModel();
        using var scope = NewDisposeScope();
        var three = Shared.Mnist.Test.Image(Shared.Mnist.Test.IndexOfLabel(3, occurrence: 2));
        var ofNine = Inspect.FeatureMaps(model, Image4(), "conv1")["conv1"].abs().mean([1, 2]).data<float>().ToArray();
        var ofThree = Inspect.FeatureMaps(model, three, "conv1")["conv1"].abs().mean([1, 2]).data<float>().ToArray();
        var filters = Inspect.Filters(model, "conv1")[.., 0];
        // How much a filter's weights change from top to bottom (rows 3–4 against 0–1) and from left to right.
        var downward = (filters[.., 3..].mean([1, 2]) - filters[.., ..2].mean([1, 2])).abs().data<float>().ToArray();
        var across = (filters[.., .., 3..].mean([1, 2]) - filters[.., .., ..2].mean([1, 2])).abs().data<float>().ToArray();
        var horizontalEdges = Enumerable.Range(0, 16).Where(f => downward[f] > 0.25 && across[f] < 0.1).ToList();
        var verticalEdges = Enumerable.Range(0, 16).Where(f => across[f] > 0.25 && downward[f] < 0.1).ToList();
        string F2s(IEnumerable<int> fs, float[] v) => string.Join(" and ", fs.Select(f => v[f].ToString("F2", CultureInfo.InvariantCulture)));
        output.WriteLine($"horizontal-edge filters {string.Join(", ", horizontalEdges)}: the 3 {F2s(horizontalEdges, ofThree)}, the 9 {F2s(horizontalEdges, ofNine)}; vertical-edge filters {string.Join(", ", verticalEdges)}: the 3 {F2s(verticalEdges, ofThree)}, the 9 {F2s(verticalEdges, ofNine)}");
        Assert.Equal([7, 14], horizontalEdges);
        Assert.Equal([3, 12], verticalEdges);
        Assert.All(horizontalEdges, f => Assert.True(ofThree[f] > 1.3 * ofNine[f]));
        Assert.All(verticalEdges, f => Assert.InRange(ofThree[f] / ofNine[f], 0.9, 1.1));
        var ratios = Enumerable.Range(0, 16).Select(f => ofThree[f] / ofNine[f]).ToArray();
        Assert.Equal([7, 14], Enumerable.Range(0, 16).OrderByDescending(f => ratios[f]).Take(2).Order());   // the clearest difference
        string third = Solution("05.1");
        Claim.States(third, @"the horizontal-edge filters \(on the shipped model #(\d+) and #(\d+)\)", 0, horizontalEdges.Select(f => (double)f).ToArray());
        Claim.States(third, @"mean response (\d+\.\d+) and (\d+\.\d+) against (\d+\.\d+) and (\d+\.\d+), the two largest ratios of the 16", 0.005,
            horizontalEdges.Select(f => (double)ofThree[f]).Concat(horizontalEdges.Select(f => (double)ofNine[f])).ToArray());
        Claim.States(third, @"the vertical-edge filters \(#(\d+) and #(\d+), whose weights change from left to right\) find about as much on both", 0, verticalEdges.Select(f => (double)f).ToArray());
    }

    [Fact]
    public void The_blurred_map_is_a_softer_9_and_conv1s_edge_filters_light_one_side_of_the_stem_and_darken_the_other()
    {
        using var scope = NewDisposeScope();
        var image = Image4();
        // 01: the blur filter's map is the 9 (correlation near 1), with its largest value lower than the ink's.
        var blurred = F.conv2d(image, HandMadeKernels(), padding: [1, 1])[0, 3];
        double correlation = Correlation(blurred, image[0, 0]);
        output.WriteLine($"blurred map against the 9: correlation {correlation:F3}, largest {blurred.max().item<float>():F2} against {image.max().item<float>():F2}");
        Assert.True(correlation > 0.9 && blurred.max().item<float>() < image.max().item<float>());
        Assert.Contains("The blurred map is a softer 9.", Notebook("01-what-a-cnn-does"));

        // 05: the trained vertical-edge filters (#3, #12) answer with opposite signs on the two sides of the upright stem.
        using var model = Shared.ShippedModel();
        var maps = Inspect.FeatureMaps(model, image, "conv1")["conv1"];
        var ink = Grid(image[0, 0]);
        foreach (int filter in new[] { 3, 12 })
        {
            var map = Grid(maps[filter]);
            int opposite = 0, rows = 0;
            for (int row = 17; row <= 23; row++)
                if (InkRuns(c => ink[row, c], 28) is [var stem])
                {
                    rows++;
                    if (Math.Sign(map[row, stem.First - 1]) == -Math.Sign(map[row, stem.Last + 1]) && map[row, stem.First - 1] != 0) opposite++;
                }
            output.WriteLine($"conv1 filter {filter}: opposite signs left and right of the stem on {opposite} of {rows} rows");
            Assert.True(rows >= 5 && opposite == rows);
        }
        Assert.Contains("Edge filters light one side of each stroke and darken the other", Notebook("05-visualize-feature-maps"));
        Assert.Contains("the 9 itself, seen through each filter: one side of each stroke lit, the other dark", Doc("teaching.md"));
    }

    [Fact]
    public void Notebook06s_figures_are_drawn_as_its_prose_says()
    {
        using var model = Shared.ShippedModel();
        using var scope = NewDisposeScope();
        string notebook = Notebook("06-why-the-network-decides");
        // The confusion matrix: the diagonal blank, each row labelled with its digit's accuracy.
        var test = Trainer.Evaluate(model, Shared.Mnist.Test);
        var confusion = Charts.Confusion(test, Shared.Mnist.Test.Classes);
        var z = confusion.Heatmaps.Single().Z;
        Assert.All(Enumerable.Range(0, 10), d => Assert.Null(z[d][d]));
        var rows = ((Axis)confusion.Layout.Axes["yaxis"]).Ticktext!;
        var perDigit = test.PerClassAccuracy();
        Assert.All(Enumerable.Range(0, 10), d => Assert.Contains($"({perDigit[d]:P1})", rows[d]));
        Assert.Contains("The diagonal (right answers) is left blank so the mistakes stand out; the row labels carry each digit's accuracy.", notebook);

        // Attribution panels: the magnitude in red over the digit in grey, each on its own scale, its peak in its title.
        var image = Image4();
        var saliency = new Saliency().Attribute(model, image, 9);
        var occlusion = new Occlusion(Window: 4, Stride: 2).Attribute(model, image, 9);
        var figure = Charts.Attributions(image, [("Saliency", saliency), ("Occlusion", occlusion)], "training image 4, class 9");
        var red = figure.Heatmaps.Where(h => h.Name is not null).ToList();
        Assert.Equal(2, red.Count);
        Assert.Equal(saliency.abs().max().item<float>(), red[0].Zmax!.Value, 4);
        Assert.Equal(occlusion.abs().max().item<float>(), red[1].Zmax!.Value, 4);
        Assert.All(red, h => Assert.All(h.Z.SelectMany(r => r), v => Assert.True(v >= 0)));
        Assert.Contains($"Saliency (peak {saliency.abs().max().item<float>():G2})", figure.ToJson());
        Assert.Contains("Red is where each method points (its magnitude, each panel on its own scale), over the digit in grey.", notebook);
        Assert.Contains("Each panel above is on its own scale, and its title gives its peak.", notebook);

        // Filters over time: every snapshot on the scale of the largest weight of any of them.
        var snapshots = new[] { (0.2f, "before training"), (0.9f, "after epoch 1") }.Select((s, i) => new FilterSnapshot(s.Item2, i, 0, (arange(50, dtype: ScalarType.Float32) / 49 * 2 - 1).reshape(2, 1, 5, 5) * s.Item1)).ToList();
        var overTime = Charts.FiltersOverTime("conv1", snapshots);
        Assert.Equal((-0.9, 0.9), (overTime.Layout.Coloraxis!.Cmin!.Value, overTime.Layout.Coloraxis.Cmax!.Value), new ToleranceComparer());
        Assert.Contains("All snapshots share one colour scale, so the growth shows.", notebook);
    }

    sealed class ToleranceComparer : IEqualityComparer<(double, double)>
    {
        public bool Equals((double, double) a, (double, double) b) => Math.Abs(a.Item1 - b.Item1) < 1e-6 && Math.Abs(a.Item2 - b.Item2) < 1e-6;
        public int GetHashCode((double, double) obj) => 0;
    }
}
