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
        Plan = model.Plan,
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
        Assert.Equal(model.Plan.ToString(), info.Plan.ToString());
        Assert.Equal(model.Plan.Layers.Select(l => l.ToString()), info.Plan.Layers.Select(l => l.ToString()));
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
        // Someone puts another network's plan in the sidecar; the weights (and their checksum) still hold the article's.
        using var other = new ConvNet(ConvNetSpec.Article with { Convs = [new(16, 3), new(32, 3), new(64, 3)] });
        var sidecar = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path + ".json"))!;
        sidecar["plan"] = System.Text.Json.JsonSerializer.SerializeToNode(other.Plan, Checkpoint.Json);
        File.WriteAllText(path + ".json", sidecar.ToJsonString());

        var message = Assert.Throws<ConvLensException>(() => Checkpoint.Load(path)).Message;
        Assert.Contains("does not hold the architecture its sidecar describes", message);
        Assert.Contains("conv3.weight [64, 32, 3, 3] is missing from the checkpoint", message);
        Assert.Contains("fc1.weight is [96, 1568] in the checkpoint but [96, 576] in the sidecar's plan", message);
        Assert.DoesNotContain("entries", message);
    }

    [Theory]
    [InlineData("kind", "Conv3d", "names a layer kind this ConvLens does not know: 'conv2' is a 'Conv3d'")]
    [InlineData("kernel", "[3, 3]", "The saved plan does not describe layers that fit together")]
    public void A_plan_with_an_unknown_kind_or_edited_settings_is_a_one_line_error_and_the_files_stay(string key, string value, string expected)
    {
        using var model = new ConvNet();
        string path = Path.Combine(Shared.TempFolder(), "net");
        Checkpoint.Save(model, Info(model), path);
        var sidecar = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path + ".json"))!;
        sidecar["plan"]!["layers"]![3]![key] = System.Text.Json.Nodes.JsonNode.Parse(value.StartsWith('[') ? value : $"\"{value}\"");
        File.WriteAllText(path + ".json", sidecar.ToJsonString());
        var before = File.ReadAllText(path + ".json");
        var message = Assert.Throws<ConvLensException>(() => Checkpoint.Load(path)).Message;
        Assert.Contains(expected, message);
        Assert.DoesNotContain("\n", message);
        Assert.Equal(before, File.ReadAllText(path + ".json"));
    }

    [Fact]
    public void A_format_1_checkpoint_loads_through_the_plan_its_record_builds()
    {
        using var model = new ConvNet(ConvNetSpec.Article with { Convs = [new(8, 3), new(16, 3)] }, seed: 2);
        string path = Path.Combine(Shared.TempFolder(), "old");
        Checkpoint.Save(model, Info(model), path);
        var sidecar = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path + ".json"))!.AsObject();
        sidecar.Remove("plan");
        sidecar["format"] = CheckpointInfo.SpecFormat;
        sidecar["architecture"] = System.Text.Json.Nodes.JsonNode.Parse("""{"inputChannels":1,"imageSize":28,"convs":[{"channels":8,"kernel":3},{"channels":16,"kernel":3}],"pool":2,"convDropout":0.5,"hidden":96,"hiddenDropout":0.1,"classes":10}""");
        File.WriteAllText(path + ".json", sidecar.ToJsonString());
        var (loaded, info) = Checkpoint.Load(path);
        using var _ = loaded;
        Assert.Equal(model.Plan.ToString(), info.Plan.ToString());
        using var x = rand(2, 1, 28, 28);
        model.eval();
        Assert.True(model.call(x).allclose(loaded.call(x), rtol: 0, atol: 0));
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
        Assert.Equal(new ConvNet().Plan.Layers.Select(l => l.ToString()), info.Plan.Layers.Select(l => l.ToString()));
        Assert.Equal(10, info.History.Count);
        var test = Trainer.Evaluate(model, Shared.Mnist.Test);
        Assert.True(test.Accuracy >= 0.99, $"test accuracy {test.Accuracy:P2}");
        Assert.Equal(info.Test!.Accuracy, test.Accuracy, 6);
        Assert.StartsWith("convlens train", info.Command);
    }
}
