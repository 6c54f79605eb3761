using System.Net;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using ConvLens.Data;
using ConvLens.Inspection;
using ConvLens.Model;
using ConvLens.Plots;
using static TorchSharp.torch;

namespace ConvLens;

/// <summary>
/// The live explorer: draw a digit (or load a test image) and watch the model's probabilities and every conv layer's
/// feature maps change as you draw, with each map pixel's receptive field outlined on the input. The model's
/// architecture and weights are embedded in the page and its forward pass runs in JavaScript (explorer.js), so the
/// page works offline, as a file or as a notebook cell's output, for any network a <see cref="LayerPlan"/> describes:
/// the page reads the plan, with the weights beside it.
/// </summary>
public static class Explorer
{
    /// <summary>Test images a standalone page embeds for "load test image N" (784 bytes each).</summary>
    public const int PageTestImages = 1000;

    /// <summary>Test images a notebook output embeds: fewer, to keep the saved notebook small.</summary>
    public const int NotebookTestImages = 100;

    static string Resource(string name)
    {
        using var stream = typeof(Explorer).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"{name} is missing from the ConvLens assembly.");
        return new StreamReader(stream).ReadToEnd();
    }

    static readonly Lazy<string> script = new(() => Resource("explorer.js"));
    static readonly Lazy<string> style = new(() => Resource("explorer.css"));

    /// <summary>
    /// The explorer as a notebook cell's output, for <paramref name="model"/> as it is now; the first
    /// <paramref name="count"/> images of <paramref name="images"/> (e.g. the test split) can be loaded into it.
    /// </summary>
    public static ExplorerView Show(ConvNet model, ImageSet? images = null, int count = NotebookTestImages, string? about = null) =>
        new($"<style>{style.Value}</style>\n{Mount(model, images, count, about)}");

    /// <summary>The explorer as a standalone page, everything inlined: open it from disk, with no network.</summary>
    public static string Page(ConvNet model, ImageSet? images = null, int count = PageTestImages, string? about = null) => $$"""
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>ConvLens · explorer</title>
        <style>body{font-family:system-ui,sans-serif;margin:24px;color:#222} p{max-width:60em}{{style.Value}}</style>
        </head><body>
        <h1>ConvLens · watch the network think</h1>
        <p>Draw {{(images is null || images.Name == Datasets.Mnist ? "a digit" : $"one of the {images.Name} classes")}} in the black square with the mouse, a finger or a pen. While you draw, the network ({{WebUtility.HtmlEncode(model.Plan.ToString())}})
        runs in this page on what it receives, and its class probabilities and every conv layer's feature maps change with
        each stroke. Hover or tap a map's pixel to see which part of the input it looks at; click it, or press Enter, to
        see how its value is computed from the weights.</p>
        {{Mount(model, images, count, about)}}
        </body></html>

        """;

    // The explorer's element, its code, and the call that builds it there for this model: one per page or notebook output.
    static string Mount(ConvNet model, ImageSet? images, int count, string? about)
    {
        string id = "convlens-explorer-" + Guid.NewGuid().ToString("N")[..12];
        return $"""
            <div id="{id}"></div>
            <script>{script.Value}</script>
            <script>window.ConvLensExplorer.mount(document.getElementById("{id}"), {ModelJson(model, images, count, about)});</script>
            """;
    }

    /// <summary>Writes <see cref="Page"/> to <paramref name="path"/> atomically and returns the path.</summary>
    public static string WritePage(string path, ConvNet model, ImageSet? images = null, int count = PageTestImages, string? about = null)
    {
        AtomicFile.WriteAllText(path, Page(model, images, count, about));
        return path;
    }

    /// <summary>
    /// How the page turns a drawing into the network's input, as the data set's images were made: MNIST's digits were
    /// scaled into a 20×20 box and centred by their centre of mass in 28×28; Fashion-MNIST's items fill the frame on
    /// their longest side and are centred by their bounding box.
    /// </summary>
    static object Preprocessing(string? dataset) => dataset == Datasets.FashionMnist
        ? new { box = 28.0 / 28, centre = "box", about = "scaled to fill the frame on its longest side and centred, as Fashion-MNIST's images were made" }
        : new { box = 20.0 / 28, centre = "mass", about = "the ink's bounding box scaled into 20×20 and centred by its centre of mass, as MNIST's digits were made" };

    /// <summary>
    /// What the page needs, as JSON: the model's layer plan as it is (every layer's kind, settings and shapes, in the
    /// order they run), each layer's parameters as base64 float32 (little-endian) beside it, every spatial layer's
    /// receptive fields, the conv blocks, the class names and some test images as bytes.
    /// </summary>
    static string ModelJson(ConvNet model, ImageSet? images, int count, string? about)
    {
        var plan = model.Plan;
        if (plan.Height != plan.Width)
            throw new ConvLensException($"The explorer draws square images, but this model takes {plan.Height}×{plan.Width} images.");
        var state = model.state_dict();   // the model's own parameters: outside the scope below, which frees only copies
        using var scope = NewDisposeScope();
        string Floats(Tensor t) => Convert.ToBase64String(MemoryMarshal.AsBytes(t.detach().cpu().to_type(ScalarType.Float32).contiguous().data<float>().ToArray().AsSpan()));
        var layers = plan.Layers.Select(layer =>
        {
            var node = JsonSerializer.SerializeToNode(layer, Checkpoints.Checkpoint.Json)!.AsObject();
            node.Remove("field");   // the page gets every unit's window instead (fields, below)
            // weight, bias; batch norm's running_mean and running_var: whatever the layer holds, by its state-dict name.
            var parameters = state.Where(p => p.Key.StartsWith(layer.Name + ".") && !p.Key[(layer.Name.Length + 1)..].Contains('.') && p.Value.is_floating_point())
                .ToDictionary(p => p.Key[(layer.Name.Length + 1)..], p => (JsonNode?)Floats(p.Value));
            if (parameters.Count > 0) node["parameters"] = new JsonObject(parameters);
            return node;
        }).ToList();
        var fields = plan.Layers.Select(l => plan.ReceptiveField(l.Name)).Where(f => f.Spatial)
            .ToDictionary(f => f.Layer, f => new { height = f.MapHeight, width = f.MapWidth, windows = f.AllWindows().SelectMany(r => r.SelectMany(w => w)).ToArray() });
        // Each block's two views, described from the plan: the conv layer's settings, and the steps its output went through.
        var blocks = plan.Blocks.Select(b => new
        {
            conv = b.Conv, output = b.Output, layers = b.Layers,
            convAbout = $"the conv layer's output ({plan[b.Conv].Settings})",
            outputAbout = b.Conv == b.Output ? $"the conv layer's output ({plan[b.Conv].Settings})"
                : "after " + string.Join(" → ", b.Layers.Skip(1).TakeWhile(l => l != b.Output).Append(b.Output).Where(l => !plan[l].IsDropout).Select(l => plan[l].Settings)) + ": what the next layer receives",
        }).ToList();
        object? tests = null;
        if (images is not null && count > 0)
        {
            Training.Trainer.Fits(model, images);
            int n = Math.Min(count, images.Count);
            var pixels = images.Images[..n].contiguous();
            var labels = images.Labels[..n].contiguous();
            tests = new { pixels = Convert.ToBase64String(pixels.data<byte>().ToArray()), labels = labels.data<long>().ToArray(), split = images.Split, dataset = images.Name };
        }
        return JsonSerializer.Serialize(new
        {
            summary = plan.ToString(),
            source = about ?? "",
            inputChannels = plan.Channels,
            imageSize = plan.Height,
            classes = images?.Classes ?? Enumerable.Range(0, plan.Classes).Select(c => c.ToString()).ToList(),
            preprocessing = Preprocessing(images?.Name),
            layers, fields, blocks, tests,
        });   // the default encoder escapes <, > and &, so the JSON is safe inside a script element
    }
}

/// <summary>The explorer as a notebook output.</summary>
public sealed record ExplorerView(string Html) : INotebookHtml
{
    public string ToNotebookHtml() => Html;
}
