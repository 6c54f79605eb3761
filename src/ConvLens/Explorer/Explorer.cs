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
/// architecture and weights are embedded in the page and its forward pass runs in JavaScript (the modules in Explorer/*.js), so the
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

    /// <summary>
    /// The page's modules, each with one job, in the order they are joined: what they define is seen by those after
    /// them (and by the functions of those before, once called).
    /// </summary>
    public static readonly IReadOnlyList<string> Modules =
        ["maps.js", "kinds.js", "network.js", "drawing.js", "tips.js", "units.js", "evidence.js", "app.js", "testhooks.js"];

    // One script, no bundler: the modules inside one function, so an explorer's code is its own and the page gets
    // only window.ConvLensExplorer (and window.convlensExplorers, for the tests).
    static readonly Lazy<string> script = new(Joined);

    static string Joined()
    {
        var page = new System.Text.StringBuilder("""
            // ConvLens explorer: draw a digit and watch the network you trained react, layer by layer.
            // Everything runs here, in the page: the weights and the architecture come embedded (ConvLens's Explorer.cs
            // writes them), the forward pass is plain JavaScript, and the maps are drawn on canvases. No network access, no
            // libraries. One explorer per root element, so a notebook may show several. Each output defines the code again
            // (a rebuilt library brings its own); explorers already on the page keep the code they were made with.
            (function () {
              "use strict";

            """);
        foreach (var module in Modules) page.Append("// ---- ").Append(module).Append(" ----\n").Append(Resource(module)).Append('\n');
        return page.Append("})();\n").ToString();
    }
    static readonly Lazy<string> style = new(() => Resource("explorer.css"));

    /// <summary>The page's script as every page embeds it: it defines <c>window.ConvLensExplorer</c>.</summary>
    public static string Script => script.Value;

    /// <summary>
    /// The JSON a page mounts for <paramref name="model"/> (the contract between this class and the page's script): the layer
    /// plan, each layer's parameters as float32, the receptive fields and blocks, and the first <paramref name="count"/>
    /// images of <paramref name="images"/>. <c>ConvLensExplorer.prepare</c> turns it into the model the page runs.
    /// </summary>
    public static string Spec(ConvNet model, ImageSet? images = null, int count = 0) => ModelJson(model, images, count, null);

    /// <summary>
    /// The explorer as a notebook cell's output, for <paramref name="model"/> as it is now; the first
    /// <paramref name="count"/> images of <paramref name="images"/> (e.g. the test split) can be loaded into it.
    /// </summary>
    public static ExplorerView Show(ConvNet model, ImageSet? images = null, int count = NotebookTestImages, string? about = null) =>
        new($"<style>{style.Value}</style>\n{Mount(model, images, count, about)}");

    /// <summary>The explorer as a standalone page, everything inlined: open it from disk, with no network.</summary>
    public static string Page(ConvNet model, ImageSet? images = null, int count = PageTestImages, string? about = null) =>
        Document("ConvLens · explorer", "ConvLens · watch the network think", $$"""
            <p>Draw {{WhatToDraw(images)}} in the black square with the mouse, a finger or a pen. While you draw, the network ({{WebUtility.HtmlEncode(model.Plan.ToString())}})
            runs in this page on what it receives, and its class probabilities and every conv layer's feature maps change with
            each stroke. Hover or tap a map's pixel to see which part of the input it looks at; click it, or press Enter, to
            see how its value is computed from the weights.</p>
            {{Mount(model, images, count, about)}}
            """);

    // The explorer's element, its code, and the call that builds it there for this model: one per page or notebook output.
    static string Mount(ConvNet model, ImageSet? images, int count, string? about, IReadOnlyList<(string Label, ConvNet Model)>? epochs = null)
    {
        string id = "convlens-explorer-" + Guid.NewGuid().ToString("N")[..12];
        return $"""
            <div id="{id}"></div>
            <script>{script.Value}</script>
            <script>window.ConvLensExplorer.mount(document.getElementById("{id}"), {ModelJson(model, images, count, about, epochs)});</script>
            """;
    }

    /// <summary>
    /// The explorer with a slider over a training run's epoch checkpoints (<see cref="Checkpoints.EpochCheckpoints"/>): the
    /// same drawing through the network before training, after epoch 1, … up to the last. About 0.9 MB a checkpoint for
    /// the article's network, so fewer test images are embedded.
    /// </summary>
    public static string EpochsPage(IReadOnlyList<string> checkpoints, ImageSet? images = null, int count = NotebookTestImages) =>
        WithEpochs(checkpoints, (title, intro, mount) => Document(title, title, intro + "\n" + mount), images, count);

    /// <summary><see cref="EpochsPage"/> as a notebook cell's output.</summary>
    public static ExplorerView ShowEpochs(IReadOnlyList<string> checkpoints, ImageSet? images = null, int count = NotebookTestImages) =>
        new(WithEpochs(checkpoints, (_, intro, mount) => $"<style>{style.Value}</style>\n{intro}\n{mount}", images, count));

    static string WithEpochs(IReadOnlyList<string> checkpoints, Func<string, string, string, string> page, ImageSet? images, int count)
    {
        if (checkpoints.Count < 2)
            throw new ConvLensException($"An epoch slider needs at least two epoch checkpoints; found {checkpoints.Count}. Train with epoch checkpoints kept (convlens train does).");
        var epochs = checkpoints.Select(c => Checkpoints.Checkpoint.Load(c)).ToList();
        try
        {
            if (epochs.Any(e => e.Model.Plan != epochs[0].Model.Plan))
                throw new ConvLensException("These epoch checkpoints are not all of one network: give the checkpoints of one training run.");
            var labels = epochs.Select(e => e.Info.History.Count == 0 ? "before training" : $"after epoch {e.Info.History.Count} of {epochs[^1].Info.History.Count}").ToList();
            var last = epochs[^1];
            string about = $"{last.Model.Plan}, trained {last.Info.Trained}: move the slider to see it at each epoch.";
            return page($"ConvLens · {last.Model.Plan}, epoch by epoch",
                $"<p>Draw {WhatToDraw(images)} and move the <b>weights</b> slider under the probabilities: the same drawing through the same network, from its random start before training to the weights after each epoch.</p>",
                Mount(last.Model, images, count, about, epochs.Select((e, i) => (labels[i], e.Model)).ToList()));
        }
        finally
        {
            foreach (var e in epochs) e.Model.Dispose();
        }
    }

    /// <summary>
    /// Two networks side by side on one drawing (say the article's 5×5 network and a 3×3 variant): what is drawn on
    /// either explorer is drawn on both, so their probabilities and maps can be compared stroke by stroke.
    /// </summary>
    public static string ComparePage(ConvNet first, string firstAbout, ConvNet second, string secondAbout, ImageSet? images = null, int count = NotebookTestImages)
    {
        if (first.Plan.Height != second.Plan.Height || first.Plan.Channels != second.Plan.Channels)
            throw new ConvLensException($"These networks take different images ({string.Join("×", first.Plan.Input)} and {string.Join("×", second.Plan.Input)}): one drawing cannot go to both.");
        string title = $"ConvLens · {first.Plan} against {second.Plan}";
        return Document(title, title, $"""
            <p>Draw {WhatToDraw(images)} in either square: it is drawn in both, and each network answers with its own maps
            and probabilities.</p>
            <div class="cl-compare">
            <section><h2>{WebUtility.HtmlEncode(first.Plan.ToString())}</h2>{Mount(first, images, count, firstAbout)}</section>
            <section><h2>{WebUtility.HtmlEncode(second.Plan.ToString())}</h2>{Mount(second, images, count, secondAbout)}</section>
            </div>
            <script>window.ConvLensExplorer.link(...window.convlensExplorers.slice(-2));</script>
            """);
    }

    static string WhatToDraw(ImageSet? images) => images is null || images.Name == Datasets.Mnist ? "a digit" : $"one of the {images.Name} classes";

    // A standalone page, everything inlined: it opens from disk, with no network.
    static string Document(string title, string heading, string body) => $$"""
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{WebUtility.HtmlEncode(title)}}</title>
        <style>body{font-family:system-ui,sans-serif;margin:24px;color:#222} p{max-width:60em} .cl-compare{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,620px),1fr));gap:24px} .cl-compare h2{font-size:16px}{{style.Value}}</style>
        </head><body>
        <h1>{{WebUtility.HtmlEncode(heading)}}</h1>
        {{body}}
        </body></html>

        """;

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
    static ExplorerPreprocessing Preprocessing(string? dataset) => dataset == Datasets.FashionMnist
        ? new(28.0 / 28, "box", "scaled to fill the frame on its longest side and centred, as Fashion-MNIST's images were made")
        : new(20.0 / 28, "mass", "the ink's bounding box scaled into 20×20 and centred by its centre of mass, as MNIST's digits were made");

    // Each layer's parameters by its state-dict name (weight, bias; batch norm's running_mean and running_var), as base64
    // float32 (little-endian): whatever the layer holds. The model's own tensors, read as copies.
    static Dictionary<string, JsonObject> LayerParameters(ConvNet model)
    {
        var state = model.state_dict();   // the model's own tensors: taken before the scope below, which frees only the copies made of them
        using var scope = NewDisposeScope();
        string Floats(Tensor t) => Convert.ToBase64String(MemoryMarshal.AsBytes(t.detach().cpu().to_type(ScalarType.Float32).contiguous().data<float>().ToArray().AsSpan()));
        return model.Plan.Layers.Select(layer => (layer.Name, Held: state
                .Where(p => p.Key.StartsWith(layer.Name + ".") && !p.Key[(layer.Name.Length + 1)..].Contains('.') && p.Value.is_floating_point())
                .ToDictionary(p => p.Key[(layer.Name.Length + 1)..], p => (JsonNode?)Floats(p.Value))))
            .Where(l => l.Held.Count > 0).ToDictionary(l => l.Name, l => new JsonObject(l.Held));
    }

    /// <summary>
    /// What the page needs, as JSON: the model's layer plan as it is (every layer's kind, settings and shapes, in the
    /// order they run), each layer's parameters as base64 float32 (little-endian) beside it, every spatial layer's
    /// receptive fields, the conv blocks, the class names and some test images as bytes.
    /// </summary>
    static string ModelJson(ConvNet model, ImageSet? images, int count, string? about, IReadOnlyList<(string Label, ConvNet Model)>? epochs = null)
    {
        var plan = model.Plan;
        if (plan.Height != plan.Width)
            throw new ConvLensException($"The explorer draws square images, but this model takes {plan.Height}×{plan.Width} images.");
        var parameters = LayerParameters(model);
        var epochParameters = epochs?.Select(e => new ExplorerEpoch(e.Label, new JsonObject(LayerParameters(e.Model).Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Value))))).ToList();
        using var scope = NewDisposeScope();
        var layers = plan.Layers.Select(layer =>
        {
            var node = JsonSerializer.SerializeToNode(layer, LayerKinds.Json)!.AsObject();
            node.Remove("field");   // the page gets every unit's window instead (fields, below)
            if (parameters.TryGetValue(layer.Name, out var held)) node["parameters"] = held;
            return node;
        }).ToList();
        var fields = plan.Layers.Select(l => plan.ReceptiveField(l.Name)).Where(f => f.Spatial)
            .ToDictionary(f => f.Layer, f => new ExplorerField(f.MapHeight, f.MapWidth, f.AllWindows().SelectMany(r => r.SelectMany(w => w)).ToArray()));
        // Each block's two views, described from the plan: the conv layer's settings, and the steps its output went through.
        var blocks = plan.Blocks.Select(b => new ExplorerBlock(b.Conv, b.Output, b.Layers,
            ConvAbout: $"the conv layer's output ({plan[b.Conv].Settings})",
            OutputAbout: b.Conv == b.Output ? $"the conv layer's output ({plan[b.Conv].Settings})"
                : "after " + string.Join(" → ", b.Layers.Skip(1).TakeWhile(l => l != b.Output).Append(b.Output).Where(l => !plan[l].OffWhenLooking).Select(l => plan[l].Settings)) + ": what the next layer receives")).ToList();
        ExplorerTests? tests = null;
        if (images is not null && count > 0)
        {
            model.EnsureFits(images);
            int n = Math.Min(count, images.Count);
            var pixels = images.Images[..n].contiguous();
            var labels = images.Labels[..n].contiguous();
            tests = new(Convert.ToBase64String(pixels.data<byte>().ToArray()), labels.data<long>().ToArray(), images.Split, images.Name);
        }
        return JsonSerializer.Serialize(new ExplorerSpec(plan.ToString(), about ?? "", plan.Channels, plan.Height,
            images?.Classes ?? Enumerable.Range(0, plan.Classes).Select(c => c.ToString()).ToList(),
            Preprocessing(images?.Name), layers, fields, blocks, tests, epochParameters), ExplorerSpec.Json);
    }
}

/// <summary>The explorer as a notebook output.</summary>
public sealed record ExplorerView(string Html) : INotebookHtml
{
    public string ToNotebookHtml() => Html;
}
