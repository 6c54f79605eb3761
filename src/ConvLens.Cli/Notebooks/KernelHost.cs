using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ConvLens.Cli.Notebooks;

/// <summary>One event the host sent while a submission ran: its type ("StandardOutputValueProduced", …) and body.</summary>
public sealed record KernelEvent(string Type, JsonObject Body);

/// <summary>
/// The pinned .NET Interactive host (<c>dotnet interactive stdio</c>, from the repository's tool manifest), driven the
/// way VS Code's extension drives it: one JSON command envelope per line on its standard input, one event envelope per
/// line on its standard output. A submission is finished when the host reports CommandSucceeded or CommandFailed for
/// the token it was sent with (events of the sub-commands it spawns carry tokens such as "3.1").
/// </summary>
public sealed class KernelHost : IDisposable
{
    readonly Process process;
    readonly BlockingCollection<JsonObject> events = new();
    readonly ConcurrentQueue<string> stderrTail = new();
    int nextToken;

    KernelHost(Process process)
    {
        this.process = process;
        new Thread(ReadEvents) { IsBackground = true, Name = "kernel stdout" }.Start();
        new Thread(ReadErrors) { IsBackground = true, Name = "kernel stderr" }.Start();
    }

    /// <summary>Starts a fresh host (one per notebook, as Jupyter starts one kernel per notebook) whose code runs in <paramref name="workingDirectory"/>.</summary>
    public static KernelHost Start(string repositoryRoot, string workingDirectory)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = repositoryRoot,   // where .config/dotnet-tools.json pins the host's version
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true,
            StandardOutputEncoding = System.Text.Encoding.UTF8,
        };
        foreach (var arg in new[] { "interactive", "stdio", "--default-kernel", "csharp", "--working-dir", workingDirectory })
            start.ArgumentList.Add(arg);
        start.Environment["DOTNET_INTERACTIVE_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_INTERACTIVE_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        return new KernelHost(Process.Start(start) ?? throw new ConvLensException("Could not start 'dotnet interactive'."));
    }

    void ReadEvents()
    {
        try
        {
            while (process.StandardOutput.ReadLine() is { } line)
            {
                // The host prints a welcome text before its first envelope; only JSON lines are events.
                if (!line.StartsWith('{')) continue;
                try { if (JsonNode.Parse(line) is JsonObject e) events.Add(e); }
                catch (JsonException) { }
            }
        }
        finally { events.CompleteAdding(); }
    }

    void ReadErrors()
    {
        while (process.StandardError.ReadLine() is { } line)
        {
            stderrTail.Enqueue(line);
            while (stderrTail.Count > 40) stderrTail.TryDequeue(out _);
        }
    }

    /// <summary>Submits <paramref name="code"/> to <paramref name="kernel"/>, hands each event to <paramref name="onEvent"/> as it arrives, and returns when the submission has finished.</summary>
    public void Submit(string code, string kernel, Action<KernelEvent> onEvent, TimeSpan timeout)
    {
        string token = (++nextToken).ToString();
        var envelope = new JsonObject
        {
            ["token"] = token,
            ["commandType"] = "SubmitCode",
            ["command"] = new JsonObject { ["code"] = code, ["targetKernelName"] = kernel },
        };
        process.StandardInput.WriteLine(envelope.ToJsonString());
        process.StandardInput.Flush();

        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
                throw new TimeoutException($"The cell did not finish within {timeout.TotalMinutes:F0} minutes.");
            if (!events.TryTake(out var e, left))
            {
                if (events.IsCompleted)
                    throw new ConvLensException("The notebook host stopped: " + string.Join(" | ", stderrTail.TakeLast(8)));
                continue;
            }
            string type = (string?)e["eventType"] ?? "";
            var body = e["event"] as JsonObject ?? [];
            string? eventToken = (string?)e["command"]?["token"];
            onEvent(new KernelEvent(type, body));
            if (eventToken == token && type is "CommandSucceeded" or "CommandFailed")
                return;
        }
    }

    public void Dispose()
    {
        try
        {
            // The host does not end when its input closes; the notebook is done, so nothing is lost by stopping it.
            if (!process.HasExited) process.Kill(true);
            process.WaitForExit();
        }
        catch (InvalidOperationException) { }
        process.Dispose();
    }
}
