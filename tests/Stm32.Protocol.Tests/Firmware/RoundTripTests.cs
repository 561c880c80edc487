using System.Text;
using CsCheck;
using Xunit;
using Stm32.Protocol.Firmware;

namespace Stm32.Protocol.Tests.Firmware;

/// <summary>Property-based: random sparse images through every writer and reader come back equal.</summary>
public class RoundTripTests
{
    private const int Iterations = 150;

    // Addresses in the S1, S2 and S3 ranges, STM32 flash/option/RAM areas and just below 4 GiB.
    private static readonly Gen<uint> Address = Gen.OneOf(
        Gen.UInt[0, 0xFFF0],
        Gen.UInt[0x10000, 0xFFF000],
        Gen.UInt[0x0800_0000, 0x0810_0000],
        Gen.UInt[0x0800_FF00, 0x0801_0100],        // around a 64 KiB boundary
        Gen.UInt[0x1FFF_0000, 0x2002_0000],
        Gen.UInt[0xFFFE_0000, 0xFFFF_F000]);

    private static readonly Gen<ImageSegment> Segment =
        Gen.Select(Address, Gen.Byte.Array[1, 700], (a, d) => new ImageSegment(a, d));

    /// <summary>Up to 8 segments; ones that would overlap an earlier one are dropped.</summary>
    private static readonly Gen<FirmwareImage> Image =
        Gen.Select(Segment.List[0, 8], Gen.UInt[1, 0xFFFF_FFFE], Gen.Bool, (segments, start, hasStart) =>
        {
            var kept = new List<ImageSegment>();
            foreach (var s in segments)
                if (!kept.Any(k => s.Address < k.End + 1 && k.Address < s.End + 1)) kept.Add(s);
            return FirmwareImage.FromSegments(kept, hasStart ? start : null);
        });

    /// <summary>Images confined to 256 KiB so a raw binary stays small.</summary>
    private static readonly Gen<FirmwareImage> CompactImage =
        Gen.Select(Gen.UInt[0, 0xFFF0_0000], Gen.Select(Gen.UInt[0, 0x3FF00], Gen.Byte.Array[1, 500], (o, d) => (o, d)).List[1, 5], (b, parts) =>
        {
            var kept = new List<ImageSegment>();
            foreach (var (o, d) in parts)
            {
                var s = new ImageSegment(b + o, d);
                if (!kept.Any(k => s.Address < k.End + 1 && k.Address < s.End + 1)) kept.Add(s);
            }
            return FirmwareImage.FromSegments(kept);
        });

    private static FirmwareImage ThroughText(FirmwareImage image, FirmwareFormat format, FirmwareWriterOptions options, string name)
        => FirmwareReader.Read(Encoding.ASCII.GetBytes(FirmwareWriter.ToText(image, format, options)), name);

    [Fact]
    public void IntelHex()
    {
        Gen.Select(Image, Gen.OneOf(Gen.Const(16), Gen.Const(32), Gen.Int[1, 255]), Gen.Bool).Sample((image, perRecord, crlf) =>
        {
            var back = ThroughText(image, FirmwareFormat.IntelHex,
                new FirmwareWriterOptions { BytesPerRecord = perRecord, NewLine = crlf ? "\r\n" : "\n" }, "r.hex");
            Assert.Equal(image, back);
            Assert.Equal(image.Sha256, back.Sha256);
            Assert.Equal(image.StartAddress, back.StartAddress);
        }, iter: Iterations);
    }

    [Fact]
    public void SRecord()
    {
        var widths = Gen.OneOf(Gen.Const(SRecordAddressWidth.Smallest), Gen.Const(SRecordAddressWidth.Bits32));
        Gen.Select(Image, widths, Gen.Int[1, 250], Gen.Bool).Sample((image, width, perRecord, count) =>
        {
            var back = ThroughText(image, FirmwareFormat.SRecord,
                new FirmwareWriterOptions { SRecordAddressWidth = width, BytesPerRecord = perRecord, SRecordCount = count, SRecordHeader = "prop" }, "r.srec");
            Assert.Equal(image, back);
            Assert.Equal(image.Sha256, back.Sha256);
            Assert.Equal(image.StartAddress, back.StartAddress);
        }, iter: Iterations);
    }

    [Fact]
    public void Binary()
    {
        CompactImage.Sample(image =>
        {
            var bytes = FirmwareWriter.ToBinary(image);
            var back = FirmwareReader.Read(bytes, "r.bin", FirmwareFormat.Binary, image.LowestAddress);
            Assert.Equal(image.Span, back.DataBytes);
            // Equal wherever the image has bytes, fill elsewhere.
            foreach (var s in image.Segments)
                for (int i = 0; i < s.Length; i++)
                {
                    Assert.True(back.TryGetByte(s.Address + (uint)i, out var b));
                    Assert.Equal(s[i], b);
                }
            Assert.Equal(FirmwareImage.FromBytes(image.LowestAddress, image.ToFlat()), back);
            Assert.Equal(back, FirmwareReader.Read(FirmwareWriter.ToBinary(back), "again.bin", FirmwareFormat.Binary, back.LowestAddress));
        }, iter: Iterations);
    }

    [Fact]
    public void SegmentsInAnyOrderGiveTheSameImage()
    {
        Gen.Select(Image, Gen.Int).Sample((image, seed) =>
        {
            var rng = new Random(seed);
            // Split every segment in pieces, shuffle, and add some pieces twice (identical overlaps).
            var pieces = new List<ImageSegment>();
            foreach (var s in image.Segments)
            {
                int at = 0;
                while (at < s.Length)
                {
                    int n = Math.Min(s.Length - at, rng.Next(1, 64));
                    pieces.Add(new ImageSegment(s.Address + (uint)at, s.ToArray().Skip(at).Take(n).ToArray()));
                    at += n;
                }
            }
            pieces.AddRange(pieces.Where(_ => rng.Next(4) == 0).ToList());
            var shuffled = pieces.OrderBy(_ => rng.Next()).ToList();
            var rebuilt = FirmwareImage.FromSegments(shuffled);
            Assert.Equal(image, rebuilt);
            Assert.Equal(image.Sha256, rebuilt.Sha256);

            // The same through Intel HEX with records in shuffled order.
            var hex = FirmwareWriter.ToText(rebuilt, FirmwareFormat.IntelHex, new FirmwareWriterOptions { BytesPerRecord = 16 });
            var lines = hex.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
            var records = new List<string>();
            string upper = "";
            foreach (var l in lines.Take(lines.Count - 1))
            {
                if (l.Substring(7, 2) == "04") { upper = l; continue; }
                records.Add(l.Substring(7, 2) == "00" ? upper + "\n" + l : l);
            }
            var text = string.Join("\n", records.OrderBy(_ => rng.Next())) + "\n:00000001FF\n";
            Assert.Equal(image, FirmwareReader.Read(Encoding.ASCII.GetBytes(text), "shuffled.hex"));
        }, iter: 60);
    }
}
