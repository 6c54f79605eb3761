#!/usr/bin/env dotnet
// 5 · Visualize the feature maps: the chapter form of notebooks/05-visualize-feature-maps.ipynb, a C# program that runs with the .NET SDK alone.
//   dotnet run notebooks/05-visualize-feature-maps.cs            (from the repository root; from notebooks/: dotnet run 05-visualize-feature-maps.cs)
//   dotnet run notebooks/05-visualize-feature-maps.cs -- name=value …    sets the parameters cell's values; the page is artifacts/chapters/05-visualize-feature-maps.html
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
# 5 · Visualize the feature maps

Filters are what a layer looks for; feature maps are what it finds in one particular image. As in the article, we
attach a **forward hook** to a conv layer: a small function that TorchSharp calls with the layer's output while the
image passes through the network. We do it once by hand, then let `Inspect.FeatureMaps` do it for any layer.
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
var mnist = Datasets.Load(info.Dataset);
Console.WriteLine($"Using {source}.");

/*
## The image

The article's example: training image 4, a 9.
*/

Cell(3);
var index = 4;
var image = mnist.Train.Image(index);
Show(Charts.Image(image, $"training image {index} (a {mnist.Train.Classes[mnist.Train.Label(index)]})"));

/*
## A forward hook, by hand

The article registers a hook on `model.conv1`, runs one image, and reads what the hook kept. The same in TorchSharp:
find the layer by name, register the hook, run the image with `model.call` (hooks fire only through `.call`, not
through `.forward`), then remove the hook, or it would fire on every later image too.
*/

Cell(4);
var captured = new Dictionary<string, Tensor>();
var conv1 = (TorchSharp.Modules.Conv2d)model.named_modules().Single(m => m.name == "conv1").module;
var hook = conv1.register_forward_hook((layer, input, output) =>
{
    captured["conv1"] = output.detach().clone();   // keep a copy: the network frees its intermediate tensors
    return output;                                 // hand the output on unchanged
});
model.eval();                                      // evaluation mode: dropout off
using (no_grad())                                  // no gradients needed: we only look
    model.call(image);
hook.remove();
Console.WriteLine($"the hook kept conv1's output for training image {index}: shape [{string.Join(", ", captured["conv1"].shape)}] = [image, maps, rows, columns]");

/*
`Inspect.FeatureMaps(model, image, layers)` does the same for any layers, by name: it registers the hooks, runs the
image, removes the hooks (also when something fails, so running a cell twice never leaves one behind) and returns each
layer's maps for the one image, [maps, rows, columns]:
*/

Cell(5);
var layers = Inspect.ConvLayers(model);
var maps = Inspect.FeatureMaps(model, image, layers.ToArray());
Console.WriteLine($"equal to the hook by hand: {maps["conv1"].eq(captured["conv1"][0]).all().item<bool>()}");

/*
### One unit of each conv layer, by hand

Each value of a trained conv layer's map is the patch of its input under the kernel, times the kernel, summed over
every input channel, plus the filter's bias. For conv1 the input is the image (one channel); for a deeper layer it is
what the block before it gives, with one channel per map (16 for the article's conv2). Map 0 at the centre of each
layer, by hand, beside what the hook kept:
*/

Cell(6);
foreach (var name in layers)
{
    var conv = (Conv2dLayer)model.Plan[name];
    var feeder = model.Plan.Layers.TakeWhile(l => l.Name != name).LastOrDefault()?.Name;   // the layer before it, if any
    var input = feeder is null ? image[0] : Inspect.FeatureMaps(model, image, feeder)[feeder];   // [channels, rows, columns]
    var (k, s, p) = (conv.Kernel.Rows, conv.Stride.Rows, conv.Padding.Rows);   // square kernels, no dilation, as in 02's networks
    int row = (int)conv.OutputShape[1] / 2, column = (int)conv.OutputShape[2] / 2;
    var layer = (TorchSharp.Modules.Conv2d)model.Layer(name);
    var patch = nn.functional.pad(input, [p, p, p, p])[.., (row * s)..(row * s + k), (column * s)..(column * s + k)];
    var perChannel = (patch * layer.weight![0]).sum([1, 2]);                 // one sum per input channel
    var bias = layer.bias is null ? 0f : layer.bias[0].item<float>();
    Console.WriteLine($"{name} map 0 at ({row}, {column}): Σ over {perChannel.shape[0]} input channel{(perChannel.shape[0] == 1 ? "" : "s")} of patch × kernel " +
        $"= {perChannel.sum().item<float>():F4}, + bias {bias:F4} = {perChannel.sum().item<float>() + bias:F4};  the hook: {maps[name][0, row, column].item<float>():F4}");
}

/*
## The first conv layer's feature maps

One map per filter (in the article's network the same size as the image: padding 2 keeps 28×28). The article shows conv1's 16 maps in a 4×4 grid, each on its own
colour scale, in viridis: yellow where a filter's pattern is strongly present, dark purple where its opposite is.

**Predict, then run.** conv1 has edge-detecting filters (notebook **04**). Will its maps look like the 9, like blobs,
or like noise?
*/

Cell(7);
Show(Charts.FeatureMaps(layers[0], maps[layers[0]], scale: Scale.PerPanel, about: $"training image {index}", columns: 4));

/*
**The answer.** Like the 9: each map is the digit seen through one filter, as in **01**. Edge filters light one side
of each stroke and darken the other; a few filters answer to the ink itself and draw a whole, slightly blurred 9, in reverse: their weights add up to a
negative number, so their maps are darkest where the ink is (on the shipped checkpoint, maps 4, 6, 9 and 12 correlate −0.5 or less
with the blurred digit).
*/

/*
The same maps on one shared scale. On its own scale every map fills the whole palette, even one that barely
responds; on a shared scale the maps that matter stand out, and the values can be compared map to map.
*/

Cell(8);
Show(Charts.FeatureMaps(layers[0], maps[layers[0]], about: $"training image {index}"));

/*
### What it looks for, where it found it

Each of conv1's filters beside the map it produces for this image: the filter (blue-red, one scale for all) is the
pattern, the map (viridis) shows where on the 9 that pattern is.
*/

Cell(9);
Show(Charts.FiltersBesideMaps(layers[0], Inspect.Filters(model, layers[0]), maps[layers[0]], about: $"training image {index}"));

/*
## Deeper

The next conv layer works on what the first block gives (in the article's network, the first layer's pooled maps, at
half the resolution). Its maps are coarser and more abstract: instead of thin edges, many respond to larger parts of
the digit, such as the loop or the stem of the 9 (on the shipped checkpoint, 17 of conv2's 32 maps peak in or
above the loop, 11 on the stem and its foot, and 4 where the two meet). First as the article draws conv2's maps (each on its own scale,
4 to a row: `plt.subplots(act.size(0)//4, 4)`, 8 rows for 32 maps), then on one shared scale:
*/

Cell(10);
foreach (var layer in layers.Skip(1))
{
    display(Charts.FeatureMaps(layer, maps[layer], scale: Scale.PerPanel, about: $"training image {index}", columns: 4));
    display(Charts.FeatureMaps(layer, maps[layer], about: $"training image {index}"));
}

/*
## What does this pixel of conv2 see?

In the article's network, a pixel of a conv1 map is computed from a 5×5 patch of the image. A pixel of a conv2 map is computed from a 5×5 patch
of conv1's pooled maps, and each pooled pixel came from a 2×2 block of conv1 pixels, each of them from a 5×5 patch of
the image. So a conv2 pixel sees a larger part of the digit: its **receptive field**. By hand, along one axis: start
from one pixel; a k×k conv widens the window by k − 1 steps, a pool of 2 widens it by one step, and after pooling
neighbouring pixels sit twice as far apart in the image (the **jump** doubles).
*/

Cell(11);
int size = 1, jump = 1;   // one input pixel; neighbouring pixels 1 apart
foreach (var layer in model.Plan.Layers.OfType<WindowLayer>())   // the layers that look at a window: convs and pools
{
    size += (layer.Kernel.Rows - 1) * jump;   // a k×k window widens it by k − 1 steps of the current jump
    jump *= layer.Stride.Rows;               // a stride of 2 (pooling's) puts neighbouring pixels' windows twice as far apart
    Console.WriteLine($"{layer.Name}: a pixel sees {size}×{size} input pixels, and neighbouring pixels' windows start {jump} apart");
}

/*
`Inspect.ReceptiveField(model, layer, row, column)` gives the window itself, for any layer and pixel, clipped at the
image's borders: a pixel near the edge sees less of the image, because the padding's zeros stand in for the rest.
*/

Cell(12);
var last = layers[^1];                 // conv2 in the article's net
var side = (int)maps[last].shape[1];
Console.WriteLine($"{last} pixel ({side / 2}, {side / 2}), near the centre, sees input {Inspect.ReceptiveField(model, last, side / 2, side / 2)}");
Console.WriteLine($"{last} pixel (0, 0), the corner, sees input {Inspect.ReceptiveField(model, last, 0, 0)}");

/*
Now look instead of computing. **Hover any pixel of these maps: the red square on the input is what it sees.** Hover
where a map is bright: which part of the 9 made it fire? The maps of the next sections have the image first too, with
the same outline.
*/

Cell(13);
var fields = Inspect.ReceptiveFields(model);   // each layer's receptive field, by name
Show(Charts.FeatureMaps(last, maps[last], about: $"training image {index}", input: image, field: fields[last]));

/*
## What the next layer receives

The article hooks the conv outputs. What actually flows on is each block's output: in the article's network, after
max-pooling and ReLU, so negatives are cut to zero and the size is halved. `Inspect.BlockOutputs` names those layers (relu1, relu2, … here) for any
architecture: the layer plan knows each block, a conv layer and the pooling, batch norm and activation that follow it.
*/

Cell(14);
var after = Inspect.BlockOutputs(model).ToArray();
var activations = Inspect.FeatureMaps(model, image, after);
foreach (var layer in after)
    display(Charts.FeatureMaps(layer, activations[layer], about: $"training image {index}", input: image, field: fields[layer]));

/*
## Another digit, chosen by label

Pick images by what they show: the first 9 of the test set, or the third 3.
*/

Cell(15);
var nine = mnist.Test.IndexOfLabel(9);
var testMaps = Inspect.FeatureMaps(model, mnist.Test.Image(nine), layers[0]);
Show(Charts.FeatureMaps(layers[0], testMaps[layers[0]], about: $"test image {nine}, the first 9 of the test set", input: mnist.Test.Image(nine), field: fields[layers[0]]));

/*
## Watch it think: draw a digit

Everything above was one image at a time. The explorer runs the model loaded at the top (yours, if you trained one in
02) inside this output: **draw a digit** with the mouse, a finger or a pen, and the class probabilities and every conv
layer's maps change while you draw. It reads a drawing as MNIST's digits were made (the ink scaled into 20×20 and
centred by its centre of mass) and shows the 28×28 the network actually receives. Load a test image and draw over it:
can you turn a 4 into a 9? Tick the box to see each block's output after pooling and ReLU, and hover a map's pixel for
its receptive field. The same explorer as a page of its own: `./convlens explorer` writes `artifacts/look/explorer.html`.
*/

Cell(16);
Show(Explorer.Show(model, mnist.Test));

/*
### Watch it learn

Notebook 02 kept the weights before training and after each epoch. Here is the same explorer with a **weights**
slider: draw once, then move the slider from the random start to the last epoch and watch the maps and the
probabilities form. (Until 02 has trained a model, the cell says so instead.)
*/

Cell(17);
Show(Workbook.EpochsExplorer(mnist.Test));

/*
## Try this

Each exercise runs as written in a new cell at the end of the notebook; answers are in `docs/solutions.md`. The last
two ask you to write the code yourself.

1. Look at the third 3 of the test set. Which first-layer maps light up for its curves, and which for the 9's straight
   stem?

   ```csharp
   var three = mnist.Test.IndexOfLabel(3, occurrence: 2);
   var threeMaps = Inspect.FeatureMaps(model, mnist.Test.Image(three), layers[0]);
   Charts.FeatureMaps(layers[0], threeMaps[layers[0]], about: $"test image {three}, the third 3 of the test set")
   ```

2. Which of conv2's maps answers the 9 most weakly? Print each map's strongest value as a share of the strongest of
   all, then find the weakest map in both conv2 figures above.

   ```csharp
   var peaks = maps[layers[1]].flatten(1).max(1).values;   // the largest value of each map
   var order = peaks.argsort(descending: true).data<long>().ToArray();
   Console.WriteLine($"{layers[1]}'s maps, strongest first: " + string.Join(", ", order.Select(c => $"#{c} {peaks[c].item<float>() / peaks.max().item<float>():P0}")));
   ```

3. Feed the network something that is not a digit: random noise. What do the first-layer maps show now?

   ```csharp
   var noise = rand(1, 1, 28, 28, generator: new Generator(0));
   var noiseMaps = Inspect.FeatureMaps(model, noise, layers[0]);
   var noisePrediction = Trainer.Predict(model, noise);
   Console.WriteLine($"the network says {noisePrediction.Class}, {noisePrediction.Probabilities.Max():P1} sure");
   Charts.FeatureMaps(layers[0], noiseMaps[layers[0]], about: "random noise")
   ```

4. Every layer's receptive field: which layers widen the window, and which leave it as it is? What would a third 5×5
   conv block, after pool2, see?

   ```csharp
   foreach (var (name, field) in Inspect.ReceptiveFields(model))
       if (field.Spatial) Console.WriteLine($"{name,-13} its centre pixel sees input {field.Window(field.MapHeight / 2, field.MapWidth / 2)}");
   ```

5. **Write it yourself:** find the map of the first block's output (`Inspect.BlockOutputs(model)[0]`) with the
   largest mean value for the 9, and draw it on its own.

6. **Write it yourself:** compare conv1's maps of the 9 with those of the first 4 of the test set: which map differs
   most between the two digits (largest mean absolute difference)? Print its number and that difference.

   The worked solutions are in `docs/solutions.md`; try first.
*/

/*
## Questions

Short answers are all in this notebook; the teacher's guide (`docs/teaching.md`) has them.

1. What is a forward hook, and why must the image go through `model.call` rather than `forward`?
2. Why is the hook removed after use?
3. How is one value of a conv2 map computed from the maps before it?
4. What is a receptive field, and how large is the one of a conv2 pixel near the centre, in the article's network?
5. Why does a pixel near the edge see less of the image?
6. Which colour scale do you use to compare maps with each other, and why?
7. What reaches the next layer: the conv layer's output, or the block's?
8. How does the explorer turn a drawing into the network's input?
*/

Done();
