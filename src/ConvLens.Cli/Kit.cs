using System.Diagnostics;
using System.Text.Json;
using ConvLens.Data;

namespace ConvLens.Cli;

/// <summary>
/// <c>convlens kit</c>: one folder that carries the workshop to laptops without internet. It holds the repository as a
/// clean copy (convlens.tar, of the last commit), a local NuGet feed with every package that the solution, the tests
/// and the pinned notebook host ask for on each operating system asked for (each OS's libtorch included), one list of
/// those packages per OS (read from the project.assets.json files that NuGet writes for that OS), Fashion-MNIST when
/// this machine has it, and install scripts that restore from the kit's feed only. The kit is written beside its
/// destination and moved there whole at the end, so a failure never leaves a folder that looks like a kit.
/// </summary>
public static class Kit
{
    /// <summary>The operating systems a kit can be made for, and the libtorch package each needs.</summary>
    public static readonly IReadOnlyDictionary<string, string> LibTorch = new Dictionary<string, string>
    {
        ["linux-x64"] = "libtorch-cpu-linux-x64",
        ["win-x64"] = "libtorch-cpu-win-x64",
        ["osx-arm64"] = "libtorch-cpu-osx-arm64",
    };

    /// <summary>The name of the kit's description: the last file written, so a kit without it is incomplete.</summary>
    public const string Manifest = "kit.json";

    /// <summary>This machine's OS as the kit names it, or null on one ConvLens does not run on.</summary>
    public static string? ThisSystem() =>
        OperatingSystem.IsLinux() && RuntimeArchitecture() == "x64" ? "linux-x64"
        : OperatingSystem.IsWindows() && RuntimeArchitecture() == "x64" ? "win-x64"
        : OperatingSystem.IsMacOS() && RuntimeArchitecture() == "arm64" ? "osx-arm64"
        : null;

    static string RuntimeArchitecture() => System.Runtime.InteropServices.RuntimeInformation.OSArchitecture.ToString().ToLowerInvariant();

    /// <summary>Checks the OS names before anything is written: one line naming the ones it knows.</summary>
    public static IReadOnlyList<string> Systems(IReadOnlyList<string> asked)
    {
        var systems = asked.Count == 0 ? [ThisSystem() ?? "linux-x64"] : asked.Select(s => s.Trim().ToLowerInvariant()).Where(s => s.Length > 0).Distinct().ToList();
        var unknown = systems.Where(s => !LibTorch.ContainsKey(s)).ToList();
        if (unknown.Count > 0)
            throw new ConvLensException($"Unknown OS {string.Join(", ", unknown.Select(u => $"'{u}'"))}: a kit can be made for {string.Join(", ", LibTorch.Keys)}.");
        return systems;
    }

    public static int Make(IReadOnlyList<string> asked, string output, TextWriter log)
    {
        var clock = Stopwatch.StartNew();
        var systems = Systems(asked);
        string root = Path.GetDirectoryName(RepositoryData.Folder())!;
        output = Path.GetFullPath(output);
        if (Directory.Exists(output) && Directory.EnumerateFileSystemEntries(output).Any())
            throw new ConvLensException($"{output} exists and is not empty: remove it or choose another --output.");
        string partial = output + ".partial";
        try
        {
            if (Directory.Exists(partial)) Directory.Delete(partial, recursive: true);
            Directory.CreateDirectory(partial);
            Directory.CreateDirectory(Path.Combine(partial, "feed"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConvLensException($"Cannot write the kit beside {output}: {e.Message}");
        }
        try
        {
            var kit = Build(systems, root, partial, log);
            if (Directory.Exists(output)) Directory.Delete(output);
            Directory.Move(partial, output);
            log.WriteLine();
            log.WriteLine($"wrote {output} in {clock.Elapsed.TotalSeconds:F0} s");
            foreach (var (system, bytes) in kit)
                log.WriteLine($"  for {system,-9}: {bytes / 1048576.0,7:F0} MB (its packages, the repository and the data)");
            log.WriteLine($"  on disk   : {FolderBytes(output) / 1048576.0,7:F0} MB in all. On each laptop, after installing the .NET SDK: see {Path.Combine(output, "README.md")}");
            return 0;
        }
        catch (Exception e)
        {
            try { Directory.Delete(partial, recursive: true); } catch (Exception) { /* the message below says what failed */ }
            if (e is ConvLensException) throw;
            if (e is IOException or UnauthorizedAccessException)
                throw new ConvLensException($"Writing the kit failed, and the half-written folder was removed: {e.Message}");
            throw;
        }
    }

    static List<(string System, long Bytes)> Build(IReadOnlyList<string> systems, string root, string kit, TextWriter log)
    {
        // The repository as of its last commit, so every laptop gets the same files; uncommitted edits stay behind.
        log.WriteLine("the repository: the last commit, as convlens.tar");
        if (ChildProcess.Run(root, "git", "status", "--porcelain", "--untracked-files=no").Output.Trim().Length > 0)
            log.WriteLine("  note: uncommitted changes are not in the kit; commit them first to include them");
        var archive = ChildProcess.Run(root, "git", "archive", "--format=tar", "--prefix=ConvLens/", "-o", Path.Combine(kit, "convlens.tar"), "HEAD");
        if (archive.Code != 0) throw new ConvLensException($"git archive failed: {archive.Output.Trim()}");

        // Restore a clean copy once per OS, with that OS's libtorch, and read what NuGet resolved.
        string work = Path.Combine(Path.GetTempPath(), "convlens-kit-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(work);
        try
        {
            var untar = ChildProcess.Run(work, "tar", "-xf", Path.Combine(kit, "convlens.tar"));
            if (untar.Code != 0) throw new ConvLensException($"tar could not unpack the repository: {untar.Output.Trim()}");
            string copy = Path.Combine(work, "ConvLens");
            string cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p ? p
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
            var tool = ChildProcess.Run(copy, "dotnet", "tool", "restore");
            if (tool.Code != 0) throw new ConvLensException($"'dotnet tool restore' could not get the notebook host: {Last(tool.Output)}");
            var host = JsonDocument.Parse(File.ReadAllText(Path.Combine(copy, ".config", "dotnet-tools.json"))).RootElement.GetProperty("tools")
                .EnumerateObject().Select(t => (Id: t.Name.ToLowerInvariant(), Version: t.Value.GetProperty("version").GetString()!)).ToList();
            var sizes = new List<(string, long)>();
            long shared = new FileInfo(Path.Combine(kit, "convlens.tar")).Length;
            foreach (var system in systems)
            {
                log.WriteLine($"{system}: restoring the solution and the tests with {LibTorch[system]} (downloads what this machine's NuGet cache lacks)…");
                var restore = ChildProcess.Run(copy, "dotnet", "restore", "ConvLens.slnx", $"-p:LibTorchPackage={LibTorch[system]}", "-v", "q", "-nologo");
                if (restore.Code != 0) throw new ConvLensException($"Restoring for {system} failed: {Last(restore.Output)}");
                var packages = Directory.EnumerateFiles(copy, "project.assets.json", SearchOption.AllDirectories)
                    .SelectMany(Libraries).Concat(host).Distinct().OrderBy(p => p.Id).ThenBy(p => p.Version).ToList();
                long bytes = 0;
                foreach (var (id, version) in packages)
                {
                    string from = Path.Combine(cache, id, version, $"{id}.{version}.nupkg"), to = Path.Combine(kit, "feed", $"{id}.{version}.nupkg");
                    if (!File.Exists(from)) throw new ConvLensException($"{id} {version} was restored but its package is not in {cache}.");
                    if (!File.Exists(to)) File.Copy(from, to);
                    bytes += new FileInfo(to).Length;
                }
                File.WriteAllLines(Path.Combine(kit, $"packages-{system}.txt"), packages.Select(p => $"{p.Id}/{p.Version}"));
                log.WriteLine($"  {packages.Count} packages, {bytes / 1048576.0:F0} MB");
                sizes.Add((system, bytes));
            }

            // Data: MNIST and the shipped checkpoint are in the repository; Fashion-MNIST only where this machine has it.
            string? fashion = Datasets.FashionMnistFolder();
            if (fashion is not null)
            {
                Directory.CreateDirectory(Path.Combine(kit, "fashion-mnist"));
                foreach (var file in Directory.EnumerateFiles(fashion).Where(f => Path.GetFileName(f).Contains("-ubyte")))
                    File.Copy(file, Path.Combine(kit, "fashion-mnist", Path.GetFileName(file)));
                shared += FolderBytes(Path.Combine(kit, "fashion-mnist"));
                log.WriteLine($"Fashion-MNIST: from {fashion}");
            }
            else log.WriteLine("Fashion-MNIST: not on this machine, so not in the kit (02's third exercise needs it; the kit's README says where to get it)");

            WriteInstallers(kit, systems, fashion is not null);
            File.WriteAllText(Path.Combine(kit, Manifest), JsonSerializer.Serialize(new
            {
                format = "convlens-kit/1", created = DateTime.UtcNow.ToString("u"), systems, commit = ChildProcess.Run(root, "git", "rev-parse", "HEAD").Output.Trim(),
                fashionMnist = fashion is not null,
            }, new JsonSerializerOptions { WriteIndented = true }));
            return sizes.Select(s => (s.Item1, s.Item2 + shared)).ToList();
        }
        finally
        {
            try { Directory.Delete(work, recursive: true); } catch (IOException) { /* a temporary folder */ }
        }
    }

    // The packages NuGet resolved for one project: "libraries" entries of type package, as id and version (lower case, as the cache names them).
    static IEnumerable<(string Id, string Version)> Libraries(string assets)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(assets));
        foreach (var library in document.RootElement.GetProperty("libraries").EnumerateObject())
        {
            if (library.Value.GetProperty("type").GetString() != "package") continue;
            var parts = library.Name.Split('/');
            yield return (parts[0].ToLowerInvariant(), parts[1].ToLowerInvariant());
        }
    }

    /// <summary>The kit's nuget.config, install scripts and README (public for the tests of the scripts' checks).</summary>
    public static void WriteInstallers(string kit, IReadOnlyList<string> systems, bool fashion)
    {
        File.WriteAllText(Path.Combine(kit, "nuget.config"), """
            <?xml version="1.0" encoding="utf-8"?>
            <!-- The kit's packages and nothing else: a restore with this file never reaches the internet. -->
            <configuration>
              <packageSources>
                <clear />
                <add key="convlens-kit" value="feed" />
              </packageSources>
            </configuration>

            """);
        File.WriteAllText(Path.Combine(kit, "install.sh"), InstallScript.Replace("\r\n", "\n"));
        File.WriteAllText(Path.Combine(kit, "install.ps1"), PowerShellScript);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(Path.Combine(kit, "install.sh"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        File.WriteAllText(Path.Combine(kit, "README.md"), $$"""
            # ConvLens workshop kit

            Made for: {{string.Join(", ", systems)}}. Copy this whole folder to each laptop (a USB stick, a shared drive).

            Each laptop needs, before the day, the **.NET SDK 10** (https://dotnet.microsoft.com/download/dotnet/10.0: the
            installer for its OS; the kit does not carry it) and, for the notebooks, VS Code or Jupyter (see
            docs/teaching.md in the repository). Everything else comes from this folder, with no internet:

            | laptop | command, run from the folder that should hold ConvLens |
            |---|---|
            | Linux x64 | `sh /path/to/kit/install.sh` |
            | macOS (Apple silicon) | `sh /path/to/kit/install.sh` |
            | Windows x64 | `powershell -ExecutionPolicy Bypass -File X:\path\to\kit\install.ps1` |

            It unpacks the repository into ./ConvLens (or the folder given as its argument), {{(fashion ? "puts Fashion-MNIST in data/fashion-mnist, " : "")}}restores every
            package from `feed/` only (`dotnet restore --configfile nuget.config`, then the notebook host with
            `dotnet tool restore`), writes a `nuget.config` there naming `feed/` as the only source (so a chapter's first run,
            or any later restore, never reaches for the internet; delete it to use nuget.org again), and prints how long that took. Then, in ConvLens: `./convlens evaluate` (Windows:
            `.\convlens.cmd evaluate`) proves the native libraries load.

            It stops with one line, and changes nothing, when the kit was made for another OS, when a package it needs is
            missing from `feed/`, or when the .NET SDK is not installed.

            What is here: `convlens.tar` (the repository at commit recorded in kit.json, with MNIST and the shipped
            checkpoint), `feed/` (the packages), `packages-<os>.txt` (what a restore on that OS asks for, read from the
            project.assets.json files NuGet wrote for it), {{(fashion ? "`fashion-mnist/`, " : "")}}`nuget.config` (the feed as the only source) and the
            install scripts. {{(fashion ? "" : "Fashion-MNIST (02's third exercise) was not on the machine that made the kit: put its four files in ConvLens/data/fashion-mnist (https://github.com/zalandoresearch/fashion-mnist).")}}

            """);
    }

    // sh: Linux and macOS. Checks everything before it writes anything.
    const string InstallScript = """
        #!/bin/sh
        # Installs ConvLens on this laptop from the workshop kit beside this script, with no internet.
        set -eu
        kit=$(cd "$(dirname "$0")" && pwd)
        target=${1:-ConvLens}
        fail() { echo "error: $*" >&2; exit 1; }
        [ -f "$kit/kit.json" ] || fail "$kit is not a complete ConvLens kit (no kit.json): make it again with 'convlens kit'."
        case "$(uname -s)/$(uname -m)" in
          Linux/x86_64) os=linux-x64 ;;
          Darwin/arm64) os=osx-arm64 ;;
          *) fail "ConvLens runs on Linux x64, macOS on Apple silicon and Windows x64, not on $(uname -s) $(uname -m)." ;;
        esac
        made=$(ls "$kit" | sed -n 's/^packages-\(.*\)\.txt$/\1/p' | tr '\n' ',' | sed 's/,$//; s/,/, /g')
        [ -f "$kit/packages-$os.txt" ] || fail "this kit was made for ${made:-no OS}, not for $os: on a machine with internet, run 'convlens kit --os $os' (or add $os to --os)."
        missing=0; first=""
        while IFS= read -r package; do
          [ -n "$package" ] || continue
          file="$kit/feed/$(echo "$package" | tr '/' '.').nupkg"
          if [ ! -f "$file" ]; then missing=$((missing + 1)); [ -n "$first" ] || first=$package; fi
        done < "$kit/packages-$os.txt"
        [ "$missing" -eq 0 ] || fail "the kit lacks $missing of the packages $os needs (the first: $first): copy the kit again, or make it again."
        command -v dotnet >/dev/null 2>&1 || fail "the .NET SDK is not installed: install .NET SDK 10 for this OS first (the kit does not carry it)."
        [ ! -e "$target" ] || [ -z "$(ls -A "$target" 2>/dev/null)" ] || fail "$target exists and is not empty: give another folder, e.g. 'sh $0 ConvLens2'."
        mkdir -p "$target"
        tar -xf "$kit/convlens.tar" -C "$target" --strip-components=1
        if [ -d "$kit/fashion-mnist" ]; then mkdir -p "$target/data/fashion-mnist" && cp "$kit"/fashion-mnist/* "$target/data/fashion-mnist/"; fi
        cd "$target"
        # Every later restore in this folder (a chapter's first run, a build) uses the kit too: with nuget.org as a
        # source, NuGet's audit reaches for the internet and, offline, warns NU1900 or fails a build that treats
        # warnings as errors. The packages are in NuGet's cache by then, so this holds when the kit is gone.
        printf '%s\n' '<?xml version="1.0" encoding="utf-8"?>' \
          '<!-- Written by the kit'"'"'s installer: restores here use the kit'"'"'s packages only. Delete this file to use nuget.org. -->' \
          '<configuration><packageSources><clear /><add key="convlens-kit" value="'"$kit/feed"'" /></packageSources></configuration>' > nuget.config
        start=$(date +%s)
        echo "restoring from the kit only ($(wc -l < "$kit/packages-$os.txt") packages)…"
        export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
        dotnet restore ConvLens.slnx --configfile nuget.config -v q -nologo || fail "the restore from the kit failed (above); see 'If a laptop cannot restore' in docs/teaching.md."
        dotnet tool restore --configfile nuget.config >/dev/null || fail "the notebook host could not be restored from the kit."
        echo "restored in $(( $(date +%s) - start )) s. ConvLens is in $(pwd); try ./convlens evaluate"
        # VS Code's Polyglot Notebooks installs its own copy of the notebook host at first start: from here, offline.
        mkdir -p artifacts/notebook-host && cp "$kit"/feed/microsoft.dotnet-interactive.*.nupkg artifacts/notebook-host/
        echo "for VS Code with no internet, add to its user settings: \"dotnet-interactive.interactiveToolSource\": \"$(pwd)/artifacts/notebook-host\""

        """;

    // PowerShell: Windows PowerShell 5.1 on Windows, or PowerShell 7 on any of the three OSes (CI runs it with PowerShell 7
    // on Linux). The same checks and steps as install.sh; paths are joined, never written with a separator.
    const string PowerShellScript = """
        # Installs ConvLens on this laptop from the workshop kit beside this script, with no internet.
        param([string]$Target = "ConvLens")
        $ErrorActionPreference = "Stop"
        $kit = $PSScriptRoot
        function Fail($message) { [Console]::Error.WriteLine("error: $message"); exit 1 }
        function InKit([string[]]$parts) { $path = $kit; foreach ($part in $parts) { $path = Join-Path $path $part }; $path }
        if (-not (Test-Path (InKit "kit.json"))) { Fail "$kit is not a complete ConvLens kit (no kit.json): make it again with 'convlens kit'." }
        # Windows PowerShell 5.1 has no $IsWindows: there, it is Windows.
        $windows = ($PSVersionTable.PSVersion.Major -lt 6) -or $IsWindows
        $arch = try { "$([System.Runtime.InteropServices.RuntimeInformation]::OSArchitecture)".ToLowerInvariant() } catch { "" }
        if (-not $arch) { $arch = $(if ($env:PROCESSOR_ARCHITECTURE -eq "AMD64") { "x64" } else { "$env:PROCESSOR_ARCHITECTURE".ToLowerInvariant() }) }
        $os = $(if ($windows) { "win" } elseif ($IsMacOS) { "osx" } else { "linux" }) + "-" + $arch
        if (@("win-x64", "linux-x64", "osx-arm64") -notcontains $os) { Fail "ConvLens runs on Linux x64, macOS on Apple silicon and Windows x64, not on $os." }
        $made = (Get-ChildItem (InKit "packages-*.txt") | ForEach-Object { $_.BaseName -replace '^packages-', '' }) -join ", "
        if (-not $made) { $made = "no OS" }
        $list = InKit "packages-$os.txt"
        if (-not (Test-Path $list)) { Fail "this kit was made for $made, not for $($os): on a machine with internet, run 'convlens kit --os $os' (or add $os to --os)." }
        $missing = @(Get-Content $list | Where-Object { $_ -and -not (Test-Path (InKit "feed", (($_ -replace '/', '.') + ".nupkg"))) })
        if ($missing.Count -gt 0) { Fail "the kit lacks $($missing.Count) of the packages $os needs (the first: $($missing[0])): copy the kit again, or make it again." }
        if (-not (Get-Command dotnet -ErrorAction SilentlyContinue)) { Fail "the .NET SDK is not installed: install .NET SDK 10 for this OS first (the kit does not carry it)." }
        if ((Test-Path $Target) -and (Get-ChildItem $Target -Force | Select-Object -First 1)) { Fail "$Target exists and is not empty: give another folder." }
        New-Item -ItemType Directory -Force $Target | Out-Null
        tar -xf (InKit "convlens.tar") -C $Target --strip-components=1
        if ($LASTEXITCODE -ne 0) { Fail "could not unpack $(InKit 'convlens.tar') into $Target." }
        if (Test-Path (InKit "fashion-mnist")) {
            $fashion = Join-Path (Join-Path $Target "data") "fashion-mnist"
            New-Item -ItemType Directory -Force $fashion | Out-Null
            Copy-Item (Join-Path (InKit "fashion-mnist") "*") $fashion
        }
        Set-Location $Target
        # Every later restore in this folder uses the kit too (see install.sh: NuGet's audit, offline).
        $feed = [Security.SecurityElement]::Escape((InKit "feed"))
        Set-Content -Encoding UTF8 "nuget.config" @('<?xml version="1.0" encoding="utf-8"?>',
            "<!-- Written by the kit's installer: restores here use the kit's packages only. Delete this file to use nuget.org. -->",
            "<configuration><packageSources><clear /><add key=`"convlens-kit`" value=`"$feed`" /></packageSources></configuration>")
        $env:DOTNET_CLI_TELEMETRY_OPTOUT = "1"; $env:DOTNET_NOLOGO = "1"
        $clock = [Diagnostics.Stopwatch]::StartNew()
        Write-Host "restoring from the kit only ($(@(Get-Content $list | Where-Object { $_ }).Count) packages)…"
        dotnet restore ConvLens.slnx --configfile "nuget.config" -v q -nologo
        if ($LASTEXITCODE -ne 0) { Fail "the restore from the kit failed (above); see 'If a laptop cannot restore' in docs/teaching.md." }
        dotnet tool restore --configfile "nuget.config" | Out-Null
        if ($LASTEXITCODE -ne 0) { Fail "the notebook host could not be restored from the kit." }
        $run = $(if ($windows) { ".\convlens.cmd" } else { "./convlens" })
        Write-Host "restored in $([int]$clock.Elapsed.TotalSeconds) s. ConvLens is in $(Get-Location); try $run evaluate"
        # VS Code's Polyglot Notebooks installs its own copy of the notebook host at first start: from here, offline.
        $hostFolder = Join-Path "artifacts" "notebook-host"
        New-Item -ItemType Directory -Force $hostFolder | Out-Null
        Copy-Item (InKit "feed", "microsoft.dotnet-interactive.*.nupkg") $hostFolder
        $hostFeed = (Resolve-Path $hostFolder).Path -replace '\\', '/'
        Write-Host "for VS Code with no internet, add to its user settings: `"dotnet-interactive.interactiveToolSource`": `"$hostFeed`""

        """;

    static string Last(string output) => string.Join(" ", output.Trim().Split('\n').TakeLast(3).Select(l => l.Trim()));

    static long FolderBytes(string folder) => Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
}
