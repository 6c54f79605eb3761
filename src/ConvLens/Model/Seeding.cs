using static TorchSharp.torch;

namespace ConvLens.Model;

/// <summary>
/// The one owner of torch's random generator. Initial weights (<see cref="ConvNet"/>) and dropout (the trainer) draw
/// from torch's process-wide generator, so a seed only means something if nothing else draws from it meanwhile:
/// every seeded use goes through <see cref="Run{T}"/>, which seeds it and holds one process-wide lock while the work
/// draws. Callers pass a seed; they never call <c>manual_seed</c> themselves. (The split, the shuffles, SmoothGrad's
/// noise and preferred inputs use generators of their own and need no lock.)
/// </summary>
public static class Seeding
{
    static readonly object generatorLock = new();

    /// <summary>Seeds torch's global generator with <paramref name="seed"/> and runs <paramref name="work"/>, alone.</summary>
    public static T Run<T>(int seed, Func<T> work)
    {
        lock (generatorLock)
        {
            random.manual_seed(seed);
            return work();
        }
    }
}
