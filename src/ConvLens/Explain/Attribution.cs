using ConvLens.Inspection;
using static TorchSharp.torch;

namespace ConvLens.Explain;

/// <summary>
/// Where does the network look? Attribution maps for one image [1, C, H, W] and one class, each the size of the image
/// ([C, H, W], on the CPU), for any TorchSharp model that maps images to class scores.
/// </summary>
/// <remarks>
/// TorchSharp has no module backward hooks, so everything is built on captured activations (forward hooks that keep the
/// autograd graph) and <c>torch.autograd.grad</c>. The model runs in eval mode (dropout off) and is left as it was.
/// </remarks>
public static class Attribution
{
    /// <summary>Gradient saliency: ∂ score[target] / ∂ pixel. Large magnitude = a small change there moves the score most.</summary>
    public static Tensor Saliency(nn.Module<Tensor, Tensor> model, Tensor image, int target)
    {
        using var scope = NewDisposeScope();
        return Gradients(model, Prepare(model, image), target).mean([0L]).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// SmoothGrad: the gradient averaged over <paramref name="samples"/> copies of the image with Gaussian noise of
    /// standard deviation <paramref name="noise"/> × (max − min) added: less speckle than one gradient.
    /// </summary>
    public static Tensor SmoothGrad(nn.Module<Tensor, Tensor> model, Tensor image, int target, int samples = 25, double noise = 0.15, int seed = 0)
    {
        if (samples < 1) throw new ConvLensException($"SmoothGrad needs at least one sample, not {samples}.");
        using var scope = NewDisposeScope();
        var x = Prepare(model, image);
        var generator = new Generator((ulong)seed);
        double spread = (x.max() - x.min()).item<float>() * noise;
        var noisy = x.expand(samples, -1, -1, -1) + randn([samples, .. x.shape[1..]], generator: generator, dtype: x.dtype) * spread;
        return Gradients(model, noisy, target).mean([0L]).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Integrated gradients (Sundararajan et al., 2017): (x − baseline) × the gradient averaged along the straight path
    /// from <paramref name="baseline"/> (default: a black image) to x, by the midpoint rule with <paramref name="steps"/> points.
    /// Completeness: the map sums to score(x) − score(baseline), up to the discretisation.
    /// </summary>
    public static Tensor IntegratedGradients(nn.Module<Tensor, Tensor> model, Tensor image, int target, Tensor? baseline = null, int steps = 50)
    {
        if (steps < 1) throw new ConvLensException($"Integrated gradients need at least one step, not {steps}.");
        using var scope = NewDisposeScope();
        var x = Prepare(model, image);
        var start = baseline is null ? zeros_like(x) : Prepare(model, baseline);
        var alphas = (arange(steps, dtype: x.dtype) + 0.5) / steps;
        var path = start + alphas.view(-1, 1, 1, 1) * (x - start);
        var grads = Gradients(model, path, target);
        return ((x - start)[0] * grads.mean([0L])).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Grad-CAM (Selvaraju et al., 2017) on layer <paramref name="layer"/>: its feature maps weighted by the mean
    /// gradient of the score over each map, summed, ReLU'd, and scaled up to the image's size (bilinear). [1, H, W].
    /// With <paramref name="elementwise"/>, HiResCAM (Draelos and Carin, 2020): each map multiplied by its gradient
    /// position by position before summing, which stays faithful when a dense layer (not global pooling) follows, as
    /// in the article's net: there the channel means of the gradient are mostly negative and plain Grad-CAM fades out.
    /// </summary>
    public static Tensor GradCam(nn.Module<Tensor, Tensor> model, Tensor image, int target, string layer, bool elementwise = false)
    {
        using var scope = NewDisposeScope();
        var x = Prepare(model, image);
        var (scores, layers) = Inspect.ForwardWithLayers(model, x, layer);
        var activations = layers.GetValueOrDefault(layer);
        CheckTarget(scores, target);
        if (activations is null || activations.dim() != 4)
            throw new ConvLensException($"Grad-CAM needs a layer with [batch, channels, height, width] output; '{layer}' gives [{string.Join(", ", activations?.shape ?? [])}].");
        var grads = autograd.grad([scores[0, target]], [activations])[0];
        var weights = elementwise ? grads : grads.mean([2, 3], keepdim: true);
        var cam = nn.functional.relu((weights * activations).sum(1, keepdim: true));
        if (cam.shape[2] != x.shape[2] || cam.shape[3] != x.shape[3])
            cam = nn.functional.interpolate(cam, [x.shape[2], x.shape[3]], mode: InterpolationMode.Bilinear, align_corners: false);
        return cam[0].detach().cpu().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Occlusion (Zeiler and Fergus, 2014): slide a <paramref name="window"/>² patch of <paramref name="fill"/> over the
    /// image with <paramref name="stride"/>; each pixel gets the mean drop in the target's probability over the patches
    /// that covered it. Positive = hiding it hurts the answer. [1, H, W].
    /// </summary>
    public static Tensor Occlusion(nn.Module<Tensor, Tensor> model, Tensor image, int target, int window = 4, int stride = 2, double fill = 0)
    {
        using var scope = NewDisposeScope();
        var x = Prepare(model, image);
        long h = x.shape[2], w = x.shape[3];
        if (window < 1 || window > Math.Min(h, w) || stride < 1)
            throw new ConvLensException($"Occlusion needs 1 ≤ window ≤ {Math.Min(h, w)} and stride ≥ 1; got window {window}, stride {stride}.");
        var positions = new List<(long Row, long Col)>();
        for (long r = 0; r + window <= h; r += stride)
            for (long c = 0; c + window <= w; c += stride)
                positions.Add((r, c));
        // Every occluded copy in one batch.
        var copies = x.repeat(positions.Count + 1, 1, 1, 1);
        for (int i = 0; i < positions.Count; i++)
            copies[i + 1, .., (int)positions[i].Row..(int)(positions[i].Row + window), (int)positions[i].Col..(int)(positions[i].Col + window)] = fill;
        Tensor probabilities;
        using (no_grad())
        {
            var scores = Inspect.CallInEvalMode(model, copies);
            CheckTarget(scores, target);
            probabilities = nn.functional.softmax(scores, 1)[.., target].cpu().to_type(ScalarType.Float64);
        }
        var p = probabilities.data<double>().ToArray();
        var drop = new double[h * w];
        var counts = new int[h * w];
        for (int i = 0; i < positions.Count; i++)
            for (long r = positions[i].Row; r < positions[i].Row + window; r++)
                for (long c = positions[i].Col; c < positions[i].Col + window; c++)
                {
                    drop[r * w + c] += p[0] - p[i + 1];
                    counts[r * w + c]++;
                }
        var map = drop.Select((d, i) => counts[i] == 0 ? 0 : d / counts[i]).ToArray();
        return tensor(map, [1, h, w]).to_type(ScalarType.Float32).MoveToOuterDisposeScope();
    }

    /// <summary>Gradients of score[target] with respect to each image of a batch (the images do not interact in eval mode).</summary>
    static Tensor Gradients(nn.Module<Tensor, Tensor> model, Tensor batch, int target)
    {
        var x = batch.detach().requires_grad_(true);
        var scores = Inspect.CallInEvalMode(model, x);
        CheckTarget(scores, target);
        return autograd.grad([scores[.., target].sum()], [x])[0].detach().cpu();
    }

    /// <summary>The image as a [1, C, H, W] tensor of the model's dtype, on the model's device, outside any graph.</summary>
    internal static Tensor Prepare(nn.Module<Tensor, Tensor> model, Tensor image)
    {
        var parameter = model.parameters().First();
        var x = image.dim() == 3 ? image.unsqueeze(0) : image;
        if (x.dim() != 4 || x.shape[0] != 1)
            throw new ConvLensException($"Attribution explains one image, [1, C, H, W] or [C, H, W]; got [{string.Join(", ", image.shape)}].");
        return x.detach().to(parameter.dtype).to(parameter.device);
    }

    static void CheckTarget(Tensor scores, int target)
    {
        if (target < 0 || target >= scores.shape[1])
            throw new ConvLensException($"Class {target} is out of range: the model has classes 0 to {scores.shape[1] - 1}.");
    }
}
