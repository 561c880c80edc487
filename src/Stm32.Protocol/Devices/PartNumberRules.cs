using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Text;

namespace Stm32.Protocol.Devices
{
    /// <summary>
    /// Which part numbers a catalog row covers: lines (F401, F05x) with, where the line is split
    /// between rows, the flash-size letters of each. Read from the row's name ("STM32F030x8/F05xxx":
    /// F030 with flash 8, and F05x; "STM32F302xB(C)": F302 with flash B or C; "STM32WB30(5)xx":
    /// WB30 and WB35; "STM32F469xx/479xx": F469 and F479), except for the rows whose names say it
    /// loosely, which take the facts below. A user row gets the rules of its name, or of the
    /// built-in row of its product ID when it names none.
    /// </summary>
    internal static class PartNumberRules
    {
        /// <summary>One line of parts a row covers; <see cref="Flash"/> null means every flash size.</summary>
        internal sealed class Rule
        {
            public Rule(string line, string? flash = null, Func<PartNumber, bool>? alsoNeeds = null, string? condition = null)
            {
                Line = line.ToUpperInvariant();
                Flash = flash;
                AlsoNeeds = alsoNeeds;
                Condition = condition;
            }

            /// <summary>Series and line, upper case, 'X' for any character (F05X).</summary>
            public string Line { get; }

            public string? Flash { get; }

            public Func<PartNumber, bool>? AlsoNeeds { get; }

            /// <summary>What <see cref="AlsoNeeds"/> asks, for messages ("ordering code ending in A").</summary>
            public string? Condition { get; }

            public bool Covers(PartNumber part)
            {
                if (!LineMatches(part)) return false;
                if (Flash != null && part.FlashSize != null && Flash.IndexOf(part.FlashSize.Value) < 0) return false;
                return AlsoNeeds == null || AlsoNeeds(part);
            }

            /// <summary>The series agree and each character of the part's line matches ('X' either side matches any).</summary>
            public bool LineMatches(PartNumber part)
            {
                var q = part.Line;
                if (q.Length > Line.Length || (part.LineComplete && q.Length != Line.Length)) return false;
                if (!Line.StartsWith(part.Series, StringComparison.Ordinal) || SeriesOf(Line) != part.Series) return false;
                for (int i = 0; i < q.Length; i++)
                    if (q[i] != 'X' && Line[i] != 'X' && q[i] != Line[i]) return false;
                return true;
            }

            /// <summary>"STM32F401xD", "STM32F05x": the parts as a catalog name writes them, one per flash letter.</summary>
            public IEnumerable<string> Names()
            {
                var line = "STM32" + Line.Replace('X', 'x');
                if (Flash == null) yield return line;
                else foreach (var f in Flash) yield return line + "x" + f;
            }
        }

        private static readonly ConditionalWeakTable<DeviceInfo, Rule[]> Cache = new ConditionalWeakTable<DeviceInfo, Rule[]>();

        /// <summary>The rules of a row (none for rows that name no STM32 line: BlueNRG, STM32W, third parties).</summary>
        public static IReadOnlyList<Rule> For(DeviceInfo row)
            => Cache.GetValue(row, r =>
            {
                var derived = FromName(r.Name);
                if (Loose.TryGetValue(r.ProductId, out var facts) && (derived.Length == 0 || IsBuiltInName(r)))
                    return facts;
                return derived;
            });

        private static bool IsBuiltInName(DeviceInfo row)
            => BuiltInNames.TryGetValue(row.ProductId, out var name) && string.Equals(name, row.Name, StringComparison.OrdinalIgnoreCase);

        /// <summary>The built-in names the facts below replace (a user row with another name keeps its own).</summary>
        private static readonly Dictionary<ushort, string> BuiltInNames = new Dictionary<ushort, string>
        {
            [0x448] = "STM32F070xB/F071xx/F72xx",
            [0x412] = "STM32F10xxx Low-density",
            [0x410] = "STM32F10xxx Medium-density",
            [0x414] = "STM32F10xxx High-density",
            [0x430] = "STM32F10xxx XL-density",
            [0x420] = "STM32F10xxx Medium-density VL",
            [0x428] = "STM32F10xxx High-density VL",
            [0x413] = "STM32F40xxx/41xxx",
            [0x419] = "STM32F42xxx/43xxx",
            [0x467] = "STM32G0B0/B1/C1xx",
            [0x480] = "STM32H7A3xx/B3xx",
            [0x478] = "STM32H523xx/33xxx",
            [0x484] = "STM32H563xx/573xx",
            [0x481] = "STM32U595xx/599xx/5A9xx",
            [0x497] = "STM32WLE5xx/WL55xx",
            [0x457] = "STM32L01xxx/02xxx",
            [0x425] = "STM32L031xx/041xx",
            [0x417] = "STM32L05xxx/06xxx",
            [0x447] = "STM32L07xxx/08xxx",
            [0x416] = "STM32L1xxx6(8/B)",
            [0x429] = "STM32L1xxx6(8/B)A",
            [0x427] = "STM32L1xxxC",
            [0x436] = "STM32L1xxxD",
            [0x437] = "STM32L1xxxE",
        };

        private static Rule[] Flash(string flash, params string[] lines) => lines.Select(l => new Rule(l, flash)).ToArray();

        private static Rule[] Lines(params string[] lines) => lines.Select(l => new Rule(l)).ToArray();

        // STM32L1 categories (RM0038, DBGMCU_IDCODE): an ordering code ending in A (after the
        // temperature digit: STM32L151C8T6A) is the second category of a flash size. Without the
        // code's tail either may be meant.
        private static bool EndsInA(PartNumber p) => p.Options.StartsWith("A", StringComparison.Ordinal);

        private static bool MayEndInA(PartNumber p) => p.Temperature == null || EndsInA(p);

        private static bool MayEndWithoutA(PartNumber p) => p.Temperature == null || !EndsInA(p);

        // RM0038: Cat.3 parts (flash C) in WLCSP64 (package Y), with more than 100 pins (Q: 132, Z: 144)
        // or with an ordering code ending in A report 0x436, the others 0x427.
        private static bool CatThreeAs436(PartNumber p)
            => p.Package == 'Y' || p.Pins == 'Q' || p.Pins == 'Z' || (p.Temperature != null && EndsInA(p));

        private static bool MayBeCatThreeAs436(PartNumber p)
            => CatThreeAs436(p) || p.Temperature == null || (p.Package == null && p.Pins == null);

        private static bool MayBeCatThreeAs427(PartNumber p)
            => !CatThreeAs436(p) || (p.Temperature == null && !(p.Package == 'Y' || p.Pins == 'Q' || p.Pins == 'Z'));

        /// <summary>
        /// Rows whose names say loosely which parts they cover. Sources: RM0008 (F101/F102/F103 by
        /// density: low 16-32 KB, medium 64-128 KB, high 256-512 KB, XL 768 KB-1 MB; F100 value line
        /// low/medium 0x420, high 0x428), RM0091/RM0360 (0x448 is F070xB, F071, F072, F078; the
        /// name's "F72xx" is F072), RM0090 (0x413 is F405/F407/F415/F417, 0x419 F427/F429/F437/F439:
        /// F401, F410, F411, F412, F413 and F423 have rows of their own), RM0444 (0x467 is G0B0,
        /// G0B1, G0C1), RM0455 (0x480 is H7A3, H7B0, H7B3), RM0481 (0x478 is H523/H533, 0x484
        /// H562/H563/H573), RM0456 (0x481 is U595, U599, U5A5, U5A9), RM0461/RM0453 (0x497 is WLE4,
        /// WLE5, WL54, WL55), RM0377/RM0376/RM0367 (L0 by category: 0x457 L011/L021, 0x425
        /// L031/L041, 0x417 L051/L052/L053/L062/L063, 0x447 L071-L073/L081-L083; the STM32L010
        /// value line splits across these by flash size and is left out here rather than guessed),
        /// RM0038 (L1 categories); the same IDs as Black Magic Debug's stm32f1.c, stm32f4.c,
        /// stm32h5.c, stm32h7.c, stm32l0.c and stm32l4.c list them.
        /// </summary>
        private static readonly Dictionary<ushort, Rule[]> Loose = new Dictionary<ushort, Rule[]>
        {
            [0x448] = new[] { new Rule("F070", "B"), new Rule("F071"), new Rule("F072"), new Rule("F078") },
            [0x412] = Flash("46", "F101", "F102", "F103"),
            [0x410] = Flash("8B", "F101", "F102", "F103"),
            [0x414] = Flash("CDE", "F101", "F103"),
            [0x430] = Flash("FG", "F101", "F103"),
            [0x420] = Flash("468B", "F100"),
            [0x428] = Flash("CDE", "F100"),
            [0x413] = Lines("F405", "F407", "F415", "F417"),
            [0x419] = Lines("F427", "F429", "F437", "F439"),
            [0x467] = Lines("G0B0", "G0B1", "G0C1"),
            [0x480] = Lines("H7A3", "H7B0", "H7B3"),
            [0x478] = Lines("H523", "H533"),
            [0x484] = Lines("H562", "H563", "H573"),
            [0x481] = Lines("U595", "U599", "U5A5", "U5A9"),
            [0x497] = Lines("WLE4", "WLE5", "WL54", "WL55"),
            [0x457] = Lines("L011", "L021"),
            [0x425] = Lines("L031", "L041"),
            [0x417] = Lines("L051", "L052", "L053", "L062", "L063"),
            [0x447] = Lines("L071", "L072", "L073", "L081", "L082", "L083"),
            [0x416] = L1("68B", MayEndWithoutA, "an ordering code not ending in A", "L100", "L151", "L152"),
            [0x429] = L1("68B", MayEndInA, "an ordering code ending in A", "L100", "L151", "L152"),
            [0x427] = L1("C", MayBeCatThreeAs427, "not in WLCSP64, at most 100 pins, an ordering code not ending in A", "L100", "L151", "L152", "L162"),
            [0x436] = L1("C", MayBeCatThreeAs436, "in WLCSP64, with more than 100 pins or an ordering code ending in A", "L151", "L152", "L162")
                .Concat(Flash("D", "L151", "L152", "L162")).ToArray(),
            [0x437] = Flash("E", "L151", "L152", "L162"),
        };

        private static Rule[] L1(string flash, Func<PartNumber, bool> needs, string condition, params string[] lines)
            => lines.Select(l => new Rule(l, flash, needs, condition)).ToArray();

        /// <summary>C, F, G, H, L, U, WB, WBA or WL from a line.</summary>
        internal static string SeriesOf(string line)
        {
            if (line.StartsWith("WBA", StringComparison.Ordinal)) return "WBA";
            if (line.StartsWith("WB", StringComparison.Ordinal) || line.StartsWith("WL", StringComparison.Ordinal)) return line.Substring(0, 2);
            return line.Length > 0 ? line.Substring(0, 1) : "";
        }

        /// <summary>
        /// Rules from a catalog name: the word before the first space, "STM32" and '/'-separated
        /// alternatives. An alternative that starts with a series letter stands alone; a shorter
        /// one replaces the tail of the first ("F469xx/479xx" is F469xx and F479xx). "c(d/e)"
        /// lets d and e stand in for c. Then four (WBA: five) line characters, a pin letter and a
        /// flash-size letter, 'x' for any.
        /// </summary>
        internal static Rule[] FromName(string name)
        {
            var word = name.Trim().Split(' ')[0];
            if (!word.StartsWith("STM32", StringComparison.OrdinalIgnoreCase)) return Array.Empty<Rule>();
            var alternatives = SplitOutsideParentheses(word.Substring(5));
            if (alternatives.Count == 0) return Array.Empty<Rule>();
            var rules = new List<Rule>();
            var first = Expand(alternatives[0]);
            if (first.Count == 0) return Array.Empty<Rule>();
            var firstText = first[0];
            foreach (var alternative in alternatives)
            {
                foreach (var expanded in Expand(alternative))
                {
                    var text = expanded;
                    bool standsAlone = text.Length > 0 && "CFGHLUW".IndexOf(char.ToUpperInvariant(text[0])) >= 0 && alternative != alternatives[0]
                        && text.Length >= firstText.Length - 1;
                    if (alternative != alternatives[0] && !standsAlone && text.Length < firstText.Length)
                        text = firstText.Substring(0, firstText.Length - text.Length) + text;
                    var rule = RuleOf(text);
                    if (rule != null) rules.Add(rule);
                }
            }
            return rules.ToArray();
        }

        private static Rule? RuleOf(string text)
        {
            var t = text.ToUpperInvariant();
            var series = SeriesOf(t);
            if (series.Length == 0 || !(series.Length > 1 || "CFGHLU".IndexOf(series[0]) >= 0)) return null;
            int lineLength = series == "WBA" ? 5 : 4;
            if (t.Length < lineLength) t = t.PadRight(lineLength, 'X');
            foreach (var c in t) if (!char.IsLetterOrDigit(c)) return null;
            var line = t.Substring(0, lineLength);
            // The character after the pin letter, when it is not 'x', is the flash size.
            char flash = t.Length > lineLength + 1 ? t[lineLength + 1] : 'X';
            return new Rule(line, flash == 'X' ? null : flash.ToString());
        }

        private static List<string> SplitOutsideParentheses(string text)
        {
            var parts = new List<string>();
            var current = new StringBuilder();
            int depth = 0;
            foreach (var c in text)
            {
                if (c == '(') depth++;
                if (c == ')') depth--;
                if (c == '/' && depth == 0)
                {
                    parts.Add(current.ToString());
                    current.Clear();
                }
                else current.Append(c);
            }
            parts.Add(current.ToString());
            return parts.Where(p => p.Length > 0).ToList();
        }

        /// <summary>"F302xB(C)" → F302xB, F302xC; "L1xxx6(8/B)A" → L1xxx6A, L1xxx8A, L1xxxBA; no parentheses → itself.</summary>
        private static List<string> Expand(string text)
        {
            int open = text.IndexOf('(');
            if (open < 1) return new List<string> { text };
            int close = text.IndexOf(')', open);
            if (close < 0) return new List<string>();
            var head = text.Substring(0, open - 1);
            var tail = text.Substring(close + 1);
            var choices = new[] { text.Substring(open - 1, 1) }.Concat(text.Substring(open + 1, close - open - 1).Split('/'));
            return choices.SelectMany(c => Expand(head + c + tail)).ToList();
        }
    }
}
