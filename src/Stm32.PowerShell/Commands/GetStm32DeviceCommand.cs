using System.Linq;
using System.Management.Automation;
using Stm32.PowerShell.Infrastructure;
using Stm32.Protocol.Devices;

namespace Stm32.PowerShell.Commands
{
    /// <summary>The device catalog: "is my chip supported?" answered before any wiring.</summary>
    [Cmdlet(VerbsCommon.Get, "Stm32Device", DefaultParameterSetName = "Name")]
    [OutputType(typeof(DeviceInfo))]
    public sealed class GetStm32DeviceCommand : Stm32CmdletBase
    {
        #region Parameters

        /// <summary>Device name, wildcards allowed ("*F030*").</summary>
        [Parameter(Position = 0, ParameterSetName = "Name", ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [Alias("DeviceName")]
        [SupportsWildcards]
        public string[]? Name { get; set; }

        /// <summary>The product ID the bootloader reports (Get ID), e.g. 0x410.</summary>
        [Parameter(Mandatory = true, ParameterSetName = "ProductId", ValueFromPipelineByPropertyName = true,
            HelpMessage = "The product ID the bootloader reports, for example 0x410.")]
        [Alias("Pid")]
        [ValidateRange(0, 0xFFF)]
        public int[]? ProductId { get; set; }

        #endregion

        #region Overrides

        protected override void ProcessRecord()
        {
            var all = DeviceCatalog.All;
            if (ParameterSetName == "ProductId")
            {
                foreach (var pid in ProductId!)
                {
                    var row = DeviceCatalog.Find((ushort)pid);
                    if (row != null) WriteObject(row);
                    else
                        WriteError(Error($"No device in the catalog has product ID 0x{pid:X3}. A chip with it still connects, as a generic device.",
                            ErrorIds.DeviceNotFound, ErrorCategory.ObjectNotFound, pid));
                }
                return;
            }
            if (Name == null || Name.Length == 0)
            {
                foreach (var row in all) WriteObject(row);
                return;
            }
            foreach (var name in Name)
            {
                var pattern = new WildcardPattern(name, WildcardOptions.IgnoreCase);
                var plain = !WildcardPattern.ContainsWildcardCharacters(name);
                var found = all.Where(d => pattern.IsMatch(d.Name)).ToList();
                if (found.Count == 0 && plain) found = all.Where(d => PartNumberMatches(name, d.Name)).ToList();
                foreach (var row in found) WriteObject(row);
                if (found.Count == 0 && !WildcardPattern.ContainsWildcardCharacters(name))
                    WriteError(Error($"No device in the catalog is named '{name}'. Try wildcards: Get-Stm32Device -Name '*{name}*'.",
                        ErrorIds.DeviceNotFound, ErrorCategory.ObjectNotFound, name));
            }
        }

        #endregion

        /// <summary>
        /// Whether a part number ("STM32F030C8T6", "stm32f030") belongs to a catalog row named like
        /// "STM32F030x8/F05xxx" or "STM32F03xx4/6": each '/' alternative replaces the tail of the
        /// first, a lowercase 'x' stands for any character, and either side may be the longer.
        /// </summary>
        internal static bool PartNumberMatches(string query, string catalogName)
        {
            var q = query.Trim().ToUpperInvariant();
            if (q.Length < 4) return false;
            var space = catalogName.IndexOf(' ');
            var partNames = space < 0 ? catalogName : catalogName.Substring(0, space);
            var parts = partNames.Split('/');
            var first = parts[0];
            foreach (var part in parts)
            {
                var alt = part == first || part.Length > first.Length ? part : first.Substring(0, first.Length - part.Length) + part;
                var n = System.Math.Min(q.Length, alt.Length);
                bool match = n > 0;
                for (int i = 0; i < n && match; i++)
                    match = alt[i] == 'x' || char.ToUpperInvariant(alt[i]) == q[i];
                if (match) return true;
            }
            return false;
        }
    }
}
