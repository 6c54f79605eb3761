using System.CommandLine;
using System.CommandLine.Help;
using ConvLens;
using ConvLens.Cli;
using ConvLens.Data;

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
Require(epochs, v => v >= 1, "--epochs must be at least 1");
Require(learningRate, v => v is > 0 and < double.PositiveInfinity, "--lr must be a positive number");
Require(name, v => v is { Length: > 0 } && v.IndexOfAny(['/', '\\']) < 0, "--name must be a plain file name");

var train = new Command("train", "Train the article's ConvNet (or the given settings), evaluate it on the test set and save a checkpoint. Defaults reproduce the article: MNIST, 48k/12k split, batch 128, Adam lr 0.002, 10 epochs, seed 0.")
{
    epochs, dataset, dataDir, seed, batchSize, learningRate, limit, output, name, json,
};
train.SetAction((parse, cancel) => Run(() => Commands.Train(new TrainArguments(
    parse.GetValue(epochs), parse.GetValue(dataset)!, parse.GetValue(dataDir), parse.GetValue(seed), parse.GetValue(batchSize),
    parse.GetValue(learningRate), parse.GetValue(limit), parse.GetValue(output)!, parse.GetValue(name)!, parse.GetValue(json),
    "convlens " + string.Join(' ', args)), cancel)));

var checkpoint = new Option<string?>("--checkpoint") { Description = "Checkpoint to evaluate: NAME.json, NAME.weights or their folder. Default: the shipped data/checkpoints/mnist-convnet." };
var evalDataset = new Option<string?>("--dataset") { Description = $"Data set: {string.Join(" or ", Datasets.Names)}. Default: the one the checkpoint was trained on." };
evalDataset.AcceptOnlyFromAmong([.. Datasets.Names]);
var evaluate = new Command("evaluate", "Evaluate a checkpoint on the test set: loss, accuracy and per-class accuracy.")
{
    checkpoint, evalDataset, dataDir, limit, batchSize, json,
};
evaluate.SetAction((parse, cancel) => Run(() => Commands.Evaluate(
    parse.GetValue(checkpoint), parse.GetValue(evalDataset), parse.GetValue(dataDir), parse.GetValue(limit), parse.GetValue(batchSize), parse.GetValue(json), cancel)));

// A plain Command named convlens as the root, so help reads "convlens train", not the assembly name.
var root = new Command("convlens", "ConvLens: train a small CNN on MNIST and look inside it.") { new HelpOption(), new VersionOption(), train, evaluate };
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
