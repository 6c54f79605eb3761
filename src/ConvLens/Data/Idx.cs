using System.Buffers.Binary;
using System.IO.Compression;

namespace ConvLens.Data;

/// <summary>
/// Reads the IDX format of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/): two zero bytes, a type byte
/// (0x08 = unsigned byte), the number of dimensions, the dimensions as big-endian int32, then the data. Gzipped or raw.
/// </summary>
public static class Idx
{
    /// <summary>An IDX array: its dimensions and its bytes, row-major.</summary>
    public sealed record IdxContents(int[] Shape, byte[] Data);

    public static IdxContents Read(string path)
    {
        using var file = File.OpenRead(path);
        bool gzipped = file.ReadByte() == 0x1f & file.ReadByte() == 0x8b;
        file.Position = 0;
        using Stream stream = gzipped ? new GZipStream(file, CompressionMode.Decompress) : file;
        try
        {
            return Read(stream, path);
        }
        catch (InvalidDataException e) when (gzipped)
        {
            throw new ConvLensException($"{path} is not a readable gzip file ({e.Message}); it may be truncated or damaged.");
        }
    }

    public static IdxContents Read(Stream stream, string nameForErrors)
    {
        Span<byte> head = stackalloc byte[4];
        if (ReadFully(stream, head) < 4)
            throw new ConvLensException($"{nameForErrors} is truncated: it ends inside the IDX header.");
        if (head[0] != 0 || head[1] != 0 || head[2] != 0x08 || head[3] is 0 or > 4)
            throw new ConvLensException(
                $"{nameForErrors} is not an IDX file of unsigned bytes: its magic number is 0x{BinaryPrimitives.ReadUInt32BigEndian(head):x8}, " +
                "expected 0x00000801 (labels) or 0x00000803 (images).");

        var shape = new int[head[3]];
        Span<byte> dim = stackalloc byte[4];
        for (int i = 0; i < shape.Length; i++)
        {
            if (ReadFully(stream, dim) < 4)
                throw new ConvLensException($"{nameForErrors} is truncated: it ends inside the IDX header.");
            shape[i] = BinaryPrimitives.ReadInt32BigEndian(dim);
            if (shape[i] <= 0)
                throw new ConvLensException($"{nameForErrors} has an invalid IDX header: dimension {i} is {shape[i]}.");
        }

        long expected = shape.Aggregate(1L, (a, d) => a * d);
        if (expected > System.Array.MaxLength)
            throw new ConvLensException($"{nameForErrors} declares {expected} bytes, more than ConvLens can hold in one array.");
        var data = new byte[expected];
        int got = ReadFully(stream, data);
        if (got < expected)
            throw new ConvLensException(
                $"{nameForErrors} is truncated: its header declares {string.Join("×", shape)} = {expected} bytes, but it holds {got}.");
        return new IdxContents(shape, data);
    }

    static int ReadFully(Stream stream, Span<byte> buffer)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = stream.Read(buffer[total..]);
            if (n == 0) break;
            total += n;
        }
        return total;
    }
}
