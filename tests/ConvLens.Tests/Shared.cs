using System.Diagnostics;
using System.IO.Compression;
using ConvLens.Data;

namespace ConvLens.Tests;

/// <summary>Things many tests use, made once per run.</summary>
public static class Shared
{
    static readonly Lazy<DataSplits> mnist = new(() => Datasets.Load());

    /// <summary>The bundled MNIST, whole (loaded once, ~1 s).</summary>
    public static DataSplits Mnist => mnist.Value;

    public static string TempFolder()
    {
        string path = Path.Combine(Path.GetTempPath(), "convlens-tests", Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>Writes an IDX file of unsigned bytes (gzipped when the name ends in .gz).</summary>
    public static void WriteIdx(string path, int[] shape, byte[] data, byte typeCode = 0x08)
    {
        using var file = File.Create(path);
        using Stream stream = path.EndsWith(".gz") ? new GZipStream(file, CompressionLevel.Fastest) : file;
        stream.Write([0, 0, typeCode, (byte)shape.Length]);
        foreach (var d in shape) stream.Write([(byte)(d >> 24), (byte)(d >> 16), (byte)(d >> 8), (byte)d]);
        stream.Write(data);
    }

    /// <summary>A folder with a small IDX set (n train, n test images of 28×28, labels 0–9), raw or gzipped.</summary>
    public static string SmallIdxSet(int n = 20, bool gzip = false, int? trainLabels = null)
    {
        string folder = TempFolder();
        string ext = gzip ? ".gz" : "";
        var random = new Random(1);
        foreach (var prefix in new[] { "train", "t10k" })
        {
            var pixels = new byte[n * 28 * 28];
            random.NextBytes(pixels);
            WriteIdx(Path.Combine(folder, $"{prefix}-images-idx3-ubyte{ext}"), [n, 28, 28], pixels);
            int labelCount = prefix == "train" ? trainLabels ?? n : n;
            WriteIdx(Path.Combine(folder, $"{prefix}-labels-idx1-ubyte{ext}"), [labelCount], Enumerable.Range(0, labelCount).Select(i => (byte)(i % 10)).ToArray());
        }
        return folder;
    }

    /// <summary>Runs the real convlens command line (the built ConvLens.Cli beside the tests) and returns its exit code and output.</summary>
    public static (int ExitCode, string Stdout, string Stderr) RunCli(params string[] args) => RunCli(new Dictionary<string, string>(), args);

    public static (int ExitCode, string Stdout, string Stderr) RunCli(IDictionary<string, string> environment, params string[] args) =>
        Run("dotnet", [Path.Combine(AppContext.BaseDirectory, "ConvLens.Cli.dll"), .. args], environment, TimeSpan.FromMinutes(3));

    /// <summary>Runs a program in the repository's root and returns its exit code and output; kills it after <paramref name="timeout"/>.</summary>
    public static (int ExitCode, string Stdout, string Stderr) Run(string program, IEnumerable<string> args, IDictionary<string, string> environment, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = RepositoryRoot };
        foreach (var (key, value) in environment) start.Environment[key] = value;
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout)) { process.Kill(true); throw new TimeoutException($"{program} {string.Join(' ', args)} did not finish in {timeout}"); }
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>The shipped checkpoint's model (one full run of the article's settings).</summary>
    public static ConvLens.Model.ConvNet ShippedModel() => ConvLens.Checkpoints.Checkpoint.Load(RepositoryData.ShippedCheckpoint()).Model;

    static readonly Lazy<bool> notebookLibrary = new(() =>
    {
        ConvLens.Cli.Notebooks.NotebookRunner.EnsureNotebookLibrary(RepositoryRoot, TextWriter.Null);
        return true;
    });

    /// <summary>
    /// The Release library the notebooks #r, built once per test run when missing or stale: a bare 'dotnet test' builds
    /// Debug. Built here, before any notebook starts, so that tests running notebooks in parallel never build it side by side.
    /// </summary>
    public static void NotebookLibrary() => _ = notebookLibrary.Value;

    public static string RepositoryRoot => Path.GetDirectoryName(RepositoryData.Folder())!;
}

/// <summary>
/// The test classes that draw from torch's process-wide generator (building models, training, random inputs): they run
/// one at a time, never beside one another, so one class's draws cannot shift another's seeded results.
/// </summary>
[CollectionDefinition(Name)]
public sealed class TorchRandom
{
    public const string Name = "torch's global random generator";
}

/// <summary>
/// The two fixtures that run the workbook and its chapters end to end: one collection, so each is made once and the
/// chapters' full run of 02 can be set beside the notebook's, computed on the same machine.
/// </summary>
[CollectionDefinition(Name)]
public sealed class WorkbookAndChapterRuns : ICollectionFixture<WorkbookRuns>, ICollectionFixture<ChapterRuns>
{
    public const string Name = "the workbook's and the chapters' runs";
}

/// <summary>
/// Whether this machine trains with the arithmetic that made the shipped checkpoint. The last bits of a sum depend on
/// the libtorch build, the CPU's vector instructions and the thread count, and /proc/cpuinfo does not say enough: two
/// machines that both call themselves a 2-core "AMD EPYC" (family 25, model 1) train other weights than the ones that
/// made the checkpoint did. So it is measured: a seeded run of the article's training whose first epoch's training loss
/// equals, to the last bit, the one the shipped sidecar recorded runs the same arithmetic.
/// </summary>
public static class Machine
{
    static readonly string[] CpuInfo = File.Exists("/proc/cpuinfo") ? File.ReadAllLines("/proc/cpuinfo") : [];

    static string Field(string name) =>
        CpuInfo.FirstOrDefault(l => l.StartsWith(name) && l[name.Length..].TrimStart().StartsWith(':'))?.Split(':', 2)[1].Trim() ?? "";

    static string Vectors => Field("flags").Split(' ') switch
    {
        var f when f.Contains("avx512f") => "avx512",
        var f when f.Contains("avx2") => "avx2",
        _ => "no avx2",
    };

    /// <summary>For messages, for example "AMD EPYC (family 25, model 1), avx2, 2 torch threads".</summary>
    public static string Description
    {
        get
        {
            ConvLens.Native.TorchNative.EnsureLoaded();
            return $"{Field("model name")} (family {Field("cpu family")}, model {Field("model")}), {Vectors}, {TorchSharp.torch.get_num_threads()} torch threads";
        }
    }

    static double FirstTrainLoss(string sidecar) =>
        (double)System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(sidecar))!["history"]![0]!["trainLoss"]!;

    /// <summary>True when <paramref name="sidecar"/>, written by a full seeded run of the article's training on this
    /// machine, starts as the shipped checkpoint's run did, bit for bit; <paramref name="why"/> says what differs.</summary>
    public static bool ComputesAsShipped(string sidecar, out string why)
    {
        double mine = FirstTrainLoss(sidecar), shipped = FirstTrainLoss(RepositoryData.ShippedCheckpoint());
        why = mine == shipped ? "" : $"this machine ({Description}) trains with other arithmetic than the one that made the shipped checkpoint: epoch 1's training loss is {mine:R} here, {shipped:R} there";
        return mine == shipped;
    }
}

/// <summary>
/// What a test needs beyond the .NET SDK. Missing, the test is reported as skipped with one line saying what to install;
/// with CONVLENS_NO_SKIPS=1 (set by .ci/run, which installs everything) a missing need fails the test instead.
/// </summary>
public static class Needs
{
    static void Require(bool present, string reason)
    {
        if (present) return;
        if (Environment.GetEnvironmentVariable("CONVLENS_NO_SKIPS") == "1")
            Assert.Fail($"CONVLENS_NO_SKIPS=1 but {reason}");
        Skip.If(true, reason);
    }

    public static void Linux(string what) => Require(OperatingSystem.IsLinux(), $"Linux only: {what}.");

    public static void Chromium() =>
        Require(File.Exists(Browser.Chromium), $"needs Debian's Chromium at {Browser.Chromium} to render pages: sudo apt-get install chromium");

    public static void Gcc() =>
        Require(OnPath("gcc"), "needs gcc to build stand-in native libraries: sudo apt-get install gcc");

    public static void FashionMnist() =>
        Require(Datasets.FashionMnistFolder() is not null, "needs Fashion-MNIST: sudo apt-get install dataset-fashion-mnist, or its four IDX files in data/fashion-mnist");

    public static void NbConvert() =>
        Require(OnPath("jupyter-nbconvert"), "needs Jupyter's nbconvert to export notebooks to HTML: sudo apt-get install jupyter-nbconvert");

    /// <summary>Jupyter able to execute notebooks (nbconvert, nbclient) and the .NET kernel installed for this user.</summary>
    public static void JupyterDotnetKernel() =>
        Require(OnPath("jupyter-nbconvert") && File.Exists(Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share", "jupyter", "kernels", ".net-csharp", "kernel.json")),
            "needs Jupyter and its .NET kernel to execute notebooks: sudo apt-get install jupyter-nbconvert python3-nbclient, then " +
            "mkdir -p ~/.local/share/jupyter/kernels && dotnet tool restore && dotnet interactive jupyter install");

    /// <summary>PowerShell 7 (pwsh), to run the kit's install.ps1: CONVLENS_PWSH names it, or it is on the PATH.</summary>
    public static string PowerShell()
    {
        string? named = Environment.GetEnvironmentVariable("CONVLENS_PWSH");
        string? found = named is not null && File.Exists(named) ? named
            : (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Select(d => Path.Combine(d, "pwsh")).FirstOrDefault(File.Exists);
        Require(found is not null, "needs PowerShell 7 to run the kit's install.ps1: dotnet tool install --global PowerShell --version 7.6.9, or set CONVLENS_PWSH to pwsh");
        return found!;
    }

    static bool OnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Any(d => File.Exists(Path.Combine(d, program)));
}
