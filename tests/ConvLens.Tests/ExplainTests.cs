using ConvLens.Explain;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using F = TorchSharp.torch.nn.functional;

namespace ConvLens.Tests;

/// <summary>The maths of the attribution methods, checked on tiny nets where the answer is known, and on the shipped model.</summary>
[Collection(TorchRandom.Name)]
public class ExplainTests
{
    /// <summary>conv1 (1→2, 3×3, padding 1) → ReLU → flatten → fc (72 → 3), in float64 for exact comparisons.</summary>
    static ConvLens.Model.ConvNet Tiny(bool relu = true)
    {
        var net = ConvLens.Model.Seeding.Run(11, () =>
        {
            var layers = new List<(string, Module<Tensor, Tensor>)> { ("conv1", Conv2d(1, 2, 3, padding: 1)) };
            if (relu) layers.Add(("relu1", ReLU()));
            layers.Add(("flatten", Flatten()));
            layers.Add(("fc", Linear(72, 3)));
            return Sequential(layers);
        });
        net.to(ScalarType.Float64);
        return ConvLens.Model.ConvNet.From(net, [1, 6, 6]);
    }

    static Tensor Image6() => rand([1, 1, 6, 6], dtype: ScalarType.Float64, generator: new Generator(3));

    static double Score(Module<Tensor, Tensor> net, Tensor x, int target)
    {
        using var _ = no_grad();
        net.eval();
        return net.call(x)[0, target].to_type(ScalarType.Float64).item<double>();
    }

    [Fact]
    public void Saliency_equals_central_finite_differences()
    {
        using var scope = NewDisposeScope();
        var net = Tiny();
        var x = Image6();
        var saliency = new Saliency().Attribute(net, x, target: 1)[0];
        Assert.Equal([1L, 6, 6], saliency.shape);
        const double h = 1e-6;
        for (int i = 0; i < 6; i++)
            for (int j = 0; j < 6; j++)
            {
                var up = x.clone(); up[0, 0, i, j] += h;
                var down = x.clone(); down[0, 0, i, j] -= h;
                double numeric = (Score(net, up, 1) - Score(net, down, 1)) / (2 * h);
                Assert.Equal(numeric, saliency[0, i, j].item<double>(), 6);
            }
    }

    [Fact]
    public void Integrated_gradients_are_complete_on_a_tiny_net_and_on_the_shipped_model()
    {
        using var scope = NewDisposeScope();
        var net = Tiny();
        var x = Image6();
        var ig = new IntegratedGradients(Steps: 50).Attribute(net, x, target: 2);
        double expected = Score(net, x, 2) - Score(net, zeros_like(x), 2);
        Assert.True(Math.Abs(ig.sum().item<double>() - expected) <= 0.01 * Math.Abs(expected), $"sum {ig.sum().item<double>()} vs {expected}");

        using var model = Shared.ShippedModel();
        var digit = Shared.Mnist.Train.Image(4);
        var map = new IntegratedGradients(Steps: 50).Attribute(model, digit, target: 9);
        double gap = Score(model, digit, 9) - Score(model, zeros_like(digit), 9);
        Assert.True(Math.Abs(map.sum().item<float>() - gap) <= 0.01 * Math.Abs(gap), $"sum {map.sum().item<float>()} vs f(x) − f(0) = {gap}");
    }

    [Fact]
    public void Grad_cam_equals_the_hand_computation_on_a_linear_head()
    {
        using var scope = NewDisposeScope();
        var net = Tiny(relu: false);
        var x = Image6();
        var cam = new GradCam("conv1").Attribute(net, x, target: 0)[0];

        // y0 = Σ W[0, k·36 + i·6 + j] · A[k, i, j] + b, so ∂y0/∂A_k is W[0] reshaped, and Grad-CAM's weight α_k is its mean.
        var p = net.named_parameters().ToDictionary(n => n.name, n => n.parameter.detach());
        var a = F.conv2d(x, p["conv1.weight"], p["conv1.bias"], padding: [1, 1])[0];          // [2, 6, 6]
        var alpha = p["fc.weight"][0].reshape(2, 6, 6).mean([1, 2]);                      // [2]
        var expected = F.relu((alpha.view(2, 1, 1) * a).sum([0L]));
        Assert.True(cam[0].allclose(expected, rtol: 1e-10, atol: 1e-12));
    }

    [Fact]
    public void HiResCAM_equals_the_hand_computation_on_a_linear_head()
    {
        using var scope = NewDisposeScope();
        var net = Tiny(relu: false);
        var x = Image6();
        var cam = new HiResCam("conv1").Attribute(net, x, target: 1)[0];
        var p = net.named_parameters().ToDictionary(n => n.name, n => n.parameter.detach());
        var a = F.conv2d(x, p["conv1.weight"], p["conv1.bias"], padding: [1, 1])[0];
        // Element-wise: Σ_k ∂y1/∂A_k ⊙ A_k, and ∂y1/∂A is fc's row 1 reshaped; summed over positions it is y1 − bias.
        var expected = F.relu((p["fc.weight"][1].reshape(2, 6, 6) * a).sum([0L]));
        Assert.True(cam[0].allclose(expected, rtol: 1e-10, atol: 1e-12));
        // Its guarantee on a linear head: before the ReLU, the positions' shares add up to the score less the bias.
        var shares = (p["fc.weight"][1].reshape(2, 6, 6) * a).sum();
        Assert.Equal((net.call(x)[0, 1] - p["fc.bias"][1]).item<double>(), shares.item<double>(), 9);
    }

    [Fact]
    public void Occluding_the_one_pixel_a_net_reads_changes_its_output_and_no_other_pixel_does()
    {
        using var scope = NewDisposeScope();
        var net = ConvLens.Model.ConvNet.From(Sequential(("flatten", Flatten()), ("fc", Linear(36, 2))), [1, 6, 6]);
        using (no_grad())
        {
            var fc = (TorchSharp.Modules.Linear)net.Layer("fc");
            fc.weight!.zero_();
            fc.bias!.zero_();
            fc.weight[1, 2 * 6 + 3] = 5;          // class 1 reads pixel (2, 3) alone
        }
        var map = new Occlusion(Window: 1, Stride: 1).Attribute(net, ones(1, 1, 6, 6), target: 1)[0];
        double before = 1 / (1 + Math.Exp(-5)), after = 0.5;   // softmax of (0, 5), then of (0, 0)
        Assert.Equal(before - after, map[0, 2, 3].item<float>(), 5);
        map[0, 2, 3] = 0;
        Assert.Equal(0f, map.abs().max().item<float>());
    }

    [Fact]
    public void Activation_maximization_raises_its_target()
    {
        using var model = Shared.ShippedModel();
        var channel = PreferredInput.ForChannel(model, "conv1", 3);
        Assert.True(channel.After > 1.5 * channel.Before, $"conv1 channel 3: {channel.Before} → {channel.After}");
        var digit = PreferredInput.ForClass(model, 7);
        Assert.True(digit.After > digit.Before + 5, $"class 7: {digit.Before} → {digit.After}");
        Assert.Equal([1L, 28, 28], digit.Image.shape);
        Assert.True(model.parameters().All(p => p.requires_grad));   // the model is left trainable
    }

    [Fact]
    public void Every_method_highlights_the_strokes_of_the_articles_digit()
    {
        using var scope = NewDisposeScope();
        using var model = Shared.ShippedModel();
        var digit = Shared.Mnist.Train.Image(4);
        var strokes = digit[0, 0] > 0.3;
        var maps = new (string, Tensor)[]
        {
            ("saliency", new Saliency().Attribute(model, digit, 9)[0]),
            ("SmoothGrad", new SmoothGrad().Attribute(model, digit, 9)[0]),
            ("integrated gradients", new IntegratedGradients().Attribute(model, digit, 9)[0]),
            ("HiResCAM on relu2, the last conv block's output (its default)", new HiResCam().Attribute(model, digit, 9)[0]),
            ("HiResCAM on relu1", new HiResCam("relu1").Attribute(model, digit, 9)[0]),
            ("occlusion", new Occlusion().Attribute(model, digit, 9)[0]),
        };
        foreach (var (name, map) in maps)
        {
            var magnitude = map[0].abs();
            double on = magnitude.masked_select(strokes).mean().item<float>(), off = magnitude.masked_select(~strokes).mean().item<float>();
            Assert.True(on > 1.5 * off, $"{name}: mean |attribution| {on:G3} on the strokes, {off:G3} elsewhere");
        }
    }

    [Fact]
    public void A_class_out_of_range_is_a_clear_error()
    {
        using var model = Shared.ShippedModel();
        using var digit = Shared.Mnist.Train.Image(4);
        Assert.Contains("classes 0 to 9", Assert.Throws<ConvLensException>(() => new Saliency().Attribute(model, digit, 10)).Message);
        Assert.Contains("its layers:", Assert.Throws<ConvLensException>(() => new GradCam("conv5").Attribute(model, digit, 1)).Message);
    }
}
