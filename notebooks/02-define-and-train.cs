#!/usr/bin/env dotnet
// 2 · Define and train the network: the chapter form of notebooks/02-define-and-train.ipynb, a C# program that runs with the .NET SDK alone.
//   dotnet run notebooks/02-define-and-train.cs            (from the repository root; from notebooks/: dotnet run 02-define-and-train.cs)
//   dotnet run notebooks/02-define-and-train.cs -- name=value …    sets the parameters cell's values; the page is artifacts/chapters/02-define-and-train.html
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
# 2 · Define and train the network

The article's network, in TorchSharp: two conv layers that learn their own filters, then two linear layers that turn
what the filters found into ten scores, one per digit. We train it on MNIST the article's way: 48,000 training images,
12,000 held out to check that it generalises, batches of 128, the Adam optimiser with learning rate 0.002,
cross-entropy loss, 10 epochs, seed 0. On a 2-core laptop an epoch takes about 6 to 26 seconds (the shipped checkpoint's took 11 to 26 s).

Words this notebook uses:

* a **batch** is a group of images the network sees together (here 128); the weights change once per batch;
* an **epoch** is one pass over all the training images: 48,000 / 128 = 375 batches;
* a **logit** is the raw score the network gives each digit; softmax turns the ten logits into probabilities;
* the **cross-entropy** loss is minus the logarithm of the probability given to the right digit: 0 when the network
  is certain and right, ln 10 ≈ 2.3 when it guesses evenly;
* **Adam** is the optimiser: it moves each weight a little against its gradient, with a step size it adapts per weight;
* **dropout** switches off a random part of the activations while training (in the article's network, half of conv2's
  maps and a tenth of the hidden units), so the network cannot lean on any single one; it is off when the network is evaluated.
*/

/*
**Setup.** This cell loads the ConvLens library and plotly.js for the charts; keep its output, the charts below use
it. It needs one build first, from the repository root: `dotnet build src/ConvLens -c Release` (the README says more,
including how to prepare a workshop offline). If the library's sources changed after that build, the cell says so.
*/

Cell(1);
Show(Workbook.Start());   // figures show as charts, offline: plotly.js comes in this cell's output; warns if the build is stale

/*
**Parameters.** Ten epochs on every image reproduces the article. For a quick look, set `epochs = 1` and
`limit = 3000` (the first 3,000 images of each split): it then takes about 20 s.
*/

Parameters(2);
var epochs = Parameter("epochs", 10);        // passes over the training split
int? limit = Parameter<int?>("limit", null);      // null: all 60,000 training images; a number: only the first that many
var seed = Parameter("seed", 0);           // one seed for the split, the shuffles, the initial weights and dropout

/*
## The network, as code

The article writes its network as a PyTorch class: conv1, conv2, drop1, fc1, drop2 and fc2 as fields, and a `forward()`
that also calls `F.max_pool2d` and `F.relu` as functions. (Its drop2 is a `Dropout2d(p=0.1)` on the 96 hidden units,
a [batch, 96] tensor with no rows or columns. Dropout2d is meant for maps: given that tensor, the libtorch under
TorchSharp drops all 96 units of about a tenth of the images at once. Here drop2 is plain `Dropout(0.1)`, which drops
a tenth of the single units, what dropout on hidden units is for.) Here the same network is a `Sequential` of named layers
(PyTorch's `nn.Sequential(OrderedDict(...))`): the same steps in the same order, but every step, pooling and ReLU
included, is a layer. That matters for looking inside: a forward hook sees only layers, so work done by a function
call between two layers would be invisible to every figure that follows. (The end of this section shows what
ConvLens says about the article's own class.)
*/

Cell(3);
// The article's network, step by step: conv1 (16 filters, 5×5) → max-pool → ReLU → conv2 (32 filters, 5×5) → max-pool
// → ReLU → Dropout2d(0.5) → flatten (32 × 7 × 7 = 1568 numbers) → linear 96 → ReLU → dropout 0.1 → linear 10.
nn.Module<Tensor, Tensor> Article() => nn.Sequential(
    ("conv1", nn.Conv2d(1, 16, kernel_size: 5, padding: 2)),   // padding 2 keeps 28×28
    ("pool1", nn.MaxPool2d(2)),                                 // 28×28 → 14×14
    ("relu1", nn.ReLU()),
    ("conv2", nn.Conv2d(16, 32, kernel_size: 5, padding: 2)),
    ("pool2", nn.MaxPool2d(2)),                                 // 14×14 → 7×7
    ("relu2", nn.ReLU()),
    ("drop1", nn.Dropout2d(0.5)),                               // drops whole maps while training
    ("flatten", nn.Flatten()),                                  // 32 maps × 7 × 7 = 1568 numbers
    ("fc1", nn.Linear(1568, 96)),
    ("relu3", nn.ReLU()),
    ("drop2", nn.Dropout(0.1)),
    ("fc2", nn.Linear(96, 10)));                                // ten scores, one per digit

/*
**Edit the network.** Six changes people try first after the article, each written out as code. Pick one in the next
cell (`var architecture = …`), or edit any of them, or write your own, then run all cells again: the later notebooks
(evaluation, filters, feature maps, attribution, the explorer) follow whatever you train here. If a change does not
fit (say, maps that shrink to nothing), creating the model says which layer and why.
*/

Cell(4);
// 3×3 filters instead of 5×5 (padding 1 keeps the size)
nn.Module<Tensor, Tensor> ThreeByThree() => nn.Sequential(
    ("conv1", nn.Conv2d(1, 16, kernel_size: 3, padding: 1)), ("pool1", nn.MaxPool2d(2)), ("relu1", nn.ReLU()),
    ("conv2", nn.Conv2d(16, 32, kernel_size: 3, padding: 1)), ("pool2", nn.MaxPool2d(2)), ("relu2", nn.ReLU()),
    ("drop1", nn.Dropout2d(0.5)), ("flatten", nn.Flatten()),
    ("fc1", nn.Linear(1568, 96)), ("relu3", nn.ReLU()), ("drop2", nn.Dropout(0.1)), ("fc2", nn.Linear(96, 10)));

// A third conv layer: 28 → 14 → 7 → 3 after three poolings, so fc1 gets 64 × 3 × 3 = 576 numbers
nn.Module<Tensor, Tensor> ThirdConv() => nn.Sequential(
    ("conv1", nn.Conv2d(1, 16, kernel_size: 3, padding: 1)), ("pool1", nn.MaxPool2d(2)), ("relu1", nn.ReLU()),
    ("conv2", nn.Conv2d(16, 32, kernel_size: 3, padding: 1)), ("pool2", nn.MaxPool2d(2)), ("relu2", nn.ReLU()),
    ("conv3", nn.Conv2d(32, 64, kernel_size: 3, padding: 1)), ("pool3", nn.MaxPool2d(2)), ("relu3", nn.ReLU()),
    ("drop1", nn.Dropout2d(0.5)), ("flatten", nn.Flatten()),
    ("fc1", nn.Linear(576, 96)), ("relu4", nn.ReLU()), ("drop2", nn.Dropout(0.1)), ("fc2", nn.Linear(96, 10)));

// Stride-2 convs instead of pooling: each conv halves the size itself (28 → 14 → 7)
nn.Module<Tensor, Tensor> StrideTwo() => nn.Sequential(
    ("conv1", nn.Conv2d(1, 16, kernel_size: 5, stride: 2, padding: 2)), ("relu1", nn.ReLU()),
    ("conv2", nn.Conv2d(16, 32, kernel_size: 5, stride: 2, padding: 2)), ("relu2", nn.ReLU()),
    ("drop1", nn.Dropout2d(0.5)), ("flatten", nn.Flatten()),
    ("fc1", nn.Linear(1568, 96)), ("relu3", nn.ReLU()), ("drop2", nn.Dropout(0.1)), ("fc2", nn.Linear(96, 10)));

// Tanh instead of ReLU: every value squashed into −1 … 1, negatives kept
nn.Module<Tensor, Tensor> WithTanh() => nn.Sequential(
    ("conv1", nn.Conv2d(1, 16, kernel_size: 5, padding: 2)), ("pool1", nn.MaxPool2d(2)), ("tanh1", nn.Tanh()),
    ("conv2", nn.Conv2d(16, 32, kernel_size: 5, padding: 2)), ("pool2", nn.MaxPool2d(2)), ("tanh2", nn.Tanh()),
    ("drop1", nn.Dropout2d(0.5)), ("flatten", nn.Flatten()),
    ("fc1", nn.Linear(1568, 96)), ("tanh3", nn.Tanh()), ("drop2", nn.Dropout(0.1)), ("fc2", nn.Linear(96, 10)));

// Batch norm after each conv: each map shifted and scaled to a steady range while training
nn.Module<Tensor, Tensor> WithBatchNorm() => nn.Sequential(
    ("conv1", nn.Conv2d(1, 16, kernel_size: 5, padding: 2)), ("bn1", nn.BatchNorm2d(16)), ("pool1", nn.MaxPool2d(2)), ("relu1", nn.ReLU()),
    ("conv2", nn.Conv2d(16, 32, kernel_size: 5, padding: 2)), ("bn2", nn.BatchNorm2d(32)), ("pool2", nn.MaxPool2d(2)), ("relu2", nn.ReLU()),
    ("drop1", nn.Dropout2d(0.5)), ("flatten", nn.Flatten()),
    ("fc1", nn.Linear(1568, 96)), ("relu3", nn.ReLU()), ("drop2", nn.Dropout(0.1)), ("fc2", nn.Linear(96, 10)));

// Global average pooling instead of the big linear layer: each of conv3's 64 maps becomes its mean, then 64 → 10
nn.Module<Tensor, Tensor> GlobalAverage() => nn.Sequential(
    ("conv1", nn.Conv2d(1, 16, kernel_size: 3, padding: 1)), ("pool1", nn.MaxPool2d(2)), ("relu1", nn.ReLU()),
    ("conv2", nn.Conv2d(16, 32, kernel_size: 3, padding: 1)), ("pool2", nn.MaxPool2d(2)), ("relu2", nn.ReLU()),
    ("conv3", nn.Conv2d(32, 64, kernel_size: 3, padding: 1)), ("relu3", nn.ReLU()),
    ("gap", nn.AdaptiveAvgPool2d(1)), ("flatten", nn.Flatten()), ("fc", nn.Linear(64, 10)));

/*
`ConvNet.Create` builds the layers with torch's generator seeded (so the seed decides the initial weights), runs them
once on a random image, and writes down the **layer plan**: each layer's kind and settings, the shape it takes and
gives for one 28×28 image, and how much of the image each of its pixels sees (its receptive field, used in 05). It
also checks that running the layers one after the other gives the network's own output. Every ConvLens tool reads
this plan, and the checkpoint saves it beside the weights.
*/

Cell(5);
var architecture = Article;   // or ThreeByThree, ThirdConv, StrideTwo, WithTanh, WithBatchNorm, GlobalAverage
var model = ConvNet.Create(input: [1, 28, 28], seed, architecture);
foreach (var layer in model.Plan.Layers)
    Console.WriteLine(layer);
Console.WriteLine($"{model.Plan}: {model.parameters().Sum(p => p.numel()):N0} parameters to learn");

/*
### Where the parameters are, by hand

A conv layer holds, per filter, one weight per input channel and kernel position, plus one bias: out × (in × k × k) + out.
A linear layer holds one weight per input and output, plus a bias per output: out × in + out. Batch norm learns a
scale and a shift per channel. Counted from the plan, then as torch counts them:
*/

Cell(6);
long Count(PlanLayer layer) => layer switch   // each kind is a type: Conv2dLayer, LinearLayer, …
{
    Conv2dLayer c => (long)c.Out * c.In * c.Kernel.Rows * c.Kernel.Columns + (c.Bias ? c.Out : 0),
    LinearLayer l => (long)l.Out * l.In + (l.Bias ? l.Out : 0),
    BatchNormLayer b => 2L * b.Features,
    _ => 0,
};
long total = model.Plan.Layers.Sum(Count);
foreach (var layer in model.Plan.Layers.Where(l => Count(l) > 0))
    Console.WriteLine($"{layer.Name,-8} {Count(layer),9:N0}  {(double)Count(layer) / total,6:P1}");
Console.WriteLine($"by hand  {total,9:N0};  torch counts {model.parameters().Sum(p => p.numel()):N0}");

/*
In the article's network fc1 holds 91 % of the 164,842 parameters: 1,568 inputs times 96 units. The conv layers,
which do the looking, are small: a filter is reused at every position of the image.
*/

/*
**The article's own class.** Written as the article writes it, with `max_pool2d` and `relu` called as functions in
`forward()`, the network computes the same thing, but the pooling and the ReLU happen between layers, where no hook
sees them. ConvLens checks for that when it plans a network and says what to change:
*/

Cell(7);
// class ArticleClass is at the end of this file: C# wants type declarations after the statements.
try { ConvNet.From(new ArticleClass(), [1, 28, 28]); }
catch (ConvLensException e) { Console.WriteLine(e.Message); }

/*
## Data

The bundled MNIST, whole, in memory: one tensor of images per split. The trainer splits the training images at random
(by the seed) into 80 % to learn from and 20 % to validate on.
*/

Cell(8);
var mnist = Datasets.Load(limit: limit);
Console.WriteLine(mnist.Train);
Console.WriteLine(mnist.Test);

/*
## One training step, by hand

Before handing training to the library, here is one step of it written out, on the first batch the trainer will use:
**forward** (images in, logits out), **loss** (how wrong), **backward** (the gradient of the loss for every weight)
and **step** (Adam moves every weight a little). It runs on a copy of the network with the same initial weights, so
`model` stays untrained for the next cell.
*/

Cell(9);
var options = new TrainingOptions { Epochs = epochs, Seed = seed };
var schedule = new TrainingSchedule(mnist.Train.Count, options);   // the trainer's split and batch order, same seed
var (x, y) = mnist.Train.Batch(schedule.Batch(schedule.NextEpochOrder(), 0));  // epoch 1, batch 1: 128 images, 128 labels

var copy = ConvNet.Create([1, 28, 28], seed, architecture);   // the same initial weights as model
var optimizer = optim.Adam(copy.parameters(), options.LearningRate);
var crossEntropy = nn.CrossEntropyLoss();
var byHand = Seeding.Run(seed, () =>                      // dropout draws random numbers; the trainer seeds them the same way
{
    copy.train();                                         // training mode: dropout on
    optimizer.zero_grad();                                // forget the previous step's gradients
    var logits = copy.call(x);                            // forward: [128, 10], ten scores per image
    var loss = crossEntropy.call(logits, y);              // loss: one number, the batch's mean cross-entropy
    loss.backward();                                      // backward: fills every weight's .grad
    optimizer.step();                                     // step: Adam updates the weights
    return loss.item<float>();
});
Console.WriteLine($"batch of {x.shape[0]} images, labels {string.Join(" ", y.data<long>().Take(12))} …; loss by hand {byHand:F6}");

/*
## Training

`Trainer.Train` repeats that step for every batch of every epoch. It prints one line per epoch with the article's
four numbers: loss (lower is better) and accuracy, on the training images (with dropout on) and on the held-out
validation images; while an epoch runs, the last line shows how far it is. The curves appear when training ends.
When validation stops improving while training still does, the network starts to memorise its training images.

**Predict, then run.** After one epoch, will the validation accuracy be nearer 50 %, 90 % or 98 %? (The answer is under the curves.)
*/

Cell(10);
var log = new TrainingLog(Console.Out);   // a line per epoch, and a progress line while one runs
var history = Trainer.Train(model, mnist.Train, options, Workbook.KeepEpochs(model, Datasets.Mnist, limit, options, log));   // keeps each epoch's weights for 05
Console.WriteLine($"trained {history.Count} epoch{(history.Count == 1 ? "" : "s")} in {history.Sum(e => e.Seconds):F0} s");
Console.WriteLine($"the trainer's first batch: loss {log.FirstBatchLoss:F6}, {(log.FirstBatchLoss == byHand ? "the same as by hand" : $"but {byHand:F6} by hand")}");
Show(Charts.TrainingCurves(history, epochs));

/*
**The answer.** Nearer 98 %: in the full run (the shipped checkpoint), validation accuracy after the first epoch is
97.65 %. One pass over 48,000 images does most of the work; the nine epochs after it add the last one and a half
points. After a short run, which sees 2,400 training images in its one epoch, it is much lower.
*/

/*
## Test, then save

The test images were never used for training or for choosing anything: they tell how the network does on digits it
has never seen. The article reports 99.04 % accuracy and loss 0.0281 after 10 epochs.
*/

Cell(11);
var test = Trainer.Evaluate(model, mnist.Test);
Console.WriteLine($"test accuracy {test.Accuracy:P2} ({test.Correct} of {test.Count}), test loss {test.Loss:F4}");

Cell(12);
var saved = Workbook.SaveTrained(model, Datasets.Mnist, limit, options, history, test);
Show($"saved {saved}: notebooks 03 to 06 will use this model");

/*
## Overfitting: 1,000 images

With few images a network can learn them by heart instead of learning digits. The same architecture, trained for 30
epochs on 1,000 images, with 3,000 others held out to check it (`ValidationFraction = 0.75` of 4,000; with a `limit`
below 4,000 it is three quarters of what there is: after a short run, 750 to learn from and 2,250 to check).

**Predict, then run.** Will the training accuracy reach 100 %? Will the validation accuracy? Will the validation loss
keep falling?
*/

Cell(13);
var few = ConvNet.Create([1, 28, 28], seed, architecture);
var fewHistory = Trainer.Train(few, mnist.Train.Take(4000), options with { Epochs = 30, ValidationFraction = 0.75 });
var best = fewHistory.MinBy(e => e.ValidationLoss)!;
var end = fewHistory[^1];
Console.WriteLine($"validation loss lowest at epoch {best.Epoch}: {best.ValidationLoss:F4} ({best.ValidationAccuracy:P1} right)");
Console.WriteLine($"after epoch {end.Epoch}: training loss {end.TrainLoss:F4} ({end.TrainAccuracy:P1} right), validation loss {end.ValidationLoss:F4} ({end.ValidationAccuracy:P1} right)");
Show(Charts.TrainingCurves(fewHistory, 30));

/*
**The answer**, from the article's network with seed 0 on all of MNIST: the training accuracy climbs to 99 % (with
dropout still on while training), while the validation accuracy stops near 94 %. The two losses part: by epoch 30 the
validation loss is about ten times the training loss, and it stopped falling after about 20 epochs and creeps up
since. From there on the network is memorising its 1,000 images, growing more sure of answers that do not carry over
to new digits. The cures: more images, or stopping at the lowest validation loss.
*/

/*
## Try this

Each exercise runs as written in a new cell at the end of the notebook (the first three train a second network beside
yours, for `epochs` epochs); answers are in `docs/solutions.md`. The last two ask you to write the code yourself. To carry a change on to notebooks 03 to 06, make it in the
architecture cell (`var architecture = …`) instead and run all cells again.

1. Use 3×3 filters instead of 5×5. Compare the test accuracy and the time per epoch.

   ```csharp
   var small = ConvNet.Create([1, 28, 28], seed, ThreeByThree);
   var smallHistory = Trainer.Train(small, mnist.Train, options, new TrainingLog(Console.Out));
   var smallTest = Trainer.Evaluate(small, mnist.Test);
   Console.WriteLine($"3×3: test accuracy {smallTest.Accuracy:P2}, {smallHistory.Average(e => e.Seconds):F1} s per epoch, {small.parameters().Sum(p => p.numel()):N0} parameters");
   Console.WriteLine($"yours ({model.Plan}): test accuracy {test.Accuracy:P2}, {history.Average(e => e.Seconds):F1} s per epoch, {model.parameters().Sum(p => p.numel()):N0} parameters");
   ```

2. Add a third conv layer. 28 → 14 → 7 → 3 after three poolings: the flattened size drops from 1568 (32 × 7 × 7) to
   576 (64 × 3 × 3). Does it still reach 99 %? (`ThirdConv` also makes the first two layers 3×3, so set it beside
   exercise 1's network, which differs from it by the third conv block alone, and so by fc1's inputs: 576 instead
   of 1,568.)

   ```csharp
   var deeper = ConvNet.Create([1, 28, 28], seed, ThirdConv);
   Trainer.Train(deeper, mnist.Train, options, new TrainingLog(Console.Out));
   Console.WriteLine($"{deeper.Plan}: flattened size {deeper.Plan["flatten"].OutputShape[0]}, test accuracy {Trainer.Evaluate(deeper, mnist.Test).Accuracy:P2}");
   ```

3. Train on clothes instead of digits. This needs Fashion-MNIST: on Debian or Ubuntu `sudo apt-get install
   dataset-fashion-mnist`; on Windows, macOS or anywhere else, download its four files (`train-images-idx3-ubyte.gz`
   and the three others) from https://github.com/zalandoresearch/fashion-mnist (folder `data/fashion`) into
   `data/fashion-mnist` in the repository. A workshop kit puts them there. `Datasets.Load` finds them in either place.
   After the full 10 epochs accuracy is about 90 % (far lower after a short run): which classes are hardest?

   ```csharp
   var fashion = Datasets.Load(Datasets.FashionMnist, limit: limit);
   var clothes = ConvNet.Create([1, 28, 28], seed, architecture);
   Trainer.Train(clothes, fashion.Train, options, new TrainingLog(Console.Out));
   var clothesTest = Trainer.Evaluate(clothes, fashion.Test);
   Console.WriteLine($"Fashion-MNIST: test accuracy {clothesTest.Accuracy:P2}");
   foreach (var (name, accuracy) in fashion.Test.Classes.Zip(clothesTest.PerClassAccuracy()).OrderBy(c => c.Second))
       Console.WriteLine($"{name,-12} {accuracy:P1}");
   ```

4. **Write it yourself:** an architecture of your own, as a `Func<Module<Tensor, Tensor>>` like those above: conv1
   with 8 filters of 7×7 (padding 3) instead of 16 of 5×5, the rest as the article's. Build it with `ConvNet.Create`,
   print its plan and its parameter count, and say which layers' counts changed.

5. **Write it yourself:** find in `history` the epoch with the lowest validation loss, and print its number, its
   validation loss and accuracy, and how far it is from the last epoch's.

   The worked solutions are in `docs/solutions.md`; try first.
*/

/*
## Questions

Short answers are all in this notebook; the teacher's guide (`docs/teaching.md`) has them.

1. What does the layer plan record for each layer, and what does ConvLens check when it makes one?
2. Why does the article's own class, with `F.max_pool2d` and `F.relu` called in `forward()`, give a "hidden work"
   message?
3. How many batches make one epoch of the article's training?
4. What is the cross-entropy loss of a network that spreads its probability evenly over the ten digits?
5. Which layer holds most of the article's parameters, and what share of them?
6. What does dropout do while training, and when is it switched off?
7. What was the validation accuracy after the first epoch of the full run?
8. In the 1,000-image run, which two curves part, and what does that tell you?
9. Why are the test images kept out of training altogether?
*/

Done();

// cell [7]
class ArticleClass : nn.Module<Tensor, Tensor>
{
    nn.Module<Tensor, Tensor> conv1 = nn.Conv2d(1, 16, kernel_size: 5, padding: 2), conv2 = nn.Conv2d(16, 32, kernel_size: 5, padding: 2);
    nn.Module<Tensor, Tensor> drop1 = nn.Dropout2d(0.5), flatten = nn.Flatten(), fc1 = nn.Linear(1568, 96), relu3 = nn.ReLU(), drop2 = nn.Dropout(0.1), fc2 = nn.Linear(96, 10);
    public ArticleClass() : base(nameof(ArticleClass)) => RegisterComponents();
    public override Tensor forward(Tensor x)
    {
        x = nn.functional.relu(nn.functional.max_pool2d(conv1.call(x), 2));   // pooling and ReLU as functions: no layer to hook
        x = nn.functional.relu(nn.functional.max_pool2d(conv2.call(x), 2));
        return fc2.call(drop2.call(relu3.call(fc1.call(flatten.call(drop1.call(x))))));
    }
}
