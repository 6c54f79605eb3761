using System.Text.Json.Serialization;
using TorchSharp;
using M = TorchSharp.Modules;
using static TorchSharp.torch;

namespace ConvLens.Model;

/// <summary>MaxPool2d: the largest value of each window.</summary>
public sealed record MaxPool2dLayer : WindowLayer
{
    public Pair Dilation { get; init; } = 1;
    [JsonIgnore] public override Pair Spacing => Dilation;

    public override string Settings => $"MaxPool2d {Kernel}" + Extras(strideIsKernel: true);
    public override string About => $"After max-pooling ({Settings}): each value is the largest of a {Kernel} window, so the maps go from {Text(InputShape[1..])} to {Text(OutputShape[1..])}.";

    public override nn.Module<Tensor, Tensor> NewModule() =>
        nn.MaxPool2d((Kernel.Rows, Kernel.Columns), (Stride.Rows, Stride.Columns), (Padding.Rows, Padding.Columns), (Dilation.Rows, Dilation.Columns));

    internal static MaxPool2dLayer Read(M.MaxPool2d m)
    {
        if (m.ceil_mode) throw Unsupported("ceil_mode");
        Pair kernel = Pair.Of(m.kernel_size, 1);
        return new() { Kernel = kernel, Stride = m.stride is null ? kernel : Pair.Of(m.stride, 1), Padding = Pair.Of(m.padding, 0), Dilation = Pair.Of(m.dilation, 1) };
    }
}

/// <summary>AvgPool2d: the mean of each window (the padding's zeros counted unless <see cref="CountIncludePad"/> is false).</summary>
public sealed record AvgPool2dLayer : WindowLayer
{
    /// <summary>Whether the padding's zeros count in the mean (torch's default, true).</summary>
    public bool CountIncludePad { get; init; } = true;
    [JsonIgnore] public override Pair Spacing => 1;

    public override string Settings => $"AvgPool2d {Kernel}" + Extras(strideIsKernel: true);
    public override string About => $"After average pooling ({Settings}): each value is the mean of a {Kernel} window, so the maps go from {Text(InputShape[1..])} to {Text(OutputShape[1..])}.";

    public override nn.Module<Tensor, Tensor> NewModule() =>
        nn.AvgPool2d((Kernel.Rows, Kernel.Columns), (Stride.Rows, Stride.Columns), (Padding.Rows, Padding.Columns), count_include_pad: CountIncludePad);

    internal static AvgPool2dLayer Read(M.AvgPool2d a)
    {
        if (a.ceil_mode) throw Unsupported("ceil_mode");
        if (a.divisor_override is not null) throw Unsupported("divisor_override");
        Pair kernel = Pair.Of(a.kernel_size, 1);
        return new() { Kernel = kernel, Stride = a.stride is null ? kernel : Pair.Of(a.stride, 1), Padding = Pair.Of(a.padding, 0), CountIncludePad = a.count_include_pad };
    }
}

/// <summary>AdaptiveAvgPool2d(1), global average pooling: each map becomes its mean.</summary>
public sealed record AdaptiveAvgPool2dLayer : PlanLayer
{
    public override string Settings => "AdaptiveAvgPool2d(1)";
    public override string About => "Global average pooling: each map becomes one number, its mean.";
    public override long[] OutputFor(long[] input) => [input[0], 1, 1];
    public override Field? FieldAfter(Field? input) => null;   // each unit sees the whole map, so the whole image
    public override nn.Module<Tensor, Tensor> NewModule() => nn.AdaptiveAvgPool2d(1);

    internal static AdaptiveAvgPool2dLayer Read(M.AdaptiveAvgPool2d g) =>
        g.output_size.Any(s => s != 1) ? throw Unsupported($"output size {string.Join("×", g.output_size)} (only 1, global average pooling)") : new();
}
