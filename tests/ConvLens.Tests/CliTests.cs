using System.Text.Json;
using System.Text.RegularExpressions;

namespace ConvLens.Tests;

/// <summary>The real command line, run as a process: exit codes, one-line errors, no stack traces.</summary>
public class CliTests
{
    static void AssertOneLineError((int ExitCode, string Stdout, string Stderr) run, string expected)
    {
        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains(expected, run.Stderr);
        Assert.DoesNotContain("   at ", run.Stderr);          // no stack trace
        Assert.DoesNotContain("Exception", run.Stderr);
    }

    [Fact]
    public void A_quick_run_trains_evaluates_saves_and_prints_json_and_the_same_seed_gives_the_same_losses()
    {
        string output = Shared.TempFolder();
        var first = Shared.RunCli("train", "--epochs", "1", "--limit", "1000", "--output", output, "--json");
        var second = Shared.RunCli("train", "--epochs", "1", "--limit", "1000", "--output", output, "--name", "again", "--json");
        Assert.True(first.ExitCode == 0, first.Stderr);
        Assert.Contains("epoch  1/1  train loss", first.Stderr);

        using var a = JsonDocument.Parse(first.Stdout);
        using var b = JsonDocument.Parse(second.Stdout);
        Assert.Equal(a.RootElement.GetProperty("epochs").GetRawText(), b.RootElement.GetProperty("epochs").GetRawText(), new LossesOnly());
        Assert.InRange(a.RootElement.GetProperty("test").GetProperty("accuracy").GetDouble(), 0.3, 1.0);
        Assert.True(File.Exists(Path.Combine(output, "convnet.weights")));
        foreach (var page in new[] { "filters.html", "feature-maps.html", "filters-over-time.html", "explorer-epochs.html" })
            Assert.True(File.Exists(Path.Combine(output, page)), page);
        // The weights before training and after the epoch, kept for the explorer's slider; the last equals the saved model.
        Assert.Equal(["convnet-epoch-00.json", "convnet-epoch-01.json"], ConvLens.Checkpoints.EpochCheckpoints.In(Path.Combine(output, "epochs")).Select(Path.GetFileName));
        Assert.Equal(File.ReadAllBytes(Path.Combine(output, "convnet.weights")), File.ReadAllBytes(Path.Combine(output, "epochs", "convnet-epoch-01.weights")));
        var compare = Shared.RunCli("explorer", "--checkpoint", Path.Combine(output, "convnet.json"), "--compare", Path.Combine(output, "epochs", "convnet-epoch-00.json"), "--test-images", "10", "--output", output);
        Assert.True(compare.ExitCode == 0, compare.Stderr);
        Assert.Contains("compare.html", compare.Stdout);

        var evaluate = Shared.RunCli("evaluate", "--checkpoint", Path.Combine(output, "convnet.json"), "--limit", "1000", "--json");
        Assert.True(evaluate.ExitCode == 0, evaluate.Stderr);
        using var e = JsonDocument.Parse(evaluate.Stdout);
        Assert.Equal(a.RootElement.GetProperty("test").GetProperty("accuracy").GetDouble(), e.RootElement.GetProperty("accuracy").GetDouble(), 6);
    }

    /// <summary>Compares the epochs' losses and accuracies, ignoring their timings.</summary>
    sealed class LossesOnly : IEqualityComparer<string>
    {
        static string Strip(string json) => string.Join(",", JsonDocument.Parse(json).RootElement.EnumerateArray()
            .Select(e => $"{e.GetProperty("trainLoss").GetDouble():R}/{e.GetProperty("validationLoss").GetDouble():R}/{e.GetProperty("trainAccuracy").GetDouble():R}"));
        public bool Equals(string? x, string? y) => Strip(x!) == Strip(y!);
        public int GetHashCode(string obj) => Strip(obj).GetHashCode();
    }

    [Fact]
    public void Help_is_available_on_every_command()
    {
        // The commands the top-level help lists, each asked for its own help: its usage line names it.
        var top = Shared.RunCli("--help");
        Assert.Equal(0, top.ExitCode);
        var commands = Regex.Matches(top.Stdout[top.Stdout.IndexOf("Commands:", StringComparison.Ordinal)..], @"^  ([a-z-]+)", RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToList();
        Assert.True(commands.Count >= 12, $"the help lists {commands.Count} commands: {string.Join(", ", commands)}");
        foreach (var command in commands)
        {
            var run = Shared.RunCli(command, "--help");
            Assert.True(run.ExitCode == 0, $"convlens {command} --help exited {run.ExitCode}: {run.Stderr}");
            Assert.Contains($"convlens {command}", run.Stdout);
            Assert.Contains("Options:", run.Stdout);
        }
    }

    [Theory]
    [InlineData("--epochs -1", "--epochs must be at least 1")]
    [InlineData("--batch-size 0", "--batch-size must be at least 1")]
    [InlineData("--lr 0", "--lr must be a positive number")]
    [InlineData("--dataset cifar10", "cifar10")]
    [InlineData("--limit 0", "--limit must be at least 1")]
    [InlineData("--epochs many", "many")]
    public void Nonsense_options_are_refused_before_any_work(string options, string expected) =>
        AssertOneLineError(Shared.RunCli(["train", .. options.Split(' ')]), expected);

    [Fact]
    public void A_missing_data_folder_is_a_one_line_error() =>
        AssertOneLineError(Shared.RunCli("train", "--data-dir", "/no/such/folder", "--output", Shared.TempFolder()), "error: Data folder /no/such/folder does not exist.");

    [Fact]
    public void An_unwritable_output_folder_is_reported_before_training()
    {
        string file = Path.Combine(Shared.TempFolder(), "a-file");
        File.WriteAllText(file, "");
        AssertOneLineError(Shared.RunCli("train", "--output", Path.Combine(file, "sub")), "is not writable");
    }

    [Fact]
    public void A_corrupt_checkpoint_is_a_one_line_error()
    {
        string folder = Shared.TempFolder();
        File.WriteAllText(Path.Combine(folder, "bad.json"), "not json");
        File.WriteAllText(Path.Combine(folder, "bad.weights"), "");
        AssertOneLineError(Shared.RunCli("evaluate", "--checkpoint", Path.Combine(folder, "bad.json")), "is damaged");
    }

    [Fact]
    public void A_truncated_data_file_is_a_one_line_error()
    {
        string folder = Shared.SmallIdxSet();
        string file = Path.Combine(folder, "t10k-images-idx3-ubyte");
        File.WriteAllBytes(file, File.ReadAllBytes(file)[..1000]);
        AssertOneLineError(Shared.RunCli("evaluate", "--data-dir", folder), "is truncated");
    }

    [Theory]
    [InlineData("explain --target 10", "classes 0 to 9")]
    [InlineData("explain --layer conv7", "its layers: conv1")]
    [InlineData("feature-maps --layers conv9", "its layers: conv1, pool1, relu1")]
    [InlineData("feature-maps --index 60000", "has images 0 to 59999")]
    [InlineData("feature-maps --label 12", "has labels 0 to 9")]
    [InlineData("filters --layers fc1", "conv layers: conv1, conv2")]
    public void Wrong_layers_and_indexes_are_one_line_errors_with_the_valid_choices(string args, string expected)
    {
        AssertOneLineError(Shared.RunCli(args.Split(' ')), expected);
    }

    [Theory]
    [InlineData("workbook 99", "No notebook in")]
    [InlineData("workbook --edit nothing-like-this=>x", "--edit matched no code cell: nothing-like-this")]
    [InlineData("workbook --edit no-arrow", "--edit takes OLD=>NEW")]
    [InlineData("workbook -p nosuch=1", "No notebook's parameters cell declares nosuch")]
    public void The_workbook_runner_refuses_what_it_cannot_do_before_starting_a_host(string args, string expected)
    {
        AssertOneLineError(Shared.RunCli(args.Split(' ')), expected);
    }

    [Fact]
    public void The_kit_refuses_an_unknown_OS_a_used_folder_and_an_unwritable_one_before_it_downloads_anything()
    {
        AssertOneLineError(Shared.RunCli("kit", "--os", "linux-x64,beos"), "Unknown OS 'beos': a kit can be made for linux-x64, win-x64, osx-arm64.");
        string used = Shared.TempFolder();
        File.WriteAllText(Path.Combine(used, "notes.txt"), "a teacher's file");
        AssertOneLineError(Shared.RunCli("kit", "--output", used), "exists and is not empty: remove it or choose another --output.");
        Assert.True(File.Exists(Path.Combine(used, "notes.txt")));
        AssertOneLineError(Shared.RunCli("kit", "--output", "/proc/convlens-kit"), "Cannot write the kit beside /proc/convlens-kit");
    }

    [SkippableTheory]
    [InlineData("install.sh")]
    [InlineData("install.ps1")]
    public void A_kits_installer_refuses_another_OSs_kit_a_missing_package_and_a_half_written_kit_and_changes_nothing(string installer)
    {
        // Both installers on Linux: install.sh with sh, install.ps1 with PowerShell 7 (the script Windows runs, where its
        // own OS check names win-x64).
        Needs.Linux("the kit's installers, run for linux-x64");
        string shell = installer == "install.sh" ? "sh" : Needs.PowerShell();
        string[] prefix = installer == "install.sh" ? [] : ["-NoProfile", "-File"];
        string kit = Shared.TempFolder(), place = Shared.TempFolder();
        ConvLens.Cli.Kit.WriteInstallers(kit, ["win-x64"], fashion: false);
        (int Code, string Output) Install()
        {
            var (code, stdout, stderr) = Shared.Run(shell, [.. prefix, Path.Combine(kit, installer), Path.Combine(place, "ConvLens")], new Dictionary<string, string>(), TimeSpan.FromMinutes(1));
            return (code, stdout + stderr);
        }
        var incomplete = Install();
        Assert.Contains("is not a complete ConvLens kit (no kit.json)", incomplete.Output);
        File.WriteAllText(Path.Combine(kit, ConvLens.Cli.Kit.Manifest), "{}");
        File.WriteAllLines(Path.Combine(kit, "packages-win-x64.txt"), ["torchsharp/0.107.0"]);
        var otherOs = Install();
        Assert.Contains("this kit was made for win-x64, not for linux-x64: on a machine with internet, run 'convlens kit --os linux-x64'", otherOs.Output);
        File.WriteAllLines(Path.Combine(kit, "packages-linux-x64.txt"), ["torchsharp/0.107.0", "libtorch-cpu-linux-x64/2.10.0"]);
        Directory.CreateDirectory(Path.Combine(kit, "feed"));
        File.WriteAllText(Path.Combine(kit, "feed", "torchsharp.0.107.0.nupkg"), "");
        var missing = Install();
        Assert.Contains("the kit lacks 1 of the packages linux-x64 needs (the first: libtorch-cpu-linux-x64/2.10.0)", missing.Output);
        foreach (var run in new[] { incomplete, otherOs, missing })
        {
            Assert.Equal(1, run.Code);
            Assert.Single(run.Output.Trim().Split('\n'));
        }
        Assert.Empty(Directory.EnumerateFileSystemEntries(place));   // nothing was unpacked
    }

    [Fact]
    public void A_diverging_run_stops_with_advice_exits_non_zero_and_keeps_the_previous_checkpoint()
    {
        string output = Shared.TempFolder();
        var good = Shared.RunCli("train", "--epochs", "1", "--limit", "500", "--output", output);
        Assert.True(good.ExitCode == 0, good.Stderr);
        var before = File.ReadAllBytes(Path.Combine(output, "convnet.weights"));
        var diverged = Shared.RunCli("train", "--epochs", "1", "--limit", "500", "--lr", "1000000", "--output", output);
        AssertOneLineError(diverged, "Training diverged at epoch 1");
        Assert.Contains("Try a smaller learning rate than 1000000", diverged.Stderr);
        Assert.Equal(before, File.ReadAllBytes(Path.Combine(output, "convnet.weights")));
    }

    [Fact]
    public void Images_of_another_size_than_the_model_takes_are_a_one_line_error_naming_both_sizes()
    {
        string folder = Shared.TempFolder();
        var random = new Random(2);
        foreach (var prefix in new[] { "train", "t10k" })
        {
            var pixels = new byte[10 * 32 * 32];
            random.NextBytes(pixels);
            Shared.WriteIdx(Path.Combine(folder, $"{prefix}-images-idx3-ubyte"), [10, 32, 32], pixels);
            Shared.WriteIdx(Path.Combine(folder, $"{prefix}-labels-idx1-ubyte"), [10], Enumerable.Range(0, 10).Select(i => (byte)i).ToArray());
        }
        AssertOneLineError(Shared.RunCli("evaluate", "--data-dir", folder), "images are 1×32×32, but this model takes 1×28×28 images");
        AssertOneLineError(Shared.RunCli("train", "--epochs", "1", "--data-dir", folder, "--output", Shared.TempFolder()), "images are 1×32×32, but this model takes 1×28×28 images");
    }
}
