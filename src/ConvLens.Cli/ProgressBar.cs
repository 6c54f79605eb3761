using System.Diagnostics;

namespace ConvLens.Cli;

/// <summary>
/// A one-line progress bar on standard error, redrawn in place. Drawn only on a terminal, at most ten times
/// a second, so logs and pipes get the per-epoch lines alone.
/// </summary>
public sealed class ProgressBar : IDisposable
{
    const int Width = 30;
    readonly bool enabled = !Console.IsErrorRedirected;
    readonly Stopwatch sinceDraw = Stopwatch.StartNew();
    bool drawn;

    public void Draw(string label, int done, int total, string suffix)
    {
        if (!enabled || (done < total && sinceDraw.ElapsedMilliseconds < 100)) return;
        sinceDraw.Restart();
        int filled = total == 0 ? Width : (int)((long)done * Width / total);
        Console.Error.Write($"\r{label} [{new string('█', filled)}{new string('·', Width - filled)}] {done}/{total} {suffix}  ");
        drawn = true;
    }

    public void Clear()
    {
        if (!drawn) return;
        Console.Error.Write("\r" + new string(' ', Math.Max(0, Console.BufferWidth - 1)) + "\r");
        drawn = false;
    }

    public void Dispose() => Clear();
}
