using System.Diagnostics;

namespace ConvLens.Cli;

/// <summary>Runs a program to its end, its standard output and error read together: for git, tar and dotnet's own commands.</summary>
public static class ChildProcess
{
    public static (int Code, string Output) Run(string folder, string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in arguments) start.ArgumentList.Add(a);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";   // no telemetry call to wait for, offline
        start.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(start) ?? throw new ConvLensException($"Could not start {program}.");
        var errors = process.StandardError.ReadToEndAsync();   // both streams drained at once, so neither fills and blocks
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output + errors.Result);
    }

    /// <summary>The output on one line, for an error message.</summary>
    public static string OneLine(string output) => output.Trim().ReplaceLineEndings(" ");
}
