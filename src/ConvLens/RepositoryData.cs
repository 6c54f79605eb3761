namespace ConvLens;

/// <summary>Finds the repository's data/ folder (bundled MNIST, shipped checkpoint) from wherever ConvLens runs: CLI, tests or a notebook.</summary>
public static class RepositoryData
{
    /// <summary>The shipped checkpoint: one full 10-epoch run of the article's settings.</summary>
    public static string ShippedCheckpoint() => Path.Combine(Folder(), "checkpoints", "mnist-convnet.json");

    /// <summary>CONVLENS_DATA if set, else the first data/ above the current folder or above this library that holds data/mnist/SHA256SUMS.</summary>
    public static string Folder()
    {
        if (Environment.GetEnvironmentVariable("CONVLENS_DATA") is { Length: > 0 } data)
            return data;
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory, Path.GetDirectoryName(typeof(RepositoryData).Assembly.Location) ?? "" })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "data", "mnist", "SHA256SUMS")))
                    return Path.Combine(dir.FullName, "data");
        throw new ConvLensException(
            "The data folder of the ConvLens repository (data/mnist, data/checkpoints) was not found above the current folder. " +
            "Run from inside the repository or set CONVLENS_DATA to its data folder.");
    }
}
