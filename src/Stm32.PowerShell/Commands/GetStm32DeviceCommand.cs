using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using Stm32.PowerShell.Infrastructure;
using Stm32.Protocol.Devices;

namespace Stm32.PowerShell.Commands
{
    /// <summary>
    /// The device catalog: "is my chip supported?" answered before any wiring. -Name takes a row's
    /// name, a part number as printed on the chip (STM32F401RET6, STM32F103C8) or wildcards.
    /// </summary>
    [Cmdlet(VerbsCommon.Get, "Stm32Device", DefaultParameterSetName = "Name")]
    [OutputType(typeof(DeviceInfo))]
    public sealed class GetStm32DeviceCommand : Stm32CmdletBase
    {
        #region Parameters

        /// <summary>Device name or part number, wildcards allowed ("*F030*", "STM32F401RET6").</summary>
        [Parameter(Position = 0, ParameterSetName = "Name", ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [Alias("DeviceName")]
        [SupportsWildcards]
        [ArgumentCompleter(typeof(DeviceNameCompleter))]
        public string[]? Name { get; set; }

        /// <summary>The product ID the bootloader reports (Get ID), e.g. 0x410.</summary>
        [Parameter(Mandatory = true, ParameterSetName = "ProductId", ValueFromPipelineByPropertyName = true,
            HelpMessage = "The product ID the bootloader reports, for example 0x410.")]
        [Alias("Pid")]
        [ValidateRange(0, 0xFFF)]
        [ArgumentCompleter(typeof(ProductIdCompleter))]
        public int[]? ProductId { get; set; }

        #endregion

        #region Overrides

        protected override void ProcessRecord()
        {
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
                foreach (var row in DeviceCatalog.All) WriteObject(row);
                return;
            }
            foreach (var name in Name)
            {
                bool wildcard = WildcardPattern.ContainsWildcardCharacters(name);
                var found = Find(name);
                foreach (var row in found)
                {
                    if (!wildcard) WarnIfIncomplete(row);
                    WriteObject(row);
                }
                if (found.Count == 0 && !wildcard)
                    WriteError(Error(DeviceCatalog.ExplainNoMatch(name), ErrorIds.DeviceNotFound, ErrorCategory.ObjectNotFound, name, SuggestedQuery(name)));
            }
        }

        #endregion

        /// <summary>What -Name finds: wildcards over names and the parts rows cover, else the exact name, else the part number's rows.</summary>
        internal static IReadOnlyList<DeviceInfo> Find(string name)
        {
            if (!WildcardPattern.ContainsWildcardCharacters(name)) return DeviceCatalog.FindByName(name);
            var pattern = new WildcardPattern(name, WildcardOptions.IgnoreCase);
            return DeviceCatalog.FindByName(name, pattern.IsMatch);
        }

        /// <summary>
        /// A Get-Stm32Device command that lists something near <paramref name="what"/>: the rows of
        /// its line, series or family ("STM32F401*", "STM32L0*"), else the whole catalog.
        /// </summary>
        internal static string SuggestedQuery(string what)
        {
            if (PartNumber.TryParse(what, out var part))
            {
                var line = part.Line;
                foreach (var prefix in new[] { line, line.Substring(0, System.Math.Min(line.Length, part.Series.Length + 1)), part.Series })
                {
                    var query = "STM32" + prefix + "*";
                    if (Find(query).Count > 0) return $"Get-Stm32Device -Name '{query}'";
                }
            }
            return "Get-Stm32Device";
        }

        /// <summary>A row found by name that cannot be programmed as it stands says so.</summary>
        private void WarnIfIncomplete(DeviceInfo row)
        {
            if (row.Flags.HasFlag(DeviceFlags.NameOnly))
                WriteWarning($"The catalog knows {row.ProductIdHex} {row.Name} by name only: no memory map yet, so it cannot be programmed until you add its row (Import-Stm32Device).");
            else if (row.Flags.HasFlag(DeviceFlags.Placeholder))
                WriteWarning($"The catalog's row for {row.ProductIdHex} {row.Name} is a placeholder: its memory map is partly unknown (see its Notes).");
        }
    }
}
