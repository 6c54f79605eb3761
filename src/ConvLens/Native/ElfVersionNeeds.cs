using System.Buffers.Binary;
using System.Text;

namespace ConvLens.Native;

/// <summary>
/// Reads and edits the symbol-version needs (<c>.gnu.version_r</c>) of a 64-bit little-endian ELF shared library,
/// and the versions a library defines (<c>.gnu.version_d</c>).
/// </summary>
/// <remarks>
/// Why this exists: TorchSharp 0.107's libLibTorchSharp.so needs GLIBCXX_3.4.32 (GCC 13) for a single symbol,
/// <c>std::ios_base_library_init()</c>, which no relocation uses. Debian 12 and Ubuntu 22.04 ship libstdc++ up to
/// 3.4.30, so the dynamic loader refuses the whole library. Marking that one need weak (VER_FLG_WEAK) lets glibc
/// load it; a symbol that is really used and really missing would still fail, at bind time, loudly.
/// </remarks>
public sealed class ElfVersionNeeds
{
    const uint ShtGnuVerdef = 0x6ffffffd;
    const uint ShtGnuVerneed = 0x6ffffffe;
    public const ushort VerFlagWeak = 0x2;

    /// <summary>One needed version: the library it is needed from, its name, flags and where its flags live in the file.</summary>
    public sealed record Need(string File, string Version, ushort Flags, long FlagsOffset)
    {
        public bool IsWeak => (Flags & VerFlagWeak) != 0;
    }

    public IReadOnlyList<Need> Needs { get; }
    public IReadOnlyList<string> Definitions { get; }

    ElfVersionNeeds(IReadOnlyList<Need> needs, IReadOnlyList<string> definitions)
    {
        Needs = needs;
        Definitions = definitions;
    }

    public static ElfVersionNeeds Read(string path) => Parse(File.ReadAllBytes(path), path);

    public static ElfVersionNeeds Parse(byte[] elf, string nameForErrors)
    {
        var span = elf.AsSpan();
        if (elf.Length < 64 || span[0] != 0x7f || span[1] != (byte)'E' || span[2] != (byte)'L' || span[3] != (byte)'F')
            throw new InvalidDataException($"{nameForErrors} is not an ELF file.");
        if (span[4] != 2 || span[5] != 1)
            throw new InvalidDataException($"{nameForErrors} is not a 64-bit little-endian ELF file.");

        long shoff = (long)BinaryPrimitives.ReadUInt64LittleEndian(span[0x28..]);
        int shentsize = BinaryPrimitives.ReadUInt16LittleEndian(span[0x3A..]);
        int shnum = BinaryPrimitives.ReadUInt16LittleEndian(span[0x3C..]);

        (uint Type, long Offset, long Size, uint Link, uint Info) Section(int i)
        {
            var s = elf.AsSpan((int)(shoff + (long)i * shentsize));
            return (BinaryPrimitives.ReadUInt32LittleEndian(s[4..]),
                    (long)BinaryPrimitives.ReadUInt64LittleEndian(s[0x18..]),
                    (long)BinaryPrimitives.ReadUInt64LittleEndian(s[0x20..]),
                    BinaryPrimitives.ReadUInt32LittleEndian(s[0x28..]),
                    BinaryPrimitives.ReadUInt32LittleEndian(s[0x2C..]));
        }

        string Str(int strtabSection, uint index)
        {
            var start = (int)(Section(strtabSection).Offset + index);
            var end = elf.AsSpan(start).IndexOf((byte)0);
            return Encoding.ASCII.GetString(elf, start, end);
        }

        var needs = new List<Need>();
        var definitions = new List<string>();
        for (int i = 0; i < shnum; i++)
        {
            var sec = Section(i);
            if (sec.Type == ShtGnuVerneed)
            {
                long entry = sec.Offset;
                for (uint n = 0; n < sec.Info; n++)
                {
                    var vn = span[(int)entry..];
                    ushort cnt = BinaryPrimitives.ReadUInt16LittleEndian(vn[2..]);
                    string file = Str((int)sec.Link, BinaryPrimitives.ReadUInt32LittleEndian(vn[4..]));
                    long aux = entry + BinaryPrimitives.ReadUInt32LittleEndian(vn[8..]);
                    for (int a = 0; a < cnt; a++)
                    {
                        var va = span[(int)aux..];
                        ushort flags = BinaryPrimitives.ReadUInt16LittleEndian(va[4..]);
                        string name = Str((int)sec.Link, BinaryPrimitives.ReadUInt32LittleEndian(va[8..]));
                        needs.Add(new Need(file, name, flags, aux + 4));
                        aux += BinaryPrimitives.ReadUInt32LittleEndian(va[12..]);
                    }
                    entry += BinaryPrimitives.ReadUInt32LittleEndian(vn[12..]);
                }
            }
            else if (sec.Type == ShtGnuVerdef)
            {
                long entry = sec.Offset;
                for (uint n = 0; n < sec.Info; n++)
                {
                    var vd = span[(int)entry..];
                    long aux = entry + BinaryPrimitives.ReadUInt32LittleEndian(vd[12..]);
                    definitions.Add(Str((int)sec.Link, BinaryPrimitives.ReadUInt32LittleEndian(span[(int)aux..])));
                    entry += BinaryPrimitives.ReadUInt32LittleEndian(vd[16..]);
                }
            }
        }
        return new ElfVersionNeeds(needs, definitions);
    }

    /// <summary>Returns a copy of <paramref name="elf"/> in which the given needs are marked weak; nothing else changes.</summary>
    public static byte[] MarkWeak(byte[] elf, IEnumerable<Need> needs)
    {
        var copy = (byte[])elf.Clone();
        foreach (var need in needs)
            BinaryPrimitives.WriteUInt16LittleEndian(copy.AsSpan((int)need.FlagsOffset), (ushort)(need.Flags | VerFlagWeak));
        return copy;
    }
}
