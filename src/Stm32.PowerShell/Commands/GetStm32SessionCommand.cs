using System.Linq;
using System.Management.Automation;
using Stm32.PowerShell.Infrastructure;

namespace Stm32.PowerShell.Commands
{
    /// <summary>Lists the open sessions of this runspace (a snapshot, so Get | Disconnect is safe).</summary>
    [Cmdlet(VerbsCommon.Get, "Stm32Session")]
    [OutputType(typeof(Stm32Session))]
    public sealed class GetStm32SessionCommand : Stm32CmdletBase
    {
        #region Parameters

        [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
        [Alias("SessionId")]
        [ArgumentCompleter(typeof(SessionIdCompleter))]
        public int[]? Id { get; set; }

        #endregion

        #region Overrides

        protected override void ProcessRecord()
        {
            var sessions = ModuleState.Current.Sessions.Snapshot();
            if (Id == null || Id.Length == 0)
            {
                foreach (var s in sessions) WriteObject(s);
                return;
            }
            foreach (var id in Id)
            {
                var s = sessions.FirstOrDefault(x => x.Id == id);
                if (s != null) WriteObject(s);
                else
                    WriteError(Error($"There is no session with Id {id} in this runspace.",
                        ErrorIds.SessionNotFound, ErrorCategory.ObjectNotFound, id, "Get-Stm32Session"));
            }
        }

        #endregion
    }
}
