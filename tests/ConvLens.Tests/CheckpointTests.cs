using ConvLens.Checkpoints;
using ConvLens.Model;
using ConvLens.Training;
using static TorchSharp.torch;

namespace ConvLens.Tests;

[Collection(TorchRandom.Name)]
public class CheckpointTests
{
    static CheckpointInfo Info(ConvNet model) => new()
    {
        Architecture = model.Spec,
        Dataset = "mnist",
        Training = new TrainingOptions { Epochs = 1 },
        Command = "test",
    };

    [Fact]
    public void A_saved_checkpoint_loads_into_a_model_that_computes_the_same_outputs()
    {
        using var scope = NewDisposeScope();
        var spec = ConvNetSpec.Article with { Convs = [new(8, 3), new(8, 3), new(16, 3)] };
        using var model = new ConvNet(spec, seed: 5);
        model.eval();
        string path = Path.Combine(Shared.TempFolder(), "net");
        Checkpoint.Save(model, Info(model), path);

        var (loaded, info) = Checkpoint.Load(path + ".weights");
        using var _ = loaded;
        Assert.Equal(spec, info.Architecture);
        var x = rand(3, 1, 28, 28);
        Assert.True(model.call(x).allclose(loaded.call(x), rtol: 0, atol: 0));
    }

    [Fact]
    public void Loading_into_another_architecture_names_the_mismatched_parameters()
    {
        using var model = new ConvNet();
        string path = Path.Combine(Shared.TempFolder(), "article");
        Checkpoint.Save(model, Info(model), path);
        using var other = new ConvNet(ConvNetSpec.Article with { Convs = [new(16, 3), new(32, 3), new(64, 3)] });

        var message = Assert.Throws<ConvLensException>(() => Checkpoint.LoadInto(other, path)).Message;
        Assert.Contains("conv1.weight is [16, 1, 5, 5] in the checkpoint but [16, 1, 3, 3] in the model", message);
        Assert.Contains("fc1.weight is [96, 1568] in the checkpoint but [96, 576] in the model", message);
        Assert.Contains("conv3.weight [64, 32, 3, 3] is missing from the checkpoint (the model has it)", message);
    }

    [Fact]
    public void A_sidecar_that_describes_another_architecture_than_the_weights_names_the_parameters_that_differ()
    {
        using var model = new ConvNet();
        string path = Path.Combine(Shared.TempFolder(), "net");
        var info = Info(model);
        Checkpoint.Save(model, info, path);
        Assert.Equal("", info.WeightsSha256);   // the caller's info is not changed by saving
        // Someone edits the sidecar to say three conv layers; the weights (and their checksum) still hold two.
        var sidecar = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path + ".json"))!;
        sidecar["architecture"]!["convs"] = System.Text.Json.Nodes.JsonNode.Parse("""[{"channels":16,"kernel":3},{"channels":32,"kernel":3},{"channels":64,"kernel":3}]""");
        File.WriteAllText(path + ".json", sidecar.ToJsonString());

        var message = Assert.Throws<ConvLensException>(() => Checkpoint.Load(path)).Message;
        Assert.Contains("does not hold the architecture its sidecar describes", message);
        Assert.Contains("conv3.weight [64, 32, 3, 3] is missing from the checkpoint", message);
        Assert.Contains("fc1.weight is [96, 1568] in the checkpoint but [96, 576] in the sidecar's architecture", message);
        Assert.DoesNotContain("entries", message);
    }

    [Fact]
    public void A_damaged_weights_file_is_reported_and_not_loaded()
    {
        using var model = new ConvNet();
        string path = Path.Combine(Shared.TempFolder(), "net");
        Checkpoint.Save(model, Info(model), path);
        var bytes = File.ReadAllBytes(path + ".weights");
        File.WriteAllBytes(path + ".weights", bytes[..(bytes.Length / 3)]);
        Assert.Contains("is damaged", Assert.Throws<ConvLensException>(() => Checkpoint.Load(path)).Message);
    }

    [Fact]
    public void A_damaged_sidecar_is_reported()
    {
        using var model = new ConvNet();
        string path = Path.Combine(Shared.TempFolder(), "net");
        Checkpoint.Save(model, Info(model), path);
        File.WriteAllText(path + ".json", "{ \"format\": \"convlens-checkpoint/1\", \"archi");
        Assert.Contains("net.json is damaged", Assert.Throws<ConvLensException>(() => Checkpoint.Load(path)).Message);
    }

    [Fact]
    public void A_failed_save_leaves_the_previous_checkpoint_as_it_was()
    {
        string folder = Shared.TempFolder();
        string path = Path.Combine(folder, "net");
        using var first = new ConvNet(ConvNetSpec.Article, seed: 1);
        Checkpoint.Save(first, Info(first), path);
        var before = (File.ReadAllBytes(path + ".weights"), File.ReadAllText(path + ".json"));

        // A folder where the temporary file would go makes the write fail after the old files exist.
        Directory.CreateDirectory(AtomicFile.TempPath(path + ".weights"));
        using var second = new ConvNet(ConvNetSpec.Article, seed: 2);
        Assert.Throws<ConvLensException>(() => Checkpoint.Save(second, Info(second), path));

        Assert.Equal(before.Item2, File.ReadAllText(path + ".json"));
        Assert.Equal(before.Item1, File.ReadAllBytes(path + ".weights"));
        Checkpoint.Load(path).Model.Dispose();
    }

    [Fact]
    public void The_shipped_checkpoint_reaches_the_articles_accuracy_on_the_test_set()
    {
        var (model, info) = Checkpoint.Load(RepositoryData.ShippedCheckpoint());
        using var _ = model;
        Assert.Equal(ConvNetSpec.Article, info.Architecture);
        Assert.Equal(10, info.History.Count);
        var test = Trainer.Evaluate(model, Shared.Mnist.Test);
        Assert.True(test.Accuracy >= 0.99, $"test accuracy {test.Accuracy:P2}");
        Assert.Equal(info.Test!.Accuracy, test.Accuracy, 6);
        Assert.StartsWith("convlens train", info.Command);
    }
}
