namespace ConvLens;

/// <summary>
/// Writes a file beside its destination, then renames it into place: a reader never sees half a file, a crash or a
/// full disk leaves the previous file as it was, and a process that has the old file open or mapped keeps it.
/// </summary>
public static class AtomicFile
{
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
