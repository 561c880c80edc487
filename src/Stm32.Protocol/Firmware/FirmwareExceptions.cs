using System;
using System.Globalization;
using System.Text;

namespace Stm32.Protocol.Firmware
{
    /// <summary>
    /// A firmware file is malformed. The message names the file, the line (text formats) or byte
    /// offset (binary formats) and what is wrong. Readers never return a partial image.
    /// </summary>
    public class FirmwareFormatException : Exception
    {
        public FirmwareFormatException(string? path, int? lineNumber, long? byteOffset, string problem, Exception? inner = null)
            : base(Compose(path, lineNumber, byteOffset, problem), inner)
        {
            Path = path;
            LineNumber = lineNumber;
            ByteOffset = byteOffset;
            Problem = problem;
        }

        /// <summary>The file (or display name) that was being read.</summary>
        public string? Path { get; }

        /// <summary>The 1-based line of a text format, or null.</summary>
        public int? LineNumber { get; }

        /// <summary>The byte offset in a binary format (ELF), or null.</summary>
        public long? ByteOffset { get; }

        /// <summary>What is wrong, without the file and line.</summary>
        public string Problem { get; }

        private static string Compose(string? path, int? line, long? offset, string problem)
        {
            var sb = new StringBuilder();
            sb.Append(string.IsNullOrEmpty(path) ? "(input)" : path);
            if (line.HasValue) sb.Append(", line ").Append(line.Value.ToString(CultureInfo.InvariantCulture));
            if (offset.HasValue)
                sb.AppendFormat(CultureInfo.InvariantCulture, ", byte offset {0} (0x{0:X})", offset.Value);
            sb.Append(": ").Append(problem);
            return sb.ToString();
        }
    }

    /// <summary>An image holds bytes outside the device's flash, host-usable RAM and option area.</summary>
    public class ImageOutOfRangeException : Exception
    {
        public ImageOutOfRangeException(uint address, string deviceName, string message)
            : base(message)
        {
            Address = address;
            DeviceName = deviceName;
        }

        /// <summary>The lowest image address that falls in none of the allowed regions.</summary>
        public uint Address { get; }

        public string DeviceName { get; }
    }
}
