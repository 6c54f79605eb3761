using System.Text.Json;
using System.Text.Json.Nodes;

namespace ConvLens;

/// <summary>
/// What a page mounts: the contract between <see cref="Explorer"/> and the page's script (<c>ConvLensExplorer.prepare</c>
/// reads it). Written camelCase, so <see cref="ImageSize"/> is <c>spec.imageSize</c> there.
/// </summary>
/// <param name="Summary">The plan in one line.</param>
/// <param name="Source">Where the weights come from, for the page's caption ("Trained 10 epochs on mnist, …").</param>
/// <param name="InputChannels">The image's channels: 1 (grey) or 3 (colour).</param>
/// <param name="ImageSize">The image's side: the explorer draws square images.</param>
/// <param name="Classes">The class names, one per score.</param>
/// <param name="Preprocessing">How a drawing becomes the input, as the data set's images were made.</param>
/// <param name="Layers">Each plan layer as saved plans write it (kind, name, settings, shapes), without its field, with
/// "parameters" beside it: its state-dict tensors by their short names (weight, bias, running_mean, running_var) as
/// base64 float32, little-endian.</param>
/// <param name="Fields">Every spatial layer's units' input windows: top, left, bottom, right for each unit, row by row.</param>
/// <param name="Blocks">The conv blocks, each a row of maps on the page.</param>
/// <param name="Tests">Some test images as bytes, to load into the drawing.</param>
/// <param name="Epochs">For the epoch slider: the parameters after each epoch.</param>
public sealed record ExplorerSpec(string Summary, string Source, int InputChannels, int ImageSize, IReadOnlyList<string> Classes,
    ExplorerPreprocessing Preprocessing, IReadOnlyList<JsonObject> Layers, IReadOnlyDictionary<string, ExplorerField> Fields,
    IReadOnlyList<ExplorerBlock> Blocks, ExplorerTests? Tests, IReadOnlyList<ExplorerEpoch>? Epochs)
{
    // The default encoder escapes <, > and &, so the JSON is safe inside a script element.
    internal static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };
}

/// <summary>How a drawing becomes the input: its ink scaled into a box of <paramref name="Box"/> of the side, centred by "mass" or "box".</summary>
public sealed record ExplorerPreprocessing(double Box, string Centre, string About);

/// <summary>A spatial layer's maps and each unit's input window (four numbers a unit).</summary>
public sealed record ExplorerField(int Height, int Width, int[] Windows);

/// <summary>A conv block (<see cref="Model.PlanBlock"/>) and the captions of its two views.</summary>
public sealed record ExplorerBlock(string Conv, string Output, IReadOnlyList<string> Layers, string ConvAbout, string OutputAbout);

/// <summary>Test images to load: pixels as base64 bytes, one image after another, and their labels.</summary>
public sealed record ExplorerTests(string Pixels, long[] Labels, string Split, string Dataset);

/// <summary>One position of the epoch slider: its label and every layer's parameters then.</summary>
public sealed record ExplorerEpoch(string Label, JsonObject Parameters);
