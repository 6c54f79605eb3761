using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using ConvLens.Model;
using ConvLens.Training;
using static TorchSharp.torch;

namespace ConvLens.Checkpoints;

/// <summary>Test-set figures stored with a checkpoint.</summary>
public sealed record TestResult(double Loss, double Accuracy, int Count);

/// <summary>
/// What a checkpoint's JSON sidecar says: enough to rebuild the model and to reproduce the run that made it.
/// </summary>
public sealed record CheckpointInfo
{
    public const string CurrentFormat = "convlens-checkpoint/2";
    /// <summary>Format 1 described the architecture as a <see cref="ConvNetSpec"/>; it still loads, read into a plan.</summary>
    public const string SpecFormat = "convlens-checkpoint/1";
    public string Format { get; init; } = CurrentFormat;
    /// <summary>The network's layer plan: loading rebuilds the layers from it (Save fills it in from the model).</summary>
    public required LayerPlan Plan { get; init; }
    public required string Dataset { get; init; }
    public int? Limit { get; init; }
    public required TrainingOptions Training { get; init; }
    public IReadOnlyList<EpochResult> History { get; init; } = [];
    public TestResult? Test { get; init; }
    public string? Command { get; init; }

    /// <summary>How it was trained, in a few words: "10 epochs on mnist".</summary>
    [System.Text.Json.Serialization.JsonIgnore] public string Trained => $"{History.Count} epoch{(History.Count == 1 ? "" : "s")} on {Dataset}";
    public DateTimeOffset Created { get; init; } = DateTimeOffset.UtcNow;
    public string TorchSharp { get; init; } = typeof(TorchSharp.torch).Assembly.GetName().Version?.ToString() ?? "";
    /// <summary>SHA-256 of the weights file: ties the two files together and catches a damaged or half-written pair.</summary>
    public string WeightsSha256 { get; set; } = "";
}

/// <summary>
/// A checkpoint is two files side by side: NAME.weights (TorchSharp's format) and NAME.json (<see cref="CheckpointInfo"/>).
/// </summary>
public static class Checkpoint
{
    public const string WeightsExtension = ".weights";
    public const string InfoExtension = ".json";

    /// <summary>How sidecars are written: as plans are (<see cref="LayerKinds.Json"/>).</summary>
    public static readonly JsonSerializerOptions Json = LayerKinds.Json;

    /// <summary>The NAME.json path for a path given as NAME, NAME.json, NAME.weights, or a folder holding exactly one checkpoint.</summary>
    public static string InfoPath(string path)
    {
        if (Directory.Exists(path))
        {
            var found = Directory.GetFiles(path, "*" + InfoExtension).Where(f => File.Exists(Path.ChangeExtension(f, WeightsExtension))).ToList();
            return found.Count == 1 ? found[0]
                : throw new ConvLensException(found.Count == 0
                    ? $"{path} holds no checkpoint (a NAME.json beside a NAME.weights)."
                    : $"{path} holds {found.Count} checkpoints ({string.Join(", ", found.Select(Path.GetFileName))}); name one.");
        }
        return Path.GetExtension(path) is WeightsExtension or InfoExtension ? Path.ChangeExtension(path, InfoExtension) : path + InfoExtension;
    }

    /// <summary>
    /// Saves <paramref name="model"/> and <paramref name="info"/> as <paramref name="path"/>.weights and .json.
    /// Both are written to temporary files first and renamed over the old ones only when complete,
    /// so an interrupted save leaves the previous checkpoint as it was.
    /// </summary>
    public static string Save(ConvNet model, CheckpointInfo info, string path)
    {
        string infoPath = InfoPath(path);
        string weightsPath = Path.ChangeExtension(infoPath, WeightsExtension);
        string? folder = Path.GetDirectoryName(Path.GetFullPath(infoPath));
        string tempWeights = AtomicFile.TempPath(weightsPath);
        string tempInfo = AtomicFile.TempPath(infoPath);
        try
        {
            Directory.CreateDirectory(folder!);
            model.save(tempWeights);
            string sha;
            using (var stream = File.OpenRead(tempWeights))
                sha = Convert.ToHexStringLower(SHA256.HashData(stream));
            // A copy carries the checksum and the model's own plan; the caller's info stays as it was.
            File.WriteAllText(tempInfo, JsonSerializer.Serialize(info with { Format = CheckpointInfo.CurrentFormat, Plan = model.Plan, WeightsSha256 = sha }, Json));
            File.Move(tempWeights, weightsPath, overwrite: true);
            File.Move(tempInfo, infoPath, overwrite: true);
            return infoPath;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            AtomicFile.TryDelete(tempWeights);
            AtomicFile.TryDelete(tempInfo);
            throw new ConvLensException($"Could not save the checkpoint to {weightsPath}: {e.Message}");
        }
    }

    /// <summary>Reads and checks a checkpoint's sidecar (the weights' checksum included).</summary>
    public static CheckpointInfo ReadInfo(string path)
    {
        string infoPath = InfoPath(path);
        string weightsPath = Path.ChangeExtension(infoPath, WeightsExtension);
        if (!File.Exists(infoPath)) throw new ConvLensException($"Checkpoint {infoPath} does not exist.");
        if (!File.Exists(weightsPath)) throw new ConvLensException($"Checkpoint {infoPath} has no weights file beside it ({weightsPath}).");
        CheckpointInfo? info;
        try
        {
            var node = JsonNode.Parse(File.ReadAllText(infoPath)) as JsonObject;
            string? format = node?["format"]?.GetValue<string>();
            if (node is null || format is not (CheckpointInfo.CurrentFormat or CheckpointInfo.SpecFormat))
                throw new ConvLensException($"Checkpoint {infoPath} is not a ConvLens checkpoint (format '{format}', expected '{CheckpointInfo.CurrentFormat}').");
            if (format == CheckpointInfo.SpecFormat && node["architecture"] is JsonNode architecture)
            {
                // Format 1: the record the article's shape was described with; its plan is the one that record builds.
                var spec = architecture.Deserialize<ConvNetSpec>(Json) ?? throw new JsonException("no architecture");
                using var built = new ConvNet(spec);
                node["plan"] = JsonSerializer.SerializeToNode(built.Plan, Json);
                node.Remove("architecture");
            }
            foreach (var layer in (node["plan"]?["layers"] as JsonArray ?? []).OfType<JsonObject>())
            {
                string kind = layer["kind"]?.GetValue<string>() ?? "";
                if (!LayerKinds.Names.Contains(kind))
                    throw new ConvLensException($"Checkpoint {infoPath} names a layer kind this ConvLens does not know: '{layer["name"]?.GetValue<string>()}' is a '{kind}' (known: {LayerKinds.Known}).");
            }
            info = node.Deserialize<CheckpointInfo>(Json);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new ConvLensException($"Checkpoint {infoPath} is damaged: it is not a valid ConvLens sidecar ({e.Message.Split('\n')[0]}).");
        }
        if (info?.Plan is not { Layers.Count: > 0 })
            throw new ConvLensException($"Checkpoint {infoPath} is damaged: it has no layer plan.");
        using var stream = File.OpenRead(weightsPath);
        string sum = Convert.ToHexStringLower(SHA256.HashData(stream));
        if (sum != info.WeightsSha256)
            throw new ConvLensException($"Checkpoint {weightsPath} is damaged or does not belong to {Path.GetFileName(infoPath)}: its SHA-256 is {sum}, the sidecar says {info.WeightsSha256}.");
        return info;
    }

    /// <summary>The checkpoint at <paramref name="path"/>, or the shipped one (one full run of the article) when none is given.</summary>
    public static (ConvNet Model, CheckpointInfo Info) LoadOrShipped(string? path) => Load(path ?? RepositoryData.ShippedCheckpoint());

    /// <summary>Builds the model the checkpoint describes and loads its weights.</summary>
    public static (ConvNet Model, CheckpointInfo Info) Load(string path)
    {
        var info = ReadInfo(path);
        var model = ConvNet.Build(info.Plan);
        LoadWeights(model, Path.ChangeExtension(InfoPath(path), WeightsExtension));
        model.eval();
        return (model, info);
    }

    /// <summary>
    /// Loads the checkpoint's weights into an existing <paramref name="model"/>; if its architecture differs,
    /// fails with a message naming each parameter whose name or shape does not match.
    /// </summary>
    public static CheckpointInfo LoadInto(ConvNet model, string path)
    {
        var info = ReadInfo(path);
        using var stored = ConvNet.Build(info.Plan);
        LoadWeights(stored, Path.ChangeExtension(InfoPath(path), WeightsExtension));
        var mine = model.state_dict();
        var theirs = stored.state_dict();
        var problems = Differences(theirs.ToDictionary(p => p.Key, p => p.Value.shape), mine.ToDictionary(p => p.Key, p => p.Value.shape), "the model");
        if (problems.Count > 0)
            throw new ConvLensException(
                $"Checkpoint {InfoPath(path)} was made for another architecture ({info.Plan}; this model is {model.Plan}): {string.Join("; ", problems)}.");
        using (no_grad())
            foreach (var (name, tensor) in theirs)
                mine[name].copy_(tensor);
        return info;
    }

    static void LoadWeights(ConvNet model, string weightsPath)
    {
        try
        {
            model.load(weightsPath);
        }
        catch (Exception e) when (e is not ConvLensException)
        {
            // The weights may be readable but hold another architecture than the sidecar says: name what differs.
            var stored = TryReadShapes(weightsPath);
            var problems = stored is null ? [] : Differences(stored, model.state_dict().ToDictionary(p => p.Key, p => p.Value.shape), $"the sidecar's plan ({model.Plan})");
            throw new ConvLensException(problems.Count > 0
                ? $"Checkpoint {weightsPath} does not hold the architecture its sidecar describes: {string.Join("; ", problems)}."
                : $"Checkpoint {weightsPath} could not be read: {e.Message.Split('\n')[0]}");
        }
    }

    /// <summary>What differs between the parameters stored in a checkpoint and those <paramref name="other"/> has: name and shape of each.</summary>
    static List<string> Differences(IReadOnlyDictionary<string, long[]> stored, IReadOnlyDictionary<string, long[]> expected, string other)
    {
        var problems = new List<string>();
        foreach (var (name, shape) in stored)
        {
            if (!expected.TryGetValue(name, out var wanted)) problems.Add($"{name} {Shape(shape)} is in the checkpoint but not in {other}");
            else if (!wanted.SequenceEqual(shape)) problems.Add($"{name} is {Shape(shape)} in the checkpoint but {Shape(wanted)} in {other}");
        }
        problems.AddRange(expected.Keys.Except(stored.Keys).Select(name => $"{name} {Shape(expected[name])} is missing from the checkpoint ({other} has it)"));
        return problems;
    }

    /// <summary>
    /// The parameter names and shapes in a TorchSharp weights file (Module.save's format: an LEB128 count, then per
    /// entry its name and a tensor written as LEB128 type, rank and sizes, then the raw elements), or null if the
    /// file is not in that format.
    /// </summary>
    static Dictionary<string, long[]>? TryReadShapes(string weightsPath)
    {
        try
        {
            using var reader = new BinaryReader(File.OpenRead(weightsPath));
            long count = Leb128(reader);
            var shapes = new Dictionary<string, long[]>();
            for (long i = 0; i < count; i++)
            {
                string name = reader.ReadString();
                long type = Leb128(reader), rank = Leb128(reader);
                var shape = new long[rank];
                for (int d = 0; d < rank; d++) shape[d] = Leb128(reader);
                long size = type switch { 0 or 1 or 11 => 1, 2 or 5 or 15 => 2, 3 or 6 => 4, 4 or 7 => 8, _ => throw new InvalidDataException() };
                reader.BaseStream.Seek(size * shape.Aggregate(1L, (a, b) => a * b), SeekOrigin.Current);
                shapes[name] = shape;
            }
            return reader.BaseStream.Position == reader.BaseStream.Length ? shapes : null;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException or OverflowException) { return null; }
    }

    static long Leb128(BinaryReader reader)
    {
        long result = 0;
        for (int shift = 0; ; shift += 7)
        {
            byte b = reader.ReadByte();
            result |= (long)(b & 0x7f) << shift;
            if ((b & 0x80) == 0) return result;
            if (shift > 56) throw new InvalidDataException();
        }
    }

    static string Shape(long[] shape) => $"[{string.Join(", ", shape)}]";
}
