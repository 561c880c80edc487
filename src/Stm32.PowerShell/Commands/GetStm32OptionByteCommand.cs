using System.Linq;
using System.Management.Automation;
using Stm32.PowerShell.Infrastructure;
using Stm32.Protocol.Devices;
using Stm32.Protocol.Programming;

namespace Stm32.PowerShell.Commands
{
    /// <summary>
    /// Reads the chip's option bytes and decodes them per family (read protection, watchdog and
    /// reset bits, nBOOT bits, data bytes, write protection) with the raw bytes alongside.
    /// </summary>
    [Cmdlet(VerbsCommon.Get, "Stm32OptionByte")]
    [OutputType(typeof(Stm32OptionByte))]
    public sealed class GetStm32OptionByteCommand : Stm32SessionCmdletBase
    {
        #region Overrides

        protected override void ProcessSession(Stm32Session session)
        {
            // ReadOptionBytes: OptionBytesNotSupportedException (H7/L5/U5/H5) and
            // Stm32ReadProtectedException (RDP 1) go to ErrorFor like every other failure.
            var options = session.Connection.ReadOptionBytes(CancelToken);
            session.NoteWriteProtectedPages(options.WriteProtectedPages);
            if (options.BadComplementOffsets.Count > 0)
                WriteWarning($"{session}: complement bytes do not match their values at {string.Join(", ", options.BadComplementOffsets.Select(o => "+0x" + o.ToString("X2")))} (an option byte error: the chip may ignore the block at reset).");
            WriteObject(new Stm32OptionByte(session, options));
        }

        #endregion
    }
}
