using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace ConvLens.Native;

/// <summary>
/// Loads TorchSharp's native libraries before TorchSharp does, so that
/// (1) libLibTorchSharp.so loads on Debian 12 / Ubuntu 22.04 (see <see cref="ElfVersionNeeds"/>), and
/// (2) the libtorch from NuGet always wins over a system libtorch (Debian's python3-torch installs one):
/// libc10, libtorch_cpu and libtorch are loaded by full path first, so the loader binds LibTorchSharp's
/// needs to them by soname and never searches the system folders.
/// </summary>
public static class TorchNative
{
    static readonly Lock Gate = new();
    static bool loaded;

    /// <summary>The folder the libtorch binaries were loaded from, once loaded (Linux only).</summary>
    public static string? LibTorchFolder { get; private set; }

    /// <summary>The LibTorchSharp file that was loaded, and whether ConvLens had to mark versions weak in it.</summary>
    public static string? LibTorchSharpFile { get; private set; }
    public static IReadOnlyList<string> WeakenedVersions { get; private set; } = [];

    // Runs when any ConvLens type is first used, e.g. in a notebook before TorchSharp is touched.
    // Failures are not thrown here (that would surface as a TypeInitializationException); EnsureLoaded throws them.
#pragma warning disable CA2255 // A library module initializer is the point here: it runs before any TorchSharp call a notebook makes through ConvLens.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void LoadEarly()
    {
        try { EnsureLoaded(); } catch (TorchSetupException) { }
    }

    /// <summary>Makes sure the native backend is loaded; throws <see cref="TorchSetupException"/> with a fix if it cannot be.</summary>
    /// <summary>Returns free memory to the OS between the phases of a long run (see <see cref="ProcessTuning.ReturnFreeMemory"/>).</summary>
    public static void ReturnFreeMemory() => ProcessTuning.ReturnFreeMemory();

    public static void EnsureLoaded()
    {
        lock (Gate)
        {
            if (loaded) return;
            if (OperatingSystem.IsLinux()) LoadOnLinux();
            loaded = true;
        }
    }

    static void LoadOnLinux()
    {
        string arch = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? "arm64" : "x64";
        string rid = $"linux-{arch}";
        // The app's folder (CLI, tests), then ConvLens.dll's own folder (a notebook that references bin/…/ConvLens.dll).
        var appFolders = new[] { AppContext.BaseDirectory, Path.GetDirectoryName(typeof(TorchNative).Assembly.Location) ?? "" }
            .Where(d => d.Length > 0).Distinct()
            .SelectMany(d => new[] { Path.Combine(d, "runtimes", rid, "native"), d })
            .ToArray();

        string libtorchVersion = Metadata("LibTorchVersion");
        string torchSharpVersion = Metadata("TorchSharpVersion");
        string packages = NuGetPackagesFolder();
        string libtorchPackageFolder = Path.Combine(packages, $"libtorch-cpu-{rid}", libtorchVersion, "runtimes", rid, "native");
        string torchSharpPackageFolder = Path.Combine(packages, "torchsharp", torchSharpVersion, "runtimes", rid, "native");

        string? torchFolder = appFolders.Append(libtorchPackageFolder).FirstOrDefault(d => File.Exists(Path.Combine(d, "libtorch_cpu.so")));
        string? appSharp = appFolders.Select(d => Path.Combine(d, "libLibTorchSharp.so")).FirstOrDefault(File.Exists);
        string? sharp = appSharp ?? Path.Combine(torchSharpPackageFolder, "libLibTorchSharp.so");
        if (torchFolder is null || !File.Exists(sharp))
            throw new TorchSetupException(
                $"The TorchSharp native libraries were not found (looked in {string.Join(", ", appFolders)}, {libtorchPackageFolder} and {torchSharpPackageFolder}). " +
                $"Run 'dotnet restore' in the repository (it brings TorchSharp {torchSharpVersion} and libtorch-cpu-{rid} {libtorchVersion}), then try again.");

        CheckNoForeignLibTorch(torchFolder, "before ConvLens loaded its own");

        ProcessTuning.BeforeTorchLoads();
        sharp = LoadableLibTorchSharp(sharp, inPlace: appSharp is not null);
        foreach (var lib in new[] { "libc10.so", "libtorch_cpu.so", "libtorch.so" })
            Load(Path.Combine(torchFolder, lib));
        Load(sharp);
        CheckNoForeignLibTorch(torchFolder, "while loading");
        LibTorchFolder = torchFolder;
        LibTorchSharpFile = sharp;
    }

    /// <summary>
    /// Returns a LibTorchSharp this system's libstdc++ can load: the file itself when it needs nothing missing,
    /// else a copy whose missing libstdc++ versions are marked weak. The app's own copy is patched in place
    /// (atomically), because .NET loads it by that path; a package copy is patched into ConvLens's cache folder.
    /// </summary>
    static string LoadableLibTorchSharp(string path, bool inPlace)
    {
        var stdcxx = LoadedLibStdCxx();
        if (stdcxx is null) return path;
        var provided = ElfVersionNeeds.Read(stdcxx).Definitions.ToHashSet();
        var bytes = File.ReadAllBytes(path);
        var missing = ElfVersionNeeds.Parse(bytes, path).Needs
            .Where(n => n.File.StartsWith("libstdc++", StringComparison.Ordinal) && !n.IsWeak && !provided.Contains(n.Version))
            .ToList();
        if (missing.Count == 0) return path;

        WeakenedVersions = missing.Select(n => n.Version).ToList();
        var patched = ElfVersionNeeds.MarkWeak(bytes, missing);
        string target = inPlace ? path : Path.Combine(CacheFolder(), Convert.ToHexStringLower(SHA256.HashData(bytes))[..16], Path.GetFileName(path));
        if (File.Exists(target) && File.ReadAllBytes(target).AsSpan().SequenceEqual(patched)) return target;
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            AtomicFile.WriteAllBytes(target, patched);   // a process that has the old file mapped keeps it
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TorchSetupException(
                $"{path} needs {string.Join(", ", WeakenedVersions)} from libstdc++, which this system's {stdcxx} lacks, " +
                $"and ConvLens could not write a loadable copy to {target} ({e.Message}). Make that folder writable, " +
                "or install a libstdc++6 from GCC 13 or newer.");
        }
        return target;
    }

    static void Load(string path)
    {
        try
        {
            NativeLibrary.Load(path);
        }
        catch (DllNotFoundException e)
        {
            throw new TorchSetupException(
                $"The native library {path} could not be loaded: {e.Message.Trim()} " +
                "TorchSharp 0.107 needs glibc 2.34 and libstdc++ from GCC 12 or newer (Debian 12, Ubuntu 22.04 or later).");
        }
    }

    /// <summary>Throws if a libtorch other than the one in <paramref name="ours"/> is mapped into this process.</summary>
    static void CheckNoForeignLibTorch(string ours, string when)
    {
        string oursFull = Path.GetFullPath(ours).TrimEnd('/');
        var foreign = MappedFiles().Where(f => Path.GetFileName(f).StartsWith("libtorch_cpu.so", StringComparison.Ordinal)
                                              && Path.GetDirectoryName(f)!.TrimEnd('/') != oursFull).ToList();
        if (foreign.Count > 0)
            throw new TorchSetupException(
                $"A different libtorch ({foreign[0]}) was loaded into this process {when}; ConvLens needs the one from NuGet in {ours}. " +
                "Use ConvLens before anything else that loads torch (in a notebook: restart the kernel and reference ConvLens first), " +
                "and make sure LD_LIBRARY_PATH and LD_PRELOAD do not name a system libtorch.");
    }

    static string? LoadedLibStdCxx() =>
        MappedFiles().FirstOrDefault(f => Path.GetFileName(f).StartsWith("libstdc++.so", StringComparison.Ordinal));

    static IEnumerable<string> MappedFiles()
    {
        if (!File.Exists("/proc/self/maps")) return [];
        return File.ReadLines("/proc/self/maps")
            .Select(l => l.IndexOf('/') is var i and >= 0 ? l[i..] : null)
            .OfType<string>()
            .Distinct();
    }

    static string Metadata(string key) =>
        typeof(TorchNative).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().First(a => a.Key == key).Value!;

    static string NuGetPackagesFolder() =>
        Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p
            ? p
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    static string CacheFolder()
    {
        string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        string root = !string.IsNullOrEmpty(xdg) ? xdg : !string.IsNullOrEmpty(home) ? Path.Combine(home, ".cache") : Path.GetTempPath();
        return Path.Combine(root, "convlens", "native");
    }
}

/// <summary>The native backend cannot be loaded; the message says why and what to do.</summary>
public sealed class TorchSetupException(string message) : ConvLensException(message);
