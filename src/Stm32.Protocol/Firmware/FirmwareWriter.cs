using System;
using System.Globalization;
using System.IO;
using System.Text;

namespace Stm32.Protocol.Firmware
{
    /// <summary>The address field of S-record data records.</summary>
    public enum SRecordAddressWidth
    {
        /// <summary>The smallest width that fits the highest address and the start address.</summary>
        Smallest = 0,

        /// <summary>S1 data, S9 termination (addresses up to 0xFFFF).</summary>
        Bits16 = 16,

        /// <summary>S2 data, S8 termination (addresses up to 0xFFFFFF).</summary>
        Bits24 = 24,

        /// <summary>S3 data, S7 termination (what GNU objcopy writes for STM32).</summary>
        Bits32 = 32,
    }

    /// <summary>Options for <see cref="FirmwareWriter.Write"/>.</summary>
    public sealed class FirmwareWriterOptions
    {
        /// <summary>Data bytes per Intel HEX or S-record line: 16 or 32 usually; 1 to 255 (S-records: up to 250 at S3). Default 32.</summary>
        public int BytesPerRecord { get; set; } = 32;

        /// <summary>The line end of text formats. Default "\n" (LF); use "\r\n" for Windows tools that insist.</summary>
        public string NewLine { get; set; } = "\n";

        /// <summary>S-record address width. Default: the smallest that fits.</summary>
        public SRecordAddressWidth SRecordAddressWidth { get; set; } = SRecordAddressWidth.Smallest;

        /// <summary>Write an S5/S6 record count before the termination record. Default true.</summary>
        public bool SRecordCount { get; set; } = true;

        /// <summary>The S0 header text; null means the output file name (or empty when writing to a TextWriter).</summary>
        public string? SRecordHeader { get; set; }

        /// <summary>The byte that fills gaps in a raw binary. Default 0xFF (erased flash).</summary>
        public byte Fill { get; set; } = 0xFF;

        /// <summary>
        /// The largest span a raw binary may cover, default 64 MiB: an image holding flash and
        /// RAM bytes would otherwise become a ~384 MB file of fill (spec 13.1). Slice it instead.
        /// </summary>
        public long MaxBinarySpan { get; set; } = 64L * 1024 * 1024;
    }

    /// <summary>
    /// Writes firmware images as Intel HEX, S-record or raw binary (ELF is read only). Text is
    /// upper-case hex with "\n" line ends unless told otherwise; records never cross a 64 KiB
    /// boundary (Intel HEX) and follow the segments in address order.
    /// </summary>
    public static class FirmwareWriter
    {
        /// <summary>
        /// Writes <paramref name="image"/> to <paramref name="path"/> in <paramref name="format"/>
        /// (Auto: from the extension). The file is written beside the target first and moved
        /// into place, so a failure leaves no half-written file.
        /// </summary>
        public static void Write(FirmwareImage image, string path, FirmwareFormat format = FirmwareFormat.Auto, FirmwareWriterOptions? options = null)
        {
            if (image == null) throw new ArgumentNullException(nameof(image));
            if (path == null) throw new ArgumentNullException(nameof(path));
            options ??= new FirmwareWriterOptions();
            var resolved = format == FirmwareFormat.Auto ? FirmwareReader.FormatFromExtension(path) : format;
            if (resolved == FirmwareFormat.Auto)
                throw new ArgumentException(string.Format(CultureInfo.InvariantCulture,
                    "{0}: cannot tell the output format from the extension; use .hex, .srec/.s19, .bin or name the format.", path), nameof(format));
            if (resolved == FirmwareFormat.Elf)
                throw new NotSupportedException("Writing ELF is not supported; write Intel HEX, S-record or binary.");

            var full = Path.GetFullPath(path);
            var temp = full + "." + Guid.NewGuid().ToString("N").Substring(0, 8) + ".tmp";
            try
            {
                using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 65536))
                {
                    if (resolved == FirmwareFormat.Binary)
                    {
                        WriteBinary(image, stream, options.Fill, options.MaxBinarySpan);
                    }
                    else
                    {
                        using var text = new StreamWriter(stream, new UTF8Encoding(false), 65536);
                        WriteText(image, text, resolved, options, Path.GetFileName(full));
                    }
                }
                if (File.Exists(full)) File.Delete(full);
                File.Move(temp, full);
            }
            finally
            {
                if (File.Exists(temp)) File.Delete(temp);
            }
        }

        /// <summary>The text of <paramref name="image"/> in Intel HEX or S-record format.</summary>
        public static string ToText(FirmwareImage image, FirmwareFormat format, FirmwareWriterOptions? options = null)
        {
            if (image == null) throw new ArgumentNullException(nameof(image));
            if (format != FirmwareFormat.IntelHex && format != FirmwareFormat.SRecord)
                throw new ArgumentException("Only Intel HEX and S-record are text formats.", nameof(format));
            var sw = new StringWriter(CultureInfo.InvariantCulture);
            WriteText(image, sw, format, options ?? new FirmwareWriterOptions(), "");
            return sw.ToString();
        }

        /// <summary>The bytes of a raw binary of <paramref name="image"/> (from its lowest address, gaps filled).</summary>
        public static byte[] ToBinary(FirmwareImage image, byte fill = 0xFF)
        {
            if (image == null) throw new ArgumentNullException(nameof(image));
            return image.IsEmpty ? Array.Empty<byte>() : image.ToFlat(fill);
        }

        private static void WriteText(FirmwareImage image, TextWriter writer, FirmwareFormat format, FirmwareWriterOptions o, string fileName)
        {
            if (format == FirmwareFormat.IntelHex) WriteIntelHex(image, writer, o.BytesPerRecord, o.NewLine);
            else WriteSRecord(image, writer, o.SRecordAddressWidth, o.BytesPerRecord, o.SRecordCount, o.SRecordHeader ?? fileName, o.NewLine);
        }

        /// <summary>
        /// Intel HEX: a type 04 (extended linear address) record before the first data record and
        /// wherever the upper 16 address bits change, type 00 data records of up to
        /// <paramref name="bytesPerRecord"/> bytes that never cross a 64 KiB boundary, a type 05
        /// (start linear address) record when the image has a start address, and the end-of-file
        /// record :00000001FF.
        /// </summary>
        public static void WriteIntelHex(FirmwareImage image, TextWriter writer, int bytesPerRecord = 32, string newLine = "\n")
        {
            if (image == null) throw new ArgumentNullException(nameof(image));
            if (writer == null) throw new ArgumentNullException(nameof(writer));
            if (bytesPerRecord < 1 || bytesPerRecord > 255)
                throw new ArgumentOutOfRangeException(nameof(bytesPerRecord), bytesPerRecord, "Intel HEX records hold 1 to 255 data bytes.");
            var line = new RecordLine(newLine);
            long upper = -1;
            foreach (var seg in image.Segments)
            {
                byte[] data = seg.RawBytes;
                int pos = 0;
                while (pos < data.Length)
                {
                    uint address = seg.Address + (uint)pos;
                    uint hi = address >> 16;
                    if (hi != upper)
                    {
                        line.BeginHex(2, 0, 0x04);
                        line.Byte((byte)(hi >> 8));
                        line.Byte((byte)hi);
                        line.EndHex(writer);
                        upper = hi;
                    }
                    int toBoundary = 0x10000 - (int)(address & 0xFFFF);
                    int n = Math.Min(Math.Min(bytesPerRecord, data.Length - pos), toBoundary);
                    line.BeginHex(n, (ushort)address, 0x00);
                    for (int i = 0; i < n; i++) line.Byte(data[pos + i]);
                    line.EndHex(writer);
                    pos += n;
                }
            }
            if (image.StartAddress.HasValue)
            {
                uint s = image.StartAddress.Value;
                line.BeginHex(4, 0, 0x05);
                line.Byte((byte)(s >> 24));
                line.Byte((byte)(s >> 16));
                line.Byte((byte)(s >> 8));
                line.Byte((byte)s);
                line.EndHex(writer);
            }
            line.BeginHex(0, 0, 0x01);
            line.EndHex(writer);
        }

        /// <summary>
        /// Motorola S-record: an S0 header (address 0000, <paramref name="header"/> as ASCII),
        /// S1/S2/S3 data records of up to <paramref name="bytesPerRecord"/> bytes, an S5 (or S6
        /// above 65535 records) count when <paramref name="writeCount"/>, and the S9/S8/S7
        /// termination matching the data width, holding the start address (0 when none).
        /// </summary>
        public static void WriteSRecord(FirmwareImage image, TextWriter writer,
            SRecordAddressWidth addressWidth = SRecordAddressWidth.Smallest, int bytesPerRecord = 32,
            bool writeCount = true, string header = "", string newLine = "\n")
        {
            if (image == null) throw new ArgumentNullException(nameof(image));
            if (writer == null) throw new ArgumentNullException(nameof(writer));
            header ??= "";
            uint highest = image.IsEmpty ? 0 : image.HighestAddress - 1;
            uint start = image.StartAddress ?? 0;
            uint needed = Math.Max(highest, start);
            int width;
            switch (addressWidth)
            {
                case SRecordAddressWidth.Smallest: width = needed <= 0xFFFF ? 2 : needed <= 0xFFFFFF ? 3 : 4; break;
                case SRecordAddressWidth.Bits16: width = 2; break;
                case SRecordAddressWidth.Bits24: width = 3; break;
                case SRecordAddressWidth.Bits32: width = 4; break;
                default: throw new ArgumentOutOfRangeException(nameof(addressWidth), addressWidth, "Unknown address width.");
            }
            if (width < 4 && needed >> (width * 8) != 0)
                throw new ArgumentException(string.Format(CultureInfo.InvariantCulture,
                    "Address 0x{0:X8} does not fit {1}-bit S-record addresses.", needed, width * 8), nameof(addressWidth));
            int maxData = 255 - width - 1;
            if (bytesPerRecord < 1 || bytesPerRecord > maxData)
                throw new ArgumentOutOfRangeException(nameof(bytesPerRecord), bytesPerRecord,
                    string.Format(CultureInfo.InvariantCulture, "S{0} records hold 1 to {1} data bytes.", width - 1, maxData));

            var line = new RecordLine(newLine);
            var headerBytes = Encoding.ASCII.GetBytes(header);
            int headerLength = Math.Min(headerBytes.Length, 252);
            line.BeginS('0', headerLength + 3);
            line.Address(0, 2);
            for (int i = 0; i < headerLength; i++) line.Byte(headerBytes[i]);
            line.EndS(writer);

            char dataType = (char)('0' + width - 1);
            long records = 0;
            foreach (var seg in image.Segments)
            {
                byte[] data = seg.RawBytes;
                int pos = 0;
                while (pos < data.Length)
                {
                    int n = Math.Min(bytesPerRecord, data.Length - pos);
                    line.BeginS(dataType, n + width + 1);
                    line.Address(seg.Address + (uint)pos, width);
                    for (int i = 0; i < n; i++) line.Byte(data[pos + i]);
                    line.EndS(writer);
                    pos += n;
                    records++;
                }
            }
            if (writeCount && records <= 0xFFFFFF)
            {
                int cw = records <= 0xFFFF ? 2 : 3;
                line.BeginS(cw == 2 ? '5' : '6', cw + 1);
                line.Address((uint)records, cw);
                line.EndS(writer);
            }
            line.BeginS((char)('0' + 11 - width), width + 1);
            line.Address(start, width);
            line.EndS(writer);
        }

        /// <summary>
        /// Raw binary: every byte from the lowest address to the highest, gaps filled with
        /// <paramref name="fill"/>. An empty image writes nothing. Refuses spans above
        /// <paramref name="maxSpan"/> bytes (slice the image per region instead).
        /// </summary>
        public static void WriteBinary(FirmwareImage image, Stream stream, byte fill = 0xFF, long maxSpan = 64L * 1024 * 1024)
        {
            if (image == null) throw new ArgumentNullException(nameof(image));
            if (stream == null) throw new ArgumentNullException(nameof(stream));
            if (image.IsEmpty) return;
            if (image.Span > maxSpan)
                throw new InvalidOperationException(string.Format(CultureInfo.InvariantCulture,
                    "The image spans 0x{0:X8}-0x{1:X8} ({2} bytes), more than {3} bytes; a raw binary would be mostly fill. Slice it by region or write Intel HEX.",
                    image.LowestAddress, image.HighestAddress - 1, image.Span, maxSpan));
            byte[]? gap = null;
            uint at = image.LowestAddress;
            foreach (var seg in image.Segments)
            {
                long gapLength = seg.Address - at;
                if (gapLength > 0)
                {
                    if (gap == null)
                    {
                        gap = new byte[65536];
                        for (int i = 0; i < gap.Length; i++) gap[i] = fill;
                    }
                    while (gapLength > 0)
                    {
                        int n = (int)Math.Min(gapLength, gap.Length);
                        stream.Write(gap, 0, n);
                        gapLength -= n;
                    }
                }
                stream.Write(seg.RawBytes, 0, seg.Length);
                at = seg.End;
            }
        }

        /// <summary>Builds one record line in a reused char buffer, keeping the checksum.</summary>
        private sealed class RecordLine
        {
            private const string Digits = "0123456789ABCDEF";
            private readonly char[] _buf = new char[8 + 2 * 260 + 8];
            private readonly string _newLine;
            private int _len;
            private int _sum;

            public RecordLine(string newLine)
            {
                _newLine = newLine ?? "\n";
            }

            public void BeginHex(int length, ushort offset, byte type)
            {
                _len = 0;
                _sum = 0;
                _buf[_len++] = ':';
                Byte((byte)length);
                Byte((byte)(offset >> 8));
                Byte((byte)offset);
                Byte(type);
            }

            public void EndHex(TextWriter w)
            {
                int checksum = (0x100 - (_sum & 0xFF)) & 0xFF;
                Put((byte)checksum);
                w.Write(_buf, 0, _len);
                w.Write(_newLine);
            }

            public void BeginS(char type, int count)
            {
                _len = 0;
                _sum = 0;
                _buf[_len++] = 'S';
                _buf[_len++] = type;
                Byte((byte)count);
            }

            public void Address(uint value, int bytes)
            {
                for (int i = bytes - 1; i >= 0; i--) Byte((byte)(value >> (8 * i)));
            }

            public void EndS(TextWriter w)
            {
                Put((byte)(~_sum & 0xFF));
                w.Write(_buf, 0, _len);
                w.Write(_newLine);
            }

            public void Byte(byte b)
            {
                _sum += b;
                Put(b);
            }

            private void Put(byte b)
            {
                _buf[_len++] = Digits[b >> 4];
                _buf[_len++] = Digits[b & 0xF];
            }
        }
    }
}
