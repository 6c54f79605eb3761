namespace ConvLens;

/// <summary>
/// Writes a file beside its destination, then renames it into place: a reader never sees half a file, a crash or a
/// full disk leaves the previous file as it was, and a process that has the old file open or mapped keeps it.
/// </summary>
public static class AtomicFile
{
    /// <summary>
    /// Creates <paramref name="folder"/> if needed and writes and deletes a probe file there, so a command can refuse an
    /// unwritable folder before any long work; false with the system's reason when it cannot.
    /// </summary>
    public static bool CanWriteIn(string folder, out string reason)
    {
        try
        {
            Directory.CreateDirectory(folder);
            string probe = Path.Combine(folder, $".convlens-write-test.{Environment.ProcessId}");
            File.WriteAllText(probe, "");
            File.Delete(probe);
            reason = "";
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            reason = e.Message;
            return false;
        }
    }

    public static void WriteAllText(string path, string text) => Write(path, temp => File.WriteAllText(temp, text));

    public static void WriteAllBytes(string path, byte[] bytes) => Write(path, temp => File.WriteAllBytes(temp, bytes));

    /// <summary>Calls <paramref name="write"/> with a temporary path beside <paramref name="path"/>, then renames it over <paramref name="path"/>.</summary>
    public static void Write(string path, Action<string> write)
    {
        string temp = TempPath(path);
        try
        {
            write(temp);
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>The temporary name used for <paramref name="path"/> by this process.</summary>
    public static string TempPath(string path) => path + $".{Environment.ProcessId}.tmp";

    public static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}
