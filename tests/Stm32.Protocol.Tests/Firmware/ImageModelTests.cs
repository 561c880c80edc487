using System.Security.Cryptography;
using Xunit;
using Stm32.Protocol.Firmware;
using static Stm32.Protocol.Tests.Firmware.Records;

namespace Stm32.Protocol.Tests.Firmware;

public class ImageModelTests
{
    [Fact]
    public void FromSegmentsSortsAndMergesAdjacent()
    {
        var image = FirmwareImage.FromSegments(new[]
        {
            new ImageSegment(0x100, new byte[] { 4, 5 }),
            new ImageSegment(0x0FE, new byte[] { 2, 3 }),
            new ImageSegment(0x200, new byte[] { 9 }),
            new ImageSegment(0x0FC, new byte[] { 0, 1 }),
            new ImageSegment(0x300, Array.Empty<byte>()),
        }, startAddress: 0x0FD);
        Assert.Equal(2, image.Segments.Count);
        Assert.Equal(new byte[] { 0, 1, 2, 3, 4, 5 }, image.Segments[0].ToArray());
        Assert.Equal(0x0FCu, image.LowestAddress);
        Assert.Equal(0x201u, image.HighestAddress);
        Assert.Equal(0x201L - 0x0FC, image.Span);
        Assert.Equal(7, image.DataBytes);
        Assert.Equal(0x0FDu, image.StartAddress);
    }

    [Fact]
    public void FromSegmentsRefusesConflictsAndAcceptsIdenticalOverlaps()
    {
        var ok = FirmwareImage.FromSegments(new[] { new ImageSegment(0x10, new byte[] { 1, 2, 3 }), new ImageSegment(0x11, new byte[] { 2, 3, 4 }) });
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, ok.Segments.Single().ToArray());
        var e = Assert.Throws<ArgumentException>(() => FirmwareImage.FromSegments(new[]
        {
            new ImageSegment(0x10, new byte[] { 1, 2, 3 }),
            new ImageSegment(0x12, new byte[] { 7 }),
        }));
        Assert.Contains("0x00000012", e.Message);
    }

    [Fact]
    public void SegmentsAreImmutable()
    {
        var data = new byte[] { 1, 2, 3 };
        var seg = new ImageSegment(0, data);
        data[0] = 99;
        Assert.Equal(1, seg[0]);
        seg.ToArray()[1] = 99;
        Assert.Equal(2, seg[1]);
        Assert.Throws<NotSupportedException>(() => ((IList<byte>)seg.Data)[0] = 5);
    }

    [Fact]
    public void SegmentMayNotReachTheLastAddress()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ImageSegment(0xFFFFFFFF, new byte[1]));
        Assert.Equal(0xFFFFFFFFu, new ImageSegment(0xFFFFFFFE, new byte[1]).End);
    }

    [Fact]
    public void Sha256IsOverAddressLengthAndBytesOfEachSegment()
    {
        var image = FirmwareImage.FromSegments(new[]
        {
            new ImageSegment(0x08000000, new byte[] { 0xAA, 0xBB }),
            new ImageSegment(0x20000000, new byte[] { 0xCC }),
        });
        var input = new byte[]
        {
            0x00, 0x00, 0x00, 0x08, 2, 0, 0, 0, 0xAA, 0xBB,
            0x00, 0x00, 0x00, 0x20, 1, 0, 0, 0, 0xCC,
        };
        Assert.Equal(Convert.ToHexString(SHA256.HashData(input)).ToLowerInvariant(), image.Sha256);
        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", FirmwareImage.Empty.Sha256);
        // Same bytes elsewhere: another hash.
        Assert.NotEqual(image.Sha256, FirmwareImage.FromBytes(0x08000000, new byte[] { 0xAA, 0xBB, 0xCC }).Sha256);
    }

    [Fact]
    public void EqualityIgnoresStartAddressAndSource()
    {
        var a = FirmwareImage.FromBytes(0x100, Seq(10), startAddress: 0x101);
        var b = FirmwareImage.FromBytes(0x100, Seq(10));
        var c = FirmwareImage.FromBytes(0x101, Seq(10));
        Assert.Equal(a, b);
        Assert.True(a == b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.NotEqual(a, c);
        Assert.True(a != c);
        Assert.NotEqual(a, FirmwareImage.FromBytes(0x100, Seq(10, 1)));
    }

    [Fact]
    public void ToFlatSliceAndTryGetByte()
    {
        var image = FirmwareImage.FromSegments(new[] { new ImageSegment(0x10, new byte[] { 1, 2 }), new ImageSegment(0x14, new byte[] { 3 }) });
        Assert.Equal(new byte[] { 0xFF, 1, 2, 0xFF, 0xFF, 3, 0xFF }, image.ToFlat(0x0F, 7));
        Assert.Equal(new byte[] { 1, 2, 0, 0, 3 }, image.ToFlat(0));
        var slice = image.Slice(0x11, 4);
        Assert.Equal(FirmwareImage.FromSegments(new[] { new ImageSegment(0x11, new byte[] { 2 }), new ImageSegment(0x14, new byte[] { 3 }) }), slice);
        Assert.True(image.TryGetByte(0x14, out var b) && b == 3);
        Assert.False(image.TryGetByte(0x12, out _));
        Assert.True(image.Contains(0x10));
        Assert.False(image.Contains(0x15));
    }

    [Fact]
    public void WithoutFillDropsLongFillRunsAndEdges()
    {
        var data = new byte[] { 0xFF, 1, 0xFF, 2 }.Concat(Enumerable.Repeat((byte)0xFF, 300)).Concat(new byte[] { 3, 0xFF, 0xFF }).ToArray();
        var image = FirmwareImage.FromBytes(0x1000, data).WithoutFill();
        Assert.Equal(2, image.Segments.Count);
        Assert.Equal(0x1001u, image.Segments[0].Address);
        Assert.Equal(new byte[] { 1, 0xFF, 2 }, image.Segments[0].ToArray());
        Assert.Equal(0x1000u + 4 + 300, image.Segments[1].Address);
        Assert.Equal(new byte[] { 3 }, image.Segments[1].ToArray());
        Assert.True(FirmwareImage.FromBytes(0, new byte[] { 0xFF, 0xFF }).WithoutFill().IsEmpty);
    }

    [Fact]
    public void ToStringSummarises()
    {
        var s = FirmwareImage.FromBytes(0x08000000, Seq(16), 0x08000041).ToString();
        Assert.Contains("1 segment, 16 bytes, 0x08000000-0x0800000F, start 0x08000041", s);
    }

    // ---------- Reader tolerance ----------

    [Fact]
    public void HexAcceptsLowerCaseBlanksCrLfAndAnyRecordLength()
    {
        var text = "\uFEFF" + "  " + HexUpper(0x0800).ToLowerInvariant() + " \t\r\n" +
                   "\r\n" +
                   HexData(0x0008, Seq(8, 8)).ToLowerInvariant() + "  \r\n" +
                   HexData(0x0000, Seq(8)) + "\r\n" +
                   HexData(0x0010, Seq(200, 16)) + "\n" +
                   HexEof + "\r\n";
        var image = FirmwareReader.Read(System.Text.Encoding.UTF8.GetBytes(text), "x.hex");
        Assert.Equal(FirmwareImage.FromBytes(0x08000000, Seq(216)), image);
    }

    [Fact]
    public void HexOffsetWrapsWithinTheSegment()
    {
        var image = TestData.ReadText(Lines(HexUpper(0x0800), HexData(0xFFF8, Seq(16)), HexEof));
        Assert.Equal(FirmwareImage.FromSegments(new[]
        {
            new ImageSegment(0x08000000, Seq(8, 8)),
            new ImageSegment(0x0800FFF8, Seq(8)),
        }), image);
    }

    [Fact]
    public void HexSegmentAddressingAndStartSegmentAddress()
    {
        // Type 02: base = 0x1234 * 16 = 0x12340; type 03: CS:IP = 0x1000:0x0010 -> 0x10010.
        var image = TestData.ReadText(Lines(Hex(0, 0x02, 0x12, 0x34), HexData(0x0010, Seq(4)), Hex(0, 0x03, 0x10, 0x00, 0x00, 0x10), HexEof));
        Assert.Equal(FirmwareImage.FromBytes(0x12350, Seq(4)), image);
        Assert.Equal(0x10010u, image.StartAddress);
    }

    [Fact]
    public void HexWithoutStartRecordHasNoStartAddress()
        => Assert.Null(TestData.ReadText(Lines(HexData(0, Seq(4)), HexEof)).StartAddress);

    [Fact]
    public void SRecordAcceptsAllDataWidthsAndLowerCase()
    {
        var text = Lines(S(0, 2, 0, 0x41), S(1, 2, 0x1000, Seq(4)).ToLowerInvariant(), S(2, 3, 0x020000, Seq(4)), S(3, 4, 0x08000000, Seq(4)), S(9, 2, 0x1000) + "   ");
        var image = TestData.ReadText(text, "x.mot");
        Assert.Equal(3, image.Segments.Count);
        Assert.Equal(0x1000u, image.StartAddress);
        Assert.Equal(FirmwareFormat.SRecord, image.SourceFormat);
    }

    [Fact]
    public void SRecordZeroTerminationAddressMeansNoStart()
        => Assert.Null(TestData.ReadText(Lines(S(1, 2, 0x1000, Seq(4)), S(9, 2, 0)), "x.s19").StartAddress);
}
