using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace ConvLens.Tests;

/// <summary>
/// Facts apart from wording: a test that computes a fact reads the number the sentence states where that sentence
/// stands (one cell of a notebook, one solution's section, one file of docs/), by a pattern that captures only the
/// number and the few words that say what it is, then compares it with the computed value within a stated tolerance.
/// Rewording the rest of the sentence breaks no test; the same number elsewhere in the notebook makes no sentence pass.
/// </summary>
static class Claim
{
    static string Flat(string text) => Regex.Replace(text, @"\s+", " ");

    /// <summary>The notebook's cell (prose or code) that <paramref name="marker"/> (a regex) finds: where a sentence stands.</summary>
    public static string Cell(string notebook, string marker)
    {
        var cells = JsonNode.Parse(File.ReadAllText(Path.Combine(Shared.RepositoryRoot, "notebooks", notebook + ".ipynb")))!["cells"]!.AsArray()
            .Select(c => Flat(string.Concat(c!["source"]!.AsArray().Select(l => (string)l!)))).Where(c => Regex.IsMatch(c, marker)).ToArray();
        Assert.True(cells.Length == 1, $"{notebook}: {cells.Length} cells match /{marker}/, where one sentence should stand");
        return cells[0];
    }

    /// <summary>The section of docs/<paramref name="doc"/> under the heading that starts with <paramref name="heading"/>.</summary>
    public static string Section(string doc, string heading)
    {
        string text = File.ReadAllText(Path.Combine(Shared.RepositoryRoot, "docs", doc));
        var start = Regex.Match(text, $@"^#+ {Regex.Escape(heading)}", RegexOptions.Multiline);
        Assert.True(start.Success, $"{doc} has no heading '{heading}'");
        int end = text.IndexOf("\n#", start.Index + start.Length, StringComparison.Ordinal);
        return Flat(end < 0 ? text[start.Index..] : text[start.Index..end]);
    }

    /// <summary>Answer <paramref name="number"/> to notebook <paramref name="notebook"/>'s questions ("05"), in the guide.</summary>
    public static string Answer(string notebook, int number)
    {
        var match = Regex.Match(Section("teaching.md", "Answers: the questions at the end of each notebook"),
            $@"\*\*{notebook} ·.*?(?:^| ){number}\. (.*?)(?= {number + 1}\. | \*\*\d\d ·|$)");
        Assert.True(match.Success, $"teaching.md has no answer {number} to notebook {notebook}'s questions");
        return match.Groups[1].Value;
    }

    /// <summary>The numbers <paramref name="pattern"/>'s groups capture in <paramref name="text"/> ("48,000", "−0.5", "1.5").</summary>
    public static double[] Numbers(string text, string pattern)
    {
        var match = Regex.Match(text, pattern);
        Assert.True(match.Success, $"no sentence matches /{pattern}/ in: {Shorten(text)}");
        return match.Groups.Cast<Group>().Skip(1).Select(g => double.Parse(g.Value.Replace(",", "").Replace('−', '-'), CultureInfo.InvariantCulture)).ToArray();
    }

    /// <summary>
    /// The sentence <paramref name="pattern"/> finds states <paramref name="computed"/>, each within
    /// <paramref name="tolerance"/> (absolute: the prose rounds, so the tolerance is half its last digit or more).
    /// </summary>
    public static void States(string text, string pattern, double tolerance, params double[] computed)
    {
        var said = Numbers(text, pattern);
        Assert.True(said.Length == computed.Length, $"/{pattern}/ captures {said.Length} numbers, the test computed {computed.Length}");
        for (int i = 0; i < said.Length; i++)
            Assert.True(Math.Abs(said[i] - computed[i]) <= tolerance,
                $"the prose says {said[i].ToString(CultureInfo.InvariantCulture)} (/{pattern}/, number {i + 1}); computed {computed[i].ToString("G6", CultureInfo.InvariantCulture)}, tolerance {tolerance.ToString(CultureInfo.InvariantCulture)}");
    }

    /// <summary>
    /// The sentence <paramref name="pattern"/> finds names a direction (one of <paramref name="words"/>, captured by the
    /// pattern's one group), and it is <paramref name="computed"/>: "larger", "red", "left"…
    /// </summary>
    public static void Says(string text, string pattern, string computed, params string[] words)
    {
        var match = Regex.Match(text, pattern);
        Assert.True(match.Success, $"no sentence matches /{pattern}/ in: {Shorten(text)}");
        string said = match.Groups[1].Value;
        Assert.True(words.Length == 0 || words.Contains(said), $"/{pattern}/ read '{said}', not one of {string.Join(", ", words)}");
        Assert.True(said == computed, $"the prose says '{said}' (/{pattern}/); computed '{computed}'");
    }

    static string Shorten(string text) => text.Length <= 300 ? text : text[..300] + "…";
}
