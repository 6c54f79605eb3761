using System.Diagnostics;

namespace ConvLens.Tests;

/// <summary>Debian's headless Chromium, with the network switched off: a page that renders here renders offline.</summary>
public static class Browser
{
    public const string Chromium = "/usr/bin/chromium";

    /// <summary>Loads <paramref name="page"/> and returns a screenshot of its first <paramref name="height"/> pixels.</summary>
    public static Png Screenshot(string page, int width = 1400, int height = 1800)
    {
        Needs.Chromium();
        string folder = Shared.TempFolder();
        string png = Path.Combine(folder, "shot.png");
        var start = new ProcessStartInfo(Chromium) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in new[]
        {
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--hide-scrollbars",
            // No network at all: a page that reached for a CDN would render blank.
            "--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND",
            $"--user-data-dir={Path.Combine(folder, "profile")}", $"--window-size={width},{height}",
            "--virtual-time-budget=10000", $"--screenshot={png}", new Uri(Path.GetFullPath(page)).AbsoluteUri,
        }) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromSeconds(90))) { process.Kill(true); throw new TimeoutException("chromium did not finish"); }
        Assert.True(File.Exists(png), $"chromium wrote no screenshot: {stderr.Result}");
        return Png.Read(png);
    }
}
