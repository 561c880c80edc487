using System;
using System.Globalization;
using System.IO;

namespace Stm32.Protocol.Firmware
{
    /// <summary>
    /// Reads firmware files. The format comes from the argument, else from the extension, else
    /// from the first bytes (':' Intel HEX, 'S0'..'S9' S-record, 0x7F 'ELF'). Raw binary is
    /// never guessed from content: it needs the .bin extension or an explicit format, and a
    /// base address. Bad input throws <see cref="FirmwareFormatException"/>; no partial image is
    /// ever returned.
    /// </summary>
    /// <remarks>
    /// <para>Text formats: LF or CR LF line ends, upper or lower case, blanks around records,
    /// blank lines and a UTF-8 BOM are accepted; line numbers in errors are 1-based and count LF.
    /// Records may come in any address order; overlapping records must give the same bytes.</para>
    /// <para>Intel HEX: types 00-05, any record length; the 16-bit record offset wraps within the
    /// 64 KiB segment set by type 02 or 04; the end-of-file record is required; after it only
    /// blank lines and 0x1A may follow (anything else is an error: two joined files would
    /// otherwise lose the second half silently); start address records (03, 05) must agree.</para>
    /// <para>S-record: S0 ignored, S1/S2/S3 data, S5/S6 counts checked, S4 rejected, an S7/S8/S9
    /// termination required (any of them ends any file) unless the file ends with an S5/S6 count
    /// that matches all its data records (srec_cat's files; no start address then); a
    /// termination address of 0 means no start address. The same rule as above for text after
    /// the termination.</para>
    /// <para>ELF: 32-bit little-endian ARM only; PT_LOAD segments with file bytes at p_paddr,
    /// p_filesz bytes each; e_entry (0 = none) is the start address. Read with ELFSharp.</para>
    /// <para>No image may hold the byte at 0xFFFFFFFF (exclusive ends are 32-bit).</para>
    /// </remarks>
    public static class FirmwareReader
    {
        /// <summary>Reads a file.</summary>
        /// <param name="path">The file.</param>
        /// <param name="format">The format, or Auto for extension then content sniffing.</param>
        /// <param name="baseAddress">Where a raw binary starts (the device's flash start, normally); ignored by the other formats.</param>
        public static FirmwareImage Read(string path, FirmwareFormat format = FirmwareFormat.Auto, uint? baseAddress = null)
        {
            if (path == null) throw new ArgumentNullException(nameof(path));
            return Read(File.ReadAllBytes(path), path, format, baseAddress);
        }

        /// <summary>Reads a whole stream. <paramref name="displayName"/> names it in errors and gives the extension.</summary>
        public static FirmwareImage Read(Stream stream, string displayName, FirmwareFormat format = FirmwareFormat.Auto, uint? baseAddress = null)
        {
            if (stream == null) throw new ArgumentNullException(nameof(stream));
            byte[] content;
            if (stream is MemoryStream ms && ms.Position == 0) content = ms.ToArray();
            else
            {
                using var copy = new MemoryStream();
                stream.CopyTo(copy);
                content = copy.ToArray();
            }
            return Read(content, displayName, format, baseAddress);
        }

        /// <summary>Reads file content held in memory. <paramref name="displayName"/> names it in errors and gives the extension.</summary>
        public static FirmwareImage Read(byte[] content, string displayName, FirmwareFormat format = FirmwareFormat.Auto, uint? baseAddress = null)
        {
            if (content == null) throw new ArgumentNullException(nameof(content));
            var resolved = format == FirmwareFormat.Auto ? DetectFormat(displayName, content) : format;
            try
            {
                return ReadAs(content, displayName, resolved, format, baseAddress);
            }
            catch (FirmwareFormatException e) when (format == FirmwareFormat.Auto && (e.LineNumber == 1 || e.ByteOffset == 0))
            {
                // The extension chose the format and the very first record failed: say so when the
                // content looks like another format (a .hex that is really an S-record, an ELF named .hex).
                var sniffed = Sniff(content);
                if (sniffed == FirmwareFormat.Auto || sniffed == resolved) throw;
                throw new FirmwareFormatException(e.Path, e.LineNumber, e.ByteOffset, string.Format(CultureInfo.InvariantCulture,
                    "{0}; the extension says {1} but the content looks like {2}: name the format to read it as such", e.Problem, resolved, sniffed), e);
            }
        }

        private static FirmwareImage ReadAs(byte[] content, string displayName, FirmwareFormat resolved, FirmwareFormat format, uint? baseAddress)
        {
            switch (resolved)
            {
                case FirmwareFormat.IntelHex:
                    return IntelHexReader.Read(content, displayName);
                case FirmwareFormat.SRecord:
                    return SRecordReader.Read(content, displayName);
                case FirmwareFormat.Elf:
                    return ElfReader.Read(content, displayName);
                case FirmwareFormat.Binary:
                    if (format == FirmwareFormat.Auto) RefuseTextInBinary(content, displayName);
                    return ReadBinary(content, displayName, baseAddress);
                default:
                    throw new ArgumentOutOfRangeException(nameof(format), format, "Unknown firmware format.");
            }
        }

        /// <summary>The format an extension stands for, or Auto when it stands for none.</summary>
        public static FirmwareFormat FormatFromExtension(string? path)
        {
            if (string.IsNullOrEmpty(path)) return FirmwareFormat.Auto;
            switch (Path.GetExtension(path!).ToLowerInvariant())
            {
                case ".hex":
                case ".ihex":
                case ".ihx":
                case ".h86":
                    return FirmwareFormat.IntelHex;
                case ".s19":
                case ".srec":
                case ".mot":
                case ".s28":
                case ".s37":
                case ".s":
                case ".sx":
                    return FirmwareFormat.SRecord;
                case ".elf":
                case ".axf":
                case ".out":
                    return FirmwareFormat.Elf;
                case ".bin":
                    return FirmwareFormat.Binary;
                default:
                    return FirmwareFormat.Auto;
            }
        }

        /// <summary>The format the first bytes suggest (blanks and a UTF-8 BOM skipped), or Auto.</summary>
        public static FirmwareFormat Sniff(byte[] content)
        {
            if (content == null) throw new ArgumentNullException(nameof(content));
            if (content.Length >= 4 && content[0] == 0x7F && content[1] == (byte)'E' && content[2] == (byte)'L' && content[3] == (byte)'F')
                return FirmwareFormat.Elf;
            int i = TextRecords.StartOffset(content);
            while (i < content.Length && (TextRecords.IsBlank(content[i]) || content[i] == (byte)'\n')) i++;
            if (i >= content.Length) return FirmwareFormat.Auto;
            if (content[i] == (byte)':') return FirmwareFormat.IntelHex;
            if ((content[i] == (byte)'S' || content[i] == (byte)'s') && i + 1 < content.Length && content[i + 1] >= (byte)'0' && content[i + 1] <= (byte)'9')
                return FirmwareFormat.SRecord;
            return FirmwareFormat.Auto;
        }

        /// <summary>The format of a file: its extension, else its first bytes.</summary>
        /// <exception cref="FirmwareFormatException">Neither says anything.</exception>
        public static FirmwareFormat DetectFormat(string? displayName, byte[] content)
        {
            var f = FormatFromExtension(displayName);
            if (f != FirmwareFormat.Auto) return f;
            f = Sniff(content);
            if (f != FirmwareFormat.Auto) return f;
            throw new FirmwareFormatException(displayName, null, null,
                "cannot tell the format from the extension or the first bytes (Intel HEX starts with ':', S-records with 'S0'..'S9', ELF with 0x7F 'ELF'); name the format, for a raw binary with a base address");
        }

        private static FirmwareImage ReadBinary(byte[] content, string? path, uint? baseAddress)
        {
            if (!baseAddress.HasValue)
                throw new ArgumentException(string.Format(CultureInfo.InvariantCulture,
                    "{0}: a raw binary carries no address; give a base address (normally the device's flash start).", path ?? "(input)"), nameof(baseAddress));
            uint b = baseAddress.Value;
            if ((ulong)b + (ulong)content.LongLength > uint.MaxValue)
                throw new FirmwareFormatException(path, null, uint.MaxValue - (long)b, string.Format(CultureInfo.InvariantCulture,
                    "{0} bytes at base 0x{1:X8} reach 0xFFFFFFFF, which is not supported", content.LongLength, b));
            var segments = content.Length == 0
                ? Array.Empty<ImageSegment>()
                : new[] { new ImageSegment(b, (byte[])content.Clone(), owned: true) };
            return FirmwareImage.FromCanonical(segments, null, path, FirmwareFormat.Binary);
        }

        /// <summary>
        /// A .bin whose first line is a valid Intel HEX or S-record is almost surely a renamed
        /// text file; flashing it as binary writes ASCII (spec 13.1, stm32loader #31).
        /// </summary>
        private static void RefuseTextInBinary(byte[] content, string? path)
        {
            var sniffed = Sniff(content);
            if (sniffed != FirmwareFormat.IntelHex && sniffed != FirmwareFormat.SRecord) return;
            var cur = new LineCursor(content);
            while (cur.Next() && cur.IsBlank) { }
            if (cur.IsBlank) return;
            int skip = sniffed == FirmwareFormat.IntelHex ? 1 : 2;
            var rec = new byte[64];
            int n = TextRecords.Decode(content, cur.Start + skip, cur.End, ref rec, out _);
            if (n < 4) return;
            int sum = 0;
            for (int i = 0; i < n; i++) sum += rec[i];
            bool valid = sniffed == FirmwareFormat.IntelHex
                ? n == rec[0] + 5 && (sum & 0xFF) == 0
                : n == rec[0] + 1 && (sum & 0xFF) == 0xFF;
            if (valid)
                throw new FirmwareFormatException(path, 1, null, string.Format(CultureInfo.InvariantCulture,
                    "this .bin file holds {0} text, not raw binary; read it with the {1} format (or rename it)",
                    sniffed == FirmwareFormat.IntelHex ? "Intel HEX" : "S-record", sniffed));
        }
    }
}
