using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Threading;

namespace Stm32.Protocol.Transport
{
    /// <summary>What one step of a <see cref="BootSequence"/> does.</summary>
    public enum BootStepKind
    {
        /// <summary>Assert or release DTR or RTS.</summary>
        SetLine,

        /// <summary>Wait.</summary>
        Delay,

        /// <summary>Send a BREAK on TX, then return to normal (stm32flash's "brk").</summary>
        BreakPulse,
    }

    /// <summary>One step: set a line, wait, or pulse BREAK.</summary>
    public readonly struct BootStep : IEquatable<BootStep>
    {
        private BootStep(BootStepKind kind, ModemLine line, bool asserted, TimeSpan duration)
        {
            Kind = kind;
            Line = line;
            Asserted = asserted;
            Duration = duration;
        }

        public BootStepKind Kind { get; }

        /// <summary>The line a <see cref="BootStepKind.SetLine"/> step drives.</summary>
        public ModemLine Line { get; }

        /// <summary>True: the line is asserted (stm32flash's "rts", its pin driven low on a USB-TTL adapter); false: released ("-rts").</summary>
        public bool Asserted { get; }

        /// <summary>How long a Delay waits, or how long a BREAK lasts.</summary>
        public TimeSpan Duration { get; }

        public static BootStep Set(ModemLine line, bool asserted)
        {
            if (line == ModemLine.Break) throw new ArgumentException("BREAK is pulsed (BootStep.Break), not held.", nameof(line));
            return new BootStep(BootStepKind.SetLine, line, asserted, TimeSpan.Zero);
        }

        public static BootStep Wait(TimeSpan duration)
        {
            if (duration < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(duration));
            return new BootStep(BootStepKind.Delay, default, false, duration);
        }

        public static BootStep Break(TimeSpan duration) => new BootStep(BootStepKind.BreakPulse, ModemLine.Break, true, duration);

        public bool Equals(BootStep other) => Kind == other.Kind && Line == other.Line && Asserted == other.Asserted && Duration == other.Duration;

        public override bool Equals(object? obj) => obj is BootStep s && Equals(s);

        public override int GetHashCode() => ((int)Kind * 397) ^ ((int)Line * 31) ^ (Asserted ? 1 : 0) ^ Duration.GetHashCode();

        public override string ToString()
        {
            switch (Kind)
            {
                case BootStepKind.SetLine: return (Asserted ? "" : "-") + Line.ToString().ToLowerInvariant();
                case BootStepKind.BreakPulse: return "brk";
                default: return ((long)Duration.TotalMilliseconds).ToString(CultureInfo.InvariantCulture) + "ms";
            }
        }
    }

    /// <summary>A boot sequence string could not be parsed.</summary>
    public sealed class BootSequenceFormatException : FormatException
    {
        public BootSequenceFormatException(string text, string message) : base(message)
        {
            Text = text;
        }

        public string Text { get; }
    }

    /// <summary>The link cannot drive the modem lines a boot sequence needs (a pseudo-terminal, a raw TCP stream).</summary>
    public sealed class ModemLinesNotSupportedException : NotSupportedException
    {
        public ModemLinesNotSupportedException(string linkName, Exception? inner = null)
            : base($"Cannot drive DTR/RTS on {linkName}: it has no modem lines (a pseudo-terminal or a raw TCP stream). "
                   + "Drop the boot sequence and set BOOT0 and reset the chip by hand, or use a serial adapter whose DTR/RTS are wired to RESET/BOOT0.", inner)
        {
            LinkName = linkName;
        }

        public string LinkName { get; }
    }

    /// <summary>
    /// A sequence of modem-line changes and delays that resets a chip into its bootloader (entry)
    /// or into its application (exit), for boards that wire RESET and BOOT0 to the adapter's DTR
    /// and RTS. <see cref="Parse"/> reads stm32flash's <c>-i</c> syntax (plus "<c>N</c>ms" delays);
    /// <see cref="ForWiring"/> builds the usual pair from which line is which.
    /// </summary>
    public sealed class BootSequence
    {
        /// <summary>What ',' waits (stm32flash: 100 ms).</summary>
        public static readonly TimeSpan CommaDelay = TimeSpan.FromMilliseconds(100);

        /// <summary>How long "brk" holds BREAK (tcsendbreak(fd, 0) lasts 0.25-0.5 s).</summary>
        public static readonly TimeSpan BreakDuration = TimeSpan.FromMilliseconds(250);

        public BootSequence(IEnumerable<BootStep> steps)
        {
            Steps = (steps ?? throw new ArgumentNullException(nameof(steps))).ToArray();
        }

        public IReadOnlyList<BootStep> Steps { get; }

        public bool IsEmpty => Steps.Count == 0;

        /// <summary>True when some step drives DTR, RTS or BREAK (a pure delay needs no modem lines).</summary>
        public bool UsesModemLines => Steps.Any(s => s.Kind != BootStepKind.Delay);

        /// <summary>The whole time the sequence waits.</summary>
        public TimeSpan TotalDelay => TimeSpan.FromTicks(Steps.Sum(s => s.Duration.Ticks));

        /// <summary>Runs the steps on <paramref name="link"/>. Throws <see cref="ModemLinesNotSupportedException"/> before touching anything when the link has no modem lines.</summary>
        public void Run(IByteLink link, CancellationToken ct = default)
        {
            if (link == null) throw new ArgumentNullException(nameof(link));
            if (UsesModemLines && !link.SupportsModemLines) throw new ModemLinesNotSupportedException(link.Name);
            foreach (var step in Steps)
            {
                ct.ThrowIfCancellationRequested();
                switch (step.Kind)
                {
                    case BootStepKind.SetLine:
                        link.SetModemLine(step.Line, step.Asserted);
                        break;
                    case BootStepKind.BreakPulse:
                        link.SetModemLine(ModemLine.Break, true);
                        try
                        {
                            Wait(step.Duration, ct);
                        }
                        finally
                        {
                            link.SetModemLine(ModemLine.Break, false);
                        }
                        break;
                    default:
                        Wait(step.Duration, ct);
                        break;
                }
            }
        }

        private static void Wait(TimeSpan duration, CancellationToken ct)
        {
            if (duration <= TimeSpan.Zero) return;
            if (ct.WaitHandle.WaitOne(duration)) ct.ThrowIfCancellationRequested();
        }

        /// <summary>The canonical text: elements joined by '&amp;', delays as "Nms" (parses back to the same steps).</summary>
        public override string ToString() => string.Join("&", Steps.Select(s => s.ToString()));

        #region Parsing (stm32flash -i)

        /// <summary>
        /// Parses <c>[entry][:[exit]]</c> (stm32flash's -i). Each sequence is elements separated by
        /// ',' (then wait 100 ms) or '&amp;' (no wait). An element is <c>rts</c>, <c>dtr</c> (assert),
        /// <c>-rts</c>, <c>-dtr</c> (release), <c>brk</c> (a BREAK pulse), <c>-brk</c> (ignored, as
        /// in stm32flash), empty (only the separator's delay) or, beyond stm32flash, <c>N</c>ms (wait
        /// N milliseconds). GPIO numbers are refused: only the serial port's own lines are driven.
        /// </summary>
        public static (BootSequence Entry, BootSequence? Exit) Parse(string text)
        {
            if (text == null) throw new ArgumentNullException(nameof(text));
            var colon = text.IndexOf(':');
            if (colon >= 0 && text.IndexOf(':', colon + 1) >= 0)
                throw new BootSequenceFormatException(text, $"'{text}' has more than one ':'; the form is entry[:exit], e.g. '-rts&dtr,-dtr,:rts&dtr,-dtr'.");
            var entry = ParseOne(colon < 0 ? text : text.Substring(0, colon), text);
            var exit = colon < 0 ? null : ParseOne(text.Substring(colon + 1), text);
            return (entry, exit);
        }

        /// <summary>Parses one sequence (no ':').</summary>
        public static BootSequence ParseSequence(string text)
        {
            if (text == null) throw new ArgumentNullException(nameof(text));
            if (text.IndexOf(':') >= 0) throw new BootSequenceFormatException(text, $"'{text}' is one sequence: it may not contain ':'.");
            return ParseOne(text, text);
        }

        private static BootSequence ParseOne(string seq, string whole)
        {
            var steps = new List<BootStep>();
            var element = new StringBuilder();
            void Flush()
            {
                var e = element.ToString().Trim();
                element.Clear();
                if (e.Length == 0) return;
                var negate = e.StartsWith("-", StringComparison.Ordinal);
                var name = (negate ? e.Substring(1) : e).Trim().ToLowerInvariant();
                switch (name)
                {
                    case "rts": steps.Add(BootStep.Set(ModemLine.Rts, !negate)); return;
                    case "dtr": steps.Add(BootStep.Set(ModemLine.Dtr, !negate)); return;
                    case "brk":
                        if (!negate) steps.Add(BootStep.Break(BreakDuration)); // "-brk" has no effect (stm32flash)
                        return;
                }
                if (name.Length > 0 && name.All(char.IsDigit))
                    throw new BootSequenceFormatException(whole,
                        $"'{e}' in '{whole}' is a host GPIO number: not supported, only the serial port's own lines (rts, dtr, brk) can be driven.");
                if (!negate && name.EndsWith("ms", StringComparison.Ordinal)
                    && int.TryParse(name.Substring(0, name.Length - 2), NumberStyles.None, CultureInfo.InvariantCulture, out var ms))
                {
                    steps.Add(BootStep.Wait(TimeSpan.FromMilliseconds(ms)));
                    return;
                }
                throw new BootSequenceFormatException(whole,
                    $"'{e}' in '{whole}' is not a signal: use rts, dtr or brk, '-' before a line to release it, ',' for 100 ms, '&' for none, or e.g. 250ms.");
            }
            foreach (var ch in seq)
            {
                if (ch == ',' || ch == '&')
                {
                    Flush();
                    if (ch == ',') steps.Add(BootStep.Wait(CommaDelay));
                }
                else
                {
                    element.Append(ch);
                }
            }
            Flush();
            return new BootSequence(Merge(steps));
        }

        /// <summary>Adjacent delays become one (",,," is one 300 ms wait).</summary>
        private static IEnumerable<BootStep> Merge(List<BootStep> steps)
        {
            var result = new List<BootStep>();
            foreach (var s in steps)
            {
                if (s.Kind == BootStepKind.Delay && result.Count > 0 && result[result.Count - 1].Kind == BootStepKind.Delay)
                    result[result.Count - 1] = BootStep.Wait(result[result.Count - 1].Duration + s.Duration);
                else
                    result.Add(s);
            }
            return result;
        }

        #endregion

        #region From the wiring

        /// <summary>
        /// The entry and exit sequences for a board whose RESET is on <paramref name="resetLine"/>
        /// and BOOT0 on <paramref name="boot0Line"/> (null: BOOT0 is set by hand or strapped).
        /// On a USB-TTL adapter an asserted line drives its pin low, so by default asserting the
        /// reset line holds nRST low (reset) and asserting the BOOT0 line pulls BOOT0 low;
        /// <paramref name="invertReset"/>/<paramref name="invertBoot0"/> are for an inverting
        /// transistor in between. Entry: BOOT0 high, RESET active for <paramref name="resetPulse"/>,
        /// released, wait <paramref name="bootDelay"/>. Exit: BOOT0 low, the same pulse and wait,
        /// then the BOOT0 line is released (BOOT0 is only sampled at reset).
        /// </summary>
        public static (BootSequence Entry, BootSequence Exit) ForWiring(ModemLine resetLine, ModemLine? boot0Line,
            bool invertReset = false, bool invertBoot0 = false, TimeSpan? resetPulse = null, TimeSpan? bootDelay = null)
        {
            if (resetLine == ModemLine.Break || boot0Line == ModemLine.Break)
                throw new ArgumentException("RESET and BOOT0 are wired to DTR or RTS, not BREAK.");
            if (boot0Line == resetLine)
                throw new ArgumentException($"RESET and BOOT0 cannot both be on {resetLine}.");
            var pulse = resetPulse ?? CommaDelay;
            var delay = bootDelay ?? CommaDelay;
            bool resetActive = !invertReset;          // asserted = pin low = nRST active
            bool boot0HighAsserted = invertBoot0;     // asserted = pin low = BOOT0 low, unless inverted

            List<BootStep> Build(bool boot0High, bool releaseBoot0After)
            {
                var s = new List<BootStep>();
                if (boot0Line is ModemLine b) s.Add(BootStep.Set(b, boot0High == boot0HighAsserted));
                s.Add(BootStep.Set(resetLine, resetActive));
                s.Add(BootStep.Wait(pulse));
                s.Add(BootStep.Set(resetLine, !resetActive));
                s.Add(BootStep.Wait(delay));
                if (releaseBoot0After && boot0Line is ModemLine b2 && boot0High == boot0HighAsserted) s.Add(BootStep.Set(b2, false));
                return s;
            }
            return (new BootSequence(Build(true, false)), new BootSequence(Build(false, true)));
        }

        #endregion
    }
}
