using System.Security.Cryptography;
using ConvLens.Native;
using static TorchSharp.torch;

namespace ConvLens.Data;

/// <summary>A data set's train and test splits.</summary>
public sealed record DataSplits(ImageSet Train, ImageSet Test, string Folder) : IDisposable
{
    /// <summary>The split called <paramref name="name"/>: "train" or "test".</summary>
    public ImageSet Split(string name) => name switch
    {
        "train" => Train,
        "test" => Test,
        _ => throw new ConvLensException($"Unknown split '{name}'; use train or test."),
    };

    public void Dispose()
    {
        Train.Dispose();
        Test.Dispose();
    }
}

/// <summary>
/// Loads MNIST-like sets from folders of IDX files: the bundled MNIST (data/mnist, sums checked), Fashion-MNIST
/// (Debian's dataset-fashion-mnist), or any folder that holds the four files, such as torchvision's MNIST/raw.
/// </summary>
/// <remarks>
/// TorchSharp's TorchVision package has an MNIST reader, but it is not used: it serves one sample at a time as
/// a dictionary (we want the whole set in one tensor and batches by index), expects its own folder layout and
/// download step, reads no gzipped files and checks no sums, and would add a package for 50 lines of code.
/// </remarks>
public static class Datasets
{
    public const string Mnist = "mnist";
    public const string FashionMnist = "fashion-mnist";
    public const string FashionMnistDebianFolder = "/usr/share/datasets/fashion-mnist";
    public const string SumsFile = "SHA256SUMS";

    public static readonly IReadOnlyList<string> Names = [Mnist, FashionMnist];

    static readonly string[] Digits = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];
    static readonly string[] FashionClasses =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>
    /// Loads <paramref name="name"/> ("mnist" or "fashion-mnist"), from <paramref name="folder"/> when given, else
    /// from its default place. With <paramref name="limit"/>, only the first that many images of each split.
    /// </summary>
    public static DataSplits Load(string name = Mnist, string? folder = null, int? limit = null)
    {
        TorchNative.EnsureLoaded();
        if (!Names.Contains(name))
            throw new ConvLensException($"Unknown data set '{name}'; known: {string.Join(", ", Names)} (any other IDX set: give its folder with the name of the set it resembles).");
        folder ??= name == Mnist ? BundledMnistFolder()
            : FashionMnistFolder()
              ?? throw new ConvLensException("Fashion-MNIST was not found in " + string.Join(", ", FashionMnistFolders()) + ". Download its four IDX files " +
                  "(train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz) from " +
                  "https://github.com/zalandoresearch/fashion-mnist (folder data/fashion) into data/fashion-mnist in the repository, on any OS; " +
                  "on Debian or Ubuntu 'sudo apt-get install dataset-fashion-mnist' does it; or give the folder that holds them.");
        if (!Directory.Exists(folder))
            throw new ConvLensException($"Data folder {folder} does not exist.");
        if (limit is <= 0)
            throw new ConvLensException($"The limit must be a positive number of images; got {limit}.");

        VerifySums(folder);
        var classes = name == FashionMnist ? FashionClasses : Digits;
        var train = LoadSplit(name, "train", "train", folder, classes, limit);
        try
        {
            return new DataSplits(train, LoadSplit(name, "test", "t10k", folder, classes, limit), folder);
        }
        catch
        {
            train.Dispose();
            throw;
        }
    }

    static ImageSet LoadSplit(string name, string split, string prefix, string folder, string[] classes, int? limit)
    {
        var images = Idx.Read(FindFile(folder, $"{prefix}-images-idx3-ubyte", $"{prefix}-images.idx3-ubyte"));
        var labels = Idx.Read(FindFile(folder, $"{prefix}-labels-idx1-ubyte", $"{prefix}-labels.idx1-ubyte"));
        if (images.Shape.Length != 3)
            throw new ConvLensException($"The {split} images of {folder} have {images.Shape.Length} dimensions; expected 3 (count, rows, columns).");
        if (labels.Shape.Length != 1)
            throw new ConvLensException($"The {split} labels of {folder} have {labels.Shape.Length} dimensions; expected 1.");
        if (images.Shape[0] != labels.Shape[0])
            throw new ConvLensException($"The {split} split of {folder} has {images.Shape[0]} images but {labels.Shape[0]} labels.");
        if (labels.Data.Any(l => l >= classes.Length))
            throw new ConvLensException($"The {split} labels of {folder} hold a label above {classes.Length - 1}.");

        int n = Math.Min(images.Shape[0], limit ?? int.MaxValue);
        long pixels = (long)images.Shape[1] * images.Shape[2];
        var imageTensor = tensor(images.Data.AsSpan(0, (int)(n * pixels)).ToArray(), [n, images.Shape[1], images.Shape[2]]);
        var labelTensor = tensor(labels.Data.AsSpan(0, n).ToArray(), [n]).to_type(ScalarType.Int64);
        return new ImageSet(name, split, classes, imageTensor, labelTensor);
    }

    static string FindFile(string folder, params string[] stems)
    {
        foreach (var stem in stems)
            foreach (var candidate in new[] { stem + ".gz", stem })
                if (File.Exists(Path.Combine(folder, candidate))) return Path.Combine(folder, candidate);
        throw new ConvLensException($"{folder} has no {stems[0]} (looked for {string.Join(", ", stems.SelectMany(s => new[] { s + ".gz", s }))}).");
    }

    /// <summary>If the folder has a SHA256SUMS file (the bundled MNIST has), every file it names must match.</summary>
    public static void VerifySums(string folder)
    {
        string sums = Path.Combine(folder, SumsFile);
        if (!File.Exists(sums)) return;
        foreach (var line in File.ReadLines(sums).Where(l => !string.IsNullOrWhiteSpace(l)))
        {
            var parts = line.Split(' ', 2, StringSplitOptions.TrimEntries);
            if (parts.Length != 2)
                throw new ConvLensException($"{sums} has a line that is not '<sha256>  <file>': {line}");
            string file = Path.Combine(folder, parts[1].TrimStart('*'));
            if (!File.Exists(file))
                throw new ConvLensException($"{file} is missing (it is listed in {sums}).");
            using var stream = File.OpenRead(file);
            string actual = Convert.ToHexStringLower(SHA256.HashData(stream));
            if (!actual.Equals(parts[0], StringComparison.OrdinalIgnoreCase))
                throw new ConvLensException(
                    $"{file} does not match its SHA-256 in {sums} (expected {parts[0]}, got {actual}): it is damaged or replaced. " +
                    "Restore the bundled files with 'git checkout -- data/mnist'.");
        }
    }

    /// <summary>The bundled MNIST: data/mnist of the repository.</summary>
    public static string BundledMnistFolder() => Path.Combine(RepositoryData.Folder(), Mnist);

    /// <summary>
    /// Where Fashion-MNIST is looked for, in order: CONVLENS_FASHION_MNIST, data/fashion-mnist in the repository (where
    /// a workshop kit puts it, and where to put the four files on Windows and macOS), Debian's package folder, and
    /// fashion-mnist in the home and Downloads folders.
    /// </summary>
    public static IReadOnlyList<string> FashionMnistFolders()
    {
        string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var folders = new List<string>();
        if (Environment.GetEnvironmentVariable("CONVLENS_FASHION_MNIST") is { Length: > 0 } chosen) folders.Add(chosen);
        try { folders.Add(Path.Combine(RepositoryData.Folder(), FashionMnist)); } catch (ConvLensException) { /* not run from a clone */ }
        folders.Add(FashionMnistDebianFolder);
        folders.Add(Path.Combine(home, FashionMnist));
        folders.Add(Path.Combine(home, "Downloads", FashionMnist));
        return folders;
    }

    /// <summary>The first of <see cref="FashionMnistFolders"/> that holds the four files, or null.</summary>
    public static string? FashionMnistFolder() => FashionMnistFolders().FirstOrDefault(HasIdxFiles);

    // A folder that holds the four files, gzipped or not.
    static bool HasIdxFiles(string folder) =>
        new[] { "train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte" }
            .All(f => File.Exists(Path.Combine(folder, f)) || File.Exists(Path.Combine(folder, f + ".gz")));
}
