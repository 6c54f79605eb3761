namespace ConvLens;

/// <summary>
/// The one rule for "this build is older than its sources", for everything that runs a build from a clone: the
/// convlens command (the CLI checks itself first, and its script rebuilds), the notebooks' setup cell and the notebook
/// runner (<see cref="Workbook.StaleBuild(string, string)"/>). A source is a .cs, .csproj, .props, or embedded .js or .css
/// file; bin and obj folders are outputs, not sources.
/// </summary>
public static class BuildAge
{
    static readonly string[] SourceEndings = [".cs", ".csproj", ".props", ".js", ".css"];

    /// <summary>The newest source under <paramref name="sources"/> (folders or files) written after <paramref name="dll"/>, or null when there is none, or no such dll.</summary>
    public static string? NewerSource(string dll, params string[] sources)
    {
        if (dll.Length == 0 || !File.Exists(dll)) return null;
        var built = File.GetLastWriteTimeUtc(dll);
        char slash = Path.DirectorySeparatorChar;
        var newest = sources
            .SelectMany(s => Directory.Exists(s) ? Directory.EnumerateFiles(s, "*.*", SearchOption.AllDirectories) : File.Exists(s) ? [s] : [])
            .Where(f => SourceEndings.Any(f.EndsWith) && !f.Contains($"{slash}obj{slash}") && !f.Contains($"{slash}bin{slash}"))
            .Select(f => (File: f, Time: File.GetLastWriteTimeUtc(f)))
            .MaxBy(f => f.Time);
        return newest.File is not null && newest.Time > built ? newest.File : null;
    }

    /// <summary>
    /// What the convlens command's CLI is built from, in a clone: both projects, the repository's props, and the
    /// plotly.js it embeds. Null when the CLI does not run from a clone (an installed kit has no sources to compare).
    /// </summary>
    public static string? NewerCliSource(string cliDll)
    {
        // The clone this CLI was built in: the folder above its bin that holds src/ConvLens.Cli.
        var dir = new DirectoryInfo(Path.GetDirectoryName(Path.GetFullPath(cliDll))!);
        while (dir is not null && !Directory.Exists(Path.Combine(dir.FullName, "src", "ConvLens.Cli"))) dir = dir.Parent;
        if (dir is null) return null;
        string root = dir.FullName;
        return NewerSource(cliDll, Path.Combine(root, "src"), Path.Combine(root, "Directory.Build.props"),
            Path.Combine(root, "Directory.Packages.props"), Path.Combine(root, "data", "plotly"));
    }
}
