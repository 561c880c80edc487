using System;
using System.Collections.Generic;

namespace Stm32.Protocol.Flasher
{
    /// <summary>Frame types and statuses of the on-chip flasher's protocol (flasher/PROTOCOL.md).</summary>
    internal static class FlasherProtocol
    {
        public const byte Sof = 0xA5;
        public const int HeaderLength = 6;
        public const int Overhead = 10; // header + CRC-32

        public const byte Hello = 0x01;
        public const byte Config = 0x02;
        public const byte SetBaud = 0x03;
        public const byte Erase = 0x04;
        public const byte Write = 0x05;
        public const byte Crc = 0x06;
        public const byte Exit = 0x07;
        public const byte Ping = 0x08;
        public const byte Ready = 0x7E;
        public const byte Nak = 0x7F;
        public const byte ResponseBit = 0x80;

        /// <summary>The WRITE header before the data: address, raw length, encoding, reserved.</summary>
        public const int WriteHeader = 8;

        public static bool IsSequenced(byte type) => type != Hello && type != Ping;
    }

    /// <summary>What the flasher answers in the status byte of a response.</summary>
    public enum FlasherStatus : byte
    {
        Ok = 0,
        BadArgument = 1,
        /// <summary>Outside the configured flash, in a forbidden range, or misaligned.</summary>
        Address = 2,
        /// <summary>The flash controller stayed locked after the key sequence.</summary>
        Locked = 3,
        /// <summary>The controller reported an error (value: its status register).</summary>
        FlashError = 4,
        /// <summary>Read back differs from what was written, or an erased unit is not blank (value: the address).</summary>
        Verify = 5,
        /// <summary>The LZ4 block did not decode to the announced length.</summary>
        Decode = 6,
        /// <summary>The rate cannot be made from the USART's clock within 2 % (value: the nearest rate).</summary>
        BadRate = 7,
        NotConfigured = 8,
        UnknownCommand = 9,
        /// <summary>The flash stayed busy for more than 5 s.</summary>
        Timeout = 10,
        /// <summary>The controller refused a write-protected page (value: the address).</summary>
        WriteProtected = 11,
    }

    /// <summary>One frame: SOF, type, seq, length (LE), header check, payload, CRC-32 (LE) of type..payload.</summary>
    internal readonly struct FlasherFrame
    {
        public FlasherFrame(byte type, byte seq, byte[] payload)
        {
            Type = type;
            Seq = seq;
            Payload = payload;
        }

        public byte Type { get; }

        public byte Seq { get; }

        public byte[] Payload { get; }

        public byte Status => Payload.Length > 0 ? Payload[0] : (byte)0xFF;

        public uint Value => Payload.Length >= 5 ? BitConverter.ToUInt32(Payload, 1) : 0;

        public static byte[] Encode(byte type, byte seq, byte[] payload, int offset, int count)
        {
            if (count < 0 || count > 0xFFFF) throw new ArgumentOutOfRangeException(nameof(count));
            var f = new byte[FlasherProtocol.Overhead + count];
            f[0] = FlasherProtocol.Sof;
            f[1] = type;
            f[2] = seq;
            f[3] = (byte)count;
            f[4] = (byte)(count >> 8);
            f[5] = (byte)~(f[1] ^ f[2] ^ f[3] ^ f[4]);
            Array.Copy(payload, offset, f, FlasherProtocol.HeaderLength, count);
            uint crc = FlasherCrc32.Compute(f, 1, FlasherProtocol.HeaderLength - 1 + count);
            int at = FlasherProtocol.HeaderLength + count;
            f[at] = (byte)crc;
            f[at + 1] = (byte)(crc >> 8);
            f[at + 2] = (byte)(crc >> 16);
            f[at + 3] = (byte)(crc >> 24);
            return f;
        }

        public static byte[] Encode(byte type, byte seq, byte[] payload) => Encode(type, seq, payload, 0, payload.Length);
    }

    /// <summary>
    /// Finds frames in a byte stream: hunts for SOF, checks the header byte and the length
    /// bound, waits for the rest, checks the CRC; on any failure drops one byte and hunts on,
    /// so garbage and broken frames cost only the bytes they occupy.
    /// </summary>
    internal sealed class FlasherFrameParser
    {
        private readonly List<byte> _buf = new List<byte>();
        private readonly int _maxPayload;

        public FlasherFrameParser(int maxPayload = 4096)
        {
            _maxPayload = maxPayload;
        }

        /// <summary>Bytes dropped while hunting (noise, broken frames).</summary>
        public long Discarded { get; private set; }

        /// <summary>Frames whose CRC failed.</summary>
        public long BadFrames { get; private set; }

        public void Feed(byte[] data, int offset, int count)
        {
            for (int i = 0; i < count; i++) _buf.Add(data[offset + i]);
        }

        public void Clear() => _buf.Clear();

        public bool TryTake(out FlasherFrame frame)
        {
            while (_buf.Count > 0)
            {
                if (_buf[0] != FlasherProtocol.Sof)
                {
                    Drop();
                    continue;
                }
                if (_buf.Count < FlasherProtocol.HeaderLength) break;
                int len = _buf[3] | _buf[4] << 8;
                if ((byte)~(_buf[1] ^ _buf[2] ^ _buf[3] ^ _buf[4]) != _buf[5] || len > _maxPayload)
                {
                    Drop();
                    continue;
                }
                if (_buf.Count < FlasherProtocol.Overhead + len) break;
                var bytes = _buf.GetRange(0, FlasherProtocol.Overhead + len).ToArray();
                uint crc = FlasherCrc32.Compute(bytes, 1, FlasherProtocol.HeaderLength - 1 + len);
                if (crc != BitConverter.ToUInt32(bytes, FlasherProtocol.HeaderLength + len))
                {
                    BadFrames++;
                    Drop();
                    continue;
                }
                _buf.RemoveRange(0, bytes.Length);
                var payload = new byte[len];
                Array.Copy(bytes, FlasherProtocol.HeaderLength, payload, 0, len);
                frame = new FlasherFrame(bytes[1], bytes[2], payload);
                return true;
            }
            frame = default;
            return false;
        }

        private void Drop()
        {
            _buf.RemoveAt(0);
            Discarded++;
        }
    }

    /// <summary>
    /// CRC-32 as zlib/IEEE 802.3 computes it (reflected, polynomial 0xEDB88320, initial and final
    /// XOR 0xFFFFFFFF; "123456789" gives 0xCBF43926): the frames' check and the on-chip range
    /// CRC. Table-driven here; the flasher uses a 16-entry table it builds at start.
    /// </summary>
    public static class FlasherCrc32
    {
        private static readonly uint[] Table = BuildTable();

        private static uint[] BuildTable()
        {
            var t = new uint[256];
            for (uint i = 0; i < 256; i++)
            {
                uint c = i;
                for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? (c >> 1) ^ 0xEDB88320u : c >> 1;
                t[i] = c;
            }
            return t;
        }

        public static uint Compute(byte[] data, int offset, int count) => Finish(Update(Start, data, offset, count));

        public static uint Compute(byte[] data) => Compute(data, 0, data.Length);

        public const uint Start = 0xFFFFFFFFu;

        public static uint Update(uint crc, byte[] data, int offset, int count)
        {
            for (int i = 0; i < count; i++) crc = (crc >> 8) ^ Table[(crc ^ data[offset + i]) & 0xFF];
            return crc;
        }

        public static uint Finish(uint crc) => ~crc;
    }
}
