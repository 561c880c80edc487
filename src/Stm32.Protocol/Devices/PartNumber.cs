using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace Stm32.Protocol.Devices
{
    /// <summary>
    /// An STM32 part number as ST's datasheets spell it in their ordering information:
    /// STM32 + series and line (F401, G0B1, WB55, WBA52) + pin count (C, R, V...) + flash size
    /// (4, 6, 8, B, C, D, E...) + package (T, U, H...) + temperature range (6, 7, 3) + options
    /// (A for the second STM32L1 category, TR for tape and reel...). Any tail may be left off
    /// ("STM32F401", "STM32F401RE", "F401RET6"); 'x' stands for any letter, as in catalog names
    /// ("STM32F103xB").
    /// </summary>
    public sealed class PartNumber
    {
        private PartNumber(string series, string line, bool lineComplete, char? pins, char? flash, char? package, char? temperature, string options)
        {
            Series = series;
            Line = line;
            LineComplete = lineComplete;
            Pins = pins;
            FlashSize = flash;
            Package = package;
            Temperature = temperature;
            Options = options;
        }

        /// <summary>C, F, G, H, L, U, WB, WBA or WL.</summary>
        public string Series { get; }

        /// <summary>The series and line, upper case, 'X' for any character: F401, G0B1, WB55, WBA52. Shorter when only a prefix was given.</summary>
        public string Line { get; }

        /// <summary>False when only a prefix of the line was given ("STM32F4").</summary>
        public bool LineComplete { get; }

        /// <summary>The pin-count letter, or null when not given or 'x'.</summary>
        public char? Pins { get; }

        /// <summary>The flash-size letter, or null when not given or 'x'.</summary>
        public char? FlashSize { get; }

        /// <summary>The package letter, or null.</summary>
        public char? Package { get; }

        /// <summary>The temperature-range digit, or null: given, the part number names one orderable part.</summary>
        public char? Temperature { get; }

        /// <summary>What follows the temperature digit (A, TR, Q...), or "".</summary>
        public string Options { get; }

        /// <summary>The part number as parsed: "STM32" + line + the letters given.</summary>
        public override string ToString()
        {
            var sb = new StringBuilder("STM32").Append(Line);
            if (!LineComplete) return sb.ToString();
            if (Pins == null && FlashSize == null && Package == null) return sb.ToString();
            sb.Append(Pins ?? 'x').Append(FlashSize ?? 'x');
            if (Package != null) sb.Append(Package.Value);
            if (Temperature != null) sb.Append(Temperature.Value);
            return sb.Append(Options).ToString();
        }

        /// <summary>
        /// Reads a part number, with or without "STM32", in any case. False for text that is not
        /// one (a catalog name with '/' or spaces, a wildcard, another maker's part).
        /// </summary>
        public static bool TryParse(string? text, out PartNumber part)
        {
            part = null!;
            if (text == null) return false;
            var t = text.Trim().ToUpperInvariant();
            if (t.StartsWith("STM32", StringComparison.Ordinal)) t = t.Substring(5);
            if (t.Length == 0) return false;
            foreach (var c in t) if (!(c >= 'A' && c <= 'Z') && !(c >= '0' && c <= '9')) return false;

            string series;
            if (t.StartsWith("WBA", StringComparison.Ordinal)) series = "WBA";
            else if (t.StartsWith("WB", StringComparison.Ordinal) || t.StartsWith("WL", StringComparison.Ordinal)) series = t.Substring(0, 2);
            else if ("CFGHLU".IndexOf(t[0]) >= 0) series = t.Substring(0, 1);
            else return false;
            // The line is four characters (F401, WB55, WLE5), five for WBA (WBA52).
            int lineLength = series == "WBA" ? 5 : 4;
            if (t.Length <= lineLength)
            {
                part = new PartNumber(series, t, t.Length == lineLength, null, null, null, null, "");
                return true;
            }
            string line = t.Substring(0, lineLength);
            string rest = t.Substring(lineLength);
            char? At(int i) => i < rest.Length && rest[i] != 'X' ? rest[i] : (char?)null;
            // Pins and package are letters, the temperature range a digit.
            if (!char.IsLetter(rest[0])) return false;
            if (rest.Length > 2 && !char.IsLetter(rest[2])) return false;
            if (rest.Length > 3 && !char.IsDigit(rest[3])) return false;
            part = new PartNumber(series, line, true, At(0), At(1), At(2), rest.Length > 3 ? rest[3] : (char?)null,
                rest.Length > 4 ? rest.Substring(4) : "");
            return true;
        }

        /// <summary>
        /// Flash size of each flash-size letter, from the ordering information of the STM32
        /// datasheets (for example DS5319 STM32F103x8/B: 8 = 64 Kbytes, B = 128 Kbytes; DS10086
        /// STM32F401xD/E: D = 384, E = 512 Kbytes; DS13086 STM32U5: J = 4 Mbytes).
        /// </summary>
        public static string? DescribeFlashSize(char letter)
        {
            switch (char.ToUpperInvariant(letter))
            {
                case '3': return "8 KB";
                case '4': return "16 KB";
                case '6': return "32 KB";
                case '8': return "64 KB";
                case 'B': return "128 KB";
                case 'Z': return "192 KB";
                case 'C': return "256 KB";
                case 'D': return "384 KB";
                case 'E': return "512 KB";
                case 'F': return "768 KB";
                case 'G': return "1 MB";
                case 'H': return "1.5 MB";
                case 'I': return "2 MB";
                case 'J': return "4 MB";
                default: return null;
            }
        }

        internal static string Describe(char flash)
        {
            var size = DescribeFlashSize(flash);
            return size == null
                ? string.Format(CultureInfo.InvariantCulture, "flash-size letter {0}", flash)
                : string.Format(CultureInfo.InvariantCulture, "flash-size letter {0} ({1})", flash, size);
        }
    }
}
