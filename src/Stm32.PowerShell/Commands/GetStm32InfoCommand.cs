using System.Management.Automation;
using Stm32.PowerShell.Infrastructure;

namespace Stm32.PowerShell.Commands
{
    /// <summary>What the chip behind a session is: device, bootloader, commands, memory map, protection.</summary>
    [Cmdlet(VerbsCommon.Get, "Stm32Info")]
    [OutputType(typeof(Stm32DeviceInfo))]
    public sealed class GetStm32InfoCommand : Stm32SessionCmdletBase
    {
        #region Overrides

        protected override void ProcessSession(Stm32Session session)
        {
            // Identification happened at connect (Get, Get Version, Get ID) and the session base
            // probed the flash size and read protection; this adds the unique ID and bootloader ID
            // (read once a session) and write protection from the option bytes where readable.
            WriteObject(Stm32DeviceInfo.Read(session, CancelToken, WriteWarning));
        }

        #endregion
    }
}
