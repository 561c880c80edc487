using System;
using System.Globalization;

namespace Stm32.Protocol.Firmware
{
    /// <summary>
    /// Motorola S-record (spec 13.2): S0 header (ignored), S1/S2/S3 data, S5/S6 record counts
    /// (checked against the number of data records before them), S7/S8/S9 termination with the
    /// start address. S4 is reserved and rejected.
    /// </summary>
    /// <remarks>
    /// A file must show it is whole: it ends with a termination record, or (as srec_cat writes
    /// files without an execution address) its last record is an S5/S6 count that matches every
    /// data record in the file; such a file has no start address. A file with neither, or whose
    /// last count is followed by more data, may be truncated and is refused. Data widths may be
    /// mixed, and any termination record ends any file (tools disagree on pairing them). A
    /// termination address of 0 means "no start address". As for Intel HEX, only blank lines and
    /// 0x1A may follow the termination.
    /// </remarks>
    internal static class SRecordReader
    {
        // Address bytes per record type S0..S9 (S4: reserved, -1).
        private static readonly int[] AddressSize = { 2, 2, 3, 4, -1, 2, 3, 4, 3, 2 };

        public static FirmwareImage Read(byte[] content, string? path)
            => SegmentCollector.ReadLineBased(merge => Parse(content, path, merge), path, FirmwareFormat.SRecord);

        private static (SegmentCollector, uint?) Parse(byte[] c, string? path, bool mergeRuns)
        {
            var collector = new SegmentCollector(c.Length / 2, mergeRuns);
            var cur = new LineCursor(c);
            var rec = new byte[264];
            uint? start = null;
            bool ended = false;
            int dataRecords = 0;
            int lastLine = 0;
            // The line of the last S5/S6 count and how many data records came after it (-1: none seen).
            int countLine = -1;
            int dataAfterCount = 0;

            while (cur.Next())
            {
                lastLine = cur.LineNumber;
                if (cur.Skips(ended, path, "text after the termination record (S7, S8 or S9); is this two files joined together?")) continue;
                int line = cur.LineNumber;
                byte s0 = c[cur.Start];
                if (s0 != (byte)'S' && s0 != (byte)'s')
                    throw TextRecords.Error(path, line, string.Format(CultureInfo.InvariantCulture,
                        "the line starts with {0}, not 'S' (not an S-record)", TextRecords.Describe(s0)));
                if (cur.End - cur.Start < 2)
                    throw TextRecords.Error(path, line, cur.Truncated("the record is too short: no record type after 'S'"));
                byte t = c[cur.Start + 1];
                if (t < (byte)'0' || t > (byte)'9')
                    throw TextRecords.Error(path, line, string.Format(CultureInfo.InvariantCulture,
                        "unknown record type S{0} (S-records have types S0 to S9)", t >= 0x21 && t < 0x7F ? ((char)t).ToString() : TextRecords.Describe(t)));
                int type = t - '0';
                if (type == 4)
                    throw TextRecords.Error(path, line, "unknown record type S4 (reserved, not used by any tool)");

                int n = TextRecords.Decode(c, cur.Start + 2, cur.End, ref rec, out int bad);
                if (n == -1)
                    throw TextRecords.Error(path, line, string.Format(CultureInfo.InvariantCulture,
                        "{0} at column {1} is not a hex digit", TextRecords.Describe(c[bad]), cur.Column(bad)));
                if (n == -2)
                    throw TextRecords.Error(path, line, cur.Truncated(string.Format(CultureInfo.InvariantCulture,
                        "odd number of hex digits ({0}) in the record", cur.End - cur.Start - 2)));
                int addressSize = AddressSize[type];
                if (n < 1)
                    throw TextRecords.Error(path, line, cur.Truncated("the record is too short: no byte count"));
                int count = rec[0];
                if (n != count + 1)
                    throw TextRecords.Error(path, line, cur.Truncated(string.Format(CultureInfo.InvariantCulture,
                        "length mismatch: the byte count says {0} bytes follow it, the record holds {1}", count, n - 1)));
                if (count < addressSize + 1)
                    throw TextRecords.Error(path, line, string.Format(CultureInfo.InvariantCulture,
                        "length mismatch: an S{0} record needs at least {1} bytes after the count ({2}-byte address, checksum), this one has {3}",
                        type, addressSize + 1, addressSize, count));
                int sum = 0;
                for (int i = 0; i < n - 1; i++) sum += rec[i];
                int expected = ~sum & 0xFF;
                if (rec[n - 1] != expected)
                    throw TextRecords.Error(path, line, string.Format(CultureInfo.InvariantCulture,
                        "bad checksum: the record says 0x{0:X2}, its bytes need 0x{1:X2}", rec[n - 1], expected));

                uint address = 0;
                for (int i = 0; i < addressSize; i++) address = (address << 8) | rec[1 + i];
                int dataFrom = 1 + addressSize;
                int dataLength = count - addressSize - 1;

                switch (type)
                {
                    case 0:
                        break; // header: free text, ignored
                    case 1:
                    case 2:
                    case 3:
                        if ((ulong)address + (ulong)dataLength > uint.MaxValue)
                            throw TextRecords.Error(path, line, string.Format(CultureInfo.InvariantCulture,
                                "data at 0x{0:X8} reaches 0xFFFFFFFF, which is not supported", address));
                        dataRecords++;
                        dataAfterCount++;
                        if (dataLength > 0)
                        {
                            int at = collector.Reserve(address, dataLength, line);
                            Buffer.BlockCopy(rec, dataFrom, collector.Buffer, at, dataLength);
                        }
                        break;
                    case 5:
                    case 6:
                        if (address != (uint)dataRecords)
                            throw TextRecords.Error(path, line, string.Format(CultureInfo.InvariantCulture,
                                "count mismatch: this S{0} record counts {1} data records, but {2} came before it",
                                type, address, dataRecords));
                        countLine = line;
                        dataAfterCount = 0;
                        break;
                    default: // 7, 8, 9
                        start = address == 0 ? (uint?)null : address;
                        ended = true;
                        break;
                }
            }

            if (!ended)
            {
                if (lastLine == 0) throw TextRecords.Error(path, null, "the file is empty (no records, no termination record)");
                // A count that matches every data record vouches for the file as a termination does.
                if (countLine < 0)
                    throw TextRecords.Error(path, lastLine, "missing termination record (S7, S8 or S9) and no record count (S5 or S6); the file may be truncated");
                if (dataAfterCount > 0)
                    throw TextRecords.Error(path, lastLine, string.Format(CultureInfo.InvariantCulture,
                        "missing termination record (S7, S8 or S9), and the record count on line {0} does not cover the {1} data record(s) after it; the file may be truncated",
                        countLine, dataAfterCount));
            }
            return (collector, start);
        }
    }
}
