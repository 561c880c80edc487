using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace Stm32.Protocol.Devices
{
    /// <summary>"Is my chip supported?": rows by part number, by name with wildcards, and why nothing matched.</summary>
    public static partial class DeviceCatalog
    {
        /// <summary>
        /// The rows that cover a part number: an orderable one ("STM32F401RET6", "stm32f072rb"),
        /// a line ("STM32F103": every row of the line) or a prefix of one ("STM32F4"). Empty when
        /// the text is no part number or no row covers it.
        /// </summary>
        public static IReadOnlyList<DeviceInfo> FindByPartNumber(string text)
        {
            if (!PartNumber.TryParse(text, out var part) || part.Line.Length < 2) return Array.Empty<DeviceInfo>();
            return All.Where(d => PartNumberRules.For(d).Any(r => r.Covers(part))).ToList();
        }

        /// <summary>
        /// The parts a row covers as catalog names write them: "STM32F401xD", "STM32F401xE",
        /// "STM32F072", "STM32F05x" ('x': any). Empty for rows that name no STM32 line.
        /// </summary>
        public static IReadOnlyList<string> PartNames(DeviceInfo row)
            => PartNumberRules.For(row ?? throw new ArgumentNullException(nameof(row))).SelectMany(r => r.Names()).Distinct(StringComparer.Ordinal).ToList();

        /// <summary>
        /// Get-Stm32Device -Name: with <paramref name="wildcard"/> (the query has wildcards; it
        /// tests a text against them), the rows whose name or part names match, and those that
        /// cover the part number left when leading and trailing '*' are dropped ("*F072*");
        /// without, the row of exactly that name, else the rows that cover it as a part number.
        /// </summary>
        public static IReadOnlyList<DeviceInfo> FindByName(string query, Func<string, bool>? wildcard = null)
        {
            if (query == null) throw new ArgumentNullException(nameof(query));
            var all = All;
            if (wildcard == null)
            {
                var exact = all.Where(d => string.Equals(d.Name, query.Trim(), StringComparison.OrdinalIgnoreCase)).ToList();
                return exact.Count > 0 ? exact : FindByPartNumber(query);
            }
            var core = query.Trim().Trim('*');
            var byPart = core.IndexOfAny(new[] { '*', '?', '[', ']', '`' }) < 0 ? FindByPartNumber(core) : Array.Empty<DeviceInfo>();
            return all.Where(d => wildcard(d.Name) || PartNames(d).Any(wildcard) || byPart.Contains(d)).ToList();
        }

        /// <summary>
        /// Why no row covers <paramref name="query"/>, in a sentence: which flash sizes the
        /// catalog has for the line, or that it has no row for the line, or that the text is no
        /// part number.
        /// </summary>
        public static string ExplainNoMatch(string query)
        {
            if (!PartNumber.TryParse(query, out var part) || part.Line.Length < 2)
                return string.Format(CultureInfo.InvariantCulture,
                    "No device in the catalog is named '{0}', and it is not a part number of an STM32 series the catalog knows (C, F, G, H, L, U, WB, WBA, WL: STM32, line, pin count and flash size, such as STM32F103C8T6).", query);
            var line = new List<string>();
            foreach (var d in All)
            {
                var rules = PartNumberRules.For(d).Where(r => r.LineMatches(part)).ToList();
                if (rules.Count == 0) continue;
                var flash = rules.Any(r => r.Flash == null) ? null : string.Join(", ", rules.SelectMany(r => r.Flash!).Distinct());
                var conditions = rules.Select(r => r.Condition).Where(c => c != null).Distinct().ToList();
                line.Add(string.Format(CultureInfo.InvariantCulture, "{0} {1}{2}{3}", d.ProductIdHex, d.Name,
                    flash == null ? "" : " (flash-size letters " + flash + ")",
                    conditions.Count == 0 ? "" : " (" + string.Join("; ", conditions) + ")"));
            }
            var what = part.FlashSize == null ? part.ToString() : part + ", " + PartNumber.Describe(part.FlashSize.Value);
            if (line.Count == 0)
                return string.Format(CultureInfo.InvariantCulture,
                    "No device in the catalog covers {0}: the catalog has no row for the STM32{1} line. Add one with Import-Stm32Device.", what, part.Line);
            return string.Format(CultureInfo.InvariantCulture,
                "No device in the catalog covers {0}. Its rows for the STM32{1} line: {2}.", what, part.Line, string.Join("; ", line));
        }
    }
}
