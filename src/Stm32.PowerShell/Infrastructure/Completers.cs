using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using Stm32.Protocol.Devices;
using Stm32.Protocol.Transport;

namespace Stm32.PowerShell.Infrastructure
{
    /// <summary>
    /// -Port completion: the serial ports present now, as Get-Stm32Port lists them
    /// (SerialPortCatalog: each port and its /dev/serial/by-id path), the ports of open sessions
    /// and sim:// names from the catalog. A completer rather than a ValidateSet, so an adapter
    /// plugged in later still works.
    /// </summary>
    public sealed class PortNameCompleter : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
            CommandAst commandAst, IDictionary fakeBoundParameters)
        {
            var pattern = Completion.Pattern(wordToComplete);
            var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            var results = new List<CompletionResult>();
            void Add(string name, string tip)
            {
                if (pattern.IsMatch(name) && seen.Add(name))
                    results.Add(new CompletionResult(Completion.Quote(name), name, CompletionResultType.ParameterValue, tip));
            }

            foreach (var d in SafeCatalog())
            {
                var about = d.Description.Length > 0 ? " (" + d.Description + ")" : "";
                Add(d.Port, "Serial port " + d.Port + about);
                if (!string.IsNullOrEmpty(d.ByIdPath)) Add(d.ByIdPath!, "Serial adapter " + d.Port + about + ", by its stable path");
            }
            foreach (var s in ModuleState.Current.Sessions.Snapshot().Where(s => s.IsOpen))
                Add(s.Port, $"Open in session {s.Id} ({s.DeviceName})");
            foreach (var (name, description) in LinkFactory.SimNames()) Add(name, "Simulated " + description);
            // sim://F103, sim://STM32F401RE: the rows that name or part number stands for, by product ID.
            var typed = Completion.Word(wordToComplete);
            if (typed.StartsWith(LinkFactory.SimScheme, StringComparison.OrdinalIgnoreCase) && typed.Length > LinkFactory.SimScheme.Length)
            {
                var what = typed.Substring(LinkFactory.SimScheme.Length);
                foreach (var d in Completion.Devices(what).Where(d => !d.Flash.IsEmpty))
                {
                    var name = LinkFactory.SimScheme + d.ProductIdHex;
                    if (seen.Add(name))
                        results.Add(new CompletionResult(name, name + " (" + d.Name + ")", CompletionResultType.ParameterValue, "Simulated " + d.Name));
                }
            }
            return results;
        }

        /// <summary>What Get-Stm32Port lists; nothing when the system will not say (a completer never throws).</summary>
        private static IEnumerable<SerialPortDescription> SafeCatalog()
        {
            try
            {
                return SerialPortCatalog.Enumerate();
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException || e is DllNotFoundException || e is EntryPointNotFoundException)
            {
                return Array.Empty<SerialPortDescription>();
            }
        }
    }

    /// <summary>
    /// Get-Stm32Device -Name completion: catalog names, and the STM32 lines the rows cover
    /// ("STM32F401"), matched from the start with or without "STM32".
    /// </summary>
    public sealed class DeviceNameCompleter : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
            CommandAst commandAst, IDictionary fakeBoundParameters)
        {
            var matches = Completion.NameMatcher(wordToComplete);
            var all = DeviceCatalog.All;
            foreach (var d in all.Where(d => matches(d.Name)).OrderBy(d => d.Name, StringComparer.OrdinalIgnoreCase))
                yield return new CompletionResult(Completion.Quote(d.Name), d.Name, CompletionResultType.ParameterValue, Completion.Describe(d));
            var lines = new SortedDictionary<string, List<DeviceInfo>>(StringComparer.OrdinalIgnoreCase);
            foreach (var d in all)
                foreach (var part in DeviceCatalog.PartNames(d))
                    if (PartNumber.TryParse(part, out var p) && p.Line.IndexOf('X') < 0)
                    {
                        var line = "STM32" + p.Line;
                        if (!lines.TryGetValue(line, out var rows)) lines[line] = rows = new List<DeviceInfo>();
                        if (!rows.Contains(d)) rows.Add(d);
                    }
            foreach (var pair in lines.Where(l => matches(l.Key) && !all.Any(d => string.Equals(d.Name, l.Key, StringComparison.OrdinalIgnoreCase))))
                yield return new CompletionResult(pair.Key, pair.Key, CompletionResultType.ParameterValue,
                    pair.Key + ": " + string.Join(", ", pair.Value.Select(d => d.ProductIdHex + " " + d.Name)));
        }
    }

    /// <summary>Get-Stm32Device -ProductId completion: the catalog's product IDs (0x410), each with its name.</summary>
    public sealed class ProductIdCompleter : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
            CommandAst commandAst, IDictionary fakeBoundParameters)
            => Completion.ProductIds(wordToComplete, DeviceCatalog.All);
    }

    /// <summary>
    /// Start-Stm32Simulator -Device completion: the product IDs and names of the rows with a memory
    /// map (the ones a simulated chip can be made of); a part number typed offers its rows.
    /// </summary>
    public sealed class SimulatedDeviceCompleter : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
            CommandAst commandAst, IDictionary fakeBoundParameters)
        {
            var rows = DeviceCatalog.All.Where(d => !d.Flash.IsEmpty).ToList();
            var results = Completion.ProductIds(wordToComplete, rows).ToList();
            var word = Completion.Word(wordToComplete);
            var matches = Completion.NameMatcher(wordToComplete);
            foreach (var d in rows.Where(d => matches(d.Name)))
                results.Add(new CompletionResult(Completion.Quote(d.Name), d.Name, CompletionResultType.ParameterValue, Completion.Describe(d)));
            if (results.Count == 0 && word.Length > 0)
                foreach (var d in Completion.Devices(word).Where(rows.Contains))
                    results.Add(new CompletionResult(d.ProductIdHex, d.ProductIdHex + " (" + d.Name + ")", CompletionResultType.ParameterValue, Completion.Describe(d)));
            return results;
        }
    }

    /// <summary>Start-Stm32Simulator -Protocol completion: the bootloader versions the simulator speaks.</summary>
    public sealed class SimulatorProtocolCompleter : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
            CommandAst commandAst, IDictionary fakeBoundParameters)
        {
            var pattern = Completion.Pattern(wordToComplete);
            return LinkFactory.ProtocolVersionNames.Where(pattern.IsMatch)
                .Select(v => new CompletionResult(v, v, CompletionResultType.ParameterValue, "Bootloader version " + v));
        }
    }

    /// <summary>
    /// Start-Stm32Simulator -Protocol: one of the bootloader versions the simulator speaks (the
    /// list sim://…?protocol= takes). Refused at binding, as a ValidateSet would.
    /// </summary>
    [AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
    public sealed class ValidateSimulatorProtocolAttribute : ValidateEnumeratedArgumentsAttribute
    {
        protected override void ValidateElement(object element)
        {
            if (!(element is string text) || !LinkFactory.TryParseProtocol(text, out _))
                throw new ValidationMetadataException(
                    $"'{element}' is not a bootloader version the simulator speaks; use one of {string.Join(", ", LinkFactory.ProtocolVersionNames)}.");
        }
    }

    /// <summary>-SessionId completion: the open sessions of this runspace.</summary>
    public sealed class SessionIdCompleter : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
            CommandAst commandAst, IDictionary fakeBoundParameters)
        {
            var pattern = Completion.Pattern(wordToComplete);
            foreach (var s in ModuleState.Current.Sessions.Snapshot())
            {
                var id = s.Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
                if (pattern.IsMatch(id))
                    yield return new CompletionResult(id, id, CompletionResultType.ParameterValue, s.ToString());
            }
        }
    }

    internal static class Completion
    {
        /// <summary>What was typed, quotes stripped.</summary>
        public static string Word(string? word) => (word ?? "").Trim('\'', '"');

        /// <summary>What was typed (quotes stripped) plus '*', as PSResourceGet's completers do.</summary>
        public static WildcardPattern Pattern(string? word)
            => new WildcardPattern(WildcardPattern.Escape(Word(word)) + "*", WildcardOptions.IgnoreCase);

        /// <summary>A catalog name or line matches what was typed from its start, with or without "STM32".</summary>
        public static Func<string, bool> NameMatcher(string? word)
        {
            var w = Word(word);
            var plain = Pattern(w);
            var bare = new WildcardPattern("STM32" + WildcardPattern.Escape(w) + "*", WildcardOptions.IgnoreCase);
            return text => plain.IsMatch(text) || bare.IsMatch(text);
        }

        /// <summary>Product IDs ("0x410"; "41" and "0x41" both match it), each with its name.</summary>
        public static IEnumerable<CompletionResult> ProductIds(string? word, IEnumerable<DeviceInfo> rows)
        {
            var w = Word(word);
            var pattern = Pattern(w.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? w : "0x" + w);
            return rows.Where(d => pattern.IsMatch(d.ProductIdHex))
                .Select(d => new CompletionResult(d.ProductIdHex, d.ProductIdHex + " " + d.Name, CompletionResultType.ParameterValue, Describe(d)));
        }

        /// <summary>The rows a typed name, line or part number stands for ("F103", "STM32F401RE", "STM32F10xxx").</summary>
        public static IReadOnlyList<DeviceInfo> Devices(string typed)
        {
            var matches = NameMatcher(typed);
            var rows = DeviceCatalog.All.Where(d => matches(d.Name) || DeviceCatalog.PartNames(d).Any(matches)).ToList();
            foreach (var d in DeviceCatalog.FindByPartNumber(typed)) if (!rows.Contains(d)) rows.Add(d);
            return rows;
        }

        /// <summary>A tooltip: product ID, name and what the catalog lacks.</summary>
        public static string Describe(DeviceInfo d)
            => d.ProductIdHex + " " + d.Name + (d.Flags.HasFlag(DeviceFlags.NameOnly) ? " (known by name only)"
                : d.Flash.IsEmpty ? " (no memory map)" : "");

        public static string Quote(string text)
            => text.IndexOfAny(new[] { ' ', '\t', '\'', '"', '$', '`', '(', ')', '&', ';', '{', '}', ',', '@', '#' }) >= 0
                ? "'" + text.Replace("'", "''") + "'"
                : text;
    }
}
