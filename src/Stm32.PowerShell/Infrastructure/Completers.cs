using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
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
        /// <summary>What was typed (quotes stripped) plus '*', as PSResourceGet's completers do.</summary>
        public static WildcardPattern Pattern(string? word)
        {
            var w = (word ?? "").Trim('\'', '"');
            return new WildcardPattern(WildcardPattern.Escape(w) + "*", WildcardOptions.IgnoreCase);
        }

        public static string Quote(string text)
            => text.IndexOfAny(new[] { ' ', '\t', '\'', '"', '$', '`', '(', ')', '&', ';', '{', '}', ',', '@', '#' }) >= 0
                ? "'" + text.Replace("'", "''") + "'"
                : text;
    }
}
