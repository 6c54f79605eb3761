using System.Text.Json;
using System.Text.Json.Serialization;
using TorchSharp;
using static TorchSharp.torch;

namespace ConvLens.Model;

/// <summary>A size along rows and columns (a kernel, stride, padding or dilation); saved as [rows, columns].</summary>
[JsonConverter(typeof(PairJson))]
public readonly record struct Pair(int Rows, int Columns)
{
    public static implicit operator Pair(int both) => new(both, both);

    /// <summary>"5" when both are the same, "3×5" when not.</summary>
    public string Short => Rows == Columns ? $"{Rows}" : $"{Rows}×{Columns}";

    /// <summary>Always both: "5×5".</summary>
    public override string ToString() => $"{Rows}×{Columns}";

    internal static Pair Of(long[]? values, int fallback) =>
        values is null ? fallback : values.Length == 1 ? (int)values[0] : new Pair((int)values[0], (int)values[1]);
}

sealed class PairJson : JsonConverter<Pair>
{
    public override Pair Read(ref Utf8JsonReader reader, Type type, JsonSerializerOptions options) =>
        JsonSerializer.Deserialize<int[]>(ref reader, options) is [int rows, int columns] ? new(rows, columns)
            : throw new JsonException("a size must be [rows, columns]");

    public override void Write(Utf8JsonWriter writer, Pair value, JsonSerializerOptions options)
    {
        writer.WriteStartArray();
        writer.WriteNumberValue(value.Rows);
        writer.WriteNumberValue(value.Columns);
        writer.WriteEndArray();
    }
}

/// <summary>
/// What one unit of a layer sees of the input, along one axis: unit i sees input positions <c>Offset + Jump·i</c> to
/// <c>Offset + Jump·i + Size − 1</c> (before clipping at the border). Each conv or pool adds (kernel − 1)·jump to the
/// size, starts padding·jump earlier, and multiplies the jump by its stride.
/// </summary>
public sealed record FieldAxis(int Size, int Jump, int Offset)
{
    internal FieldAxis Through(int kernel, int stride, int padding, int dilation) =>
        new(Size + dilation * (kernel - 1) * Jump, Jump * stride, Offset - padding * Jump);
}

/// <summary>A unit's receptive field along rows and columns; a layer whose units see the whole image has none.</summary>
public sealed record Field(FieldAxis Rows, FieldAxis Columns);

/// <summary>
/// One layer of a <see cref="LayerPlan"/>: its name (as in the state dict), the shape it takes and gives for one image,
/// and its receptive field (null: it sees the whole image). Each kind is one sealed record deriving from this one
/// (Conv2dLayer, ReLULayer, …, in Model/Kinds), which holds everything ConvLens knows about that kind: its settings as
/// read from the TorchSharp module (a static <c>Read</c>), its shape rule, its receptive-field rule, how it is rebuilt
/// as a module, and its caption. <see cref="LayerKinds"/> finds them; a new kind is one more record.
/// </summary>
public abstract record PlanLayer
{
    public string Name { get; init; } = "";
    public long[] InputShape { get; init; } = [];
    public long[] OutputShape { get; init; } = [];
    public Field? Field { get; init; }

    /// <summary>The kind's name, as torch names the module and as saved plans write it: "Conv2d", "ReLU", ….</summary>
    [JsonIgnore] public string Kind => LayerKinds.NameOf(GetType());

    /// <summary>The layer gives maps [channels, height, width].</summary>
    [JsonIgnore] public bool Spatial => OutputShape.Length == 3;
    /// <summary>The layer is off outside training (dropout): looking at a network skips it.</summary>
    [JsonIgnore] public virtual bool OffWhenLooking => false;

    /// <summary>The kind and its settings, as a reader would write them: "Conv2d 1→16, 5×5, padding 2".</summary>
    [JsonIgnore] public virtual string Settings => Kind;

    /// <summary>What the layer's output is, in a sentence, for figure captions.</summary>
    [JsonIgnore] public abstract string About { get; }

    /// <summary>The shape this layer gives for one image of shape <paramref name="input"/>: the kind's shape rule.</summary>
    public abstract long[] OutputFor(long[] input);

    /// <summary>The receptive field of this layer's units, given the one of its input's (null: the whole image).</summary>
    public virtual Field? FieldAfter(Field? input) => Spatial ? input : null;   // unit by unit: the window stays as it was

    /// <summary>A fresh TorchSharp module of this kind with these settings (weights untrained).</summary>
    public abstract nn.Module<Tensor, Tensor> NewModule();

    /// <summary>One line: name, kind and settings, the shapes in and out, and the receptive field.</summary>
    public sealed override string ToString() =>
        $"{Name,-12} {Settings,-36} {Text(InputShape),9} → {Text(OutputShape),-9}" +
        (Field is { } f ? $"  sees {f.Rows.Size}×{f.Columns.Size}, jump {new Pair(f.Rows.Jump, f.Columns.Jump).Short}" : "  sees the whole image");

    internal static string Text(long[] shape) => string.Join("×", shape);

    /// <summary>For a kind's Read: a setting ConvLens cannot show, as the end of the sentence "Layer 'x' (Kind) uses …".</summary>
    protected static Exception Unsupported(string what) => new UnsupportedSetting(what);

    // Value equality: the shapes compare by their numbers (each kind's own settings compare as the record's members).
    public virtual bool Equals(PlanLayer? other) =>
        other is not null && EqualityContract == other.EqualityContract && Name == other.Name &&
        InputShape.SequenceEqual(other.InputShape) && OutputShape.SequenceEqual(other.OutputShape) && Equals(Field, other.Field);

    public override int GetHashCode() => HashCode.Combine(EqualityContract, Name, Text(InputShape), Text(OutputShape), Field);
}

/// <summary>Thrown by a kind's Read: what the module uses that ConvLens cannot show yet.</summary>
sealed class UnsupportedSetting(string what) : Exception(what);

/// <summary>
/// A layer that looks at a window of its input map (conv and pooling): its kernel, stride and padding, and the rules
/// those give: the output size <c>⌊(size + 2·padding − dilation·(kernel − 1) − 1) / stride⌋ + 1</c>, and a receptive
/// field widened by (kernel − 1)·jump.
/// </summary>
public abstract record WindowLayer : PlanLayer
{
    public required Pair Kernel { get; init; }
    public required Pair Stride { get; init; }
    public required Pair Padding { get; init; }
    /// <summary>The spacing of the window's taps (1: next to each other); pools without dilation say 1.</summary>
    [JsonIgnore] public abstract Pair Spacing { get; }

    /// <summary>The channels this layer gives, for maps of <paramref name="inputChannels"/> channels.</summary>
    protected virtual long ChannelsFor(long inputChannels) => inputChannels;

    static long Size(long size, int kernel, int stride, int padding, int dilation) => (size + 2 * padding - dilation * (kernel - 1) - 1) / stride + 1;

    public override long[] OutputFor(long[] input) =>
        [ChannelsFor(input[0]), Size(input[1], Kernel.Rows, Stride.Rows, Padding.Rows, Spacing.Rows), Size(input[2], Kernel.Columns, Stride.Columns, Padding.Columns, Spacing.Columns)];

    public override Field? FieldAfter(Field? input) => input is null ? null : new Field(
        input.Rows.Through(Kernel.Rows, Stride.Rows, Padding.Rows, Spacing.Rows),
        input.Columns.Through(Kernel.Columns, Stride.Columns, Padding.Columns, Spacing.Columns));

    /// <summary>", stride 2, padding 1" and so on: the settings that differ from the usual.</summary>
    protected string Extras(bool strideIsKernel) =>
        (Stride == (strideIsKernel ? Kernel : 1) ? "" : $", stride {Stride.Short}") +
        (Padding == 0 ? "" : $", padding {Padding.Short}") + (Spacing == 1 ? "" : $", dilation {Spacing.Short}");
}

/// <summary>
/// Every layer kind this version knows: the sealed records deriving from <see cref="PlanLayer"/>, each named
/// KIND + "Layer" (Conv2dLayer is the kind "Conv2d"), each with a static <c>Read</c> that takes its TorchSharp module.
/// Saved plans name the kind in "kind"; <see cref="Json"/> reads and writes them that way.
/// </summary>
public static class LayerKinds
{
    const string Suffix = "Layer";

    /// <summary>The kind records, in declaration order of their files (by name).</summary>
    public static IReadOnlyList<Type> Types { get; } = typeof(PlanLayer).Assembly.GetTypes()
        .Where(t => t.IsSubclassOf(typeof(PlanLayer)) && t.IsSealed).OrderBy(t => t.Name, StringComparer.Ordinal).ToList();

    /// <summary>The kinds' names: "AdaptiveAvgPool2d", "AvgPool2d", "BatchNorm1d", ….</summary>
    public static IReadOnlyList<string> Names { get; } = Types.Select(NameOf).ToList();

    /// <summary>The kinds as a list for messages.</summary>
    public static string Known => string.Join(", ", Names);

    public static string NameOf(Type kind) =>
        kind.Name.EndsWith(Suffix, StringComparison.Ordinal) ? kind.Name[..^Suffix.Length] : throw new InvalidOperationException($"{kind.Name} must be named KIND{Suffix}.");

    // Each kind's Read, by the TorchSharp module type it takes.
    static readonly Dictionary<Type, Func<nn.Module, PlanLayer>> readers = Types.ToDictionary(
        t => t.GetMethod("Read", System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic)
            ?.GetParameters().SingleOrDefault()?.ParameterType ?? throw new InvalidOperationException($"{t.Name} has no static Read(module)."),
        t =>
        {
            var read = t.GetMethod("Read", System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic)!;
            return (Func<nn.Module, PlanLayer>)(m => (PlanLayer)read.Invoke(null, [m])!);
        });

    /// <summary>The TorchSharp module types the kinds read, for tests that walk every kind.</summary>
    public static IReadOnlyCollection<Type> ModuleTypes => readers.Keys;

    /// <summary>Whether ConvLens can show <paramref name="module"/>.</summary>
    public static bool Knows(nn.Module module) => readers.ContainsKey(module.GetType());

    /// <summary>
    /// <paramref name="module"/> as a plan layer named <paramref name="name"/> (shapes and field still to be filled in),
    /// or a one-line error: a module ConvLens does not know, or a setting it cannot show.
    /// </summary>
    public static PlanLayer Read(string name, nn.Module module)
    {
        if (!readers.TryGetValue(module.GetType(), out var read))
            throw new ConvLensException($"Layer '{(name.Length == 0 ? "(the module itself)" : name)}' is a {module.GetType().Name}, which ConvLens cannot show; it knows {Known}.");
        try
        {
            return read(module) with { Name = name };
        }
        catch (System.Reflection.TargetInvocationException e) when (e.InnerException is UnsupportedSetting unsupported)
        {
            throw new ConvLensException($"Layer '{name}' ({module.GetType().Name}) uses {unsupported.Message}, which ConvLens cannot show yet.");
        }
    }

    /// <summary>
    /// How plans are saved: camelCase, nulls left out, each layer's kind in "kind" (anywhere in the object, as format 2
    /// checkpoints wrote it after "name"), sizes as [rows, columns].
    /// </summary>
    public static JsonSerializerOptions Json { get; } = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        AllowOutOfOrderMetadataProperties = true,
        TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver { Modifiers = { AddKinds } },
    };

    static void AddKinds(System.Text.Json.Serialization.Metadata.JsonTypeInfo info)
    {
        if (info.Type != typeof(PlanLayer)) return;
        info.PolymorphismOptions = new() { TypeDiscriminatorPropertyName = "kind", UnknownDerivedTypeHandling = JsonUnknownDerivedTypeHandling.FailSerialization };
        foreach (var t in Types) info.PolymorphismOptions.DerivedTypes.Add(new(t, NameOf(t)));
    }
}
