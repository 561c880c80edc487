using System.Diagnostics;
using System.Globalization;
using System.Text;
using CsCheck;
using Stm32.Protocol.Firmware;

namespace Stm32.Protocol.Tests.Firmware;

/// <summary>
/// Mutation fuzzing of <see cref="FirmwareReader"/>, shared by the seeded, time-boxed test in the
/// suite (FuzzTests) and the long run in bench/FirmwareFuzz. Inputs are real files from tests/data
/// changed by a few mutations: bit flips, truncation, chunks cut, copied or inserted, ELF header,
/// program header, section header and note fields set to edge values (0, 0x7FFFFFC0, the file
/// length...), and text records re-counted and re-checksummed so a change reaches past the
/// checksum. The inputs come from one PCG stream in order, so a seed gives the same inputs every
/// run; each input has its own seed string, and <see cref="Replay"/> rebuilds it from that.
/// </summary>
/// <remarks>
/// What every input must do: give an image, or a <see cref="FirmwareFormatException"/> that is the
/// reader's own finding (no foreign exception inside it); and allocate no more than a small
/// multiple of the input's length (a header claiming 2 GB must be refused before anything
/// allocates it).
/// </remarks>
public static class FirmwareFuzz
{
    /// <summary>A starting file: its name (the extension picks the format), bytes and the offsets worth mutating.</summary>
    public sealed record Seed(string Name, byte[] Bytes, FirmwareFormat Format, (int Offset, int Size)[] Fields);

    /// <summary>One change. <see cref="Kind"/> picks the operation; the others are its raw operands.</summary>
    public readonly record struct Mutation(int Kind, uint Where, uint Value, int Length);

    /// <summary>A seed file and the mutations applied to it in order.</summary>
    public sealed record Case(int SeedIndex, Mutation[] Mutations);

    /// <summary>A broken property: the input, its seed string and what went wrong.</summary>
    public sealed class Failure(string caseSeed, Seed seed, byte[] input, string problem, Exception? exception = null)
        : Exception($"fuzz input {caseSeed} (from {seed.Name}, {input.Length} bytes): {problem}", exception)
    {
        public string CaseSeed { get; } = caseSeed;
        public Seed From { get; } = seed;
        public byte[] Input { get; } = input;
        public string Problem { get; } = problem;

        /// <summary>What kind of failure: the innermost exception's type and the method that threw it, else the problem up to its first number.</summary>
        public string Signature
        {
            get
            {
                var e = InnerException;
                while (e?.InnerException != null) e = e.InnerException;
                if (e != null)
                {
                    var frame = new StackTrace(e).GetFrame(0)?.GetMethod();
                    return e.GetType().Name + " in " + (frame == null ? "?" : frame.DeclaringType?.Name + "." + frame.Name);
                }
                int digit = Problem.IndexOfAny("0123456789".ToCharArray());
                return digit < 0 ? Problem : Problem.Substring(0, digit);
            }
        }
    }

    /// <summary>Counts of one run.</summary>
    public sealed class Report
    {
        public long Inputs;
        public long Accepted;
        public long Refused;
        public readonly List<Failure> Failures = new();
        public TimeSpan Elapsed;

        /// <summary>Per seed format: inputs read and refused.</summary>
        public readonly Dictionary<FirmwareFormat, (long Read, long Refused)> ByFormat = new();

        public override string ToString() => string.Format(CultureInfo.InvariantCulture,
            "{0:N0} inputs in {1:F1} s: {2:N0} read, {3:N0} refused with a FirmwareFormatException, {4} failures ({5})",
            Inputs, Elapsed.TotalSeconds, Accepted, Refused, Failures.Count,
            string.Join(", ", ByFormat.OrderBy(p => p.Key).Select(p => string.Format(CultureInfo.InvariantCulture, "{0} {1:N0} read/{2:N0} refused", p.Key, p.Value.Read, p.Value.Refused))));
    }

    /// <summary>Where a raw binary is read (the property does not depend on it).</summary>
    public const uint BinaryBase = 0x0800_0000;

    private const int MutationKinds = 10;

    /// <summary>The seed files under tests/data: every format, small enough for thousands of inputs a second.</summary>
    public static readonly string[] SeedFiles =
    {
        "blinky-f103.elf", "sparse-f103.elf", "fuzz/seed-notes-f103.elf",
        "blinky-f103.hex", "sparse-f103.crlf.hex",
        "blinky-f103.srec", "blinky-f103.s3.srec", "sparse-f103.srec",
        "blinky-f103.bin",
    };

    public static IReadOnlyList<Seed> LoadSeeds(string dataDirectory)
        => SeedFiles.Select(f =>
        {
            var bytes = File.ReadAllBytes(Path.Combine(dataDirectory, f));
            var format = FirmwareReader.FormatFromExtension(f);
            var fields = format == FirmwareFormat.Elf ? ElfFields(bytes) : LineStarts(bytes);
            return new Seed(Path.GetFileName(f), bytes, format, fields);
        }).ToList();

    public static Gen<Case> Cases(int seedCount)
        => Gen.Select(Gen.Int[0, seedCount - 1],
            Gen.Select(Gen.Int[0, MutationKinds - 1], Gen.UInt, Gen.UInt, Gen.Int[1, 64], (k, w, v, l) => new Mutation(k, w, v, l)).Array[1, 6],
            (s, m) => new Case(s, m));

    /// <summary>
    /// Runs inputs from the PCG stream of <paramref name="seed"/>: at least <paramref name="minInputs"/>,
    /// then more until <paramref name="budget"/> has passed or <paramref name="maxInputs"/> were tried. With <paramref name="stopAtFirst"/> a
    /// broken property throws <see cref="Failure"/>; otherwise failures are collected.
    /// </summary>
    public static Report Run(IReadOnlyList<Seed> seeds, ulong seed, TimeSpan budget, long minInputs, long maxInputs, bool stopAtFirst, Action<Report>? progress = null)
    {
        var gen = Cases(seeds.Count);
        var pcg = new PCG(1, seed);
        var report = new Report();
        var clock = Stopwatch.StartNew();
        while (report.Inputs < minInputs || (report.Inputs < maxInputs && clock.Elapsed < budget))
        {
            var caseSeed = pcg.ToString();
            var c = gen.Generate(pcg, null, out _);
            var s = seeds[c.SeedIndex];
            var input = Build(s, c);
            report.Inputs++;
            try
            {
                bool read = Check(s, input, caseSeed);
                if (read) report.Accepted++;
                else report.Refused++;
                report.ByFormat.TryGetValue(s.Format, out var counts);
                report.ByFormat[s.Format] = read ? (counts.Read + 1, counts.Refused) : (counts.Read, counts.Refused + 1);
            }
            catch (Failure f) when (!stopAtFirst)
            {
                report.Failures.Add(f);
            }
            if (progress != null && report.Inputs % 10_000 == 0)
            {
                report.Elapsed = clock.Elapsed;
                progress(report);
            }
        }
        report.Elapsed = clock.Elapsed;
        return report;
    }

    /// <summary>The input of a seed string that <see cref="Run"/> reported.</summary>
    public static (Seed Seed, byte[] Input) Replay(IReadOnlyList<Seed> seeds, string caseSeed)
    {
        var c = Cases(seeds.Count).Generate(PCG.Parse(caseSeed), null, out _);
        return (seeds[c.SeedIndex], Build(seeds[c.SeedIndex], c));
    }

    /// <summary>
    /// Reads one input and checks the properties; true when it was read, false when it was refused.
    /// Throws <see cref="Failure"/> when a property breaks.
    /// </summary>
    public static bool Check(Seed seed, byte[] input, string caseSeed = "(given)")
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        bool read;
        try
        {
            var image = FirmwareReader.Read(input, seed.Name, FirmwareFormat.Auto, BinaryBase);
            // Two hex digits a data byte in text; an ELF may load the same file bytes at two addresses.
            long most = image.SourceFormat == FirmwareFormat.Elf ? long.MaxValue
                : image.SourceFormat == FirmwareFormat.Binary ? input.Length : input.Length / 2;
            if (image.DataBytes > most)
                throw new Failure(caseSeed, seed, input, $"the image holds {image.DataBytes} bytes, more than the file can");
            read = true;
        }
        catch (FirmwareFormatException e)
        {
            if (e.InnerException != null && !(e.InnerException is FirmwareFormatException))
                throw new Failure(caseSeed, seed, input, "the refusal wraps a foreign exception instead of saying what is wrong: " + e.Message, e);
            if (string.IsNullOrWhiteSpace(e.Problem))
                throw new Failure(caseSeed, seed, input, "the refusal says nothing", e);
            read = false;
        }
        catch (Failure)
        {
            throw;
        }
        catch (Exception e)
        {
            throw new Failure(caseSeed, seed, input, "the reader threw " + e.GetType().Name + ": " + e.Message, e);
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        long allowed = AllocationAllowance(input.Length);
        if (allocated > allowed)
            throw new Failure(caseSeed, seed, input, $"reading it allocated {allocated:N0} bytes, more than the {allowed:N0} its length allows");
        return read;
    }

    /// <summary>
    /// What reading a file may allocate: a few copies of it (the text readers keep a buffer of
    /// about half its length and grow it by doubling; an ELF's segments are copied once) plus
    /// a fixed 1 MiB for tables and messages.
    /// </summary>
    public static long AllocationAllowance(int length) => 16L * length + (1 << 20);

    public static byte[] Build(Seed seed, Case c)
    {
        var b = new List<byte>(seed.Bytes);
        foreach (var m in c.Mutations) Apply(b, seed, m);
        return b.ToArray();
    }

    private static void Apply(List<byte> b, Seed seed, Mutation m)
    {
        bool elf = seed.Format == FirmwareFormat.Elf;
        bool text = seed.Format == FirmwareFormat.IntelHex || seed.Format == FirmwareFormat.SRecord;
        int n = b.Count;
        int at = n == 0 ? 0 : (int)(m.Where % (uint)n);
        switch (m.Kind)
        {
            case 0:
                if (n > 0) b[at] ^= (byte)(1 << (int)(m.Value & 7));
                break;
            case 1:
                if (n > 0) b[at] = (byte)m.Value;
                break;
            case 2:
                if (elf) SetField(b, seed, m.Where, Interesting(m.Value, n));
                else if (text && n > 0) b[at] = TextAlphabet[m.Value % (uint)TextAlphabet.Length];
                else if (n > 0) b[at] = (byte)Interesting(m.Value, n);
                break;
            case 3:
                if (elf) SetField(b, seed, m.Where, m.Value);
                else if (text) FixRecord(b, LineIndex(b, m.Where));
                break;
            case 4:
                b.RemoveRange((int)(m.Where % (uint)(n + 1)), n - (int)(m.Where % (uint)(n + 1)));
                break;
            case 5:
                if (n > 0) b.RemoveRange(at, Math.Min(m.Length, n - at));
                break;
            case 6:
                if (n > 0)
                {
                    var chunk = b.GetRange(at, Math.Min(m.Length, n - at));
                    b.InsertRange((int)(m.Value % (uint)(n + 1)), chunk);
                }
                break;
            case 7:
            {
                var bytes = new byte[m.Length];
                uint x = m.Value | 1;
                for (int i = 0; i < bytes.Length; i++)
                {
                    x ^= x << 13; x ^= x >> 17; x ^= x << 5;
                    bytes[i] = text ? TextAlphabet[x % (uint)TextAlphabet.Length] : (byte)x;
                }
                b.InsertRange(n == 0 ? 0 : (int)(m.Where % (uint)(n + 1)), bytes);
                break;
            }
            case 8:
                if (elf) SetField(b, seed, m.Where, (uint)(ushort)Interesting(m.Value, n), sixteenBitsOnly: true);
                else if (text) LineOperation(b, m.Where, m.Value);
                break;
            default:
                if (elf && seed.Fields.Length > 0)
                {
                    // One field takes another's value (an offset where a size belongs, a count from elsewhere).
                    var (from, size) = seed.Fields[m.Value % (uint)seed.Fields.Length];
                    if (from + size <= b.Count) SetField(b, seed, m.Where, size == 2 ? (uint)(b[from] | b[from + 1] << 8) : U32(b, from));
                }
                else if (text)
                {
                    // A record of another type: change the type character, then re-count and re-checksum.
                    int line = LineIndex(b, m.Where);
                    var (start, _) = Line(b, line);
                    if (start < 0 || start + 8 >= b.Count) break;
                    if (b[start] == (byte)':') b[start + 8] = (byte)"012345"[(int)(m.Value % 6)];
                    else b[start + 1] = (byte)"0123456789"[(int)(m.Value % 10)];
                    FixRecord(b, line);
                }
                break;
        }
    }

    private static readonly byte[] TextAlphabet = Encoding.ASCII.GetBytes("0123456789ABCDEFabcdef::SS\n\n\r \t\u001aXz");

    /// <summary>0, small numbers, section and segment types, edge values and sizes near the file length.</summary>
    private static uint Interesting(uint pick, int length)
    {
        uint len = (uint)length;
        uint[] values =
        {
            0, 1, 2, 3, 4, 6, 7, 8, 11, 12, 16, 20, 32, 40, 52, 0x7F, 0xFF, 0x100, 0xFF00, 0xFFFF, 0x10000,
            0x7FFFFFC0, 0x7FFFFFFF, 0x80000000, 0xFFFFFFF0, 0xFFFFFFFC, 0xFFFFFFFF,
            len, len - 1, len + 1, len - 4, len - 12, len - 16, len - 32, len - 40, len / 2,
        };
        return values[pick % (uint)values.Length];
    }

    private static void SetField(List<byte> b, Seed seed, uint pick, uint value, bool sixteenBitsOnly = false)
    {
        var fields = sixteenBitsOnly ? seed.Fields.Where(f => f.Size == 2).ToArray() : seed.Fields;
        if (fields.Length == 0) return;
        var (offset, size) = fields[pick % (uint)fields.Length];
        for (int i = 0; i < size && offset + i < b.Count; i++) b[offset + i] = (byte)(value >> (8 * i));
    }

    private static uint U32(List<byte> b, int at) => (uint)(b[at] | b[at + 1] << 8 | b[at + 2] << 16 | b[at + 3] << 24);

    private static uint U32(byte[] b, int at) => (uint)(b[at] | b[at + 1] << 8 | b[at + 2] << 16 | b[at + 3] << 24);

    /// <summary>
    /// The fields of an ELF32 file worth mutating: the header's, every program and section header's,
    /// the note headers of note sections and the name of the first symbols.
    /// </summary>
    private static (int, int)[] ElfFields(byte[] c)
    {
        var f = new List<(int, int)> { (16, 2), (18, 2), (20, 4), (24, 4), (28, 4), (32, 4), (36, 4), (40, 2), (42, 2), (44, 2), (46, 2), (48, 2), (50, 2) };
        int phoff = (int)U32(c, 28), phnum = c[44] | c[45] << 8;
        for (int i = 0; i < phnum; i++)
            for (int k = 0; k < 8; k++) f.Add((phoff + 32 * i + 4 * k, 4));
        int shoff = (int)U32(c, 32), shnum = c[48] | c[49] << 8;
        for (int i = 0; i < shnum; i++)
        {
            int h = shoff + 40 * i;
            for (int k = 0; k < 10; k++) f.Add((h + 4 * k, 4));
            uint type = U32(c, h + 4), offset = U32(c, h + 16), size = U32(c, h + 20);
            if (type == 7) for (int k = 0; k < 3; k++) f.Add(((int)offset + 4 * k, 4));
            if (type == 2) for (int s = 1; s < Math.Min(8, size / 16); s++) f.Add(((int)offset + 16 * s, 4));
        }
        return f.ToArray();
    }

    private static (int, int)[] LineStarts(byte[] c)
    {
        var f = new List<(int, int)> { (0, 0) };
        for (int i = 0; i < c.Length - 1; i++) if (c[i] == (byte)'\n') f.Add((i + 1, 0));
        return f.ToArray();
    }

    private static int LineIndex(List<byte> b, uint pick)
    {
        int lines = 1;
        for (int i = 0; i < b.Count - 1; i++) if (b[i] == (byte)'\n') lines++;
        return (int)(pick % (uint)lines);
    }

    /// <summary>Start and end (exclusive, before CR/LF) of line <paramref name="index"/>, or (-1, -1).</summary>
    private static (int Start, int End) Line(List<byte> b, int index)
    {
        int start = 0;
        for (int line = 0; line < index; line++)
        {
            int nl = b.IndexOf((byte)'\n', start);
            if (nl < 0) return (-1, -1);
            start = nl + 1;
        }
        int end = b.IndexOf((byte)'\n', start);
        if (end < 0) end = b.Count;
        while (end > start && (b[end - 1] == (byte)'\r' || b[end - 1] == (byte)' ')) end--;
        return (start, end);
    }

    /// <summary>Duplicates, deletes or swaps a line with the next.</summary>
    private static void LineOperation(List<byte> b, uint pick, uint how)
    {
        int index = LineIndex(b, pick);
        var (start, _) = Line(b, index);
        if (start < 0) return;
        int next = b.IndexOf((byte)'\n', start);
        int lineEnd = next < 0 ? b.Count : next + 1;
        var line = b.GetRange(start, lineEnd - start);
        switch (how % 3)
        {
            case 0:
                b.InsertRange(lineEnd, line);
                break;
            case 1:
                b.RemoveRange(start, lineEnd - start);
                break;
            default:
                if (lineEnd >= b.Count) return;
                int after = b.IndexOf((byte)'\n', lineEnd);
                int afterEnd = after < 0 ? b.Count : after + 1;
                var second = b.GetRange(lineEnd, afterEnd - lineEnd);
                b.RemoveRange(start, afterEnd - start);
                b.InsertRange(start, line);
                b.InsertRange(start, second);
                break;
        }
    }

    /// <summary>
    /// Rewrites the byte count and checksum of an Intel HEX (':') or S-record ('S') line from the
    /// hex digits it holds, so a mutation inside it is read past those checks.
    /// </summary>
    private static void FixRecord(List<byte> b, int index)
    {
        var (start, end) = Line(b, index);
        if (start < 0 || end - start < 4) return;
        bool hex = b[start] == (byte)':';
        bool srec = b[start] == (byte)'S' || b[start] == (byte)'s';
        if (!hex && !srec) return;
        int from = start + (hex ? 1 : 2);
        if (((end - from) & 1) != 0) return;
        var bytes = new byte[(end - from) / 2];
        for (int i = 0; i < bytes.Length; i++)
        {
            int hi = HexValue(b[from + 2 * i]), lo = HexValue(b[from + 2 * i + 1]);
            if (hi < 0 || lo < 0) return;
            bytes[i] = (byte)(hi << 4 | lo);
        }
        if (bytes.Length < 2) return;
        int count = hex ? bytes.Length - 5 : bytes.Length - 1;
        if (count < 0 || count > 255) return;
        bytes[0] = (byte)count;
        int sum = 0;
        for (int i = 0; i < bytes.Length - 1; i++) sum += bytes[i];
        bytes[^1] = (byte)(hex ? -sum : ~sum);
        for (int i = 0; i < bytes.Length; i++)
        {
            var digits = bytes[i].ToString("X2", CultureInfo.InvariantCulture);
            b[from + 2 * i] = (byte)digits[0];
            b[from + 2 * i + 1] = (byte)digits[1];
        }
    }

    private static int HexValue(byte c)
        => c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}
