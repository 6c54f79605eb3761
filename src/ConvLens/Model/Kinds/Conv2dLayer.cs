using TorchSharp;
using M = TorchSharp.Modules;
using static TorchSharp.torch;

namespace ConvLens.Model;

/// <summary>Conv2d: <see cref="Out"/> filters of <see cref="In"/> channels each, slid over the maps.</summary>
public sealed record Conv2dLayer : WindowLayer
{
    public required int In { get; init; }
    public required int Out { get; init; }
    public required Pair Dilation { get; init; }
    public bool Bias { get; init; } = true;

    [System.Text.Json.Serialization.JsonIgnore] public override Pair Spacing => Dilation;
    protected override long ChannelsFor(long inputChannels) => Out;

    public override string Settings => $"Conv2d {In}→{Out}, {Kernel}" + Extras(strideIsKernel: false) + (Bias ? "" : ", no bias");
    public override string About => $"The conv layer's output ({Settings}): one map per filter, before whatever follows it; negative values are where a filter's pattern is absent.";

    public override nn.Module<Tensor, Tensor> NewModule() =>
        nn.Conv2d(In, Out, (Kernel.Rows, Kernel.Columns), stride: (Stride.Rows, Stride.Columns), padding: (Padding.Rows, Padding.Columns),
            dilation: (Dilation.Rows, Dilation.Columns), bias: Bias);

    internal static Conv2dLayer Read(M.Conv2d c)
    {
        if (c.groups != 1) throw Unsupported($"groups = {c.groups}");
        if (c.padding_mode != PaddingModes.Zeros) throw Unsupported($"padding mode {c.padding_mode}");
        Pair kernel = Pair.Of(c.kernel_size, 1), dilation = Pair.Of(c.dilation, 1), padding = Pair.Of(c.padding, 0);
        if (c.padding is null && c.padding_type == TorchSharp.Padding.Same)
        {
            // 'same' pads dilation·(kernel − 1) in all, split evenly only when that is even.
            if (dilation.Rows * (kernel.Rows - 1) % 2 != 0 || dilation.Columns * (kernel.Columns - 1) % 2 != 0)
                throw Unsupported("padding 'same' with an even kernel (torch then pads one side more); give the padding as numbers");
            padding = new(dilation.Rows * (kernel.Rows - 1) / 2, dilation.Columns * (kernel.Columns - 1) / 2);
        }
        return new() { In = (int)c.in_channels, Out = (int)c.out_channels, Kernel = kernel, Stride = Pair.Of(c.stride, 1), Padding = padding, Dilation = dilation, Bias = c.bias is not null };
    }
}
