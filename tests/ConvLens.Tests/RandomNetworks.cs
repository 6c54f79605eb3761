using static TorchSharp.torch;

namespace ConvLens.Tests;

/// <summary>
/// Networks drawn at random from the kinds the layer plan knows, for 28×28 grey images and 10 classes: one to three conv
/// blocks (kernel 3 or 5, padding 0 or half the kernel, stride 1 or 2, dilation 1 or 2, batch norm or not, any of the
/// seven activations, max or average pooling or none, before or after the activation), Dropout2d or not, then a dense
/// head (flatten, a hidden layer with its activation, dropout or batch norm) or global average pooling. Each layer is
/// written twice side by side: as C# source, for notebook 02's architecture cell, and as the module it builds, for the
/// tests that need no notebook host. The plan of the two must agree (the workbook test checks it).
/// </summary>
public sealed class RandomNetwork
{
    readonly List<(string Name, string Code, Func<nn.Module<Tensor, Tensor>> Make)> layers = [];

    public int Seed { get; }

    /// <summary>The seed CI draws with: CONVLENS_RANDOM_NETWORK_SEED, or the day of the year (a new network every day), printed by every test that uses it.</summary>
    public static int TodaysSeed =>
        int.TryParse(Environment.GetEnvironmentVariable("CONVLENS_RANDOM_NETWORK_SEED"), out int seed) ? seed : DateTime.UtcNow.DayOfYear;

    public RandomNetwork(int seed)
    {
        Seed = seed;
        var random = new Random(seed);
        T Pick<T>(params T[] choices) => choices[random.Next(choices.Length)];
        bool Chance(double p) => random.NextDouble() < p;
        int size = 28, channels = 1, blocks = random.Next(1, 4);
        static int Out(int n, int k, int s, int p, int d) => (n + 2 * p - d * (k - 1) - 1) / s + 1;

        for (int b = 1; b <= blocks && size >= 4; b++)
        {
            int k = Pick(3, 5), s = Chance(0.25) ? 2 : 1, d = Chance(0.2) ? 2 : 1, p = Pick(0, k / 2 * d), o = Pick(4, 8, 12);
            if (Out(size, k, s, p, d) < 2) (k, s, p, d) = (3, 1, 1, 1);
            int c = channels;   // the value now: the lambdas run later. (A literal "padding: 0" would be ambiguous in C#: 0 also converts to the Padding enum.)
            Add($"conv{b}", $"nn.Conv2d({c}, {o}, kernel_size: {k}, stride: {s}" + (p == 0 ? "" : $", padding: {p}") + $", dilation: {d})", () => nn.Conv2d(c, o, k, stride: s, padding: p, dilation: d));
            (size, channels) = (Out(size, k, s, p, d), o);
            if (Chance(0.3)) Add($"bn{b}", $"nn.BatchNorm2d({o})", () => nn.BatchNorm2d(o));
            var pool = size >= 4 ? Pick("max", "avg", "max3", "none") : "none";
            bool poolFirst = Chance(0.5);
            if (poolFirst) size = Pool(b, pool, size);
            Activation(Pick(Activations), b);
            if (!poolFirst) size = Pool(b, pool, size);
        }
        if (Chance(0.5)) Add("drop1", "nn.Dropout2d(0.25)", () => nn.Dropout2d(0.25));
        if (Chance(0.3))
        {
            Add("gap", "nn.AdaptiveAvgPool2d(1)", () => nn.AdaptiveAvgPool2d(1));
            Add("flatten", "nn.Flatten()", () => nn.Flatten());
            int last = channels;
            Add("fc", $"nn.Linear({last}, 10)", () => nn.Linear(last, 10));
            return;
        }
        int features = channels * size * size, hidden = Pick(16, 32);
        Add("flatten", "nn.Flatten()", () => nn.Flatten());
        Add("fc1", $"nn.Linear({features}, {hidden})", () => nn.Linear(features, hidden));
        if (Chance(0.3)) Add("bn", $"nn.BatchNorm1d({hidden})", () => nn.BatchNorm1d(hidden));
        Activation(Pick(Activations), blocks + 1);
        if (Chance(0.5)) Add("drop2", "nn.Dropout(0.1)", () => nn.Dropout(0.1));
        Add("fc2", $"nn.Linear({hidden}, 10)", () => nn.Linear(hidden, 10));
    }

    static readonly string[] Activations = ["relu", "leaky", "elu", "gelu", "silu", "hardswish", "tanh", "sigmoid"];

    void Add(string name, string code, Func<nn.Module<Tensor, Tensor>> make) => layers.Add((name, code, make));

    void Activation(string kind, int n)
    {
        switch (kind)
        {
            case "relu": Add($"relu{n}", "nn.ReLU()", () => nn.ReLU()); break;
            case "leaky": Add($"leaky{n}", "nn.LeakyReLU(0.1)", () => nn.LeakyReLU(0.1)); break;
            case "elu": Add($"elu{n}", "nn.ELU()", () => nn.ELU()); break;
            case "gelu": Add($"gelu{n}", "nn.GELU()", () => nn.GELU()); break;
            case "silu": Add($"silu{n}", "nn.SiLU()", () => nn.SiLU()); break;
            case "hardswish": Add($"hardswish{n}", "nn.Hardswish()", () => nn.Hardswish()); break;
            case "tanh": Add($"tanh{n}", "nn.Tanh()", () => nn.Tanh()); break;
            default: Add($"sigmoid{n}", "nn.Sigmoid()", () => nn.Sigmoid()); break;
        }
    }

    int Pool(int n, string kind, int size)
    {
        switch (kind)
        {
            case "max": Add($"pool{n}", "nn.MaxPool2d(2)", () => nn.MaxPool2d(2)); return size / 2;
            case "avg": Add($"pool{n}", "nn.AvgPool2d(2)", () => nn.AvgPool2d(2)); return size / 2;
            case "max3": Add($"pool{n}", "nn.MaxPool2d(3, stride: 2, padding: 1)", () => nn.MaxPool2d(3, stride: 2, padding: 1)); return (size - 1) / 2 + 1;
            default: return size;
        }
    }

    /// <summary>The network as notebook 02's architecture cell would hold it: a Func returning a Sequential of named layers.</summary>
    public string Source => "Func<nn.Module<Tensor, Tensor>> architecture = () => nn.Sequential(" +
        string.Join(", ", layers.Select(l => $"(\"{l.Name}\", {l.Code})")) + ");";

    /// <summary>The same layers as modules.</summary>
    public nn.Module<Tensor, Tensor> Modules() => nn.Sequential(layers.Select(l => (l.Name, l.Make())).ToArray());

    public override string ToString() => $"random network of seed {Seed}: {Source}";
}
