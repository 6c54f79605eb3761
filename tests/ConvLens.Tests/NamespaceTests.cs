using System.Text.RegularExpressions;

namespace ConvLens.Tests;

/// <summary>
/// The library's namespaces as layers: Native and Data at the bottom, then Model, Inspection, Training, Checkpoints,
/// Explain, Plots and Chapters, each using only those below it. The root namespace ConvLens is apart: it holds what
/// every layer shares (ConvLensException, AtomicFile, RepositoryData) and the facade the notebooks call (Workbook,
/// Explorer, Pages), which composes them all.
/// </summary>
public class NamespaceTests
{
    static readonly string Sources = Path.Combine(Shared.RepositoryRoot, "src", "ConvLens");

    /// <summary>Each source file of the library with its namespace and text, bin and obj aside.</summary>
    static IEnumerable<(string File, string Namespace, string Text)> Files() =>
        from file in Directory.EnumerateFiles(Sources, "*.cs", SearchOption.AllDirectories)
        let relative = Path.GetRelativePath(Sources, file)
        where !relative.StartsWith("bin") && !relative.StartsWith("obj")
        let text = File.ReadAllText(file)
        let ns = Regex.Match(text, @"^namespace\s+([\w.]+)\s*;", RegexOptions.Multiline)
        where ns.Success
        select (relative, ns.Groups[1].Value, text);

    /// <summary>
    /// Which sub-namespaces each sub-namespace refers to: by a using directive, by a full name (ConvLens.X.Y), or, as
    /// code inside ConvLens may, by a name relative to ConvLens (X.Y) where Y is a type declared in X.
    /// </summary>
    static Dictionary<string, HashSet<string>> References()
    {
        var files = Files().ToList();
        var types = files.GroupBy(f => f.Namespace).ToDictionary(g => g.Key, g => g
            .SelectMany(f => Regex.Matches(f.Text, @"\b(?:class|record|struct|interface|enum)\s+(\w+)").Select(m => m.Groups[1].Value)).ToHashSet());
        var subs = types.Keys.Where(n => n.StartsWith("ConvLens.")).ToHashSet();
        var uses = subs.ToDictionary(n => n, _ => new HashSet<string>());
        foreach (var (_, ns, text) in files.Where(f => subs.Contains(f.Namespace)))
            foreach (var other in subs.Where(o => o != ns))
            {
                string shortName = other["ConvLens.".Length..];
                bool named = Regex.IsMatch(text, $@"\b{Regex.Escape(other)}\b")
                             || Regex.Matches(text, $@"(?<![\w.]){shortName}\.(\w+)").Any(m => types[other].Contains(m.Groups[1].Value));
                if (named) uses[ns].Add(other);
            }
        return uses;
    }

    [Fact]
    public void No_two_namespaces_of_the_library_refer_to_each_other_even_through_others()
    {
        var uses = References();
        Assert.True(uses.Count >= 8, $"only {uses.Count} sub-namespaces found under {Sources}");
        Assert.Contains("ConvLens.Model", uses["ConvLens.Inspection"]);   // the reading finds what is there
        foreach (var start in uses.Keys)
        {
            // Depth first from each namespace: a path back to it is a cycle, named in full.
            var path = new List<string> { start };
            string? Cycle(string at, HashSet<string> seen)
            {
                foreach (var next in uses[at])
                {
                    if (next == start) return string.Join(" → ", path.Append(start));
                    if (!seen.Add(next)) continue;
                    path.Add(next);
                    if (Cycle(next, seen) is { } found) return found;
                    path.RemoveAt(path.Count - 1);
                }
                return null;
            }
            string? cycle = Cycle(start, [start]);
            Assert.True(cycle is null, $"the namespaces form a cycle: {cycle}");
        }
    }
}
