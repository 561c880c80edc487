using System;
using System.Linq;
using System.Management.Automation;
using Stm32.PowerShell.Infrastructure;
using Stm32.Protocol.Transport;

namespace Stm32.PowerShell.Commands
{
    /// <summary>
    /// The serial ports present, with what the operating system knows about each (USB ids,
    /// manufacturer, product, serial number, a stable by-id path, the driver). Each has a Port
    /// property, so Get-Stm32Port | Connect-Stm32 binds it by property name.
    /// </summary>
    [Cmdlet(VerbsCommon.Get, "Stm32Port")]
    [OutputType(typeof(SerialPortDescription))]
    public sealed class GetStm32PortCommand : Stm32CmdletBase
    {
        /// <summary>Port, name, by-id path, product, serial number, manufacturer or (Windows) device instance ID; wildcards allowed.</summary>
        [Parameter(Position = 0)]
        [SupportsWildcards]
        [ValidateNotNullOrEmpty]
        public string[]? Name { get; set; }

        protected override void EndProcessing()
        {
            var ports = SerialPortCatalog.Enumerate();
            if (Name == null)
            {
                WriteObject(ports, true);
                return;
            }
            foreach (var n in Name)
            {
                // A plain name as Connect-Stm32 takes it (on Windows \\.\COM12, COM12: and com12 are COM12).
                var wildcard = WildcardPattern.ContainsWildcardCharacters(n);
                var pattern = new WildcardPattern(wildcard ? n : WildcardPattern.Escape(SerialPortName.Normalize(n)), WildcardOptions.IgnoreCase);
                var hits = ports.Where(p => new[] { p.Port, p.Name, p.ByIdPath, p.Product, p.SerialNumber, p.Manufacturer, p.DeviceId }
                    .Any(v => v != null && pattern.IsMatch(v))).ToList();
                if (hits.Count == 0 && !wildcard)
                {
                    WriteError(Error($"No serial port matches '{n}'. Get-Stm32Port without -Name lists the ones present; is the adapter plugged in?",
                        ErrorIds.PortNotFound, ErrorCategory.ObjectNotFound, n));
                    continue;
                }
                WriteObject(hits, true);
            }
        }
    }
}
