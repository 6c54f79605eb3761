using System.Reflection;
using ConvLens.Checkpoints;
using ConvLens.Inspection;
using ConvLens.Model;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ConvLens.Tests;

[Collection(TorchRandom.Name)]
public class InspectionTests
{
    [Fact]
    public void Layers_lists_every_named_layer_with_its_parameters_and_output_shape()
    {
        using var model = Shared.ShippedModel();
        var layers = Inspect.Layers(model);
        Assert.Equal(model.Layers.Select(l => l.Name), layers.Select(l => l.Name));
        var conv2 = Assert.IsType<Conv2dLayer>(layers.Single(l => l.Name == "conv2"));
        Assert.Equal("Conv2d", conv2.Kind);
        Assert.Equal((16, 32, new Pair(5, 5), new Pair(2, 2)), (conv2.In, conv2.Out, conv2.Kernel, conv2.Padding));
        Assert.Equal([16L, 14, 14], conv2.InputShape);
        Assert.Equal([32L, 14, 14], conv2.OutputShape);
        Assert.Equal([1568L], layers.Single(l => l.Name == "flatten").OutputShape);
        Assert.Equal("conv2        Conv2d 16→32, 5×5, padding 2          16×14×14 → 32×14×14   sees 14×14, jump 2", conv2.ToString());
    }

    [Fact]
    public void Filters_are_the_layers_weights()
    {
        using var model = Shared.ShippedModel();
        var conv2 = (Conv2d)model.Layers.Single(l => l.Name == "conv2").Layer;
        using var filters = Inspect.Filters(model, "conv2");
        Assert.Equal([32L, 16, 5, 5], filters.shape);
        Assert.True(filters.allclose(conv2.weight!.detach(), rtol: 0, atol: 0));
        Assert.Equal(["conv1", "conv2"], Inspect.ConvLayers(model));
    }

    [Fact]
    public void Hooked_activations_equal_a_forward_pass_by_hand()
    {
        using var scope = NewDisposeScope();
        using var model = Shared.ShippedModel();
        var image = Shared.Mnist.Train.Image(4);
        var maps = Inspect.FeatureMaps(model, image, "conv1", "relu1", "conv2", "relu2");
        var p = model.named_parameters().ToDictionary(n => n.name, n => n.parameter.detach());

        var conv1 = F.conv2d(image, p["conv1.weight"], p["conv1.bias"], padding: [2, 2]);
        var relu1 = F.relu(F.max_pool2d(conv1, 2));
        var conv2 = F.conv2d(relu1, p["conv2.weight"], p["conv2.bias"], padding: [2, 2]);
        var relu2 = F.relu(F.max_pool2d(conv2, 2));
        foreach (var (name, expected) in new[] { ("conv1", conv1), ("relu1", relu1), ("conv2", conv2), ("relu2", relu2) })
        {
            Assert.Equal(expected.shape[1..], maps[name].shape);
            Assert.True(maps[name].allclose(expected[0], rtol: 1e-5, atol: 1e-5), name);
        }
        foreach (var map in maps.Values) map.Dispose();
    }

    [Fact]
    public void Hooks_are_removed_so_running_a_cell_twice_registers_nothing_twice()
    {
        using var model = Shared.ShippedModel();
        using var image = Shared.Mnist.Train.Image(4);
        var first = Inspect.FeatureMaps(model, image, "conv1");
        var second = Inspect.FeatureMaps(model, image, "conv1");
        Assert.True(first["conv1"].allclose(second["conv1"], rtol: 0, atol: 0));

        var hooks = typeof(nn.HookableModule<Func<nn.Module<Tensor, Tensor>, Tensor, Tensor>, Func<nn.Module<Tensor, Tensor>, Tensor, Tensor, Tensor>>)
            .GetField("post_hooks", BindingFlags.NonPublic | BindingFlags.Instance)!;
        foreach (var (name, layer) in model.Layers)
            Assert.Empty((System.Collections.IDictionary)hooks.GetValue(layer)!);
        Assert.Contains("removes the hooks (also when something fails, so running a cell twice never leaves one behind)", NotebookClaimsTests.Prose("05-visualize-feature-maps"));
    }

    [Fact]
    public void Hooks_are_removed_when_a_layer_name_is_wrong_and_the_error_lists_the_valid_names()
    {
        using var model = Shared.ShippedModel();
        using var image = Shared.Mnist.Train.Image(0);
        var message = Assert.Throws<ConvLensException>(() => Inspect.FeatureMaps(model, image, "conv1", "conv7")).Message;
        Assert.Equal("The model has no layer 'conv7'; its layers: conv1, pool1, relu1, conv2, pool2, relu2, drop1, flatten, fc1, relu3, drop2, fc2.", message);
        Assert.Contains("conv layers: conv1, conv2", Assert.Throws<ConvLensException>(() => Inspect.Filters(model, "fc1")).Message);
    }

    [Fact]
    public void The_same_api_works_on_a_three_conv_layer_variant()
    {
        using var scope = NewDisposeScope();
        var spec = ConvNetSpec.Article with { Convs = [new(8, 3), new(16, 3), new(24, 3)] };
        using var model = new ConvNet(spec);
        using var image = Shared.Mnist.Test.Image(0);
        Assert.Equal(["conv1", "conv2", "conv3"], Inspect.ConvLayers(model));
        Assert.Equal([24L, 16, 3, 3], Inspect.Filters(model, "conv3").shape);
        var maps = Inspect.FeatureMaps(model, image, "conv3", "relu3");
        Assert.Equal([24L, 7, 7], maps["conv3"].shape);
        Assert.Equal([24L, 3, 3], maps["relu3"].shape);
        Assert.Equal(3 * 3 + 6, Inspect.Layers(model).Count);
    }
}
