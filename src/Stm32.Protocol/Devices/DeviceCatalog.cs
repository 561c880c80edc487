using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;

namespace Stm32.Protocol.Devices
{
    /// <summary>
    /// The device table as data (spec section 9, devices.csv embedded): one row per product ID.
    /// Users add rows of their own with <see cref="LoadUserFile"/>; theirs win over ours.
    /// Thread-safe: the built-in table never changes, user rows are replaced as a whole.
    /// </summary>
    public static partial class DeviceCatalog
    {
        private static readonly Lazy<IReadOnlyList<DeviceInfo>> BuiltIn = new Lazy<IReadOnlyList<DeviceInfo>>(LoadBuiltIn);
        private static volatile IReadOnlyList<DeviceInfo> _user = Array.Empty<DeviceInfo>();

        /// <summary>Every known row: user rows first, then the built-in ones they do not replace.</summary>
        public static IReadOnlyList<DeviceInfo> All
        {
            get
            {
                var user = _user;
                if (user.Count == 0) return BuiltIn.Value;
                var ids = new HashSet<ushort>(user.Select(d => d.ProductId));
                return user.Concat(BuiltIn.Value.Where(d => !ids.Contains(d.ProductId))).ToList();
            }
        }

        public static DeviceInfo? Find(ushort productId)
        {
            foreach (var d in All) if (d.ProductId == productId) return d;
            return null;
        }

        /// <summary>
        /// Finds a row by product ID ("0x410", "410h", "1040"), by name (case-insensitive, exact or
        /// a prefix of one name only) or by a part number only one row covers ("STM32F103C8T6").
        /// Null when none or several match (<see cref="FindByPartNumber"/> lists several).
        /// </summary>
        public static DeviceInfo? Resolve(string text)
        {
            if (TryParseProductId(text, out var pid)) return Find(pid);
            var exact = All.FirstOrDefault(d => string.Equals(d.Name, text, StringComparison.OrdinalIgnoreCase));
            if (exact != null) return exact;
            var prefix = All.Where(d => d.Name.StartsWith(text, StringComparison.OrdinalIgnoreCase)).ToList();
            if (prefix.Count == 1) return prefix[0];
            var parts = FindByPartNumber(text);
            return parts.Count == 1 ? parts[0] : null;
        }

        public static bool TryParseProductId(string text, out ushort pid)
        {
            pid = 0;
            var t = text.Trim();
            if (t.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
                return ushort.TryParse(t.Substring(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out pid);
            if (t.EndsWith("h", StringComparison.OrdinalIgnoreCase))
                return ushort.TryParse(t.Substring(0, t.Length - 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out pid);
            return t.Length > 0 && t.All(char.IsDigit) && ushort.TryParse(t, NumberStyles.Integer, CultureInfo.InvariantCulture, out pid);
        }

        /// <summary>
        /// A device for a product ID the catalog does not know (spec 15a.2): no flash map, so
        /// nothing is erased or written until the user supplies a row; identification still works.
        /// </summary>
        public static DeviceInfo Generic(ushort productId)
            => new DeviceInfo(productId, string.Format(CultureInfo.InvariantCulture, "Unknown STM32 (0x{0:X3})", productId), "",
                MemoryRange.Empty, MemoryRange.Empty, null, MemoryRange.Empty, MemoryRange.Empty,
                DeviceFlags.Generic, 1, Array.Empty<byte>(), null,
                "Not in the catalog: add a row for it with Import-Stm32Device -Path <CSV or JSON file> (see Get-Help Import-Stm32Device).");

        /// <summary>
        /// Loads user rows from a CSV file with the same columns as devices.csv, or from a JSON file
        /// (an array of objects whose property names are those columns; values are strings, numbers,
        /// null, or arrays for flags and bootloader_ids). JSON is chosen by the .json extension or a
        /// leading '[' or '{'. Replaces earlier user rows (process-wide); on a bad row nothing changes.
        /// Throws FormatException naming the file and line.
        /// </summary>
        public static IReadOnlyList<DeviceInfo> LoadUserFile(string path)
        {
            var text = File.ReadAllText(path);
            var rows = LooksLikeJson(path, text) ? ParseJson(text, path) : ParseUser(text, path);
            _user = rows;
            return rows;
        }

        /// <summary>The rows of a user file without installing them (CSV or JSON, see <see cref="LoadUserFile"/>).</summary>
        public static IReadOnlyList<DeviceInfo> ReadUserFile(string path)
        {
            var text = File.ReadAllText(path);
            return LooksLikeJson(path, text) ? ParseJson(text, path) : ParseUser(text, path);
        }

        /// <summary>Installs rows read by <see cref="ReadUserFile"/>, replacing the earlier user rows.</summary>
        public static void SetUserRows(IReadOnlyList<DeviceInfo> rows) => _user = rows ?? Array.Empty<DeviceInfo>();

        /// <summary>The user rows loaded now (empty when none).</summary>
        public static IReadOnlyList<DeviceInfo> UserRows => _user;

        private static bool LooksLikeJson(string path, string text)
        {
            if (path.EndsWith(".json", StringComparison.OrdinalIgnoreCase)) return true;
            foreach (var c in text)
            {
                if (char.IsWhiteSpace(c) || c == '\uFEFF') continue;
                return c == '[' || c == '{';
            }
            return false;
        }

        /// <summary>The columns of devices.csv, in order (JSON property names are these).</summary>
        public static readonly IReadOnlyList<string> Columns = new[]
        {
            "pid_hex", "name", "ram_start", "ram_end", "flash_start", "flash_end", "page_size_or_sector_layout",
            "option_bytes_start", "option_bytes_end", "system_memory_start", "system_memory_end", "flags",
            "pages_per_sector", "bootloader_ids", "bootloader_id_address", "source", "notes",
        };

        public static void ClearUserRows() => _user = Array.Empty<DeviceInfo>();

        private static IReadOnlyList<DeviceInfo> LoadBuiltIn()
        {
            var asm = typeof(DeviceCatalog).Assembly;
            using var stream = asm.GetManifestResourceStream("Stm32.Protocol.Devices.devices.csv")
                ?? throw new InvalidOperationException("The embedded device catalog is missing.");
            using var reader = new StreamReader(stream, Encoding.UTF8);
            return Parse(reader.ReadToEnd(), "devices.csv");
        }

        /// <summary>Parses catalog CSV text (header row required; column names as in devices.csv).</summary>
        public static IReadOnlyList<DeviceInfo> Parse(string csv, string source) => Parse(csv, source, false);

        private static IReadOnlyList<DeviceInfo> ParseUser(string csv, string source) => Parse(csv, source, true);

        private static IReadOnlyList<DeviceInfo> Parse(string csv, string source, bool user)
        {
            var lines = SplitCsv(csv.Length > 0 && csv[0] == '\uFEFF' ? csv.Substring(1) : csv);
            if (lines.Count == 0)
            {
                if (user) throw new FormatException($"{source}: the file is empty; it needs a header row ({string.Join(",", Columns)}) and rows.");
                return Array.Empty<DeviceInfo>();
            }
            var header = lines[0].Fields.Select(h => h.Trim().ToLowerInvariant()).ToList();
            foreach (var name in new[] { "pid_hex", "name", "ram_start", "ram_end", "flash_start", "flash_end", "page_size_or_sector_layout",
                "option_bytes_start", "option_bytes_end", "system_memory_start", "system_memory_end", "flags", "pages_per_sector" })
                if (!header.Contains(name)) throw new FormatException($"{source}, line {lines[0].Line}: the header has no column '{name}'.");
            return BuildRows(source, user, lines.Skip(1)
                .Where(l => !(l.Fields.Count == 1 && string.IsNullOrWhiteSpace(l.Fields[0])))
                .Select(l => (l.Line, (Func<string, string>)(col =>
                {
                    var c = header.IndexOf(col);
                    return c >= 0 && c < l.Fields.Count ? l.Fields[c].Trim() : "";
                }))));
        }

        /// <summary>Turns rows (a line number and a column getter) into DeviceInfo; errors name the source and line.</summary>
        private static IReadOnlyList<DeviceInfo> BuildRows(string source, bool user, IEnumerable<(int Line, Func<string, string> Get)> rows)
        {
            var result = new List<DeviceInfo>();
            var seen = new Dictionary<ushort, int>();
            foreach (var (line, Get) in rows)
            {
                try
                {
                    if (!TryParseProductId(Get("pid_hex"), out var pid) || (user && pid > 0xFFF))
                        throw new FormatException(Get("pid_hex").Length == 0 ? "the row has no pid_hex"
                            : $"'{Get("pid_hex")}' is not a product ID (write it as 0x410)");
                    var name = Get("name");
                    if (user)
                    {
                        if (name.Length == 0) throw new FormatException($"the row for 0x{pid:X3} has no name");
                        if (seen.TryGetValue(pid, out var first)) throw new FormatException($"product ID 0x{pid:X3} is already on line {first}");
                        seen[pid] = line;
                    }
                    var optEnd = ParseAddress(Get("option_bytes_end"));
                    var optStart = ParseAddress(Get("option_bytes_start"));
                    var pps = Get("pages_per_sector");
                    var bids = Get("bootloader_ids").Split(new[] { '|' }, StringSplitOptions.RemoveEmptyEntries)
                        .Select(b => checked((byte)ParseAddress(b.Trim())!.Value)).ToArray();
                    var ram = Range(Get("ram_start"), Get("ram_end"), "ram", user);
                    var flash = Range(Get("flash_start"), Get("flash_end"), "flash", user);
                    var layout = Get("page_size_or_sector_layout");
                    if (user && !flash.IsEmpty && layout.Length == 0)
                        throw new FormatException("the row has flash but no page_size_or_sector_layout (for example 1024, or 16K x4; 64K x1; 128K (repeats))");
                    if (user && optEnd.HasValue && optStart.HasValue && optEnd.Value < optStart.Value)
                        throw new FormatException($"option_bytes_end 0x{optEnd.Value:X8} is below option_bytes_start 0x{optStart.Value:X8}");
                    result.Add(new DeviceInfo(
                        pid, name, FamilyFacts.FromName(name),
                        ram, flash,
                        layout.Length == 0 ? null : layout,
                        // option_bytes_end is inclusive in the CSV (spec 9).
                        optEnd.HasValue && optStart.HasValue ? new MemoryRange(optStart.Value, optEnd.Value + 1) : MemoryRange.Empty,
                        Range(Get("system_memory_start"), Get("system_memory_end"), "system_memory", user),
                        ParseFlags(Get("flags")),
                        pps.Length == 0 ? 1 : int.Parse(pps, CultureInfo.InvariantCulture),
                        bids, ParseAddress(Get("bootloader_id_address")), Get("notes")));
                }
                catch (Exception e) when (e is FormatException || e is OverflowException || e is ArgumentException)
                {
                    throw new FormatException($"{source}, line {line}: {e.Message}", e);
                }
            }
            return result;
        }

        private static MemoryRange Range(string start, string end, string what, bool user)
        {
            var s = ParseAddress(start);
            var e = ParseAddress(end);
            if (user && s.HasValue && e.HasValue && e.Value <= s.Value)
                throw new FormatException($"{what}_end 0x{e.Value:X8} is not above {what}_start 0x{s.Value:X8}");
            return s.HasValue && e.HasValue ? new MemoryRange(s.Value, e.Value) : MemoryRange.Empty;
        }

        private static uint? ParseAddress(string text)
        {
            var t = text.Trim();
            if (t.Length == 0) return null;
            if (t.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
                && uint.TryParse(t.Substring(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var hex))
                return hex;
            if (uint.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var dec)) return dec;
            throw new FormatException($"'{t}' is not an address or number (write 0x20001000 or a decimal number)");
        }

        private static DeviceFlags ParseFlags(string text)
        {
            var flags = DeviceFlags.None;
            foreach (var raw in text.Split(new[] { '|', ' ', ';' }, StringSplitOptions.RemoveEmptyEntries))
            {
                switch (raw.Trim().ToUpperInvariant())
                {
                    case "F_NO_ME": flags |= DeviceFlags.NoMassErase; break;
                    case "F_OBLL": flags |= DeviceFlags.OblLaunch; break;
                    case "F_PEMPTY": flags |= DeviceFlags.PEmpty; break;
                    case "PLACEHOLDER": flags |= DeviceFlags.Placeholder; break;
                    case "NAME_ONLY": flags |= DeviceFlags.NameOnly; break;
                    case "NON_AN3155_BLUENRG": flags |= DeviceFlags.NonAn3155BlueNrg; break;
                    case "NON_ST": flags |= DeviceFlags.NonSt; break;
                }
            }
            return flags;
        }

        /// <summary>RFC 4180 CSV: quoted fields may hold commas, quotes ("") and line breaks. Each row with the line it starts on.</summary>
        private static List<(int Line, List<string> Fields)> SplitCsv(string text)
        {
            var rows = new List<(int, List<string>)>();
            var row = new List<string>();
            var field = new StringBuilder();
            bool quoted = false;
            int line = 1, rowLine = 1;
            for (int i = 0; i < text.Length; i++)
            {
                char c = text[i];
                if (c == '\n') line++;
                if (quoted)
                {
                    if (c == '"')
                    {
                        if (i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i++; }
                        else quoted = false;
                    }
                    else field.Append(c);
                }
                else if (c == '"') quoted = true;
                else if (c == ',') { row.Add(field.ToString()); field.Clear(); }
                else if (c == '\r') { }
                else if (c == '\n') { row.Add(field.ToString()); field.Clear(); rows.Add((rowLine, row)); row = new List<string>(); rowLine = line; }
                else field.Append(c);
            }
            if (field.Length > 0 || row.Count > 0) { row.Add(field.ToString()); rows.Add((rowLine, row)); }
            return rows;
        }

        // ------------------------------------------------------------------ JSON (user files)

        /// <summary>
        /// A JSON user file: an array of flat objects (or one object). A small reader of our own:
        /// netstandard2.0 has no JSON parser, and a System.Text.Json package beside the module could
        /// clash with the copy pwsh loads. Errors name the file and line.
        /// </summary>
        private static IReadOnlyList<DeviceInfo> ParseJson(string text, string source)
        {
            var reader = new JsonReader(text, source);
            var objects = reader.ReadDocument();
            var known = new HashSet<string>(Columns, StringComparer.OrdinalIgnoreCase);
            foreach (var o in objects)
                foreach (var key in o.Values.Keys)
                    if (!known.Contains(key))
                        throw new FormatException($"{source}, line {o.Line}: '{key}' is not a column; the property names are {string.Join(", ", Columns)}.");
            return BuildRows(source, true, objects.Select(o => (o.Line, (Func<string, string>)(col =>
                o.Values.TryGetValue(col, out var v) ? v.Trim() : ""))));
        }

        private sealed class JsonObject
        {
            public int Line;
            public readonly Dictionary<string, string> Values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        }

        private sealed class JsonReader
        {
            private readonly string _t;
            private readonly string _source;
            private int _i;
            private int _line = 1;

            public JsonReader(string text, string source)
            {
                _t = text;
                _source = source;
                if (_t.Length > 0 && _t[0] == '\uFEFF') _i = 1;
            }

            private FormatException Fail(string what) => new FormatException($"{_source}, line {_line}: {what}");

            private void Skip()
            {
                while (_i < _t.Length && char.IsWhiteSpace(_t[_i]))
                {
                    if (_t[_i] == '\n') _line++;
                    _i++;
                }
            }

            private char Peek()
            {
                Skip();
                return _i < _t.Length ? _t[_i] : '\0';
            }

            private void Expect(char c)
            {
                if (Peek() != c) throw Fail(_i < _t.Length ? $"expected '{c}' but found '{_t[_i]}'" : $"expected '{c}' but the file ends");
                _i++;
            }

            public List<JsonObject> ReadDocument()
            {
                var list = new List<JsonObject>();
                var c = Peek();
                if (c == '{') list.Add(ReadObject());
                else if (c == '[')
                {
                    _i++;
                    if (Peek() == ']') _i++;
                    else
                    {
                        while (true)
                        {
                            if (Peek() != '{') throw Fail("each element of the array must be an object ({ \"pid_hex\": \"0x999\", ... })");
                            list.Add(ReadObject());
                            var n = Peek();
                            if (n == ',') { _i++; continue; }
                            if (n == ']') { _i++; break; }
                            throw Fail(_i < _t.Length ? $"expected ',' or ']' but found '{_t[_i]}'" : "the array is not closed (missing ']')");
                        }
                    }
                }
                else throw Fail(_i < _t.Length ? "a JSON device file is an array of objects: it starts with '['" : "the file is empty");
                if (Peek() != '\0') throw Fail($"unexpected '{_t[_i]}' after the end of the array");
                return list;
            }

            private JsonObject ReadObject()
            {
                Expect('{');
                var o = new JsonObject { Line = _line };
                if (Peek() == '}') { _i++; return o; }
                while (true)
                {
                    if (Peek() != '"') throw Fail("expected a property name in double quotes");
                    var key = ReadString();
                    Expect(':');
                    var value = ReadValue(key);
                    if (o.Values.ContainsKey(key)) throw Fail($"the property '{key}' appears twice");
                    o.Values[key] = value;
                    var n = Peek();
                    if (n == ',') { _i++; continue; }
                    if (n == '}') { _i++; return o; }
                    throw Fail(_i < _t.Length ? $"expected ',' or '}}' but found '{_t[_i]}'" : "the object is not closed (missing '}')");
                }
            }

            /// <summary>A value as catalog text: strings as they are, numbers in decimal, null empty, arrays joined with '|'.</summary>
            private string ReadValue(string key)
            {
                var c = Peek();
                if (c == '"') return ReadString();
                if (c == '[')
                {
                    _i++;
                    var parts = new List<string>();
                    if (Peek() == ']') { _i++; return ""; }
                    while (true)
                    {
                        var p = Peek();
                        if (p == '[' || p == '{') throw Fail($"'{key}' holds nested arrays or objects; only strings and numbers are allowed");
                        parts.Add(ReadValue(key));
                        var n = Peek();
                        if (n == ',') { _i++; continue; }
                        if (n == ']') { _i++; break; }
                        throw Fail("expected ',' or ']' in the array of '" + key + "'");
                    }
                    return string.Join("|", parts);
                }
                if (c == '{') throw Fail($"'{key}' holds an object; only strings, numbers and arrays are allowed");
                int start = _i;
                while (_i < _t.Length && (char.IsLetterOrDigit(_t[_i]) || _t[_i] == '-' || _t[_i] == '+' || _t[_i] == '.')) _i++;
                var word = _t.Substring(start, _i - start);
                if (word == "null") return "";
                if (word == "true" || word == "false") return word;
                if (word.Length > 0 && (char.IsDigit(word[0]) || word[0] == '-'))
                {
                    if (!decimal.TryParse(word, NumberStyles.Float, CultureInfo.InvariantCulture, out var d))
                        throw Fail($"'{word}' is not a number");
                    if (d != decimal.Truncate(d) || d < 0)
                        throw Fail($"'{key}' is {word}: numbers must be whole and not negative");
                    return decimal.Truncate(d).ToString(CultureInfo.InvariantCulture);
                }
                if (word.Length > 0) throw Fail($"'{word}' is not a JSON value (strings need double quotes)");
                throw Fail(_i < _t.Length ? $"'{_t[_i]}' cannot start the value of '{key}' (strings need double quotes)" : $"expected a value for '{key}' but the file ends");
            }

            private string ReadString()
            {
                Expect('"');
                var sb = new StringBuilder();
                while (true)
                {
                    if (_i >= _t.Length) throw Fail("a string is not closed (missing '\"')");
                    var c = _t[_i++];
                    if (c == '"') return sb.ToString();
                    if (c == '\n') throw Fail("a string is not closed before the end of the line");
                    if (c != '\\') { sb.Append(c); continue; }
                    if (_i >= _t.Length) throw Fail("a string is not closed");
                    var e = _t[_i++];
                    switch (e)
                    {
                        case '"': sb.Append('"'); break;
                        case '\\': sb.Append('\\'); break;
                        case '/': sb.Append('/'); break;
                        case 'b': sb.Append('\b'); break;
                        case 'f': sb.Append('\f'); break;
                        case 'n': sb.Append('\n'); break;
                        case 'r': sb.Append('\r'); break;
                        case 't': sb.Append('\t'); break;
                        case 'u':
                            if (_i + 4 > _t.Length || !ushort.TryParse(_t.Substring(_i, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var u))
                                throw Fail("a \\u escape needs four hex digits");
                            sb.Append((char)u);
                            _i += 4;
                            break;
                        default: throw Fail($"'\\{e}' is not a JSON escape");
                    }
                }
            }
        }
    }
}
