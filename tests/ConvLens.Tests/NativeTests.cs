using ConvLens.Native;
using static TorchSharp.torch;

namespace ConvLens.Tests;

public class NativeTests
{
    static string PackagedLibTorchSharp() =>
        Path.Combine(Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p ? p
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages"),
            "torchsharp", TorchSharpVersion, "runtimes", $"linux-{System.Runtime.InteropServices.RuntimeInformation.OSArchitecture.ToString().ToLowerInvariant()}", "native", "libLibTorchSharp.so");

    // The version the build restored, read from the TorchSharp assembly itself (0.107.0.0 → 0.107.0).
    static string TorchSharpVersion => typeof(TorchSharp.torch).Assembly.GetName().Version!.ToString(3);

    [SkippableFact]
    public void Reads_the_libstdcxx_needs_of_LibTorchSharp_as_readelf_lists_them()
    {
        Needs.Linux("ELF files and /proc");
        var needs = ElfVersionNeeds.Read(PackagedLibTorchSharp()).Needs;
        // readelf -V lists 20 libstdc++ needs for this file, GLIBCXX_3.4.32 among them, none weak.
        var stdcxx = needs.Where(n => n.File == "libstdc++.so.6").ToList();
        Assert.Equal(20, stdcxx.Count);
        Assert.Contains(stdcxx, n => n.Version == "GLIBCXX_3.4.32" && !n.IsWeak);
        Assert.Contains(needs, n => n.File == "libc.so.6" && n.Version == "GLIBC_2.34");
    }

    [SkippableFact]
    public void Marking_a_need_weak_changes_its_flag_and_nothing_else()
    {
        Needs.Linux("ELF files and /proc");
        var bytes = File.ReadAllBytes(PackagedLibTorchSharp());
        var need = ElfVersionNeeds.Parse(bytes, "lib").Needs.Single(n => n.Version == "GLIBCXX_3.4.32");
        var patched = ElfVersionNeeds.MarkWeak(bytes, [need]);

        Assert.True(ElfVersionNeeds.Parse(patched, "patched").Needs.Single(n => n.Version == "GLIBCXX_3.4.32").IsWeak);
        Assert.Equal(1, bytes.Zip(patched).Count(b => b.First != b.Second));
        Assert.All(ElfVersionNeeds.Parse(patched, "patched").Needs.Where(n => n.Version != "GLIBCXX_3.4.32"), n => Assert.False(n.IsWeak));
    }

    [SkippableFact]
    public void Reads_the_versions_the_system_libstdcxx_defines()
    {
        Needs.Linux("ELF files and /proc");
        string stdcxx = File.ReadLines("/proc/self/maps").Where(l => l.Contains('/')).Select(l => l[l.IndexOf('/')..]).First(f => f.Contains("libstdc++.so"));
        var defined = ElfVersionNeeds.Read(stdcxx).Definitions;
        Assert.Contains("GLIBCXX_3.4", defined);
        Assert.Contains("CXXABI_1.3", defined);
    }

    [SkippableFact]
    public void Torch_runs_on_the_NuGet_libtorch_and_no_other()
    {
        Needs.Linux("ELF files and /proc");
        TorchNative.EnsureLoaded();
        using var sum = ones(3, 3).sum();
        Assert.Equal(9f, sum.item<float>());

        var mapped = File.ReadLines("/proc/self/maps").Where(l => l.Contains("libtorch_cpu.so")).Select(l => l[l.IndexOf('/')..]).Distinct().ToList();
        Assert.Single(mapped);
        Assert.Equal(Path.GetFullPath(TorchNative.LibTorchFolder!).TrimEnd('/'), Path.GetDirectoryName(mapped[0]));
    }

    [SkippableFact]
    public void A_system_libtorch_first_on_the_library_path_does_not_win()
    {
        Needs.Linux("ELF files and /proc");
        Needs.Gcc();
        // Empty stand-ins with libtorch's file names and sonames, first on LD_LIBRARY_PATH (which the loader searches
        // before LibTorchSharp's RUNPATH): if they were taken, LibTorchSharp's symbols would not resolve.
        string folder = Shared.TempFolder();
        foreach (var lib in new[] { "libc10.so", "libtorch_cpu.so", "libtorch.so" })
        {
            using var gcc = System.Diagnostics.Process.Start("gcc", ["-shared", "-o", Path.Combine(folder, lib), $"-Wl,-soname,{lib}", "-x", "c", "/dev/null"]);
            gcc.WaitForExit();
            Assert.Equal(0, gcc.ExitCode);
        }
        var run = Shared.RunCli(new Dictionary<string, string> { ["LD_LIBRARY_PATH"] = folder }, "evaluate", "--limit", "200");
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Contains("accuracy", run.Stdout);
    }
}
