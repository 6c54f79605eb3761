#!/usr/bin/env dotnet
// 3 · Evaluate on the test set: the chapter form of notebooks/03-evaluate.ipynb, a C# program that runs with the .NET SDK alone.
//   dotnet run notebooks/03-evaluate.cs            (from the repository root; from notebooks/: dotnet run 03-evaluate.cs)
//   dotnet run notebooks/03-evaluate.cs -- name=value …    sets the parameters cell's values; the page is artifacts/chapters/03-evaluate.html
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
# 3 · Evaluate on the test set

How good is the trained network, and where does it go wrong? This notebook loads the model you trained in
**02-define-and-train** (or, if you have not, the checkpoint shipped with the repository: one full run of the article's
settings) and tests it on the test images: all 10,000, or fewer if 02 ran with a `limit`.
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
var mnist = Datasets.Load(info.Dataset, limit: info.Limit);
Show($"Using {source}.");

/*
How it trained, epoch by epoch (saved with the checkpoint):
*/

Cell(3);
Show(Charts.TrainingCurves(info.History));

/*
## Accuracy and loss

The article reports 99.04 % test accuracy and test loss 0.0281; the shipped checkpoint gets 99.19 % and 0.0271. Loss is the average cross-entropy: how surprised the
network is by the right answer (0 would be certain and right).
*/

Cell(4);
var test = Trainer.Evaluate(model, mnist.Test);
Console.WriteLine($"test accuracy {test.Accuracy:P2} ({test.Correct} of {test.Count} right), test loss {test.Loss:F4}");

/*
## From logits to probabilities, by hand

The network's last layer gives ten **logits**, one per digit; **softmax** turns them into probabilities that add up
to 1: e^(logit) over the sum of all ten. Taking the largest logit away first changes nothing in the result and keeps
e^logit from overflowing. For the first test image, by hand, beside what `Trainer.Predict` gives:
*/

Cell(5);
var prediction = Trainer.Predict(model, mnist.Test.Image(0));   // the ten logits (Scores) and their softmax
var logits = from_array(prediction.Scores);
var exps = (logits - logits.max()).exp();                         // e^(logit − the largest): the largest becomes 1
var byHand = exps / exps.sum();
Console.WriteLine($"test image 0, labelled {mnist.Test.Label(0)}; Σ e^(logit − largest) = {exps.sum().item<float>():F6}");
for (int k = 0; k < 10; k++)
    Console.WriteLine($"{k}: logit {prediction.Scores[k],8:F3}   e^(…) {exps[k].item<float>():F6}   by hand {byHand[k].item<float>(),8:P2}   Trainer.Predict {prediction.Probabilities[k],8:P2}");

/*
## Per digit

Some digits are harder than others.
*/

Cell(6);
var perClass = test.PerClassAccuracy();   // right answers over images, digit by digit
for (int d = 0; d < perClass.Length; d++)
    Console.WriteLine($"{mnist.Test.Classes[d],-12} {test.Labels.Count(l => l == d),5} images   accuracy {perClass[d]:P2}");

/*
## The mistakes

The 16 test images the network gets wrong most confidently, with the true label, its answer and how sure it was.
Many are digits a person would hesitate over too. (**06** goes further: the confusion matrix, and why it answered what it did.)
*/

Cell(7);
Show(Charts.Misclassified(mnist.Test, test, 16));

/*
## Why convolutions: move the digit

A conv layer applies the same filter at every position, so a digit moved a few pixels gives the same maps, moved.
A plain network of linear layers (a multi-layer perceptron, MLP) has one weight per pixel and unit instead: what it
learnt about a stroke at column 10 says nothing about column 13. An MLP with one hidden layer, trained the same way
as your network (same images, epochs, seed, optimiser), then both on the test images moved right by 0 to 4 pixels.

**Predict, then run.** Which loses more accuracy when the digits move 3 pixels?
*/

Cell(8);
var mlp = ConvNet.Create([1, 28, 28], info.Training.Seed, () => nn.Sequential(
    ("flatten", nn.Flatten()), ("fc1", nn.Linear(784, 96)), ("relu1", nn.ReLU()), ("fc2", nn.Linear(96, 10))));
var mlpHistory = Trainer.Train(mlp, mnist.Train, info.Training);
Console.WriteLine($"the MLP ({mlp.Plan}, {mlp.parameters().Sum(p => p.numel()):N0} parameters): test accuracy {Trainer.Evaluate(mlp, mnist.Test).Accuracy:P2}");

// The test images moved right by `shift` pixels (zeros come in on the left), scored in batches of 1,000.
double Accuracy(ConvNet net, int shift)
{
    net.eval();
    long right = 0;
    using var _ = no_grad();
    for (int start = 0; start < mnist.Test.Count; start += 1000)
    {
        using var scope = NewDisposeScope();
        var (images, labels) = mnist.Test.Batch(start, Math.Min(1000, mnist.Test.Count - start));
        var moved = nn.functional.pad(images, [shift, 0, 0, 0])[.., .., .., ..28];
        right += net.call(moved).argmax(1).eq(labels).sum().item<long>();
    }
    return (double)right / mnist.Test.Count;
}
foreach (var shift in new[] { 0, 1, 2, 3, 4 })
    Console.WriteLine($"moved {shift} px: conv net {Accuracy(model, shift):P1}, MLP {Accuracy(mlp, shift):P1}");

/*
**The answer.** The MLP. In the full run, moved 3 pixels, the conv net keeps 88 % of the test digits right and the
MLP 62 %; moved 4, the conv net is down to 70 % and the MLP to 38 %. Neither is immune, but the conv net's filters
find the strokes wherever they are.
*/

/*
The conv layers' maps move with the digit: conv1's maps of the 9 moved 3 pixels are the 9's maps moved 3 pixels
(away from the border, where the padding differs; for a stride-1 conv1, as in the article's network). Max-pooling then forgives a pixel or two, and it is the dense
layers at the end, which see fixed positions again, that lose track as the shift grows.
*/

Cell(9);
var nine = mnist.Train.Image(4);
var movedNine = nn.functional.pad(nine, [3, 0, 0, 0])[.., .., .., ..28];
var firstConv = Inspect.ConvLayers(model)[0];
var (stride, width) = (model.Plan.Convs[0].Stride.Columns, (int)model.Plan.Convs[0].OutputShape[2]);   // read from the plan, not assumed
if (stride != 1 || width < 20)
    Console.WriteLine($"{firstConv} has stride {stride} and maps {width} wide: a 3-pixel move is not a whole move of its maps inside columns 8–19, so this check does not apply to it.");
else
{
    var mapsOfMoved = Inspect.FeatureMaps(model, movedNine, firstConv)[firstConv];
    var movedMaps = nn.functional.pad(Inspect.FeatureMaps(model, nine, firstConv)[firstConv], [3, 0, 0, 0])[.., .., ..width];
    Console.WriteLine($"{firstConv}: largest difference between the maps of the moved 9 and the moved maps, columns 8–19: {(mapsOfMoved - movedMaps)[.., .., 8..20].abs().max().item<float>():F6}");
}

/*
## Try this

Each exercise runs as written in a new cell at the end of the notebook; answers are in `docs/solutions.md`. The last
two ask you to write the code yourself.

1. Find the test images the network is *least* sure about even when it is right. What do they have in common?

   ```csharp
   var unsure = Enumerable.Range(0, test.Count).Where(i => test.Predictions[i] == test.Labels[i]).OrderBy(i => test.Confidences[i]).Take(8).ToList();
   Heatmaps.Grid("Right, but least sure", unsure.Select(i => Panel.From($"#{i}: {test.Labels[i]} ({test.Confidences[i]:P0})", mnist.Test.Image(i)[0, 0], $"test image {i}")).ToList(),
       columns: 8, Palette.Greys, Scale.Shared, "ink")
   ```

2. See why evaluation switches dropout off: score the first 1,000 test images with dropout on, three times. (This
   needs a network with dropout: with `GlobalAverage`, which has none, the counts are equal; with `WithBatchNorm`,
   `train()` also makes batch norm use each batch's own statistics.)

   ```csharp
   var (images, labels) = mnist.Test.Batch(0, 1000);
   model.train();                                   // dropout on, as during training
   using (no_grad())
       for (int run = 1; run <= 3; run++)
           Console.WriteLine($"dropout on, run {run}: {model.call(images).argmax(1).eq(labels).sum().item<long>()} of 1000 right");
   model.eval();                                    // dropout off again
   using (no_grad())
       Console.WriteLine($"dropout off: {model.call(images).argmax(1).eq(labels).sum().item<long>()} of 1000 right, every time");
   ```

3. Compare with the shipped model (one full run of the article's settings), whatever you trained in **02**.

   ```csharp
   var shipped = ConvLens.Checkpoints.Checkpoint.Load(RepositoryData.ShippedCheckpoint()).Model;
   var shippedTest = Trainer.Evaluate(shipped, mnist.Test);
   Console.WriteLine($"shipped: {shippedTest.Accuracy:P2} ({shippedTest.Count - shippedTest.Correct} mistakes); yours: {test.Accuracy:P2} ({test.Count - test.Correct} mistakes)");
   ```

4. **Write it yourself:** count the mistakes by pair, (true digit, answer), from `test.Labels` and
   `test.Predictions`, and print the three most frequent pairs.

5. **Write it yourself:** move the test digits *down* by 3 pixels instead of right, and score the conv net and the
   MLP on them as `Accuracy` does.

   The worked solutions are in `docs/solutions.md`; try first.
*/

/*
## Questions

Short answers are all in this notebook; the teacher's guide (`docs/teaching.md`) has them.

1. What does the test accuracy tell you that the validation accuracy cannot?
2. How does softmax turn ten logits into probabilities, and why take the largest logit away first?
3. What do the per-digit accuracies show that the overall accuracy hides?
4. Why does evaluation switch dropout off?
5. When the test digits move 3 pixels to the right, which loses more accuracy, the conv net or the MLP?
6. Why are conv1's maps of a moved digit the same maps, moved (away from the border)?
7. Which part of the conv net still depends on where the digit is?
*/

Done();
