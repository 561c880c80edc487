using System;
using System.Globalization;
using System.IO.Ports;
using System.Management.Automation;
using Stm32.PowerShell.Infrastructure;
using Stm32.Protocol.Bootloader;
using Stm32.Protocol.Programming;
using Stm32.Protocol.Transport;

namespace Stm32.PowerShell.Commands
{
    /// <summary>
    /// Opens a port, synchronises with the bootloader, identifies the chip and returns a session.
    /// Opening a port changes nothing on the chip, so there is no ShouldProcess.
    /// </summary>
    [Cmdlet(VerbsCommunications.Connect, "Stm32", DefaultParameterSetName = PortSet)]
    [OutputType(typeof(Stm32Session))]
    public sealed class ConnectStm32Command : Stm32CmdletBase
    {
        #region Parameters

        /// <summary>A serial port (/dev/ttyUSB0, COM3) or sim://&lt;PID or name&gt;.</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true,
            HelpMessage = "The serial port (/dev/ttyUSB0, COM3) or a simulated chip (sim://0x410).")]
        [Alias("PortName")]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(PortNameCompleter))]
        public string Port { get; set; } = "";

        [Parameter]
        [ValidateRange(1200, 4000000)]
        public int BaudRate { get; set; } = 115200;

        /// <summary>Even is what the bootloader speaks (8E1); None only for adapters that cannot do parity.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [ValidateSet("Even", "None", "Odd")]
        public Parity Parity { get; set; } = Parity.Even;

        /// <summary>How long to wait for each reply of a short command, in milliseconds.</summary>
        [Parameter]
        [ValidateRange(10, 60000)]
        [Alias("Timeout")]
        public int TimeoutMs { get; set; } = 500;

        /// <summary>How many more times to try the whole handshake when the chip does not answer.</summary>
        [Parameter]
        [ValidateRange(0, 100)]
        public int Retry { get; set; }

        #endregion

        #region Boot sequence parameters (DTR/RTS wired to RESET/BOOT0)

        private const string PortSet = "Port";
        private string? _entryRan;
        private const string LinesSet = "Lines";
        private const string SequenceSet = "Sequence";

        /// <summary>stm32flash's -i form: entry[:exit] (rts, dtr, brk, '-', ',' = 100 ms, '&amp;' = none, Nms).</summary>
        [Parameter(Mandatory = true, ParameterSetName = SequenceSet)]
        [ValidateNotNull]
        public string BootSequence { get; set; } = "";

        /// <summary>Resets into the bootloader with the usual wiring (DTR = RESET, RTS = BOOT0) or the one the other switches name.</summary>
        [Parameter(ParameterSetName = LinesSet)]
        public SwitchParameter EnterBootloader { get; set; }

        [Parameter(ParameterSetName = LinesSet)]
        [ValidateSet("Dtr", "Rts")]
        public string ResetLine { get; set; } = "Dtr";

        [Parameter(ParameterSetName = LinesSet)]
        [ValidateSet("Rts", "Dtr", "None")]
        public string Boot0Line { get; set; } = "Rts";

        /// <summary>The chip is in reset while the reset line is released (an inverting transistor between).</summary>
        [Parameter(ParameterSetName = LinesSet)]
        public SwitchParameter InvertReset { get; set; }

        /// <summary>BOOT0 is high while its line is asserted (an inverting transistor between).</summary>
        [Parameter(ParameterSetName = LinesSet)]
        public SwitchParameter InvertBoot0 { get; set; }

        [Parameter(ParameterSetName = LinesSet)]
        [ValidateRange(1, 10000)]
        public int ResetPulseMs { get; set; } = 100;

        [Parameter(ParameterSetName = LinesSet)]
        [ValidateRange(0, 10000)]
        public int BootDelayMs { get; set; } = 100;

        #endregion

        #region Overrides

        protected override void ProcessRecord()
        {
            var state = ModuleState.Current;
            // The name as it opens (on Windows \\.\COM12, "COM12:" and com12 are COM12): the
            // session, its messages and the chip left synchronised are known by it.
            Port = SerialPortName.Normalize(Port);
            var settings = new LinkSettings { BaudRate = BaudRate, Parity = Parity };
            OpenedLink? link = null;
            BootSequence? entry, exit;
            try
            {
                (entry, exit) = Sequences();
            }
            catch (Exception e) when (e is FormatException || e is ArgumentException)
            {
                WriteError(Error(e, ErrorIds.InvalidBootSequence, ErrorCategory.InvalidArgument, BootSequence, e is ArgumentException a ? WithoutParamName(a) : e.Message));
                return;
            }
            try
            {
                link = LinkFactory.Open(state, Port, settings, "a connection being opened", WriteWarning);
                WriteVerbose($"Opened {Port} at {BaudRate} baud, 8{ParityLetter(Parity)}1; synchronising with the bootloader.");
                // A session of ours left the chip synchronised (and no entry sequence resets it now):
                // the sync can skip its probe wait.
                // Taken (and so forgotten) either way: after this session only its own end counts.
                var leftSynchronized = state.Sessions.TakeLeftSynchronized(Port);
                var resume = leftSynchronized && (entry == null || entry.IsEmpty);
                var connection = OpenWithRetries(link, entry, resume);
                var opened = link;
                var session = state.Sessions.Add(id => new Stm32Session(id, Port, BaudRate, Parity, connection, opened)
                {
                    EntrySequence = entry,
                    ExitSequenceSteps = exit,
                });
                PortReservations.Update(link.ReservationKey, "session " + session.Id.ToString(CultureInfo.InvariantCulture));
                link = null;
                WriteVerbose($"Session {session.Id}: {session.DeviceName} ({connection.Device.ProductIdHex}), bootloader {session.BootloaderVersion}.");
                foreach (var warning in connection.Warnings) WriteWarning(warning);
                WriteObject(session);
            }
            catch (Stm32NoResponseException e)
            {
                WriteError(NoResponse(e));
            }
            catch (ModemLinesNotSupportedException e)
            {
                WriteError(ModemLinesError(e, Port));
            }
            catch (OperationCanceledException) when (IsStopping)
            {
                throw new PipelineStoppedException();
            }
            catch (Exception e) when (IsMappable(e))
            {
                WriteError(ErrorFor(e, Port));
            }
            finally
            {
                link?.Dispose();
            }
        }

        #endregion

        /// <summary>The entry and exit sequences the parameters ask for (both null: none).</summary>
        private (BootSequence? Entry, BootSequence? Exit) Sequences()
        {
            if (ParameterSetName == SequenceSet)
            {
                var (entry, exit) = Stm32.Protocol.Transport.BootSequence.Parse(BootSequence);
                return (entry, exit);
            }
            if (ParameterSetName != LinesSet) return (null, null);
            // -EnterBootloader:$false asks for no entry sequence, whatever else is bound.
            if (MyInvocation.BoundParameters.ContainsKey(nameof(EnterBootloader)) && !EnterBootloader.IsPresent) return (null, null);
            var reset = ResetLine.Equals("Rts", StringComparison.OrdinalIgnoreCase) ? ModemLine.Rts : ModemLine.Dtr;
            ModemLine? boot0 = Boot0Line.Equals("None", StringComparison.OrdinalIgnoreCase) ? (ModemLine?)null
                : Boot0Line.Equals("Dtr", StringComparison.OrdinalIgnoreCase) ? ModemLine.Dtr : ModemLine.Rts;
            if (!MyInvocation.BoundParameters.ContainsKey(nameof(Boot0Line)) && boot0 == reset)
                boot0 = reset == ModemLine.Dtr ? ModemLine.Rts : ModemLine.Dtr; // -ResetLine Rts alone: BOOT0 on the other line
            var (e, x) = Stm32.Protocol.Transport.BootSequence.ForWiring(reset, boot0, InvertReset, InvertBoot0,
                TimeSpan.FromMilliseconds(ResetPulseMs), TimeSpan.FromMilliseconds(BootDelayMs));
            return (e, x);
        }

        /// <summary>"Cannot drive DTR/RTS on ...": a pty or a TCP stream has no modem lines.</summary>
        internal static ErrorRecord ModemLinesError(ModemLinesNotSupportedException e, object? target)
        {
            var record = new ErrorRecord(e, ErrorIds.ModemLinesNotSupported, ErrorCategory.InvalidOperation, target)
            {
                ErrorDetails = new ErrorDetails(e.Message)
                {
                    RecommendedAction = "Connect without -BootSequence/-EnterBootloader and set BOOT0 and reset the chip by hand, or use a serial adapter whose DTR/RTS are wired to RESET/BOOT0.",
                },
            };
            return record;
        }

        private Stm32Connection OpenWithRetries(OpenedLink link, BootSequence? entry, bool resume)
        {
            var options = new BootloaderOptions { ReplyTimeout = TimeSpan.FromMilliseconds(TimeoutMs), ExpectSynchronized = resume };
            if (resume) WriteVerbose($"The last session on {Port} left the chip synchronised: syncing with 0x7F 0x7F, no probe wait.");
            for (int attempt = 0; ; attempt++)
            {
                try
                {
                    if (entry != null && !entry.IsEmpty)
                    {
                        _entryRan = entry.ToString();
                        WriteVerbose($"Entry sequence on {Port}: {entry}.");
                        entry.Run(link.Link, CancelToken);
                        link.Link.DiscardInput();
                    }
                    return Stm32Connection.Open(link.Link, options, CancelToken);
                }
                catch (Stm32TimeoutException e) when (attempt < Retry)
                {
                    options.ExpectSynchronized = false;
                    WriteVerbose($"Attempt {attempt + 1} of {Retry + 1} failed ({e.Message}); trying again.");
                    link.Link.DiscardInput();
                }
            }
        }

        /// <summary>"No response from the target", the most asked question, with a real answer.</summary>
        private ErrorRecord NoResponse(Stm32NoResponseException e)
        {
            var p = ParityLetter(Parity);
            var message = string.Format(CultureInfo.InvariantCulture,
                "No response from the target on {0} at {1} baud, 8{2}1: sent {3}, received {4}.{5}" +
                "Likely causes, most likely first:{5}" +
                "  1. The chip is not in its bootloader: set BOOT0 high (and BOOT1 low where the part has it), then reset the chip.{5}" +
                (_entryRan != null ? "     The entry sequence " + _entryRan + " ran: check which line is wired to RESET and which to BOOT0, and their polarity (-ResetLine, -Boot0Line, -InvertReset, -InvertBoot0).{5}" : "") +
                "  2. TX and RX are not crossed: the adapter's TX goes to the chip's RX (PA10 on most parts), its RX to the chip's TX (PA9).{5}" +
                "  3. The baud rate: try a lower one (-BaudRate 57600 or 9600); the bootloader measures it from the first 0x7F.{5}" +
                "  4. Parity: the bootloader speaks 8E1 (even parity); the adapter and its driver must do even parity too.{5}" +
                "  5. Another program holds the port or talked to the chip first (a serial monitor, ModemManager).{5}" +
                "  6. Read protection or a locked part (a chip with RDP level 2 has no bootloader at all).",
                Port, BaudRate, p, Stm32Exception.Hex(e.Sent), Stm32Exception.Hex(e.Received), Environment.NewLine);
            var record = new ErrorRecord(e, ErrorIds.BootloaderNoResponse, ErrorCategory.ConnectionError, Port)
            {
                ErrorDetails = new ErrorDetails(message)
                {
                    RecommendedAction = "Check BOOT0 and reset, the TX/RX wiring, -BaudRate and -Parity; Get-Help about_Stm32 has a troubleshooting section.",
                },
            };
            return record;
        }

        private static char ParityLetter(Parity parity) => parity == Parity.Even ? 'E' : parity == Parity.Odd ? 'O' : 'N';
    }
}
