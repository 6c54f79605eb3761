using ConvLens.Model;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ConvLens.Tests;

[Collection(TorchRandom.Name)]
public class ModelTests
{
    [Fact]
    public void The_article_net_has_its_layers_shapes_and_164842_parameters()
    {
        using var model = new ConvNet();
        Assert.Equal(
            ["conv1", "pool1", "relu1", "conv2", "pool2", "relu2", "drop1", "flatten", "fc1", "relu3", "drop2", "fc2"],
            model.Layers.Select(l => l.Name));
        var shapes = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.shape);
        Assert.Equal([16L, 1, 5, 5], shapes["conv1.weight"]);
        Assert.Equal([32L, 16, 5, 5], shapes["conv2.weight"]);
        Assert.Equal([96L, 1568], shapes["fc1.weight"]);
        Assert.Equal([10L, 96], shapes["fc2.weight"]);
        Assert.Equal(164_842, model.parameters().Sum(p => p.numel()));
        Assert.Equal([1568L], model.Plan["flatten"].OutputShape);
    }

    [Fact]
    public void Forward_equals_the_article_written_out_with_functional_ops()
    {
        using var scope = NewDisposeScope();
        using var model = new ConvNet(ConvNetSpec.Article, seed: 1);
        model.eval();
        var x = rand(4, 1, 28, 28);
        var p = model.named_parameters().ToDictionary(n => n.name, n => n.parameter);

        // The article's forward pass, by hand: conv → max-pool → ReLU twice, flatten, fc1 → ReLU, fc2 (dropout is off in eval).
        var h = F.relu(F.max_pool2d(F.conv2d(x, p["conv1.weight"], p["conv1.bias"], padding: [2, 2]), 2));
        h = F.relu(F.max_pool2d(F.conv2d(h, p["conv2.weight"], p["conv2.bias"], padding: [2, 2]), 2));
        h = F.relu(F.linear(h.flatten(1), p["fc1.weight"], p["fc1.bias"]));
        var expected = F.linear(h, p["fc2.weight"], p["fc2.bias"]);

        Assert.True(model.call(x).allclose(expected, rtol: 1e-5, atol: 1e-6));
    }

    [Fact]
    public void Forward_hooks_fire_on_every_conv_layer()
    {
        using var scope = NewDisposeScope();
        using var model = new ConvNet();
        var seen = new List<long[]>();
        var handles = model.Layers.Where(l => l.Layer is Conv2d)
            .Select(l => ((Conv2d)l.Layer).register_forward_hook((_, _, output) => { seen.Add(output.shape); return output; })).ToList();
        model.call(zeros(2, 1, 28, 28));
        handles.ForEach(h => h.remove());
        Assert.Equal([[2L, 16, 28, 28], [2L, 32, 14, 14]], seen);
    }

    [Fact]
    public void A_variant_with_three_3x3_conv_layers_is_built_from_the_description()
    {
        using var scope = NewDisposeScope();
        var spec = ConvNetSpec.Article with { Convs = [new(8, 3), new(16, 3), new(32, 3)], Hidden = 64 };
        using var model = new ConvNet(spec);
        Assert.Equal(["conv1", "conv2", "conv3"], model.Plan.Convs.Select(c => c.Name));
        Assert.Equal(32 * 3 * 3, spec.FlattenedSize);
        Assert.Equal([5L, 10], model.call(zeros(5, 1, 28, 28)).shape);
        Assert.Equal("1×28×28 → conv1 8@3×3 → conv2 16@3×3 → conv3 32@3×3 → 288 → 64 → 10", spec.ToString());
    }

    [Theory]
    [InlineData(4, 2, "odd kernel")]
    [InlineData(3, 6, "shrink a 28×28 image to nothing")]
    [InlineData(0, 2, "odd kernel")]
    public void An_impossible_architecture_says_why(int kernel, int blocks, string reason)
    {
        var spec = ConvNetSpec.Article with { Convs = Enumerable.Repeat(new ConvBlock(8, kernel), blocks).ToList() };
        Assert.Contains(reason, Assert.Throws<ConvLensException>(() => new ConvNet(spec)).Message);
    }

    [Fact]
    public void Specs_with_equal_blocks_are_equal()
    {
        Assert.Equal(ConvNetSpec.Article, new ConvNetSpec { Convs = [new(16, 5), new(32, 5)] });
        Assert.NotEqual(ConvNetSpec.Article, ConvNetSpec.Article with { Convs = [new(16, 3), new(32, 5)] });
    }
}
