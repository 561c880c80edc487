using System.Text;

namespace Stm32.Protocol.Tests.Firmware;

/// <summary>Builds record lines with correct checksums for hand-made test files.</summary>
internal static class Records
{
    public static string Hex(ushort offset, byte type, params byte[] data)
    {
        var bytes = new List<byte> { (byte)data.Length, (byte)(offset >> 8), (byte)offset, type };
        bytes.AddRange(data);
        int sum = bytes.Sum(b => b);
        bytes.Add((byte)(-sum & 0xFF));
        return ":" + Convert.ToHexString(bytes.ToArray());
    }

    public static string HexData(ushort offset, params byte[] data) => Hex(offset, 0x00, data);

    public static string HexUpper(ushort upper) => Hex(0, 0x04, (byte)(upper >> 8), (byte)upper);

    public const string HexEof = ":00000001FF";

    /// <summary>An S-record of type <paramref name="type"/> with an address of <paramref name="addressBytes"/> bytes.</summary>
    public static string S(int type, int addressBytes, uint address, params byte[] data)
    {
        var bytes = new List<byte> { (byte)(addressBytes + data.Length + 1) };
        for (int i = addressBytes - 1; i >= 0; i--) bytes.Add((byte)(address >> (8 * i)));
        bytes.AddRange(data);
        int sum = bytes.Sum(b => b);
        bytes.Add((byte)(~sum & 0xFF));
        return "S" + type + Convert.ToHexString(bytes.ToArray());
    }

    public static string Lines(params string[] lines) => string.Join("\n", lines) + "\n";

    public static byte[] Seq(int count, int from = 0) => Enumerable.Range(from, count).Select(i => (byte)i).ToArray();
}
