using System.Management.Automation;

namespace Stm32.PowerShell.Infrastructure
{
    /// <summary>
    /// Remove-Module closes the runspace's sessions and stops its simulated chips, so no serial
    /// port stays locked. Other runspaces that imported the module keep theirs (a runspace that
    /// closes frees its own, see ModuleState).
    /// </summary>
    public sealed class ModuleInit : IModuleAssemblyCleanup
    {
        public void OnRemove(PSModuleInfo psModuleInfo)
        {
            ModuleState.Current.CloseAll();
        }
    }
}
