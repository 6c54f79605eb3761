namespace ConvLens.Chapters;

/// <summary>
/// Just enough reading of C# text to turn a notebook cell into statements of a file-based app: where the cell's last
/// statement starts and whether it is an expression (a notebook shows an expression's value; a program must say so),
/// and where a type declaration ends. Strings (interpolated ones with their holes), characters and comments are
/// skipped, so a ';' or a brace inside them never counts.
/// </summary>
static class CSharpText
{
    /// <summary>
    /// The offsets of every top-level statement boundary in <paramref name="code"/>: just after each ';' or block-closing
    /// '}' at depth 0. The text after the last one is the cell's trailing statement, if any code is left there.
    /// </summary>
    public static List<int> StatementEnds(string code)
    {
        var ends = new List<int>();
        int depth = 0;
        for (int i = 0; i < code.Length;)
        {
            int skipped = Skip(code, i);
            if (skipped > i) { i = skipped; continue; }
            char c = code[i];
            if (c is '(' or '[' or '{') depth++;
            else if (c is ')' or ']' or '}') { depth--; if (depth == 0 && c == '}') ends.Add(i + 1); }
            else if (c == ';' && depth == 0) ends.Add(i + 1);
            i++;
        }
        return ends;
    }

    /// <summary>The offset just after the '}' that closes the first '{' at or after <paramref name="start"/>, or after a ';' met before any '{'.</summary>
    public static int BlockEnd(string code, int start)
    {
        int depth = 0;
        for (int i = start; i < code.Length;)
        {
            int skipped = Skip(code, i);
            if (skipped > i) { i = skipped; continue; }
            char c = code[i];
            if (c == '{') depth++;
            else if (c == '}' && --depth == 0) return i + 1;
            else if (c == ';' && depth == 0) return i + 1;
            i++;
        }
        return code.Length;
    }

    /// <summary><paramref name="code"/> without its trailing comments and white space: where an expression's code ends.</summary>
    public static int CodeEnd(string code, int from)
    {
        int end = from;
        for (int i = from; i < code.Length;)
        {
            if (char.IsWhiteSpace(code[i])) { i++; continue; }
            int skipped = Skip(code, i);
            bool comment = code.AsSpan(i).StartsWith("//") || code.AsSpan(i).StartsWith("/*");
            i = skipped > i ? skipped : i + 1;
            if (!comment) end = i;
        }
        return end;
    }

    /// <summary>The first offset at or after <paramref name="from"/> that is code: not white space, not a comment.</summary>
    public static int CodeStart(string code, int from)
    {
        for (int i = from; i < code.Length;)
        {
            if (char.IsWhiteSpace(code[i])) { i++; continue; }
            if (code.AsSpan(i).StartsWith("//") || code.AsSpan(i).StartsWith("/*")) { i = Skip(code, i); continue; }
            return i;
        }
        return code.Length;
    }

    /// <summary>If a comment, string or character literal starts at <paramref name="i"/>, the offset just after it; else <paramref name="i"/>.</summary>
    static int Skip(string code, int i)
    {
        var rest = code.AsSpan(i);
        if (rest.StartsWith("//")) { int n = code.IndexOf('\n', i); return n < 0 ? code.Length : n; }
        if (rest.StartsWith("/*")) { int n = code.IndexOf("*/", i + 2, StringComparison.Ordinal); return n < 0 ? code.Length : n + 2; }
        int prefix = 0;
        bool verbatim = false, interpolated = false;
        while (prefix < 2 && i + prefix < code.Length && code[i + prefix] is '@' or '$')
        {
            if (code[i + prefix] == '@') verbatim = true; else interpolated = true;
            prefix++;
        }
        if (i + prefix < code.Length && code[i + prefix] == '"')
        {
            if (code.AsSpan(i + prefix).StartsWith("\"\"\"")) return RawString(code, i + prefix);
            return String(code, i + prefix + 1, verbatim, interpolated);
        }
        if (prefix == 0 && code[i] == '\'')
        {
            int j = i + 1;
            while (j < code.Length && code[j] != '\'') j += code[j] == '\\' ? 2 : 1;
            return Math.Min(j + 1, code.Length);
        }
        return i;
    }

    // From just after the opening quote to just after the closing one; an interpolation hole is read as code.
    static int String(string code, int j, bool verbatim, bool interpolated)
    {
        while (j < code.Length)
        {
            char c = code[j];
            if (!verbatim && c == '\\') { j += 2; continue; }
            if (c == '"')
            {
                if (verbatim && j + 1 < code.Length && code[j + 1] == '"') { j += 2; continue; }
                return j + 1;
            }
            if (interpolated && c == '{')
            {
                if (j + 1 < code.Length && code[j + 1] == '{') { j += 2; continue; }
                j = Hole(code, j + 1);
                continue;
            }
            j++;
        }
        return code.Length;
    }

    // Code inside an interpolation hole, to just after its closing '}'.
    static int Hole(string code, int j)
    {
        int depth = 0;
        while (j < code.Length)
        {
            int skipped = Skip(code, j);
            if (skipped > j) { j = skipped; continue; }
            char c = code[j];
            if (c is '(' or '[' or '{') depth++;
            else if (c is ')' or ']') depth--;
            else if (c == '}') { if (depth == 0) return j + 1; depth--; }
            j++;
        }
        return code.Length;
    }

    static int RawString(string code, int j)
    {
        int quotes = 0;
        while (j + quotes < code.Length && code[j + quotes] == '"') quotes++;
        int end = code.IndexOf(new string('"', quotes), j + quotes, StringComparison.Ordinal);
        return end < 0 ? code.Length : end + quotes;
    }
}
