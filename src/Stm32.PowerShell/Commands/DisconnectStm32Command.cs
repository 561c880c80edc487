using System.Management.Automation;
using Stm32.PowerShell.Infrastructure;

namespace Stm32.PowerShell.Commands
{
    /// <summary>
    /// Closes a session: the port is released (a simulated chip keeps its memory for the next
    /// Connect-Stm32). Nothing on the chip changes, hence ConfirmImpact Low.
    /// </summary>
    [Cmdlet(VerbsCommunications.Disconnect, "Stm32", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
    [OutputType(typeof(Stm32Session))]
    public sealed class DisconnectStm32Command : Stm32SessionCmdletBase
    {
        #region Parameters

        [Parameter]
        public SwitchParameter PassThru { get; set; }

        #endregion

        #region Overrides

        protected override bool AcceptsClosedSession => true;

        protected override void ProcessSession(Stm32Session session)
        {
            if (!ShouldProcess(session.ToString(), "Disconnect")) return;
            session.Close();
            WriteVerbose($"Closed {session}.");
            if (PassThru) WriteObject(session);
        }

        #endregion
    }
}
