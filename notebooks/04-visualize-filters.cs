#!/usr/bin/env dotnet
// 4 · Visualize the learned filters: the chapter form of notebooks/04-visualize-filters.ipynb, a C# program that runs with the .NET SDK alone.
//   dotnet run notebooks/04-visualize-filters.cs            (from the repository root; from notebooks/: dotnet run 04-visualize-filters.cs)
//   dotnet run notebooks/04-visualize-filters.cs -- name=value …    sets the parameters cell's values; the page is artifacts/chapters/04-visualize-filters.html
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
# 4 · Visualize the learned filters

In **01** we wrote filters by hand. Training wrote these: every conv layer's weights, shown as small images. Each
panel is one filter; red weights add where the input is bright, blue ones subtract, white is zero, and most figures
share one colour scale so their panels can be compared (the article-style grids give each panel its own). Hover over a cell for its exact value.

This works for whatever network **02** trained (or the shipped one): nothing below names a fixed architecture.
*/

/*
**Setup.** This cell loads the ConvLens library and plotly.js for the charts; keep its output, the charts below use
it. It needs one build first, from the repository root: `dotnet build src/ConvLens -c Release` (the README says more,
including how to prepare a workshop offline). If the library's sources changed after that build, the cell says so.
*/

Cell(1);
Show(Workbook.Start());   // figures show as charts, offline: plotly.js comes in this cell's output; warns if the build is stale

Cell(2);
var (model, info, source) = Workbook.LoadModel();
Console.WriteLine($"Using {source}.");
Console.WriteLine($"conv layers: {string.Join(", ", Inspect.ConvLayers(model))}");

/*
## The first layer, by hand

A conv layer keeps its filters in its `weight` parameter, a tensor [filters, input channels, rows, columns]. The
article collects the `weight` of each `Conv2d` among `model.children()`; in TorchSharp we find the layer by its name
and read the same tensor.
*/

Cell(3);
var conv1 = (TorchSharp.Modules.Conv2d)model.named_modules().Single(m => m.name == "conv1").module;
var weight = conv1.weight!.detach();   // no gradient needed: we only look
Console.WriteLine($"conv1.weight has shape [{string.Join(", ", weight.shape)}]: {weight.shape[0]} filters, {weight.shape[1]} input channel, {weight.shape[2]}×{weight.shape[3]}");
Console.WriteLine("filter 0, first row: " + string.Join("  ", weight[0, 0, 0].data<float>().ToArray().Select(v => v.ToString("+0.000;-0.000"))));

/*
`Inspect.Filters(model, layer)` is the same read, for any conv layer by name (it also copies the weights to the CPU,
so it works after training on a GPU). From here on we use it:
*/

Cell(4);
var first = Inspect.ConvLayers(model)[0];
Console.WriteLine($"Inspect.Filters(model, \"{first}\") equals conv1.weight: {Inspect.Filters(model, first).eq(weight).all().item<bool>()}");

/*
### As the article draws them

The article shows conv1's 16 filters in a 4×4 grid, in the viridis palette, each filter on its own colour scale:

**Predict, then run.** Trained on digits, will these look like random noise, like the edge filters of **01**, or like
little digits?
*/

Cell(5);
Show(Charts.Filters(first, weight, palette: Palette.Viridis, scale: Scale.PerPanel, columns: 4));   // the weights read by hand above

/*
### On one shared scale

The same 16 filters on one diverging scale: red weights add where the input is bright, blue ones subtract, white is
zero. One shared scale compares better: on its own scale every filter fills the whole palette, so a filter of tiny
weights looks as strong as one of large weights, and viridis hides the sign, which says on which side of an edge the
ink must be.

**The answer.** Not noise and not little digits: many filters are edge detectors like the ones we built in **01**,
at different angles, a band of positive weights beside a band of negative ones. (On the shipped checkpoint, a ramp
from one side of the filter to the other explains more than a quarter of the weights' variance in 8 of the 16,
against none of them at their random start.)
*/

Cell(6);
Show(Charts.Filters(first, weight));

/*
## Deeper layers

A deeper filter has one kernel per feature map of the layer before (16 for conv2): it combines the first layer's
findings. The article shows only the kernels on input channel 0, conv2's 32 of them in a 6×6 grid, each on its own
scale; below each, the same on one shared scale:
*/

Cell(7);
var deeper = Inspect.ConvLayers(model).Skip(1).ToList();
foreach (var layer in deeper)
{
    var weights = Inspect.Filters(model, layer);   // [filters, input channels, rows, columns]
    display(Charts.Filters(layer, weights, channel: 0, palette: Palette.Viridis, scale: Scale.PerPanel, columns: 6));
    display(Charts.Filters(layer, weights, channel: 0));
}

/*
Every kernel at once: one row per filter, one column per input channel. A column that stays pale belongs to an input
map that this layer barely uses.
*/

Cell(8);
foreach (var layer in deeper)
    display(Charts.AllKernels(layer, Inspect.Filters(model, layer)));

/*
The same, summarised: the size (L2 norm) of each kernel. Bright cells are the input channels a filter listens to most.
*/

Cell(9);
foreach (var layer in deeper)
    display(Charts.KernelNorms(layer, Inspect.Filters(model, layer)));

/*
## Try this

Each exercise runs as written in a new cell at the end of the notebook; answers are in `docs/solutions.md`. The last
two ask you to write the code yourself.

1. Compare with the same network before training: the same architecture and seed, so the same starting weights.
   What does training add?

   ```csharp
   var before = ConvNet.Build(info.Plan, seed: info.Training.Seed);   // fresh layers from the saved plan
   Charts.Filters(first, Inspect.Filters(before, first))
   ```

2. Which conv2 filter depends most on conv1's filter 0? Compare the sizes of the kernels on input channel 0, then
   find that filter's row in the norm chart above.

   ```csharp
   var conv2 = Inspect.Filters(model, deeper[0]);                 // [filters, input channels, rows, columns]
   var norms = conv2.select(1, 0).flatten(1).pow(2).sum(1).sqrt(); // one size per filter, for input channel 0
   var strongest = norms.argmax().item<long>();
   Console.WriteLine($"{deeper[0]} filter {strongest} listens most to conv1's filter 0: kernel norm {norms[strongest].item<float>():F3}, against {norms.mean().item<float>():F3} on average");
   ```

3. Do 3×3 filters still look like edges? Train a small 3×3 network for one epoch on the first 10,000 images (8,000
   train it, 2,000 check it; about 3 s) and look at its first layer.

   ```csharp
   var small = ConvNet.Create([1, 28, 28], seed: 0, () => nn.Sequential(
       ("conv1", nn.Conv2d(1, 16, kernel_size: 3, padding: 1)), ("pool1", nn.MaxPool2d(2)), ("relu1", nn.ReLU()),
       ("conv2", nn.Conv2d(16, 32, kernel_size: 3, padding: 1)), ("pool2", nn.MaxPool2d(2)), ("relu2", nn.ReLU()),
       ("flatten", nn.Flatten()), ("fc1", nn.Linear(1568, 96)), ("relu3", nn.ReLU()), ("fc2", nn.Linear(96, 10))));
   Trainer.Train(small, Datasets.Load(info.Dataset, limit: 10000).Train, new TrainingOptions { Epochs = 1 }, new TrainingLog(Console.Out));
   Charts.Filters("conv1", Inspect.Filters(small, "conv1"), columns: 4)
   ```

4. **Write it yourself:** find the conv1 filter with the largest weights (the largest L2 norm) and the one with the
   smallest, print both norms, and draw the two filters side by side on one scale.

5. **Write it yourself:** for each conv1 filter, count how many of its weights are positive, and print the filter
   whose weights are most of one sign.

   The worked solutions are in `docs/solutions.md`; try first.
*/

/*
## Questions

Short answers are all in this notebook; the teacher's guide (`docs/teaching.md`) has them.

1. What shape does conv1's weight tensor have in the article's network, and what does each of its four numbers count?
2. How does the article draw conv1's filters, and what does drawing them on one shared scale show that it hides?
3. What do many of the trained conv1 filters look like?
4. How many kernels does one conv2 filter have in the article's network, and why that many?
5. In the grid of every kernel, what does a column that stays pale say?
6. What does the norm chart summarise?
*/

Done();
