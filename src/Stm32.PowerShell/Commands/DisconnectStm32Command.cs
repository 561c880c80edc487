using System;
using System.Management.Automation;
using Stm32.PowerShell.Infrastructure;
using Stm32.Protocol.Transport;

namespace Stm32.PowerShell.Commands
{
    /// <summary>
    /// Closes a session: the port is released (a simulated chip keeps its memory for the next
    /// Connect-Stm32). Nothing on the chip changes, hence ConfirmImpact Low; -Reset (or
    /// -ExitSequence) first resets the chip into its application through DTR/RTS.
    /// </summary>
    [Cmdlet(VerbsCommunications.Disconnect, "Stm32", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
    [OutputType(typeof(Stm32Session))]
    public sealed class DisconnectStm32Command : Stm32SessionCmdletBase
    {
        #region Parameters

        [Parameter]
        public SwitchParameter PassThru { get; set; }

        /// <summary>Runs the session's exit sequence (BOOT0 low, pulse RESET) before closing.</summary>
        [Parameter]
        public SwitchParameter Reset { get; set; }

        /// <summary>An exit sequence in stm32flash's -i form (implies -Reset).</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? ExitSequence { get; set; }

        #endregion

        #region Overrides

        protected override bool AcceptsClosedSession => true;

        protected override void ProcessSession(Stm32Session session)
        {
            BootSequence? exit = null;
            if (ExitSequence != null)
            {
                try
                {
                    exit = BootSequence.ParseSequence(ExitSequence);
                }
                catch (FormatException e)
                {
                    WriteError(Error(e, ErrorIds.InvalidBootSequence, ErrorCategory.InvalidArgument, ExitSequence, e.Message));
                    return;
                }
            }
            else if (Reset)
            {
                exit = ExitSequenceOf(session, "Give one with -ExitSequence, e.g. 'rts&dtr,-dtr,-rts'.", "Disconnect-Stm32 -ExitSequence 'rts&dtr,-dtr,-rts'");
                if (exit == null) return;
            }

            var action = exit != null ? $"Reset into the application ({exit}) and disconnect" : "Disconnect";
            if (!ShouldProcess(session.ToString(), action)) return;
            if (exit != null && session.IsOpen)
            {
                // Closed whatever happens: a failed sequence is reported, and the chip (unless the
                // link had no lines to drive) counts as out of the bootloader.
                try
                {
                    RunExitSequence(session, exit);
                }
                catch (OperationCanceledException) when (IsStopping)
                {
                    throw new PipelineStoppedException();
                }
                catch (Exception e) when (IsMappable(e))
                {
                    WriteError(ErrorFor(e, session));
                }
            }
            session.Close();
            WriteVerbose($"Closed {session}.");
            if (PassThru) WriteObject(session);
        }

        #endregion
    }
}
