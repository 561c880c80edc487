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
    public static class DeviceCatalog
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

        /// <summary>Finds a row by product ID ("0x410", "410h", "1040") or by name (case-insensitive, exact or prefix).</summary>
        public static DeviceInfo? Resolve(string text)
        {
            if (TryParseProductId(text, out var pid)) return Find(pid);
            var exact = All.FirstOrDefault(d => string.Equals(d.Name, text, StringComparison.OrdinalIgnoreCase));
            if (exact != null) return exact;
            var prefix = All.Where(d => d.Name.StartsWith(text, StringComparison.OrdinalIgnoreCase)).ToList();
            return prefix.Count == 1 ? prefix[0] : null;
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
                "Not in the catalog: add a row with Add-Stm32Device or a CSV/JSON file.");

        /// <summary>Loads user rows from a CSV with the same columns as devices.csv. Replaces earlier user rows.</summary>
        public static IReadOnlyList<DeviceInfo> LoadUserFile(string path)
        {
            var rows = Parse(File.ReadAllText(path), path);
            _user = rows;
            return rows;
        }

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
        public static IReadOnlyList<DeviceInfo> Parse(string csv, string source)
        {
            var lines = SplitCsv(csv);
            if (lines.Count == 0) return Array.Empty<DeviceInfo>();
            var header = lines[0].Select(h => h.Trim().ToLowerInvariant()).ToList();
            int Col(string name)
            {
                var i = header.IndexOf(name);
                if (i < 0) throw new FormatException($"{source}: the header has no column '{name}'.");
                return i;
            }
            int pidC = Col("pid_hex"), nameC = Col("name"), ramS = Col("ram_start"), ramE = Col("ram_end"),
                flS = Col("flash_start"), flE = Col("flash_end"), layC = Col("page_size_or_sector_layout"),
                obS = Col("option_bytes_start"), obE = Col("option_bytes_end"),
                smS = Col("system_memory_start"), smE = Col("system_memory_end"), flagC = Col("flags"),
                ppsC = Col("pages_per_sector");
            int bidC = header.IndexOf("bootloader_ids"), bidAC = header.IndexOf("bootloader_id_address"), notesC = header.IndexOf("notes");

            var result = new List<DeviceInfo>();
            for (int li = 1; li < lines.Count; li++)
            {
                var f = lines[li];
                if (f.Count == 1 && string.IsNullOrWhiteSpace(f[0])) continue;
                string Get(int c) => c >= 0 && c < f.Count ? f[c].Trim() : "";
                try
                {
                    if (!TryParseProductId(Get(pidC), out var pid))
                        throw new FormatException($"'{Get(pidC)}' is not a product ID");
                    var name = Get(nameC);
                    var optEnd = ParseAddress(Get(obE));
                    var pps = Get(ppsC);
                    var bids = Get(bidC).Split(new[] { '|' }, StringSplitOptions.RemoveEmptyEntries)
                        .Select(b => (byte)ParseAddress(b.Trim())!.Value).ToArray();
                    result.Add(new DeviceInfo(
                        pid, name, FamilyFacts.FromName(name),
                        Range(Get(ramS), Get(ramE)),
                        Range(Get(flS), Get(flE)),
                        string.IsNullOrWhiteSpace(Get(layC)) ? null : Get(layC),
                        // option_bytes_end is inclusive in the CSV (spec 9).
                        optEnd.HasValue && ParseAddress(Get(obS)).HasValue
                            ? new MemoryRange(ParseAddress(Get(obS))!.Value, optEnd.Value + 1) : MemoryRange.Empty,
                        Range(Get(smS), Get(smE)),
                        ParseFlags(Get(flagC)),
                        pps.Length == 0 ? 1 : int.Parse(pps, CultureInfo.InvariantCulture),
                        bids, ParseAddress(Get(bidAC)), Get(notesC)));
                }
                catch (Exception e) when (e is FormatException || e is OverflowException)
                {
                    throw new FormatException($"{source}, line {li + 1}: {e.Message}", e);
                }
            }
            return result;
        }

        private static MemoryRange Range(string start, string end)
        {
            var s = ParseAddress(start);
            var e = ParseAddress(end);
            return s.HasValue && e.HasValue ? new MemoryRange(s.Value, e.Value) : MemoryRange.Empty;
        }

        private static uint? ParseAddress(string text)
        {
            var t = text.Trim();
            if (t.Length == 0) return null;
            if (t.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
                return uint.Parse(t.Substring(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            return uint.Parse(t, NumberStyles.Integer, CultureInfo.InvariantCulture);
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

        /// <summary>RFC 4180 CSV: quoted fields may hold commas, quotes ("") and line breaks.</summary>
        private static List<List<string>> SplitCsv(string text)
        {
            var rows = new List<List<string>>();
            var row = new List<string>();
            var field = new StringBuilder();
            bool quoted = false;
            for (int i = 0; i < text.Length; i++)
            {
                char c = text[i];
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
                else if (c == '\n') { row.Add(field.ToString()); field.Clear(); rows.Add(row); row = new List<string>(); }
                else field.Append(c);
            }
            if (field.Length > 0 || row.Count > 0) { row.Add(field.ToString()); rows.Add(row); }
            return rows;
        }
    }
}
