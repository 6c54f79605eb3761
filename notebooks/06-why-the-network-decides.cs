#!/usr/bin/env dotnet
// 6 · Beyond the article: why the network decides: the chapter form of notebooks/06-why-the-network-decides.ipynb, a C# program that runs with the .NET SDK alone.
//   dotnet run notebooks/06-why-the-network-decides.cs            (from the repository root; from notebooks/: dotnet run 06-why-the-network-decides.cs)
//   dotnet run notebooks/06-why-the-network-decides.cs -- name=value …    sets the parameters cell's values; the page is artifacts/chapters/06-why-the-network-decides.html
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
using ConvLens.Explain;
using TorchSharp;
using static TorchSharp.torch;
using static ConvLens.Chapters.Chapter;

Start(args);

/*
# 6 · Beyond the article: why the network decides

The article stops at what filters and feature maps look like. This notebook asks the next questions, with the tools
Python people know from Captum, pytorch-grad-cam and Lucent, here in C#:

* **Where does it go wrong?** The confusion matrix and the most confident mistakes.
* **Where does it look?** Attribution maps: which pixels made it say "9".
* **What does a filter want?** Inputs synthesized to excite one filter or one class.
* **How do filters form?** conv1's filters, snapshot by snapshot, while a network trains.
*/

/*
**Setup.** This cell loads the ConvLens library and plotly.js for the charts; keep its output, the charts below use
it. It needs one build first, from the repository root: `dotnet build src/ConvLens -c Release` (the README says more,
including how to prepare a workshop offline). If the library's sources changed after that build, the cell says so.
*/

Cell(1);
Show(Workbook.Start());   // figures show as charts, offline: plotly.js comes in this cell's output; warns if the build is stale

Parameters(2);
var maximizeSteps = Parameter("maximizeSteps", 150);   // gradient steps per synthesized image (section 3)
var epochs = Parameter("epochs", 3);            // training epochs for the filters-over-time section (6 to 26 s each on 2 cores)
int? limit = Parameter<int?>("limit", null);         // a number: train on only the first that many images

Cell(3);
var (model, info, source) = Workbook.LoadModel();
var mnist = Datasets.Load(info.Dataset);
Console.WriteLine($"Using {source}.");

/*
## 1 · Where it goes wrong

Rows are the true digit, columns the network's answer; each cell counts test images. The diagonal (right answers)
is left blank so the mistakes stand out; the row labels carry each digit's accuracy.
*/

Cell(4);
var test = Trainer.Evaluate(model, mnist.Test);
Show(Charts.Confusion(test, mnist.Test.Classes));

/*
The mistakes the network was most sure about. Hover for details.
*/

Cell(5);
Show(Charts.Misclassified(mnist.Test, test, 16));

/*
## 2 · Where it looks

For the article's digit (training image 4, a 9), six methods, each an object with one call, `Attribute(model, images, target)`, as in Captum, to ask which pixels the answer "9" depends on. Red is
where each method points (its magnitude, each panel on its own scale), over the digit in grey.

* **Saliency**: the gradient of the score for 9 with respect to each pixel. Noisy, but exact and cheap.
* **SmoothGrad**: the gradient averaged over 25 noisy copies of the image: a little less speckle.
* **Integrated gradients**: gradients averaged along the path from a blank image (all zeros: no ink, drawn
  white in these charts) to the digit, times the pixels. Its map
  adds up to score(digit) − score(blank image), which we check below.
* **Grad-CAM**: which regions of a conv block's feature maps matter for the 9, scaled up to 28×28. It weights each
  map by the average of its gradient; in the article's network (the shipped checkpoint), behind its dense layers, 31 of
  relu2's 32 averages are negative for this 9, so Grad-CAM nearly vanishes. **HiResCAM** keeps the gradient position by position instead. (Its guarantee, that the map is
  each position's exact share of the score (the bias aside), holds for a net that ends in one linear layer; the article's has fc1 → ReLU →
  fc2, so there it is that share for the network linearised at this image.)
* **Occlusion**: hide a 4×4 patch at a time and see how much the probability of 9 drops.
*/

Cell(6);
var image = mnist.Train.Image(4);
var nine = 9;
var convs = Inspect.ConvLayers(model);
var blocks = Inspect.BlockOutputs(model);   // each conv block's output: relu1, relu2, … (the layer plan knows which)
var methods = new AttributionMethod[]
{
    new Saliency(), new SmoothGrad(Samples: 25), new IntegratedGradients(Steps: 50),
    new HiResCam(), new GradCam(),          // on the last conv block's output, unless given a layer
    new Occlusion(Window: 4, Stride: 2),
};
var maps = methods.Select(m => (Method: m, Map: m.Attribute(model, image, nine))).ToList();   // one call for every method
Show(Charts.Attributions(image, maps.Select(m => (m.Method.Title(model), m.Map)).ToList(), "training image 4, class 9"));

/*
Each panel above is on its own scale, and its title gives its peak. On the shipped checkpoint Grad-CAM's peak is tiny next to HiResCAM's,
yet on its own scale it still paints a full-red block. The two are in the same units, so here they are on one scale:
Grad-CAM all but vanishes. Why, on the shipped checkpoint, HiResCAM's strongest area is the loop's lower left and the blank paper beside it: each cell of relu2's 7×7 map
stands for a 4×4 patch of the image but *sees* a much wider window (16×16 pixels, through two 5×5 convolutions and two
poolings), so cells over blank paper see the loop's edge, and their evidence for 9 is drawn where they sit, not where
the ink is.
*/

Cell(7);
var cams = maps.Where(m => m.Method is ClassActivationMap).Select(m => (m.Method.Title(model), m.Map)).ToList();
Show(Charts.Attributions(image, cams, "training image 4, class 9", Scale.Shared));

Cell(8);
// Completeness of integrated gradients: the attributions add up to the change in the score, from the baseline (the blank image: all zeros, no ink) to the digit.
var ig = maps.Single(m => m.Method is IntegratedGradients).Map;
var gap = Trainer.Predict(model, image).Scores[nine] - Trainer.Predict(model, zeros_like(image)).Scores[nine];
Console.WriteLine($"sum of the map {ig.sum().item<float>():F4}, score(digit) − score(blank) {gap:F4}");

/*
And for the most confident mistake: why did it say what it said? Attribution for the class it predicted, beside the
class it should have said.
*/

Cell(9);
var worst = test.Misclassified()[0];
var wrongImage = mnist.Test.Image(worst);
int said = test.Predictions[worst], truth = test.Labels[worst];
Show(Charts.Attributions(wrongImage, new List<(string, Tensor)>
{
    ($"integrated gradients for {said} (its answer)", new IntegratedGradients().Attribute(model, wrongImage, said)),
    ($"integrated gradients for {truth} (the label)", new IntegratedGradients().Attribute(model, wrongImage, truth)),
    ($"HiResCAM for {said}", new HiResCam().Attribute(model, wrongImage, said)),
}, $"test image {worst}, labelled {truth}, predicted {said}"));

/*
## 3 · What a filter wants

Start from faint noise and follow the gradient to the input that excites one channel most (activation
maximization), with penalties that keep it small (L2) and smooth (total variation), and random one-pixel shifts
(jitter) so it does not depend on exact position. The first layer's channels come out as oriented stripes (edges
at one angle, repeated), like the filters themselves in **04**; the second layer's mix several orientations, the
makings of curves and crossings. (On the shipped checkpoint, the median conv1 channel's picture has 82 % of its
variation within one 45° band of orientations, the median conv2 channel's 57 %; for noise it is about 30 %.)
*/

Cell(10);
var options = new MaximizeOptions { Steps = maximizeSteps, Seed = 0 };
foreach (var layer in convs)
{
    var channels = (int)Inspect.Filters(model, layer).shape[0];
    display(Charts.PreferredInputs($"{layer}: the input each channel prefers",
        Enumerable.Range(0, channels).Select(c => ($"{layer} #{c}", PreferredInput.ForChannel(model, layer, c, options).Image)).ToList()));
}

Cell(11);
Show(Charts.PreferredInputs("The input each class prefers",
    Enumerable.Range(0, 10).Select(k => ($"class {k}", PreferredInput.ForClass(model, k, options).Image)).ToList(), columns: 5));

/*
## 4 · How filters form

A fresh copy of the same architecture, trained for a few epochs while `FilterHistory` photographs the first conv layer's filters
(and the second's, on input channel 0) before training, every 100 batches and after each epoch. Move the slider: the random starting weights grow and sharpen
into edge-like patterns; much of each filter's layout is already there at the start, and
training strengthens it. All snapshots share one colour scale, so the growth shows.
*/

Cell(12);
var fresh = ConvNet.Build(info.Plan, seed: 1);   // fresh layers from the saved plan: the same architecture, untrained
var train = limit is int n ? mnist.Train.Take(n) : mnist.Train;
var history = new FilterHistory(fresh, convs[0], everyBatches: 100);
var second = convs[Math.Min(1, convs.Count - 1)];
var history2 = new FilterHistory(fresh, second, everyBatches: 100, inner: history);   // one progress, two layers
Trainer.Train(fresh, train, new TrainingOptions { Epochs = epochs, Seed = 1 }, history2);
display(Charts.FiltersOverTime(convs[0], history.Snapshots));
Show(Charts.FiltersOverTime(second, history2.Snapshots, channel: 0));

/*
## Try this

Each exercise runs as written in a new cell at the end of the notebook; answers are in `docs/solutions.md`. The last
two ask you to write the code yourself.

1. Explain another digit: the first 3 of the test set, for class 3. Does HiResCAM on the last block still follow the
   strokes? Does Grad-CAM?

   ```csharp
   var three = mnist.Test.Image(mnist.Test.IndexOfLabel(3));
   var three_methods = new AttributionMethod[] { new IntegratedGradients(), new HiResCam(), new GradCam() };
   Charts.Attributions(three, three_methods.Select(m => (m.Title(model), m.Attribute(model, three, 3))).ToList(), "the first 3 of the test set, class 3")
   ```

2. Integrated gradients from a grey image instead of the blank one. Does completeness still hold, now against the
   score of the grey image? What changes in the map?

   ```csharp
   var grey = full_like(image, 0.5);
   var fromGrey = new IntegratedGradients(Steps: 50, Baseline: grey).Attribute(model, image, nine);
   var greyGap = Trainer.Predict(model, image).Scores[nine] - Trainer.Predict(model, grey).Scores[nine];
   Console.WriteLine($"sum of the map {fromGrey.sum().item<float>():F4}, score(digit) − score(grey) {greyGap:F4}");
   Charts.Attributions(image, new List<(string, Tensor)> { ("from zeros", ig), ("from grey", fromGrey) }, "training image 4, class 9")
   ```

3. Make the preferred inputs sharper or smoother: no total-variation penalty, then strong ones. (The penalty is a
   mean over pixels, added to a class score in the tens: it has to be large before it shows.)

   ```csharp
   Charts.PreferredInputs("class 8, three smoothness penalties", new List<(string, Tensor)>
   {
       ("TV 0", PreferredInput.ForClass(model, 8, options with { TotalVariation = 0 }).Image),
       ("TV 30", PreferredInput.ForClass(model, 8, options with { TotalVariation = 30 }).Image),
       ("TV 100", PreferredInput.ForClass(model, 8, options with { TotalVariation = 100 }).Image),
   }, columns: 3)
   ```

4. **Write it yourself:** saliency by hand, with autograd: a copy of the image that requires its gradient, the
   score for 9 through `model.call`, `backward()`, and the gradient's size. Compare it with
   `new Saliency().Attribute(model, image, 9)`.

5. **Write it yourself:** an occlusion of your own: hide the top half of the 9 (rows 0–13, set to 0), then the
   bottom half, and print the probability of 9 each time beside the untouched image's.

   The worked solutions are in `docs/solutions.md`; try first.
*/

/*
## Questions

Short answers are all in this notebook; the teacher's guide (`docs/teaching.md`) has them.

1. What question does a saliency map answer?
2. What does completeness mean for integrated gradients, and how does the notebook check it?
3. Why does Grad-CAM nearly vanish on the article's 9 while HiResCAM does not?
4. Why can HiResCAM's strongest area lie on blank paper beside the ink?
5. What does occlusion measure?
6. How is a preferred input made, and what does the total-variation penalty change?
7. What does the filters-over-time slider show about how filters form?
*/

Done();
