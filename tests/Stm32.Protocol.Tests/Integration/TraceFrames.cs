using System.Globalization;
using System.Text;
using Stm32.Protocol.Simulation;

namespace Stm32.Protocol.Tests.Integration;

/// <summary>
/// One host command as the chip's trace shows it: the command pair, then each packet the host
/// sent after an answer of the chip (address + XOR, count + data + XOR, ...). Packets are split
/// where a ToHost byte came between, which the protocol's lock step guarantees.
/// </summary>
internal sealed record TraceFrame(byte Code, IReadOnlyList<byte[]> Packets, IReadOnlyList<byte> Answer)
{
    public bool Acked => Answer.Count > 0 && Answer[0] == 0x79;

    /// <summary>Write Memory: the address (from the first packet).</summary>
    public uint Address => Packets.Count > 0 && Packets[0].Length >= 4
        ? (uint)(Packets[0][0] << 24 | Packets[0][1] << 16 | Packets[0][2] << 8 | Packets[0][3]) : 0;

    public string Describe()
    {
        var sb = new StringBuilder(Code.ToString("X2", CultureInfo.InvariantCulture));
        foreach (var p in Packets)
            sb.Append(" | ").Append(p.Length > 12 ? Convert.ToHexString(p, 0, 6) + $"..({p.Length} B)..{p[^1]:X2}" : Convert.ToHexString(p));
        return sb.ToString();
    }

    /// <summary>How many packets follow the command pair (each after an ACK): Read 2, Go 1, Write 2, Erase 1, Write Protect 1, Get Checksum 2+.</summary>
    private static int PacketsOf(byte code) => code switch
    {
        0x11 => 2,
        0x21 => 1,
        0x31 => 2,
        0x43 => 1,
        0x44 => 1,
        0x63 => 1,
        _ => 0,
    };

    /// <summary>Splits a trace into sync bytes (code 0x7F, no packets) and command frames.</summary>
    public static List<TraceFrame> Parse(IReadOnlyList<TraceEntry> trace)
    {
        // Runs of bytes in one direction.
        var runs = new List<(TraceDirection Dir, List<byte> Bytes)>();
        foreach (var e in trace)
        {
            if (runs.Count == 0 || runs[^1].Dir != e.Direction) runs.Add((e.Direction, new List<byte>()));
            runs[^1].Bytes.Add(e.Value);
        }
        var frames = new List<TraceFrame>();
        byte code = 0;
        List<byte[]>? packets = null;
        List<byte>? answer = null;
        void Close()
        {
            if (packets != null) frames.Add(new TraceFrame(code, packets, answer!));
            packets = null;
        }
        foreach (var (dir, bytes) in runs)
        {
            if (dir == TraceDirection.ToHost)
            {
                if (packets != null && packets.Count == 0 && answer!.Count == 0) answer.AddRange(bytes);
                continue;
            }
            int i = 0;
            // A command pair starts a frame; a lone 0x7F (or 7F 7F) is a sync attempt.
            // (Read's "N, ~N" looks like a pair too: a frame still owed packets takes the run as one.)
            bool owed = packets != null && packets.Count < PacketsOf(code);
            if (!owed && bytes.Count == 2 && bytes[0] == (byte)~bytes[1])
            {
                Close();
                code = bytes[0];
                packets = new List<byte[]>();
                answer = new List<byte>();
                i = 2;
            }
            else if (!owed && bytes.TrueForAll(b => b == 0x7F))
            {
                Close();
                frames.Add(new TraceFrame(0x7F, Array.Empty<byte[]>(), Array.Empty<byte>()));
                continue;
            }
            if (i < bytes.Count)
            {
                if (packets == null) { code = 0xEE; packets = new List<byte[]>(); answer = new List<byte>(); }
                packets.Add(bytes.Skip(i).ToArray());
            }
        }
        Close();
        return frames;
    }
}
