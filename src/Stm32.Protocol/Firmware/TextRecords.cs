using System;
using System.Globalization;

namespace Stm32.Protocol.Firmware
{
    /// <summary>Line splitting and hex decoding shared by the Intel HEX and S-record readers.</summary>
    internal static class TextRecords
    {
        /// <summary>Hex digit values; -1 for anything else.</summary>
        internal static readonly sbyte[] HexValue = BuildHexTable();

        private static sbyte[] BuildHexTable()
        {
            var t = new sbyte[256];
            for (int i = 0; i < 256; i++) t[i] = -1;
            for (int i = 0; i < 10; i++) t['0' + i] = (sbyte)i;
            for (int i = 0; i < 6; i++) { t['A' + i] = (sbyte)(10 + i); t['a' + i] = (sbyte)(10 + i); }
            return t;
        }

        /// <summary>Blanks allowed around a record: space, tab, CR (of CR LF), form feed, vertical tab.</summary>
        internal static bool IsBlank(byte b) => b == (byte)' ' || b == (byte)'\t' || b == (byte)'\r' || b == 0x0C || b == 0x0B;

        /// <summary>Skips a UTF-8 byte-order mark.</summary>
        internal static int StartOffset(byte[] c)
            => c.Length >= 3 && c[0] == 0xEF && c[1] == 0xBB && c[2] == 0xBF ? 3 : 0;

        /// <summary>
        /// Decodes the hex digit pairs in c[from, to) into <paramref name="record"/> (grown when
        /// needed). Returns the byte count, or -1 with <paramref name="badIndex"/> at the first
        /// character that is not a hex digit, or -2 when the number of digits is odd.
        /// </summary>
        internal static int Decode(byte[] c, int from, int to, ref byte[] record, out int badIndex)
        {
            badIndex = -1;
            int digits = to - from;
            int pairs = digits >> 1;
            if (pairs > record.Length) record = new byte[Math.Max(pairs, record.Length * 2)];
            var table = HexValue;
            var rec = record;
            int p = from;
            for (int i = 0; i < pairs; i++, p += 2)
            {
                int hi = table[c[p]];
                int lo = table[c[p + 1]];
                if ((hi | lo) < 0)
                {
                    badIndex = hi < 0 ? p : p + 1;
                    return -1;
                }
                rec[i] = (byte)((hi << 4) | lo);
            }
            if ((digits & 1) != 0)
            {
                if (table[c[to - 1]] < 0) { badIndex = to - 1; return -1; }
                return -2;
            }
            return pairs;
        }

        internal static string Describe(byte b)
        {
            if (b >= 0x21 && b < 0x7F) return string.Format(CultureInfo.InvariantCulture, "'{0}'", (char)b);
            if (b == (byte)' ') return "a space";
            if (b == (byte)'\t') return "a tab";
            if (b == (byte)'\r') return "a carriage return";
            return string.Format(CultureInfo.InvariantCulture, "byte 0x{0:X2}", b);
        }

        internal static FirmwareFormatException Error(string? path, int? line, string problem)
            => new FirmwareFormatException(path, line, null, problem);

        internal static string Hex8(uint v) => string.Format(CultureInfo.InvariantCulture, "0x{0:X8}", v);

        internal static string Hex2(int v) => string.Format(CultureInfo.InvariantCulture, "0x{0:X2}", v);
    }

    /// <summary>One line of a text record file, trimmed of blanks.</summary>
    internal struct LineCursor
    {
        private readonly byte[] _c;
        private int _pos;

        public LineCursor(byte[] content)
        {
            _c = content;
            _pos = TextRecords.StartOffset(content);
            LineNumber = 0;
            Start = End = LineStart = 0;
            EndsWithoutNewline = false;
        }

        /// <summary>1-based number of the current line.</summary>
        public int LineNumber;

        /// <summary>First non-blank byte of the line.</summary>
        public int Start;

        /// <summary>Past the last non-blank byte of the line.</summary>
        public int End;

        /// <summary>First byte of the line.</summary>
        public int LineStart;

        /// <summary>The current line is the last one and has no line end (the file may be truncated).</summary>
        public bool EndsWithoutNewline;

        /// <summary>Moves to the next line (LF ends a line; CR before it is a blank). False at the end of the input.</summary>
        public bool Next()
        {
            var c = _c;
            if (_pos >= c.Length) return false;
            LineNumber++;
            LineStart = _pos;
            int nl = Array.IndexOf(c, (byte)'\n', _pos);
            int lineEnd = nl < 0 ? c.Length : nl;
            EndsWithoutNewline = nl < 0;
            _pos = nl < 0 ? c.Length : nl + 1;
            int e = lineEnd;
            while (e > LineStart && TextRecords.IsBlank(c[e - 1])) e--;
            int s = LineStart;
            while (s < e && TextRecords.IsBlank(c[s])) s++;
            Start = s;
            End = e;
            return true;
        }

        public bool IsBlank => Start >= End;

        /// <summary>True when the line holds nothing but DOS end-of-file marks (0x1A) and NULs.</summary>
        public bool IsEofPadding
        {
            get
            {
                for (int i = Start; i < End; i++) if (_c[i] != 0x1A && _c[i] != 0) return false;
                return true;
            }
        }

        /// <summary>1-based column of a byte offset on the current line.</summary>
        public int Column(int index) => index - LineStart + 1;

        /// <summary>
        /// True for a line to skip: a blank one, or end-of-file padding after the end record.
        /// Anything else after the end record is an error (<paramref name="afterEnd"/>): two
        /// concatenated files would otherwise lose the second half silently.
        /// </summary>
        public bool Skips(bool ended, string? path, string afterEnd)
        {
            if (IsBlank) return true;
            if (!ended) return false;
            if (IsEofPadding) return true;
            throw TextRecords.Error(path, LineNumber, afterEnd);
        }

        /// <summary>The message, saying the file ends inside this record when its last line has no line end.</summary>
        public string Truncated(string message)
            => EndsWithoutNewline ? message + "; the file ends inside this record (truncated?)" : message;
    }
}
