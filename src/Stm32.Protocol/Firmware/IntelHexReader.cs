using System;
using System.Globalization;

namespace Stm32.Protocol.Firmware
{
    /// <summary>
    /// Intel HEX (spec 13.1). Record types 00-05, any record length, LF or CR LF, either case,
    /// blanks around a record, blank lines, records in any address order.
    /// </summary>
    /// <remarks>
    /// Addressing: type 02 sets base = USBA * 16, type 04 sets base = ULBA &lt;&lt; 16; a data
    /// record's bytes go to base + offset, where the 16-bit offset wraps within the 64 KiB
    /// segment (a record at offset 0xFFF8 with 16 bytes puts the last 8 at base + 0), for both
    /// addressing modes (spec 13.1). The end-of-file record (type 01) is required. After it only
    /// blank lines and DOS end-of-file marks (0x1A) may follow; anything else is an error, since
    /// two concatenated files would otherwise lose the second half silently. Two start address
    /// records (03/05) must agree.
    /// </remarks>
    internal static class IntelHexReader
    {
        public static FirmwareImage Read(byte[] content, string? path)
            => SegmentCollector.ReadLineBased(merge => Parse(content, path, merge), path, FirmwareFormat.IntelHex);

        private static (SegmentCollector, uint?) Parse(byte[] c, string? path, bool mergeRuns)
        {
            // About 2.8 text bytes per data byte in a typical 16- or 32-byte record file.
            var collector = new SegmentCollector(c.Length / 2, mergeRuns);
            var cur = new LineCursor(c);
            var rec = new byte[264];
            uint segmentBase = 0;
            uint? start = null;
            int startLine = 0;
            bool ended = false;
            int lastLine = 0;

            while (cur.Next())
            {
                lastLine = cur.LineNumber;
                if (cur.Skips(ended, path, "text after the end-of-file record (type 01); is this two files joined together?")) continue;
                int line = cur.LineNumber;
                if (c[cur.Start] != (byte)':')
                    throw TextRecords.Error(path, line, string.Format(CultureInfo.InvariantCulture,
                        "the line starts with {0}, not ':' (not an Intel HEX record)", TextRecords.Describe(c[cur.Start])));

                int n = TextRecords.Decode(c, cur.Start + 1, cur.End, ref rec, out int bad);
                if (n == -1)
                    throw TextRecords.Error(path, line, string.Format(CultureInfo.InvariantCulture,
                        "{0} at column {1} is not a hex digit", TextRecords.Describe(c[bad]), cur.Column(bad)));
                if (n == -2)
                    throw TextRecords.Error(path, line, cur.Truncated(string.Format(CultureInfo.InvariantCulture,
                        "odd number of hex digits ({0}) in the record", cur.End - cur.Start - 1)));
                if (n < 5)
                    throw TextRecords.Error(path, line, cur.Truncated(string.Format(CultureInfo.InvariantCulture,
                        "the record is too short: {0} bytes, at least 5 needed (length, address, type, checksum)", n)));
                int length = rec[0];
                if (n != length + 5)
                    throw TextRecords.Error(path, line, cur.Truncated(string.Format(CultureInfo.InvariantCulture,
                        "length mismatch: the length field says {0} data bytes, the record holds {1}", length, n - 5)));
                int sum = 0;
                for (int i = 0; i < n; i++) sum += rec[i];
                if ((sum & 0xFF) != 0)
                {
                    int expected = (0x100 - ((sum - rec[n - 1]) & 0xFF)) & 0xFF;
                    throw TextRecords.Error(path, line, string.Format(CultureInfo.InvariantCulture,
                        "bad checksum: the record says 0x{0:X2}, its bytes need 0x{1:X2}", rec[n - 1], expected));
                }

                int offset = (rec[1] << 8) | rec[2];
                int type = rec[3];
                switch (type)
                {
                    case 0x00:
                    {
                        int first = Math.Min(length, 0x10000 - offset);
                        AddData(collector, path, line, segmentBase + (uint)offset, rec, 4, first);
                        if (first < length) AddData(collector, path, line, segmentBase, rec, 4 + first, length - first);
                        break;
                    }
                    case 0x01:
                        if (length != 0) throw TextRecords.Error(path, line, string.Format(CultureInfo.InvariantCulture,
                            "the end-of-file record has length {0}; it must be 0", length));
                        ended = true;
                        break;
                    case 0x02:
                        if (length != 2) throw TextRecords.Error(path, line, WrongLength("extended segment address (02)", length, 2));
                        segmentBase = (uint)((rec[4] << 8) | rec[5]) << 4;
                        break;
                    case 0x04:
                        if (length != 2) throw TextRecords.Error(path, line, WrongLength("extended linear address (04)", length, 2));
                        segmentBase = (uint)((rec[4] << 8) | rec[5]) << 16;
                        break;
                    case 0x03:
                    case 0x05:
                    {
                        if (length != 4) throw TextRecords.Error(path, line, WrongLength(type == 3 ? "start segment address (03)" : "start linear address (05)", length, 4));
                        uint hi = (uint)((rec[4] << 8) | rec[5]), lo = (uint)((rec[6] << 8) | rec[7]);
                        uint value = type == 5 ? (hi << 16) | lo : (hi << 4) + lo;
                        if (start.HasValue && start.Value != value)
                            throw TextRecords.Error(path, line, string.Format(CultureInfo.InvariantCulture,
                                "this start address record gives 0x{0:X8}, but line {1} gave 0x{2:X8}", value, startLine, start.Value));
                        start = value;
                        startLine = line;
                        break;
                    }
                    default:
                        throw TextRecords.Error(path, line, string.Format(CultureInfo.InvariantCulture,
                            "unknown record type 0x{0:X2} (Intel HEX has types 00 to 05)", type));
                }
            }

            if (!ended)
            {
                if (lastLine == 0) throw TextRecords.Error(path, null, "the file is empty (no records, no end-of-file record)");
                throw TextRecords.Error(path, lastLine, "missing end-of-file record (:00000001FF); the file may be truncated");
            }
            return (collector, start);
        }

        private static void AddData(SegmentCollector collector, string? path, int line, uint address, byte[] rec, int from, int count)
        {
            if ((ulong)address + (ulong)count > uint.MaxValue)
                throw TextRecords.Error(path, line, string.Format(CultureInfo.InvariantCulture,
                    "data at 0x{0:X8} reaches 0xFFFFFFFF, which is not supported", address));
            int at = collector.Reserve(address, count, line);
            Buffer.BlockCopy(rec, from, collector.Buffer, at, count);
        }

        private static string WrongLength(string what, int length, int expected)
            => string.Format(CultureInfo.InvariantCulture, "length mismatch: a {0} record holds {1} bytes, not {2}", what, expected, length);
    }
}
