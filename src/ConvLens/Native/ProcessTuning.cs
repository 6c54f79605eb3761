using System.Runtime.InteropServices;

namespace ConvLens.Native;

/// <summary>
/// Settings of this process that make libtorch fast on a small shared CPU, applied once, before libtorch loads:
/// glibc's allocator keeps batch buffers in the heap, and OpenMP's idle threads soon sleep instead of spinning.
/// Each can be switched off; nothing here changes results, only time.
/// </summary>
internal static class ProcessTuning
{
    public static void BeforeTorchLoads()
    {
        if (!OperatingSystem.IsLinux()) return;
        TuneMalloc();
        BriefOpenMpSpinning();
    }

    /// <summary>
    /// Keeps libtorch's per-batch buffers (a few MB each) in the heap instead of fresh mmap'd pages.
    /// </summary>
    /// <remarks>
    /// With glibc's defaults, every conv buffer above the mmap threshold is mapped, zero-filled by the kernel and
    /// unmapped again, batch after batch, and freed heap is trimmed back to the OS. Measured here on the article's
    /// run (2 cores): an epoch of 16,000 images took 9.3 s then 4.0 s with the defaults, 3.9 s then 2.8 s with
    /// these settings; peak memory stays under 600 MiB. Only glibc has mallopt; elsewhere nothing changes.
    /// </remarks>
    static void TuneMalloc()
    {
        if (Environment.GetEnvironmentVariable("CONVLENS_DEFAULT_MALLOC") == "1") return;
        if (!NativeLibrary.TryLoad("libc.so.6", out var libc) || !NativeLibrary.TryGetExport(libc, "mallopt", out var export)) return;
        unsafe
        {
            var mallopt = (delegate* unmanaged<int, int, int>)export;
            const int TrimThreshold = -1, TopPad = -2, MmapThreshold = -3;
            mallopt(MmapThreshold, 32 << 20);   // glibc's maximum; also stops the threshold from moving
            mallopt(TrimThreshold, 256 << 20);
            mallopt(TopPad, 64 << 20);
        }
    }

    /// <summary>
    /// Lets libtorch's idle OpenMP threads spin only briefly before they sleep (GOMP_SPINCOUNT=1000, OpenMP's default
    /// being 300,000), so a second process computing on the same cores gets them.
    /// </summary>
    /// <remarks>
    /// Each process runs as many OpenMP threads as there are cores. Alone that is right; but a workshop laptop runs
    /// several notebook kernels, and with two processes computing at once on 2 cores each one's idle threads spun on
    /// the cores the other needed: together they took 1.4 to 6 times the sum of their times alone. Measured with
    /// bench/concurrent.sh (2 cores): a spin count of 1000 gives 0.93–1.00 times the sum, for 0–10 % more time alone;
    /// OMP_WAIT_POLICY=PASSIVE (no spinning) gave 0.6 times the sum but made a job of many small steps (preferred
    /// inputs) 2.3 times slower alone. OpenMP reads the variable from the C environment when libtorch loads, so it is
    /// set there with setenv (Environment.SetEnvironmentVariable changes only .NET's copy). A value the user set wins;
    /// CONVLENS_OPENMP_SPIN=default leaves OpenMP's own default.
    /// </remarks>
    static void BriefOpenMpSpinning()
    {
        if (Environment.GetEnvironmentVariable("CONVLENS_OPENMP_SPIN") == "default") return;
        if (!NativeLibrary.TryLoad("libc.so.6", out var libc) || !NativeLibrary.TryGetExport(libc, "setenv", out var export)) return;
        unsafe
        {
            var setenv = (delegate* unmanaged<byte*, byte*, int, int>)export;
            fixed (byte* name = "GOMP_SPINCOUNT\0"u8, value = "1000\0"u8)
                setenv(name, value, 0);   // 0: keep a value the user already set
        }
    }

    /// <summary>
    /// Gives memory that is free but still held back to the OS: the managed heap collected and compacted (the large
    /// object heap too, where a page's strings live), and glibc's free heap trimmed (which TuneMalloc lets grow while
    /// training). Between phases of a long run, so the next phase starts from what is in use rather than from the last
    /// phase's garbage. It changes no result.
    /// </summary>
    public static void ReturnFreeMemory()
    {
        if (Environment.GetEnvironmentVariable("CONVLENS_HOLD_FREE_MEMORY") == "1") return;   // the reference, for bench/memory.sh
        System.Runtime.GCSettings.LargeObjectHeapCompactionMode = System.Runtime.GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        if (!OperatingSystem.IsLinux() || !NativeLibrary.TryLoad("libc.so.6", out var libc) || !NativeLibrary.TryGetExport(libc, "malloc_trim", out var export)) return;
        unsafe { ((delegate* unmanaged<nuint, int>)export)(0); }
    }
}
