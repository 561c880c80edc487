using System.Text;
using K4os.Compression.LZ4;
using Stm32.Protocol.Flasher;

namespace Stm32.Protocol.Tests.Flasher;

public class FlasherFrameTests
{
    [Fact]
    public void Crc32_is_the_zlib_one()
    {
        Assert.Equal(0xCBF43926u, FlasherCrc32.Compute(Encoding.ASCII.GetBytes("123456789")));
        Assert.Equal(0u, FlasherCrc32.Compute(Array.Empty<byte>()));
    }

    [Fact]
    public void Frames_are_found_through_noise_and_broken_frames_are_dropped()
    {
        var good1 = FlasherFrame.Encode(0x85, 7, new byte[] { 0, 1, 2, 3, 4 });
        var good2 = FlasherFrame.Encode(0x7F, 8, new byte[] { 3 });
        var broken = FlasherFrame.Encode(0x85, 9, new byte[] { 0, 9, 9, 9, 9 });
        broken[8] ^= 0x10;
        var stream = new List<byte> { 0xA5, 0x00, 0x13 };       // noise that starts like a frame
        stream.AddRange(broken);
        stream.AddRange(good1);
        stream.AddRange(new byte[] { 0xA5, 0xA5, 0x01 });
        stream.AddRange(good2);
        var parser = new FlasherFrameParser();
        var bytes = stream.ToArray();
        for (int i = 0; i < bytes.Length; i += 3) parser.Feed(bytes, i, Math.Min(3, bytes.Length - i)); // in pieces

        var frames = new List<FlasherFrame>();
        while (parser.TryTake(out var f)) frames.Add(f);
        Assert.Equal(new byte[] { 7, 8 }, frames.Select(f => f.Seq).ToArray());
        Assert.Equal(BitConverter.ToUInt32(new byte[] { 1, 2, 3, 4 }), frames[0].Value);
        Assert.Equal(1, parser.BadFrames);
    }

    [Fact]
    public void Write_payloads_are_lz4_blocks_only_when_smaller()
    {
        var text = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("firmware ", 100)));
        var p = FlasherSession.WritePayload(0x08000100, text, 0, 512, compress: true, out int n);
        Assert.Equal(1, p[6]);
        Assert.True(n < 100);
        var back = new byte[512];
        Assert.Equal(512, LZ4Codec.Decode(p, 8, n, back, 0, 512));
        Assert.Equal(text.Take(512), back);

        var noise = new byte[512];
        new Random(1).NextBytes(noise);
        p = FlasherSession.WritePayload(0x08000100, noise, 0, 512, compress: true, out n);
        Assert.Equal(0, p[6]);
        Assert.Equal(512, n);
    }

    [Fact]
    public void Segments_are_padded_to_the_unit_and_merged()
    {
        var segs = new[]
        {
            new Stm32.Protocol.Firmware.ImageSegment(0x08000003, new byte[] { 1, 2 }),
            new Stm32.Protocol.Firmware.ImageSegment(0x08000006, new byte[] { 3 }),
            new Stm32.Protocol.Firmware.ImageSegment(0x08000100, new byte[] { 4 }),
        };
        var ranges = FlasherSession.Ranges(segs, 8);
        Assert.Equal(2, ranges.Count);
        Assert.Equal(0x08000000u, ranges[0].Address);
        Assert.Equal(new byte[] { 0xFF, 0xFF, 0xFF, 1, 2, 0xFF, 3, 0xFF }, ranges[0].Data);
        Assert.Equal(0x08000100u, ranges[1].Address);
        Assert.Equal(8, ranges[1].Data.Length);
    }
}
