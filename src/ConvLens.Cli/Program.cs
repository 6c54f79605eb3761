using System.CommandLine;
using System.CommandLine.Help;
using ConvLens;
using ConvLens.Cli;
using ConvLens.Data;
using ConvLens.Plots;

// Run by ./convlens from a clone: a CLI older than its sources asks the script to rebuild it (BuildAge holds the rule).
if (Environment.GetEnvironmentVariable("CONVLENS_REBUILD_EXIT") is { Length: > 0 } rebuild)
{
    Environment.SetEnvironmentVariable("CONVLENS_REBUILD_EXIT", null);   // not for the programs this one starts
    if (BuildAge.NewerCliSource(typeof(Commands).Assembly.Location) is not null && int.TryParse(rebuild, out int code)) return code;
}

// Common options, shared by the commands that read data.
var dataset = new Option<string>("--dataset") { Description = $"Data set: {string.Join(" or ", Datasets.Names)}.", DefaultValueFactory = _ => Datasets.Mnist };
dataset.AcceptOnlyFromAmong([.. Datasets.Names]);
var dataDir = new Option<string?>("--data-dir") { Description = "Folder holding the four IDX files (gzipped or not), e.g. a torchvision MNIST/raw folder. Default: the bundled data/mnist, or /usr/share/datasets/fashion-mnist." };
var limit = new Option<int?>("--limit") { Description = "Use only the first N images of each split, for quick runs." };
var batchSize = new Option<int>("--batch-size") { Description = "Images per batch.", DefaultValueFactory = _ => 128 };
var json = new Option<bool>("--json") { Description = "Print the final metrics as one JSON object on standard output; everything else goes to standard error." };
Require(limit, v => v is null or >= 1, "--limit must be at least 1");
Require(batchSize, v => v >= 1, "--batch-size must be at least 1");

var epochs = new Option<int>("--epochs") { Description = "Passes over the training split.", DefaultValueFactory = _ => 10 };
var seed = new Option<int>("--seed") { Description = "Seed for the split, the shuffles, the initial weights and dropout.", DefaultValueFactory = _ => 0 };
var learningRate = new Option<double>("--lr") { Description = "Adam's learning rate.", DefaultValueFactory = _ => 0.002 };
var output = new Option<string>("--output") { Description = "Folder for the checkpoint.", DefaultValueFactory = _ => Path.Combine("artifacts", "train") };
var name = new Option<string>("--name") { Description = "Checkpoint name: writes NAME.weights and NAME.json.", DefaultValueFactory = _ => "convnet" };
var architecture = new Option<string?>("--architecture") { Description = "Train the network of this checkpoint's layer plan (NAME.json or its folder), e.g. artifacts/notebook/convnet.json from notebook 02, from fresh weights. Default: the article's network." };
Require(epochs, v => v >= 1, "--epochs must be at least 1");
Require(learningRate, v => v is > 0 and < double.PositiveInfinity, "--lr must be a positive number");
Require(name, v => v is { Length: > 0 } && v.IndexOfAny(['/', '\\']) < 0, "--name must be a plain file name");

var train = new Command("train", "Train the article's ConvNet (or another network's plan, --architecture), evaluate it on the test set and save a checkpoint. Defaults reproduce the article: MNIST, 48k/12k split, batch 128, Adam lr 0.002, 10 epochs, seed 0.")
{
    epochs, dataset, dataDir, seed, batchSize, learningRate, limit, output, name, json, architecture,
};
train.SetAction((parse, cancel) => Run(() => Commands.Train(new TrainArguments(
    parse.GetValue(epochs), parse.GetValue(dataset)!, parse.GetValue(dataDir), parse.GetValue(seed), parse.GetValue(batchSize),
    parse.GetValue(learningRate), parse.GetValue(limit), parse.GetValue(output)!, parse.GetValue(name)!, parse.GetValue(json),
    "convlens " + string.Join(' ', args), parse.GetValue(architecture)), cancel)));

var checkpoint = new Option<string?>("--checkpoint") { Description = "Checkpoint to evaluate: NAME.json, NAME.weights or their folder. Default: the shipped data/checkpoints/mnist-convnet." };
var evalDataset = new Option<string?>("--dataset") { Description = $"Data set: {string.Join(" or ", Datasets.Names)}. Default: the one the checkpoint was trained on." };
evalDataset.AcceptOnlyFromAmong([.. Datasets.Names]);
var evaluate = new Command("evaluate", "Evaluate a checkpoint on the test set: loss, accuracy and per-class accuracy.")
{
    checkpoint, evalDataset, dataDir, limit, batchSize, json,
};
evaluate.SetAction((parse, cancel) => Run(() => Commands.Evaluate(
    parse.GetValue(checkpoint), parse.GetValue(evalDataset), parse.GetValue(dataDir), parse.GetValue(limit), parse.GetValue(batchSize), parse.GetValue(json), cancel)));

var layersOption = new Option<string?>("--layers") { Description = "Comma-separated layer names (see 'convlens layers'). Default: every conv layer (filters); each conv output and each block's output after pooling and ReLU (feature maps)." };
var palette = new Option<string>("--palette") { Description = "Colours: diverging (blue-white-red around zero), viridis (the article's) or greys.", DefaultValueFactory = _ => "" };
palette.AcceptOnlyFromAmong("", "diverging", "viridis", "greys");
var scale = new Option<string>("--scale") { Description = "shared: one colour scale for all panels of a figure (comparable); per-panel: each its own (every panel's detail).", DefaultValueFactory = _ => "shared" };
scale.AcceptOnlyFromAmong("shared", "per-panel");
var lookOutput = new Option<string>("--output") { Description = "Folder for the page and the numbers.", DefaultValueFactory = _ => Path.Combine("artifacts", "look") };

var layersCommand = new Command("layers", "List the layer plan of a checkpoint's model: each layer's name, kind and settings, its shapes for one image and what each of its units sees of the input.") { checkpoint };
layersCommand.SetAction(parse => Run(() => LookCommands.Layers(parse.GetValue(checkpoint))));

var filters = new Command("filters", "Write a page of the learned filters of each conv layer (filters.html) and their weights (filters.json).")
{
    checkpoint, layersOption, palette, scale, lookOutput,
};
filters.SetAction(parse => Run(() => LookCommands.Filters(parse.GetValue(checkpoint), Split(parse.GetValue(layersOption)),
    ParsePalette(parse.GetValue(palette), Palette.Diverging), ParseScale(parse.GetValue(scale)), parse.GetValue(lookOutput)!)));

var split = new Option<string>("--split") { Description = "Which split the image comes from: train or test.", DefaultValueFactory = _ => "train" };
split.AcceptOnlyFromAmong("train", "test");
var index = new Option<int?>("--index") { Description = "Index of the image in the split. Default: 4, the article's (a 9 in MNIST's training split)." };
var label = new Option<int?>("--label") { Description = "Instead of --index: the first image with this label (or the --occurrence-th)." };
var occurrence = new Option<int>("--occurrence") { Description = "With --label: which image with that label, from 0.", DefaultValueFactory = _ => 0 };
var featureMaps = new Command("feature-maps", "Write a page of the feature maps one image produces at each layer (feature-maps.html) and their values (feature-maps.json).")
{
    checkpoint, dataDir, split, index, label, occurrence, layersOption, palette, scale, lookOutput,
};
featureMaps.Validators.Add(r => { if (r.GetValue(index) is not null && r.GetValue(label) is not null) r.AddError("Give --index or --label, not both."); });
featureMaps.SetAction(parse => Run(() => LookCommands.FeatureMaps(parse.GetValue(checkpoint), parse.GetValue(dataDir),
    new ImageChoice(parse.GetValue(split)!, parse.GetValue(index), parse.GetValue(label), parse.GetValue(occurrence)),
    Split(parse.GetValue(layersOption)), ParsePalette(parse.GetValue(palette), Palette.Viridis), ParseScale(parse.GetValue(scale)), parse.GetValue(lookOutput)!)));

var target = new Option<int?>("--target") { Description = "Class to explain. Default: the class the model predicts." };
var camLayer = new Option<string?>("--layer") { Description = "Layer for Grad-CAM and HiResCAM. Default: the last conv block's output (e.g. relu2); HiResCAM on the other blocks is shown too." };
var steps = new Option<int>("--steps") { Description = "Integrated gradients: points on the path from the baseline (a black image).", DefaultValueFactory = _ => 50 };
var samples = new Option<int>("--samples") { Description = "SmoothGrad: noisy copies averaged.", DefaultValueFactory = _ => 25 };
var window = new Option<int>("--window") { Description = "Occlusion: side of the square patch hidden.", DefaultValueFactory = _ => 4 };
var stride = new Option<int>("--stride") { Description = "Occlusion: pixels between patch positions.", DefaultValueFactory = _ => 2 };
var timings = new Option<bool>("--timings") { Description = "Print the seconds each method took." };
Require(steps, v => v >= 1, "--steps must be at least 1");
Require(samples, v => v >= 1, "--samples must be at least 1");
Require(window, v => v >= 1, "--window must be at least 1");
Require(stride, v => v >= 1, "--stride must be at least 1");
var explain = new Command("explain", "Write a page of where the network looks for one image (explain.html): gradient saliency, SmoothGrad, integrated gradients, Grad-CAM and HiResCAM, and occlusion, over the digit.")
{
    checkpoint, dataDir, split, index, label, occurrence, target, camLayer, steps, samples, window, stride, timings, lookOutput,
};
explain.Validators.Add(r => { if (r.GetValue(index) is not null && r.GetValue(label) is not null) r.AddError("Give --index or --label, not both."); });
explain.SetAction(parse => Run(() => ExplainCommands.Explain(parse.GetValue(checkpoint), parse.GetValue(dataDir),
    new ImageChoice(parse.GetValue(split)!, parse.GetValue(index), parse.GetValue(label), parse.GetValue(occurrence)),
    new ExplainSettings(parse.GetValue(target), parse.GetValue(camLayer), parse.GetValue(steps), parse.GetValue(samples), parse.GetValue(window), parse.GetValue(stride)), parse.GetValue(timings),
    parse.GetValue(lookOutput)!)));

var maximizeSteps = new Option<int>("--steps") { Description = "Gradient steps per synthesized image.", DefaultValueFactory = _ => 150 };
Require(maximizeSteps, v => v >= 1, "--steps must be at least 1");
var preferred = new Command("preferred", "Write a page of preferred inputs (preferred.html): images synthesized to excite each conv channel and each class (activation maximization).")
{
    checkpoint, maximizeSteps, seed, lookOutput,
};
preferred.SetAction(parse => Run(() => ExplainCommands.Preferred(parse.GetValue(checkpoint), parse.GetValue(maximizeSteps), parse.GetValue(seed), parse.GetValue(lookOutput)!)));

var errors = new Command("errors", "Write a page of the model's mistakes on the test set (errors.html): confusion matrix, per-class accuracy, the most confident mistakes.")
{
    checkpoint, dataDir, lookOutput,
};
errors.SetAction(parse => Run(() => ExplainCommands.Mistakes(parse.GetValue(checkpoint), parse.GetValue(dataDir), parse.GetValue(lookOutput)!)));

var explorerImages = new Option<int>("--test-images") { Description = "Test images the page embeds, for its 'load test image N'.", DefaultValueFactory = _ => Explorer.PageTestImages };
Require(explorerImages, v => v >= 0, "--test-images must be 0 or more");
var compareWith = new Option<string?>("--compare") { Description = "Also write compare.html: this checkpoint's network beside the other's (NAME.json or its folder), one drawing for both, e.g. the article's 5×5 network against notebook 02's 3×3 variant." };
var explorer = new Command("explorer", "Write the live explorer (explorer.html): draw a digit and watch the model's probabilities and feature maps change as you draw, with each map pixel's receptive field on hover. One self-contained page: it works offline.")
{
    checkpoint, dataDir, explorerImages, lookOutput, compareWith,
};
explorer.SetAction(parse => Run(() => LookCommands.Explorer(parse.GetValue(checkpoint), parse.GetValue(dataDir), parse.GetValue(explorerImages), parse.GetValue(lookOutput)!, parse.GetValue(compareWith))));

var only = new Argument<string[]>("notebooks") { Description = "Run only the notebooks whose names start with these (e.g. 02 05). Default: all, in order.", Arity = ArgumentArity.ZeroOrMore };
var quick = new Option<bool>("--quick") { Description = "A short run: " + string.Join(", ", ConvLens.Cli.Notebooks.NotebookRunner.Quick.Select(p => $"{p.Key}={p.Value}")) + "." };
var parameter = new Option<string[]>("--parameter", "-p") { Description = "NAME=VALUE: set a parameter of the notebooks' parameters cells (papermill style), e.g. -p epochs=3.", AllowMultipleArgumentsPerToken = false };
var edit = new Option<string[]>("--edit") { Description = "OLD=>NEW: replace OLD by NEW in the code cells before running, as a reader editing a cell would (e.g. the architecture cell)." };
var exercises = new Option<bool>("--exercises") { Description = "After each notebook, run every 'Try this' exercise as written, each in a new cell." };
var cellTimings = new Option<bool>("--timings") { Description = "Print the seconds from the host's start to each cell's end." };
var cellTimeout = new Option<int>("--cell-timeout") { Description = "Minutes a cell may run.", DefaultValueFactory = _ => 30 };
var workbookOutput = new Option<string>("--output") { Description = "Folder for the executed copies.", DefaultValueFactory = _ => Path.Combine("artifacts", "notebooks") };
Require(cellTimeout, v => v >= 1, "--cell-timeout must be at least 1");
parameter.Validators.Add(r => { foreach (var p in r.GetValueOrDefault<string[]>() ?? []) if (!p.Contains('=')) r.AddError($"--parameter takes NAME=VALUE, not '{p}'."); });
edit.Validators.Add(r => { foreach (var e in r.GetValueOrDefault<string[]>() ?? []) if (!e.Contains("=>")) r.AddError($"--edit takes OLD=>NEW, not '{e}'."); });
var workbook = new Command("workbook", "Run the workbook's notebooks top to bottom in the pinned .NET Interactive host (the one VS Code and Jupyter use) and write the executed copies, outputs included. Stops at the first failing cell.")
{
    only, quick, parameter, edit, exercises, cellTimings, cellTimeout, workbookOutput,
};
workbook.SetAction(parse => Run(() =>
{
    var parameters = new Dictionary<string, string>(parse.GetValue(quick) ? ConvLens.Cli.Notebooks.NotebookRunner.Quick : new Dictionary<string, string>());
    foreach (var p in parse.GetValue(parameter) ?? []) parameters[p[..p.IndexOf('=')]] = p[(p.IndexOf('=') + 1)..];
    var edits = (parse.GetValue(edit) ?? []).Select(e => (e[..e.IndexOf("=>")], e[(e.IndexOf("=>") + 2)..])).ToList();
    return ConvLens.Cli.Notebooks.NotebookRunner.Run(new ConvLens.Cli.Notebooks.WorkbookRun(parse.GetValue(only) ?? [], parameters, edits,
        Path.GetFullPath(parse.GetValue(workbookOutput)!), parse.GetValue(exercises), parse.GetValue(cellTimings), TimeSpan.FromMinutes(parse.GetValue(cellTimeout))), Console.Out);
}));

var kitSystems = new Option<string?>("--os") { Description = $"Comma-separated operating systems to carry packages for: {string.Join(", ", ConvLens.Cli.Kit.LibTorch.Keys)}. Default: this machine's." };
var kitOutput = new Option<string>("--output") { Description = "Folder to write the kit to; it must not exist or be empty.", DefaultValueFactory = _ => Path.Combine("artifacts", "kit") };
var kit = new Command("kit", "Write a workshop kit: one folder with the repository, a NuGet feed of every package the solution, the tests and the notebook host need on each OS asked for (libtorch included), Fashion-MNIST if this machine has it, and install scripts that restore from it with no internet.")
{
    kitSystems, kitOutput,
};
kit.SetAction(parse => Run(() => ConvLens.Cli.Kit.Make(Split(parse.GetValue(kitSystems)), parse.GetValue(kitOutput)!, Console.Out)));

var chaptersCheck = new Option<bool>("--check") { Description = "Write nothing: exit 1 and name each chapter that differs from its notebook." };
var chapters = new Command("chapters", "Write each notebook's chapter, notebooks/NN-name.cs: the same cells as a C# file-based app (dotnet run notebooks/NN-name.cs), prose as comments. The notebook is the source.")
{
    chaptersCheck,
};
chapters.SetAction(parse => Run(() =>
{
    string folder = Path.Combine(Path.GetDirectoryName(RepositoryData.Folder())!, "notebooks");
    bool check = parse.GetValue(chaptersCheck);
    var differing = ConvLens.Chapters.ChapterFile.Sync(folder, write: !check);
    foreach (var file in differing) Console.WriteLine($"{(check ? "differs from its notebook" : "wrote")} {Path.GetRelativePath(Directory.GetCurrentDirectory(), file)}");
    if (differing.Count == 0) Console.WriteLine("every chapter is what its notebook makes");
    return check && differing.Count > 0 ? 1 : 0;
}));

// A plain Command named convlens as the root, so help reads "convlens train", not the assembly name.
var root = new Command("convlens", "ConvLens: train a small CNN on MNIST and look inside it.") { new HelpOption(), new VersionOption(), train, evaluate, layersCommand, filters, featureMaps, explain, preferred, errors, explorer, workbook, chapters, kit };
var parsed = root.Parse(args);
if (parsed.Errors.Count > 0)
{
    // One line per problem and a pointer to help, instead of the whole help text.
    foreach (var error in parsed.Errors)
        Console.Error.WriteLine($"error: {error.Message}");
    string command = root.Subcommands.FirstOrDefault(s => s.Name == args.FirstOrDefault())?.Name is { } given ? $"{given} " : "";
    Console.Error.WriteLine($"Run 'convlens {command}--help' for the options.");
    return 2;
}
return parsed.Invoke();

static string[] Split(string? list) => list?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];

static Palette ParsePalette(string? name, Palette fallback) => name switch
{
    "diverging" => Palette.Diverging,
    "viridis" => Palette.Viridis,
    "greys" => Palette.Greys,
    _ => fallback,
};

static Scale ParseScale(string? name) => name == "per-panel" ? Scale.PerPanel : Scale.Shared;

// Adds a check to an option; a value that does not even parse is left to the parser's own message.
static void Require<T>(Option<T> option, Func<T?, bool> ok, string message) =>
    option.Validators.Add(result =>
    {
        T? value;
        try { value = result.GetValueOrDefault<T>(); }
        catch (InvalidOperationException) { return; }
        if (!ok(value)) result.AddError($"{message}, not {value}.");
    });

// Errors a user can act on are one line on standard error and exit code 1; Ctrl+C is 130; nothing prints a stack trace.
static Task<int> Run(Func<int> action)
{
    try
    {
        return Task.FromResult(action());
    }
    catch (ConvLensException e)
    {
        Console.Error.WriteLine($"error: {e.Message}");
        return Task.FromResult(1);
    }
    catch (OperationCanceledException)
    {
        Console.Error.WriteLine("interrupted: nothing was saved, earlier checkpoints are as they were.");
        return Task.FromResult(130);
    }
}
