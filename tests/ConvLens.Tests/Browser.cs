using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace ConvLens.Tests;

/// <summary>Debian's headless Chromium, with the network switched off: a page that renders here renders offline.</summary>
public static class Browser
{
    public const string Chromium = "/usr/bin/chromium";

    /// <summary>A page of HTML fragments in order, as a notebook front end shows a notebook's outputs.</summary>
    public static string Page(params string[] fragments) =>
        $"<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body>{string.Join("\n", fragments)}</body></html>";

    /// <summary>Loads <paramref name="page"/> and returns a screenshot of its first <paramref name="height"/> pixels.</summary>
    public static Png Screenshot(string page, int width = 1400, int height = 1800)
    {
        string folder = Shared.TempFolder();
        string png = Path.Combine(folder, "shot.png");
        var (_, stderr) = RunChromium(folder, page, width, height, $"--screenshot={png}");
        Assert.True(File.Exists(png), $"chromium wrote no screenshot: {stderr}");
        return Png.Read(png);
    }

    /// <summary>
    /// Loads <paramref name="html"/> with <paramref name="script"/> appended at the end of its body, as the body of an
    /// async function, and returns the JSON of what it returns. Errors in the page or the script fail the test with their message.
    /// </summary>
    public static JsonElement Evaluate(string html, string script, int width = 1400, int height = 1400)
    {
        const string marker = "convlens-test-result";
        string harness = $$"""
            <pre id="{{marker}}"></pre>
            <script>
            window.addEventListener("error", e => { document.getElementById("{{marker}}").textContent = JSON.stringify({ error: "page error: " + e.message }); });
            (async () => { {{script}} })().then(
              v => { document.getElementById("{{marker}}").textContent = JSON.stringify({ value: v }); },
              e => { document.getElementById("{{marker}}").textContent = JSON.stringify({ error: String(e && e.stack || e) }); });
            </script>
            """;
        int end = html.LastIndexOf("</body>", StringComparison.Ordinal);
        string folder = Shared.TempFolder();
        string page = Path.Combine(folder, "page.html");
        File.WriteAllText(page, end < 0 ? html + harness : html[..end] + harness + html[end..]);
        var (stdout, stderr) = RunChromium(folder, page, width, height, "--dump-dom");
        var match = Regex.Match(stdout, $"<pre id=\"{marker}\">(.*?)</pre>", RegexOptions.Singleline);
        Assert.True(match.Success && match.Groups[1].Length > 0, $"the page's script reported nothing; chromium said: {stderr[..Math.Min(2000, stderr.Length)]}");
        var result = JsonDocument.Parse(WebUtility.HtmlDecode(match.Groups[1].Value)).RootElement;
        if (result.TryGetProperty("error", out var error)) Assert.Fail(error.GetString());
        return result.GetProperty("value").Clone();
    }

    static (string Stdout, string Stderr) RunChromium(string folder, string page, int width, int height, params string[] action)
    {
        Needs.Chromium();
        var start = new ProcessStartInfo(Chromium) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in new[]
        {
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--hide-scrollbars",
            // No network at all: a page that reached for a CDN would render blank.
            "--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND",
            $"--user-data-dir={Path.Combine(folder, "profile")}", $"--window-size={width},{height}",
            "--virtual-time-budget=10000",
        }.Concat(action).Append(new Uri(Path.GetFullPath(page)).AbsoluteUri)) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(90))) { process.Kill(true); throw new TimeoutException("chromium did not finish"); }
        return (stdout.Result, stderr.Result);
    }
}
