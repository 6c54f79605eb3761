#!/usr/bin/env dotnet
// 1 · What a convolutional network does: the chapter form of notebooks/01-what-a-cnn-does.ipynb, a C# program that runs with the .NET SDK alone.
//   dotnet run notebooks/01-what-a-cnn-does.cs            (from the repository root; from notebooks/: dotnet run 01-what-a-cnn-does.cs)
//   dotnet run notebooks/01-what-a-cnn-does.cs -- name=value …    sets the parameters cell's values; the page is artifacts/chapters/01-what-a-cnn-does.html
// Made from the notebook by './convlens chapters': edit the notebook and run that, or edit this file for yourself.
// Its properties: no native AOT (TorchSharp needs reflection), and the notebook host's leniency: nullable
// off, warnings never errors, none for the architectures a learner has not picked.
#:project ../src/ConvLens
#:property PublishAot=false
#:property Nullable=disable
#:property TreatWarningsAsErrors=false
#:property NoWarn=CS8321
using ConvLens;
using ConvLens.Data;
using ConvLens.Model;
using ConvLens.Training;
using ConvLens.Inspection;
using ConvLens.Plots;
using TorchSharp;
using static TorchSharp.torch;
using static ConvLens.Chapters.Chapter;

Start(args);

/*
# 1 · What a convolutional network does

A convolutional network looks at an image through small filters. Each filter is a grid of numbers (here 3×3)
that slides over the image; at every position it multiplies the pixels under it by its numbers and adds them up.
Where the pixels look like the filter, the sum is large. The result is a **feature map**: one number per position,
saying how strongly the filter's pattern is present there.

Before training anything, we make a few filters by hand and watch what they find in a real handwritten digit.
Later notebooks train a network that learns its own filters, and we look at those the same way.
*/

/*
**Setup.** This cell loads the ConvLens library and plotly.js for the charts; keep its output, the charts below use
it. It needs one build first, from the repository root: `dotnet build src/ConvLens -c Release` (the README says more,
including how to prepare a workshop offline). If the library's sources changed after that build, the cell says so.
*/

Cell(1);
Show(Workbook.Start());   // figures show as charts, offline: plotly.js comes in this cell's output; warns if the build is stale

/*
## A real digit

MNIST has 60,000 training images of handwritten digits, 28×28 pixels, each a number from 0 (paper) to 1 (ink).
The repository ships them (`data/mnist`); this loads the whole set into memory (the cell takes under 2 s).
Training image 4 is the one the article uses: a 9. Hover over the picture to read the pixel values.
*/

Cell(2);
var mnist = Datasets.Load();
var image = mnist.Train.Image(4);   // shape [1, 1, 28, 28]: one image, one channel (grey), 28 rows, 28 columns
Show(Charts.Image(image, $"training image 4, labelled {mnist.Train.Label(4)}"));

/*
## Filters made by hand

Four classic 3×3 filters. Three find **edges**, places where ink meets paper; each is positive on one side of its
edge and negative on the other, so it also tells which side the ink is on:

* *vertical* (Sobel) compares the column right of a pixel with the column left of it: it finds edges that run up and
  down, positive where ink begins as you go right (a stroke's left edge), negative where it ends (its right edge);
* *horizontal* (Sobel) compares the row below with the row above: edges that run left to right, positive on a
  stroke's top edge, negative on its bottom edge;
* *diagonal* compares the top-left corner with the bottom-right one: it answers most to edges that run like `/`
  (bottom-left to top-right), positive just below-right of such a stroke and negative just above-left of it; to
  horizontal and vertical edges it gives ¾ of that; along a stroke that runs like `\` its numbers cancel
  (2 + 0 − 2) and it sees nothing.

*Blur* averages its neighbourhood. Blue is negative, red positive, white zero.
*/

Cell(3);
var kernels = from_array(new float[]
{
    -1, 0, 1,   -2, 0, 2,   -1, 0, 1,        // vertical edges (Sobel)
    -1, -2, -1,  0, 0, 0,    1, 2, 1,        // horizontal edges (Sobel)
     2, 1, 0,    1, 0, -1,   0, -1, -2,      // diagonal edges running like /
     1/9f, 1/9f, 1/9f, 1/9f, 1/9f, 1/9f, 1/9f, 1/9f, 1/9f,   // blur
}).reshape(4, 1, 3, 3);                       // [filters, input channels, rows, columns], as a conv layer stores them
string[] names = ["vertical", "horizontal", "diagonal", "blur"];
Show(Heatmaps.Grid("Four hand-made 3×3 filters", names.Select((n, i) => Panel.From(n, kernels[i, 0], n)).ToList(),
    columns: 4, Palette.Diverging, Scale.PerPanel, "weight"));

/*
## Convolution

`conv2d` slides every filter over the image. Padding 1 adds a one-pixel border of zeros, so the four feature maps
stay 28×28. (Like PyTorch's, TorchSharp's `conv2d` does not flip the filter: what you see in the grid above is what
is laid over each patch of the image.)

**Predict, then run.** Where on the 9 will the *vertical* map be red, and where blue? Which part of the 9 will the
*diagonal* map miss?
*/

Cell(4);
var maps = nn.functional.conv2d(image, kernels, padding: [1, 1]);   // [1, 4, 28, 28]
Show(Heatmaps.Grid("The digit seen through each filter (conv2d, padding 1)",
    names.Select((n, i) => Panel.From(n, maps[0, i], $"{n} filter")).ToList(), columns: 4, Palette.Diverging, Scale.PerPanel, "response"));

/*
**The answer.** Red marks where a filter's pattern is present, blue where its mirror image is. The vertical map is red along the left
edge of each upright stroke (the loop's left side, the stem's left side) and blue along their right edges; the
horizontal map is red along the tops of strokes and blue along their bottoms. The diagonal map answers most on the
loop, whose left and right sides both run like / (the 9's loop is drawn leaning forward); the stem is upright, and an
upright edge gives the diagonal filter ¾ of its best, so the stem shows, but no more strongly than it would to a \\
filter. The blurred map is a softer 9.
*/

/*
### One value, by hand

Each number of a feature map is one patch of the image times the filter, summed. Row 12, column 7 is where the loop's
left side begins, coming from the left: the vertical filter's value there, by hand, then as `conv2d` gave it. The
padding is the zero border `conv2d` adds (`padding: [1, 1]`), so the 3×3 patch centred on (12, 7) starts at row 11,
column 6 of the image, which is row 12, column 7 of the padded one.
*/

Cell(5);
int row = 12, column = 7;
var padded = nn.functional.pad(image, [1, 1, 1, 1]);                  // the zero border that padding 1 adds
var patch = padded[0, 0, row..(row + 3), column..(column + 3)];       // the 3×3 patch centred on (row, column)
var products = patch * kernels[0, 0];                                 // each pixel times its weight
Console.WriteLine($"by hand, Σ patch × filter: {products.sum().item<float>():F4};  conv2d at ({row}, {column}): {maps[0, 0, row, column].item<float>():F4}");
Show(Heatmaps.Grid($"Patch × vertical filter = products, at row {row}, column {column}",
    [Panel.From("patch", patch, "pixel"), Panel.From("vertical filter", kernels[0, 0], "weight"), Panel.From("products", products, "pixel × weight")],
    columns: 3, Palette.Diverging, Scale.PerPanel, "value"));

/*
## ReLU and pooling

A network keeps only positive evidence: **ReLU** (rectified linear unit) sets negative values to zero.
**Max-pooling** then keeps the largest value of each 2×2 block, halving the size (28 → 14): the map gets coarser,
but a stroke moved by a pixel gives much the same result (the 9 moved one pixel right: its pooled maps correlate
0.82 with the unmoved 9's, against 0.69 before pooling). The article's network does exactly this after each conv
layer, in the order pool, then ReLU. The order does not matter for the result, because ReLU never changes which of
two values is larger (it is *monotonic*): the largest of four values, clipped at zero, is the largest of the four
clipped values. (Average pooling and ReLU would not commute.)
*/

Cell(6);
var pooled = nn.functional.max_pool2d(nn.functional.relu(maps), 2);
Console.WriteLine($"feature maps {string.Join("×", maps.shape)} → after ReLU and max-pooling {string.Join("×", pooled.shape)}");
Show(Heatmaps.Grid("After ReLU and 2×2 max-pooling: 14×14", names.Select((n, i) => Panel.From(n, pooled[0, i], $"{n} filter, after ReLU and max-pooling")).ToList(),
    columns: 4, Palette.Viridis, Scale.PerPanel, "response"));

/*
One pooled value, by hand: the 2×2 block of the ReLU'd vertical map that becomes pooled row 6, column 3 is rows
12–13, columns 6–7, where the value above sits. Max-pooling keeps its largest:
*/

Cell(7);
var block = nn.functional.relu(maps)[0, 0, 12..14, 6..8];
Console.WriteLine($"the block: {string.Join(", ", block.flatten().data<float>().ToArray().Select(v => v.ToString("F4")))}");
Console.WriteLine($"its largest: {block.max().item<float>():F4};  max_pool2d at (6, 3): {pooled[0, 0, 6, 3].item<float>():F4}");

/*
## Stride, padding, channels and bias

Four settings decide what a conv layer computes and how big its maps come out:

* **padding** p puts p rows and columns of zeros around the input, so that windows fit at the border;
* **stride** s moves the window s pixels at a time, so the map is about s times smaller each way;
* **channels**: a filter spans every input channel. A layer's weights are [out, in, k, k]: each output value is the sum,
  over the in channels, of patch × kernel, and a layer with 16 filters makes 16 maps;
* **bias**: one number per filter, added to every value of its map.

A map's side is ⌊(n + 2p − k) / s⌋ + 1. With n = 28, a 4×4 kernel (an even size has no centre pixel), stride 2 and no
padding: ⌊(28 + 0 − 4) / 2⌋ + 1 = 13. The formula, then `conv2d`, with two 4×4 averaging filters, the second with a
bias of −0.25:
*/

Cell(8);
int OutputSize(int n, int k, int stride, int padding) => (n + 2 * padding - k) / stride + 1;
var averages = ones(2, 1, 4, 4) / 16;                     // [out 2, in 1, 4, 4]
var bias = from_array(new float[] { 0, -0.25f });        // one number per filter
var strided = nn.functional.conv2d(image, averages, bias, strides: [2, 2], padding: [0, 0]);
Console.WriteLine($"the formula: {OutputSize(28, 4, 2, 0)}×{OutputSize(28, 4, 2, 0)};  conv2d: {string.Join("×", strided.shape)}");
var gap = strided[0, 0] - strided[0, 1];
Console.WriteLine($"map 0 − map 1, everywhere: {gap.min().item<float>():F4} to {gap.max().item<float>():F4} (the bias)");
Show(Heatmaps.Grid("4×4 averages, stride 2, no padding: 13×13", [Panel.From("bias 0", strided[0, 0], "mean of 4×4"), Panel.From("bias −0.25", strided[0, 1], "mean of 4×4 − 0.25")],
    columns: 2, Palette.Viridis, Scale.Shared, "value"));

/*
Channels, by hand: one 3×3 filter laid over the four maps above at once (weights [1, 4, 3, 3]) gives the sum of
the four single-channel convolutions, which is what every filter of a trained network's second layer does.
*/

Cell(9);
var overFour = nn.functional.conv2d(maps, ones(1, 4, 3, 3) / 36, padding: [1, 1]);
var oneByOne = Enumerable.Range(0, 4).Select(c => nn.functional.conv2d(maps[.., c..(c + 1)], ones(1, 1, 3, 3) / 36, padding: [1, 1])).Aggregate((a, b) => a + b);
Console.WriteLine($"one filter over 4 channels {string.Join("×", overFour.shape)}; the largest difference from the sum of 4 single-channel convolutions: {(overFour - oneByOne).abs().max().item<float>():G2}");

/*
A trained network has many such filters, and stacks layers of them: the second layer's filters look at the first
layer's feature maps, so they respond to combinations such as "a vertical edge next to a curve". Nobody writes those
filters by hand: training finds them. Next: **02-define-and-train**.

## Try this

Each exercise runs as written in a new cell at the end of the notebook; answers are in `docs/solutions.md`. The last
two ask you to write the code yourself.

1. Make a diagonal filter for edges running the other way, like \\ (top-left to bottom-right): mirror the
   *diagonal* filter left to right. Which parts of the 9 light up now?

   ```csharp
   var mirrored = from_array(new float[] { 0, 1, 2,   -1, 0, 1,   -2, -1, 0 }).reshape(1, 1, 3, 3);
   var mirroredMap = nn.functional.conv2d(image, mirrored, padding: [1, 1]);
   Heatmaps.Grid("Diagonal edges, both ways", [Panel.From("like /", maps[0, 2], "diagonal filter"), Panel.From("like \\", mirroredMap[0, 0], "mirrored filter")],
       columns: 2, Palette.Diverging, Scale.PerPanel, "response")
   ```

2. Look at another digit, the first 0 of the training set. A 0 has no straight strokes: what do the edge maps show?

   ```csharp
   var zero = mnist.Train.Image(mnist.Train.IndexOfLabel(0));
   var zeroMaps = nn.functional.conv2d(zero, kernels, padding: [1, 1]);
   Heatmaps.Grid("The first 0 seen through each filter", names.Select((n, i) => Panel.From(n, zeroMaps[0, i], $"{n} filter")).ToList(),
       columns: 4, Palette.Diverging, Scale.PerPanel, "response")
   ```

3. Pool by averaging instead of taking the maximum. Which keeps thin strokes better?

   ```csharp
   var averaged = nn.functional.avg_pool2d(nn.functional.relu(maps), 2);
   Heatmaps.Grid("ReLU, then max-pool (top) or average-pool (bottom), one scale", names.Select((n, i) => Panel.From($"{n}, max", pooled[0, i], "max of 2×2"))
       .Concat(names.Select((n, i) => Panel.From($"{n}, average", averaged[0, i], "mean of 2×2"))).ToList(), columns: 4, Palette.Viridis, Scale.Shared, "response")
   ```

4. **Write it yourself:** a function `Convolve(x, k)` that computes a 3×3 convolution with padding 1 with two loops,
   one over rows and one over columns, each value being `(patch * k).sum()` as in the cell "One value, by hand".
   Check that it gives `conv2d`'s vertical map of the 9.

5. **Write it yourself:** 2×2 max-pooling of one map with loops, and check it against `max_pool2d`'s result
   (`pooled`) for the ReLU'd vertical map.

   The worked solutions are in `docs/solutions.md`; try first.
*/

/*
## Questions

Short answers are all in this notebook; the teacher's guide (`docs/teaching.md`) has them.

1. What does a filter compute at one position of an image?
2. Why do the four maps stay 28×28 with a 3×3 filter and padding 1? Give the formula.
3. On an upright stroke, where is the vertical filter's map positive, and where negative?
4. Along which direction must an edge run for the *diagonal* filter to answer most, and why does it not answer at all
   to an edge at right angles to that?
5. What does ReLU do to a map, and why does it not matter whether max-pooling comes before or after it?
6. What size is the map of a 4×4 kernel with stride 2 and no padding on a 28×28 image?
7. A conv layer's weights have the shape [32, 16, 5, 5]. How many maps does it read, how many does it make, and how
   many products does one output value add up?
8. What does a filter's bias do to its map?
*/

Done();
