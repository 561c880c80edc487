using Stm32.Protocol.Bootloader;

namespace Stm32.Protocol.Tests.Bootloader;

/// <summary>The CRC test vectors of spec section 10.4.</summary>
public class Crc32Tests
{
    [Theory]
    [InlineData(new byte[] { 0x78, 0x56, 0x34, 0x12 }, 0xDF8A8A2Bu)]
    [InlineData(new byte[] { 0x00, 0x00, 0x00, 0x00 }, 0xC704DD7Bu)]
    [InlineData(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF }, 0x00000000u)]
    [InlineData(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 }, 0xA3141BDAu)]
    public void Matches_the_spec_vectors(byte[] data, uint expected)
        => Assert.Equal(expected, An3155.Crc32(data));

    [Fact]
    public void Rejects_lengths_that_are_not_whole_words()
        => Assert.Throws<ArgumentException>(() => An3155.Crc32(new byte[3]));
}
