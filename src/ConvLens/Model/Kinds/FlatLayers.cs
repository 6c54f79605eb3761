using TorchSharp;
using M = TorchSharp.Modules;
using static TorchSharp.torch;

namespace ConvLens.Model;

/// <summary>Flatten(): the maps laid out in one row, channel by channel, row by row.</summary>
public sealed record FlattenLayer : PlanLayer
{
    public override string About => "The maps laid out in one row of numbers.";
    public override long[] OutputFor(long[] input) => [input.Aggregate(1L, (a, b) => a * b)];
    public override Field? FieldAfter(Field? input) => null;
    public override nn.Module<Tensor, Tensor> NewModule() => nn.Flatten();

    internal static FlattenLayer Read(M.Flatten f) =>
        f.start_dim != 1 || f.end_dim != -1 ? throw Unsupported($"start_dim {f.start_dim}, end_dim {f.end_dim} (only Flatten(), all but the batch)") : new();
}

/// <summary>Linear: each of <see cref="Out"/> values a weighted sum of all <see cref="In"/> inputs, plus a bias.</summary>
public sealed record LinearLayer : PlanLayer
{
    public required int In { get; init; }
    public required int Out { get; init; }
    public bool Bias { get; init; } = true;

    public override string Settings => $"Linear {In}→{Out}" + (Bias ? "" : ", no bias");
    public override string About => $"A linear layer's output ({Settings}): each value a weighted sum of all its inputs, plus a bias.";
    public override long[] OutputFor(long[] input) => [Out];
    public override Field? FieldAfter(Field? input) => null;
    public override nn.Module<Tensor, Tensor> NewModule() => nn.Linear(In, Out, hasBias: Bias);

    internal static LinearLayer Read(M.Linear l) => new() { In = (int)l.in_features, Out = (int)l.out_features, Bias = l.bias is not null };
}
