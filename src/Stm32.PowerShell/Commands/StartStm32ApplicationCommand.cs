using System.Globalization;
using System.Management.Automation;
using Stm32.PowerShell.Infrastructure;

namespace Stm32.PowerShell.Commands
{
    /// <summary>
    /// Go: starts the program whose vector table is at -Address (default the flash start). The
    /// bootloader stops listening, so the session is no longer in the bootloader. With -Reset it
    /// runs the session's exit sequence instead (BOOT0 low, pulse RESET through DTR/RTS), so the
    /// chip boots its application as it would from the reset button.
    /// </summary>
    [Cmdlet(VerbsLifecycle.Start, "Stm32Application", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = "Go")]
    [OutputType(typeof(Stm32Session))]
    public sealed class StartStm32ApplicationCommand : FlashCmdletBase
    {
        #region Parameters

        /// <summary>The vector table of the program (its initial stack pointer, then its reset handler).</summary>
        [Parameter(Position = 0, ParameterSetName = "Go")]
        public uint? Address { get; set; }

        /// <summary>Reset the chip into its application with the session's exit sequence instead of Go.</summary>
        [Parameter(Mandatory = true, ParameterSetName = "Reset")]
        public SwitchParameter Reset { get; set; }

        [Parameter]
        public SwitchParameter PassThru { get; set; }

        #endregion

        protected override void ProcessFlash(Stm32Session session)
        {
            if (Reset)
            {
                var exit = ExitSequenceOf(session, "Use Start-Stm32Application without -Reset (Go), or Disconnect-Stm32 -ExitSequence.", "Start-Stm32Application");
                if (exit == null) return;
                if (!ShouldProcess($"{session.DeviceName} (session {session.Id}, {session.Port})", $"Reset into the application ({exit})")) return;
                if (!RunExitSequence(session, exit)) return;
                WriteVerbose($"Ran the exit sequence on {session.Port} ({exit}); the chip runs its application.");
                if (PassThru) WriteObject(session);
                return;
            }
            var address = Address ?? session.Connection.Flash.Start;
            CheckGoAddress(session, address);
            if (!ShouldProcess($"{session.DeviceName} (session {session.Id}, {session.Port})", $"Start the program at {Hex(address)} (Go)")) return;
            session.Connection.Go(address, CancelToken);
            WriteVerbose($"Started the program at {Hex(address)}; the bootloader no longer listens. Reset the chip with BOOT0 high and connect again to program it.");
            if (PassThru) WriteObject(session);
        }

        /// <summary>
        /// Bad input refused before anything is sent (issue 8): Go takes the address of a vector
        /// table (stack pointer, then reset vector), which is word-aligned and lies in flash or RAM.
        /// </summary>
        private static void CheckGoAddress(Stm32Session session, uint address)
        {
            var device = session.Connection.Device;
            var flash = session.Connection.Flash;
            if ((address & 3) != 0)
                throw new ModuleException(ErrorIds.AddressOutOfRange, ErrorCategory.InvalidArgument, string.Format(CultureInfo.InvariantCulture,
                    "{0} is not on a 4-byte boundary. Go takes the address of a vector table (the initial stack pointer, then the reset vector), not of code; "
                    + "an odd address such as a reset handler's (Thumb bit set) is a mistake. The application's vector table is usually at the flash start{1}.",
                    Hex(address), flash.IsEmpty ? "" : ", " + Hex(flash.Start)));
            if (device.IsGeneric || flash.IsEmpty) return;
            if (!flash.Contains(address, 8) && !device.Ram.Contains(address, 8))
                throw new ModuleException(ErrorIds.AddressOutOfRange, ErrorCategory.InvalidArgument, string.Format(CultureInfo.InvariantCulture,
                    "{0} is neither in the flash ({1}) nor in the RAM the bootloader leaves free ({2}) of {3}: Go starts programs only from those.",
                    Hex(address), flash, device.Ram, session.DeviceName));
        }
    }
}
