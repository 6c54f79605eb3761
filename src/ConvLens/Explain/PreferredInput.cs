using ConvLens.Inspection;
using ConvLens.Model;
using static TorchSharp.torch;

namespace ConvLens.Explain;

/// <summary>Settings of activation maximization. The defaults suit 28×28 grey digits.</summary>
public sealed record MaximizeOptions
{
    public int Steps { get; init; } = 150;
    public double LearningRate { get; init; } = 0.05;
    /// <summary>Weight of the mean squared pixel value: keeps the image sparse.</summary>
    public double L2 { get; init; } = 0.01;
    /// <summary>Weight of total variation (mean absolute difference of neighbours): smooth strokes rather than noise.</summary>
    public double TotalVariation { get; init; } = 0.01;
    /// <summary>Pixels are kept in [0, 1] after every step, the range of the training images.</summary>
    public bool ClampToImageRange { get; init; } = true;
    /// <summary>Random shifts of up to this many pixels at each step, so the pattern does not depend on exact position.</summary>
    public int Jitter { get; init; } = 1;
    public int Seed { get; init; } = 0;
}

/// <summary>An input made to excite one unit, with the unit's activation before (random start) and after.</summary>
public sealed record Preferred(Tensor Image, double Before, double After);

/// <summary>
/// What does a filter or a class "want"? Activation maximization: start from faint noise and follow the gradient to an
/// input that maximizes one conv channel's mean activation or one class's score, with L2, total-variation and jitter
/// regularizers and a fixed seed.
/// </summary>
public static class PreferredInput
{
    /// <summary>
    /// An input that maximizes the mean positive activation of <paramref name="channel"/> of layer <paramref name="layer"/>
    /// (through a leaky ReLU). The ReLU matters: the plain mean of a conv map is linear in the input, so it would be
    /// maximized by a flat image; the positive part rewards the filter's pattern wherever it appears, and the small
    /// leak keeps a gradient for channels that start out silent everywhere.
    /// </summary>
    public static Preferred ForChannel(ConvNet model, string layer, int channel, MaximizeOptions? options = null) =>
        Maximize(model, options ?? new(), [layer], (scores, captured) =>
        {
            var maps = captured[layer];
            if (channel < 0 || channel >= maps.shape[1])
                throw new ConvLensException($"Channel {channel} is out of range: {layer} has channels 0 to {maps.shape[1] - 1}.");
            return nn.functional.leaky_relu(maps[0, channel], 0.01).mean();
        });

    /// <summary>An input that maximizes the score (logit) of class <paramref name="target"/>.</summary>
    public static Preferred ForClass(ConvNet model, int target, MaximizeOptions? options = null) =>
        Maximize(model, options ?? new(), [], (scores, _) =>
        {
            if (target < 0 || target >= scores.shape[1])
                throw new ConvLensException($"Class {target} is out of range: the model has classes 0 to {scores.shape[1] - 1}.");
            return scores[0, target];
        });

    static Preferred Maximize(ConvNet model, MaximizeOptions o, string[] layers,
        Func<Tensor, IReadOnlyDictionary<string, Tensor>, Tensor> objective)
    {
        if (o.Steps < 1) throw new ConvLensException($"Activation maximization needs at least one step, not {o.Steps}.");
        var parameter = model.parameters().First();
        var generator = new Generator((ulong)o.Seed);
        var random = new Random(o.Seed);
        // A faint grey with a little noise, so most units start on the live side of their ReLU.
        using var start = (randn([1, .. model.Plan.Input], generator: generator) * 0.05 + 0.2).clamp(0, 1).to(parameter.dtype).to(parameter.device);
        using var x = new TorchSharp.Modules.Parameter(start, requires_grad: true);   // the input is what the optimizer learns
        using var optimizer = optim.Adam([x], o.LearningRate);

        double Objective(Tensor input)
        {
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            var (scores, captured) = Inspect.ForwardWithLayers(model, input, layers);
            return objective(scores, captured).item<float>();
        }

        double before = Objective(x);
        // Freeze the model: only the input learns (and no gradients pile up in the weights).
        var frozen = model.parameters().Select(p => (p, p.requires_grad)).ToList();
        frozen.ForEach(f => f.p.requires_grad_(false));
        try
        {
            for (int step = 0; step < o.Steps; step++)
            {
                using var scope = NewDisposeScope();
                optimizer.zero_grad();
                long dy = random.Next(-o.Jitter, o.Jitter + 1), dx = random.Next(-o.Jitter, o.Jitter + 1);
                var shifted = o.Jitter > 0 ? x.roll([dy, dx], [2, 3]) : x;
                var (scores, captured) = Inspect.ForwardWithLayers(model, shifted, layers);
                var tv = (x[.., .., 1.., ..] - x[.., .., ..^1, ..]).abs().mean() + (x[.., .., .., 1..] - x[.., .., .., ..^1]).abs().mean();
                var loss = -objective(scores, captured) + o.L2 * x.square().mean() + o.TotalVariation * tv;
                loss.backward();
                optimizer.step();
                if (o.ClampToImageRange)
                    using (no_grad()) x.clamp_(0, 1);
            }
        }
        finally
        {
            frozen.ForEach(f => f.p.requires_grad_(f.requires_grad));
        }
        var image = x.detach()[0].cpu().clone();
        return new Preferred(image, before, Objective(x.detach()));
    }
}
