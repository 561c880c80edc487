namespace Stm32.Protocol.Bootloader
{
    /// <summary>
    /// What both ends of the USART bootloader protocol (ST AN3155) share: the command codes and
    /// reply bytes (spec 1 and 4), the frame helpers (XOR checksum, address frame) and the CRC of
    /// Get Checksum. The client's choices (how many pages per command, timeouts) live with the client.
    /// </summary>
    public static class An3155
    {
        public const byte Sync = 0x7F;
        public const byte Ack = 0x79;
        public const byte Nack = 0x1F;

        public const byte Get = 0x00;
        public const byte GetVersion = 0x01;
        public const byte GetId = 0x02;
        public const byte ReadMemory = 0x11;
        public const byte Go = 0x21;
        public const byte WriteMemory = 0x31;
        public const byte Erase = 0x43;
        public const byte ExtendedErase = 0x44;
        public const byte Special = 0x50;
        public const byte ExtendedSpecial = 0x51;
        public const byte WriteProtect = 0x63;
        public const byte WriteUnprotect = 0x73;
        public const byte ReadoutProtect = 0x82;
        public const byte ReadoutUnprotect = 0x92;
        public const byte GetChecksum = 0xA1;

        /// <summary>Extended Erase special codes (spec 4.8).</summary>
        public const ushort MassEraseCode = 0xFFFF;
        public const ushort Bank1EraseCode = 0xFFFE;
        public const ushort Bank2EraseCode = 0xFFFD;

        /// <summary>Default CRC unit parameters for Get Checksum (spec 4.13).</summary>
        public const uint CrcPolynomial = 0x04C11DB7;
        public const uint CrcInitial = 0xFFFFFFFF;

        /// <summary>The most bytes one Read or Write Memory carries.</summary>
        public const int MaxBlock = 256;

        public static string Name(byte code)
        {
            switch (code)
            {
                case Get: return "Get";
                case GetVersion: return "Get Version";
                case GetId: return "Get ID";
                case ReadMemory: return "Read Memory";
                case Go: return "Go";
                case WriteMemory: return "Write Memory";
                case Erase: return "Erase";
                case ExtendedErase: return "Extended Erase";
                case Special: return "Special";
                case ExtendedSpecial: return "Extended Special";
                case WriteProtect: return "Write Protect";
                case WriteUnprotect: return "Write Unprotect";
                case ReadoutProtect: return "Readout Protect";
                case ReadoutUnprotect: return "Readout Unprotect";
                case GetChecksum: return "Get Checksum";
                default: return "0x" + code.ToString("X2", System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        /// <summary>The XOR of the bytes: the checksum of addresses and data blocks (spec 3).</summary>
        public static byte Xor(byte[] bytes, int offset, int count)
        {
            byte x = 0;
            for (int i = 0; i < count; i++) x ^= bytes[offset + i];
            return x;
        }

        /// <summary>An address frame: 4 bytes MSB first plus their XOR (also sizes, CRC parameters and the CRC itself).</summary>
        public static byte[] AddressFrame(uint address)
        {
            var f = new byte[5];
            f[0] = (byte)(address >> 24);
            f[1] = (byte)(address >> 16);
            f[2] = (byte)(address >> 8);
            f[3] = (byte)address;
            f[4] = (byte)(f[0] ^ f[1] ^ f[2] ^ f[3]);
            return f;
        }

        /// <summary>Reads an address frame at <paramref name="offset"/>; false when its XOR does not match.</summary>
        public static bool TryReadAddressFrame(byte[] frame, int offset, out uint value)
        {
            value = (uint)(frame[offset] << 24 | frame[offset + 1] << 16 | frame[offset + 2] << 8 | frame[offset + 3]);
            return Xor(frame, offset, 4) == frame[offset + 4];
        }

        private static readonly uint[] CrcTable = BuildCrcTable(CrcPolynomial);

        private static uint[] BuildCrcTable(uint poly)
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

        /// <summary>
        /// The STM32 hardware CRC (spec 10.4) that Get Checksum answers with: data taken as
        /// little-endian 32-bit words, init 0xFFFFFFFF, polynomial 0x04C11DB7, MSB first, no
        /// reflection, no final XOR. <paramref name="count"/> is a multiple of 4; the CRC
        /// continues from <paramref name="crc"/>.
        /// </summary>
        public static uint Crc32(byte[] data, int offset, int count, uint crc = CrcInitial)
            => Crc32(CrcTable, data, offset, count, crc);

        /// <summary>
        /// The same CRC with another polynomial: Get Checksum lets the host choose one (spec 4.13).
        /// </summary>
        public static uint Crc32(byte[] data, int offset, int count, uint crc, uint polynomial)
            => Crc32(polynomial == CrcPolynomial ? CrcTable : BuildCrcTable(polynomial), data, offset, count, crc);

        private static uint Crc32(uint[] table, byte[] data, int offset, int count, uint crc)
        {
            if (count % 4 != 0) throw new System.ArgumentException("The length must be a multiple of 4.", nameof(count));
            for (int i = offset; i < offset + count; i += 4)
            {
                // Word little-endian in memory; the CRC unit shifts it MSB first.
                crc = (crc << 8) ^ table[(byte)(crc >> 24) ^ data[i + 3]];
                crc = (crc << 8) ^ table[(byte)(crc >> 24) ^ data[i + 2]];
                crc = (crc << 8) ^ table[(byte)(crc >> 24) ^ data[i + 1]];
                crc = (crc << 8) ^ table[(byte)(crc >> 24) ^ data[i]];
            }
            return crc;
        }

        public static uint Crc32(byte[] data) => Crc32(data, 0, data.Length);
    }
}
