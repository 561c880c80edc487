using System.Management.Automation;
using Stm32.PowerShell.Infrastructure;

namespace Stm32.PowerShell.Commands
{
    /// <summary>
    /// Go: starts the program whose vector table is at -Address (default the flash start). The
    /// bootloader stops listening, so the session is no longer in the bootloader.
    /// </summary>
    [Cmdlet(VerbsLifecycle.Start, "Stm32Application", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(Stm32Session))]
    public sealed class StartStm32ApplicationCommand : FlashCmdletBase
    {
        #region Parameters

        /// <summary>The vector table of the program (its initial stack pointer, then its reset handler).</summary>
        [Parameter(Position = 0)]
        public uint? Address { get; set; }

        [Parameter]
        public SwitchParameter PassThru { get; set; }

        #endregion

        protected override void ProcessFlash(Stm32Session session)
        {
            var address = Address ?? session.Connection.Flash.Start;
            if (!ShouldProcess($"{session.DeviceName} (session {session.Id}, {session.Port})", $"Start the program at {Hex(address)} (Go)")) return;
            session.Connection.Go(address, CancelToken);
            WriteVerbose($"Started the program at {Hex(address)}; the bootloader no longer listens. Reset the chip with BOOT0 high and connect again to program it.");
            if (PassThru) WriteObject(session);
        }
    }
}
