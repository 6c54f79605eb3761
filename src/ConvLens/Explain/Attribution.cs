using ConvLens.Inspection;
using ConvLens.Model;
using static TorchSharp.torch;

namespace ConvLens.Explain;

/// <summary>
/// Where does the network look? One shape for every method, as captum and pytorch-grad-cam have it: a method is a small
/// object holding its settings, and <see cref="Attribute"/> takes the model, a batch of images [B, C, H, W] (or one
/// image [C, H, W]) and a target class, and gives one map per image, [B, C, H, W] for the gradient methods and
/// [B, 1, H, W] for the CAMs and occlusion, on the CPU. Drawing is kept apart (<c>Charts.Attributions</c>).
/// </summary>
/// <remarks>
/// TorchSharp has no module backward hooks, so everything is built on captured activations (forward hooks that keep the
/// autograd graph) and <c>torch.autograd.grad</c>. The model runs in eval mode (dropout off, batch norm on its running
/// statistics), so the images of a batch do not interact, and it is left as it was.
/// </remarks>
public abstract class AttributionMethod
{
    /// <summary>The method's name: "SmoothGrad", "HiResCAM".</summary>
    public abstract string Name { get; }

    /// <summary>The method with its settings, for figure titles: "SmoothGrad (25 samples)", "HiResCAM on relu2".</summary>
    public virtual string Title(ConvNet model) => Name;

    /// <summary>The attribution of class <paramref name="target"/>'s score for each image of <paramref name="images"/>.</summary>
    public Tensor Attribute(ConvNet model, Tensor images, int target)
    {
        using var scope = NewDisposeScope();
        var parameter = model.parameters().First();
        var x = images.dim() == 3 ? images.unsqueeze(0) : images;
        var expected = model.Plan.Input;
        if (x.dim() != 4 || !x.shape[1..].SequenceEqual(expected))
            throw new ConvLensException($"Attribution takes images [batch, {string.Join(", ", expected)}] or one image [{string.Join(", ", expected)}]; got [{string.Join(", ", images.shape)}].");
        if (target < 0 || target >= model.Plan.Classes)
            throw new ConvLensException($"Class {target} is out of range: the model has classes 0 to {model.Plan.Classes - 1}.");
        return Compute(model, x.detach().to(parameter.dtype).to(parameter.device), target).detach().cpu().MoveToOuterDisposeScope();
    }

    /// <summary>The method itself, on a checked batch on the model's device.</summary>
    protected abstract Tensor Compute(ConvNet model, Tensor images, int target);

    /// <summary>Gradients of score[target] with respect to each image of a batch (the images do not interact in eval mode).</summary>
    protected static Tensor Gradients(ConvNet model, Tensor batch, int target)
    {
        var x = batch.detach().requires_grad_(true);
        var scores = Inspect.CallInEvalMode(model, x);
        return autograd.grad([scores[.., target].sum()], [x])[0].detach();
    }

    public override string ToString() => Name;
}

/// <summary>Gradient saliency: ∂ score[target] / ∂ pixel. Large magnitude = a small change there moves the score most.</summary>
public sealed class Saliency : AttributionMethod
{
    public override string Name => "gradient saliency";
    protected override Tensor Compute(ConvNet model, Tensor images, int target) => Gradients(model, images, target);
}

/// <summary>
/// SmoothGrad: the gradient averaged over <paramref name="Samples"/> copies of each image with Gaussian noise of
/// standard deviation <paramref name="Noise"/> × (the image's max − min) added: less speckle than one gradient.
/// </summary>
public sealed class SmoothGrad(int Samples = 25, double Noise = 0.15, int Seed = 0) : AttributionMethod
{
    public override string Name => "SmoothGrad";
    public override string Title(ConvNet model) => $"SmoothGrad ({Samples} samples)";

    protected override Tensor Compute(ConvNet model, Tensor images, int target)
    {
        if (Samples < 1) throw new ConvLensException($"SmoothGrad needs at least one sample, not {Samples}.");
        var generator = new Generator((ulong)Seed);
        long b = images.shape[0];
        var flat = images.reshape(b, -1);
        var spread = ((flat.max(1).values - flat.min(1).values) * Noise).view(b, 1, 1, 1, 1);
        var noise = randn([b, Samples, .. images.shape[1..]], generator: generator, dtype: images.dtype).to(images.device) * spread;
        var noisy = (images.unsqueeze(1) + noise).reshape([b * Samples, .. images.shape[1..]]);
        return Gradients(model, noisy, target).reshape([b, Samples, .. images.shape[1..]]).mean([1L]);
    }
}

/// <summary>
/// Integrated gradients (Sundararajan et al., 2017): (x − baseline) × the gradient averaged along the straight path
/// from the baseline (default: an all-zero image) to x, by the midpoint rule with <paramref name="Steps"/> points.
/// Completeness: the map sums to score(x) − score(baseline), up to the discretisation.
/// </summary>
public sealed class IntegratedGradients(int Steps = 50, Tensor? Baseline = null) : AttributionMethod
{
    public override string Name => "integrated gradients";
    public override string Title(ConvNet model) => $"integrated gradients ({Steps} steps)";

    protected override Tensor Compute(ConvNet model, Tensor images, int target)
    {
        if (Steps < 1) throw new ConvLensException($"Integrated gradients need at least one step, not {Steps}.");
        long b = images.shape[0];
        var start = Baseline is null ? zeros_like(images) : Baseline.to(images.dtype).to(images.device).expand_as(images);
        var alphas = ((arange(Steps, dtype: images.dtype) + 0.5) / Steps).to(images.device).view(1, -1, 1, 1, 1);
        var path = (start.unsqueeze(1) + alphas * (images - start).unsqueeze(1)).reshape([b * Steps, .. images.shape[1..]]);
        var grads = Gradients(model, path, target).reshape([b, Steps, .. images.shape[1..]]).mean([1L]);
        return (images - start) * grads;
    }
}

/// <summary>
/// What the CAMs share: a conv block's maps (default: the last block's output, from the plan) and the gradient of the
/// score with respect to them, combined by <see cref="Weigh"/>, summed over channels, ReLU'd and scaled up to the image
/// (bilinear).
/// </summary>
public abstract class ClassActivationMap(string? layer) : AttributionMethod
{
    /// <summary>The layer the map is taken on: the one given, or the last conv block's output.</summary>
    public string LayerOf(ConvNet model) => layer ?? model.Plan.Blocks.LastOrDefault()?.Output
        ?? throw new ConvLensException($"{GetType().Name} needs a conv layer, and this model has none ({model.Plan}).");

    protected abstract Tensor Weigh(Tensor gradients);

    protected override Tensor Compute(ConvNet model, Tensor images, int target)
    {
        string name = LayerOf(model);
        var planned = model.Plan[name];
        if (!planned.Spatial)
            throw new ConvLensException($"{GetType().Name} needs a layer of maps, [channels, height, width]; '{name}' gives [{string.Join(", ", planned.OutputShape)}].");
        var (scores, layers) = Inspect.ForwardWithLayers(model, images, name);
        var activations = layers[name];
        var grads = autograd.grad([scores[.., target].sum()], [activations])[0];
        var cam = nn.functional.relu((Weigh(grads) * activations).sum(1, keepdim: true));
        if (cam.shape[2] != images.shape[2] || cam.shape[3] != images.shape[3])
            cam = nn.functional.interpolate(cam, [images.shape[2], images.shape[3]], mode: InterpolationMode.Bilinear, align_corners: false);
        return cam;
    }
}

/// <summary>Grad-CAM (Selvaraju et al., 2017): each map weighted by the mean of its gradient.</summary>
public sealed class GradCam(string? Layer = null) : ClassActivationMap(Layer)
{
    public override string Name => "Grad-CAM";
    public override string Title(ConvNet model) => $"Grad-CAM on {LayerOf(model)}";
    protected override Tensor Weigh(Tensor gradients) => gradients.mean([2, 3], keepdim: true);
}

/// <summary>
/// HiResCAM (Draelos and Carin, 2020): each map multiplied by its gradient position by position, not by the gradient's
/// mean. Where the net ends in one linear layer after the maps, this is exactly each position's share of the score;
/// with a deeper dense head (the article's fc1 → ReLU → fc2) it is that share for the linearisation at this image.
/// </summary>
public sealed class HiResCam(string? Layer = null) : ClassActivationMap(Layer)
{
    public override string Name => "HiResCAM";
    public override string Title(ConvNet model) => $"HiResCAM on {LayerOf(model)}";
    protected override Tensor Weigh(Tensor gradients) => gradients;
}

/// <summary>
/// Occlusion (Zeiler and Fergus, 2014): slide a <paramref name="Window"/>² patch of <paramref name="Fill"/> over the
/// image with <paramref name="Stride"/>; each pixel gets the mean drop in the target's probability over the patches
/// that covered it. Positive = hiding it hurts the answer.
/// </summary>
public sealed class Occlusion(int Window = 4, int Stride = 2, double Fill = 0) : AttributionMethod
{
    public override string Name => "occlusion";
    public override string Title(ConvNet model) => $"occlusion ({Window}×{Window}, stride {Stride})";

    protected override Tensor Compute(ConvNet model, Tensor images, int target)
    {
        long h = images.shape[2], w = images.shape[3];
        if (Window < 1 || Window > Math.Min(h, w) || Stride < 1)
            throw new ConvLensException($"Occlusion needs 1 ≤ window ≤ {Math.Min(h, w)} and stride ≥ 1; got window {Window}, stride {Stride}.");
        var positions = new List<(long Row, long Col)>();
        for (long r = 0; r + Window <= h; r += Stride)
            for (long c = 0; c + Window <= w; c += Stride)
                positions.Add((r, c));
        var maps = new List<Tensor>();
        for (int i = 0; i < images.shape[0]; i++)
            maps.Add(OneImage(model, images[i..(i + 1)], target, positions, h, w));
        return cat(maps, 0);
    }

    Tensor OneImage(ConvNet model, Tensor x, int target, List<(long Row, long Col)> positions, long h, long w)
    {
        // Every occluded copy in one batch.
        var copies = x.repeat(positions.Count + 1, 1, 1, 1);
        for (int i = 0; i < positions.Count; i++)
            copies[i + 1, .., (int)positions[i].Row..(int)(positions[i].Row + Window), (int)positions[i].Col..(int)(positions[i].Col + Window)] = Fill;
        Tensor probabilities;
        using (no_grad())
            probabilities = nn.functional.softmax(Inspect.CallInEvalMode(model, copies), 1)[.., target].cpu().to_type(ScalarType.Float64);
        var p = probabilities.data<double>().ToArray();
        var drop = new double[h * w];
        var counts = new int[h * w];
        for (int i = 0; i < positions.Count; i++)
            for (long r = positions[i].Row; r < positions[i].Row + Window; r++)
                for (long c = positions[i].Col; c < positions[i].Col + Window; c++)
                {
                    drop[r * w + c] += p[0] - p[i + 1];
                    counts[r * w + c]++;
                }
        var map = drop.Select((d, i) => counts[i] == 0 ? 0 : d / counts[i]).ToArray();
        return tensor(map, [1, 1, h, w]).to_type(x.dtype);
    }
}

/// <summary>The methods a page or notebook shows, in one list: loop over it, no picking by position.</summary>
public static class Attribution
{
    /// <summary>Saliency, SmoothGrad, integrated gradients, HiResCAM and Grad-CAM on the last conv block, occlusion.</summary>
    public static IReadOnlyList<AttributionMethod> Standard(int samples = 25, int steps = 50, int window = 4, int stride = 2, string? layer = null) =>
        [new Saliency(), new SmoothGrad(samples), new IntegratedGradients(steps), new HiResCam(layer), new GradCam(layer), new Occlusion(window, stride)];

    /// <summary>Each method's title and its map for one image and class: what <c>Charts.Attributions</c> draws.</summary>
    public static IReadOnlyList<(string Method, Tensor Map)> Maps(ConvNet model, Tensor image, int target, IEnumerable<AttributionMethod> methods) =>
        methods.Select(m => (m.Title(model), m.Attribute(model, image, target))).ToList();
}
