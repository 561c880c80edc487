namespace Stm32.Protocol.Bootloader
{
    /// <summary>
    /// The STM32 hardware CRC flavour (spec 10.4): data taken as little-endian 32-bit words,
    /// init 0xFFFFFFFF, polynomial 0x04C11DB7, MSB first, no reflection, no final XOR.
    /// </summary>
    public static class Crc32Stm32
    {
        private static readonly uint[] Table = BuildTable(Commands.CrcPolynomial);

        private static uint[] BuildTable(uint poly)
        {
            var t = new uint[256];
            for (uint i = 0; i < 256; i++)
            {
                uint c = i << 24;
                for (int k = 0; k < 8; k++) c = (c & 0x80000000) != 0 ? (c << 1) ^ poly : c << 1;
                t[i] = c;
            }
            return t;
        }

        /// <summary>CRC of <paramref name="count"/> bytes (a multiple of 4) continuing from <paramref name="crc"/>.</summary>
        public static uint Compute(byte[] data, int offset, int count, uint crc = Commands.CrcInitial)
        {
            if (count % 4 != 0) throw new System.ArgumentException("The length must be a multiple of 4.", nameof(count));
            for (int i = offset; i < offset + count; i += 4)
            {
                // Word little-endian in memory; the CRC unit shifts it MSB first.
                crc = (crc << 8) ^ Table[(byte)(crc >> 24) ^ data[i + 3]];
                crc = (crc << 8) ^ Table[(byte)(crc >> 24) ^ data[i + 2]];
                crc = (crc << 8) ^ Table[(byte)(crc >> 24) ^ data[i + 1]];
                crc = (crc << 8) ^ Table[(byte)(crc >> 24) ^ data[i]];
            }
            return crc;
        }

        public static uint Compute(byte[] data) => Compute(data, 0, data.Length);
    }
}
