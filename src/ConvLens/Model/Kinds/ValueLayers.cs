using System.Text.Json.Serialization;
using TorchSharp;
using M = TorchSharp.Modules;
using static TorchSharp.torch;

namespace ConvLens.Model;

/// <summary>A layer that works value by value (an activation, batch norm, dropout): the shape and the window stay.</summary>
public abstract record ValueLayer : PlanLayer
{
    public override long[] OutputFor(long[] input) => input;
}

/// <summary>Batch norm: each channel (or feature) shifted and scaled by its running statistics, then its weight and bias.</summary>
public abstract record BatchNormLayer : ValueLayer
{
    /// <summary>The channels (2d) or features (1d) it normalises; saved as "in", as formats 1 and 2 wrote it.</summary>
    [JsonPropertyName("in")] public required int Features { get; init; }
    public double Eps { get; init; } = 1e-5;
    public double Momentum { get; init; } = 0.1;

    public override string Settings => $"{Kind}({Features})";
    public override string About => "After batch norm: each channel shifted and scaled by statistics learned in training (its running mean and variance), then by its learned weight and bias.";

    protected static (int Features, double Eps, double Momentum) NormSettings(M.NormBase n) =>
        !n.affine || !n.track_running_stats ? throw Unsupported("affine = false or no running statistics") : ((int)n.num_features, n.eps, n.momentum ?? 0.1);
}

public sealed record BatchNorm2dLayer : BatchNormLayer
{
    public override nn.Module<Tensor, Tensor> NewModule() => nn.BatchNorm2d(Features, Eps, Momentum);
    internal static BatchNorm2dLayer Read(M.BatchNorm2d n) { var (f, e, m) = NormSettings(n); return new() { Features = f, Eps = e, Momentum = m }; }
}

public sealed record BatchNorm1dLayer : BatchNormLayer
{
    public override nn.Module<Tensor, Tensor> NewModule() => nn.BatchNorm1d(Features, Eps, Momentum);
    internal static BatchNorm1dLayer Read(M.BatchNorm1d n) { var (f, e, m) = NormSettings(n); return new() { Features = f, Eps = e, Momentum = m }; }
}

/// <summary>Dropout: zeroes values at random in training (whole maps for Dropout2d); off when looking.</summary>
public abstract record DroppingLayer : ValueLayer
{
    /// <summary>The probability a value (or map) is dropped in training.</summary>
    public required double P { get; init; }
    [JsonIgnore] public override bool OffWhenLooking => true;
    public override string Settings => $"{Kind}({P})";
    public override string About => "After dropout, which is off outside training: the same values as its input.";
}


public sealed record DropoutLayer : DroppingLayer
{
    public override nn.Module<Tensor, Tensor> NewModule() => nn.Dropout(P);
    internal static DropoutLayer Read(M.Dropout d) => new() { P = d.p };
}

public sealed record Dropout2dLayer : DroppingLayer
{
    public override nn.Module<Tensor, Tensor> NewModule() => nn.Dropout2d(P);
    internal static Dropout2dLayer Read(M.Dropout2d d) => new() { P = d.p };
}

/// <summary>ReLU: negatives set to zero.</summary>
public sealed record ReLULayer : ValueLayer
{
    public override string About => "After ReLU: negatives set to zero.";
    public override nn.Module<Tensor, Tensor> NewModule() => nn.ReLU();
    internal static ReLULayer Read(M.ReLU _) => new();
}

/// <summary>LeakyReLU: negatives multiplied by a small slope.</summary>
public sealed record LeakyReLULayer : ValueLayer
{
    public double Slope { get; init; } = 0.01;
    public override string Settings => $"LeakyReLU({Slope})";
    public override string About => $"After LeakyReLU: negatives multiplied by {Slope}, positives kept.";
    public override nn.Module<Tensor, Tensor> NewModule() => nn.LeakyReLU(Slope);
    internal static LeakyReLULayer Read(M.LeakyReLU l) => new() { Slope = l.negative_slope };
}

/// <summary>ELU: α·(eˣ − 1) for negatives.</summary>
public sealed record ELULayer : ValueLayer
{
    public double Alpha { get; init; } = 1.0;
    public override string Settings => $"ELU({Alpha})";
    public override string About => "After ELU: positives kept, negatives bent smoothly towards −α.";
    public override nn.Module<Tensor, Tensor> NewModule() => nn.ELU(Alpha);
    internal static ELULayer Read(M.ELU e) => new() { Alpha = e.alpha };
}

/// <summary>GELU: x·Φ(x), exact (with erf) or with torch's tanh approximation.</summary>
public sealed record GELULayer : ValueLayer
{
    /// <summary>"none" (exact, with erf) or "tanh".</summary>
    public string Approximate { get; init; } = "none";
    public override string Settings => Approximate == "tanh" ? "GELU(tanh)" : "GELU";
    public override string About => "After GELU: positives mostly kept, negatives mostly damped, smoothly.";
    public override nn.Module<Tensor, Tensor> NewModule() => nn.GELU(Approximate == "tanh" ? M.GELU.Approximate.tanh : M.GELU.Approximate.none);
    internal static GELULayer Read(M.GELU g) => new() { Approximate = g.approximate == M.GELU.Approximate.tanh ? "tanh" : "none" };
}

/// <summary>SiLU: x · sigmoid(x).</summary>
public sealed record SiLULayer : ValueLayer
{
    public override string About => "After SiLU (x · sigmoid(x)): positives mostly kept, negatives mostly damped, smoothly.";
    public override nn.Module<Tensor, Tensor> NewModule() => nn.SiLU();
    internal static SiLULayer Read(M.SiLU _) => new();
}

/// <summary>Hardswish: x · ReLU6(x + 3) / 6, MobileNetV3's cheap stand-in for SiLU.</summary>
public sealed record HardswishLayer : ValueLayer
{
    public override string About => "After Hardswish (x · min(max(x + 3, 0), 6) / 6): values below −3 become 0, above 3 are kept, a curve between.";
    public override nn.Module<Tensor, Tensor> NewModule() => nn.Hardswish();
    internal static HardswishLayer Read(M.Hardswish _) => new();
}

public sealed record TanhLayer : ValueLayer
{
    public override string About => "After tanh: every value squashed into −1 … 1.";
    public override nn.Module<Tensor, Tensor> NewModule() => nn.Tanh();
    internal static TanhLayer Read(M.Tanh _) => new();
}

public sealed record SigmoidLayer : ValueLayer
{
    public override string About => "After the sigmoid: every value squashed into 0 … 1.";
    public override nn.Module<Tensor, Tensor> NewModule() => nn.Sigmoid();
    internal static SigmoidLayer Read(M.Sigmoid _) => new();
}
