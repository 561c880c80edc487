using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using Stm32.PowerShell.Infrastructure;
using Stm32.Protocol.Devices;

namespace Stm32.PowerShell.Commands
{
    /// <summary>
    /// Adds rows of the user's own to the device catalog from CSV (the columns of devices.csv) or
    /// JSON files (issue 2). User rows win over built-in rows with the same product ID; they are
    /// process-wide and each Import replaces the previous user rows as a whole.
    /// </summary>
    [Cmdlet(VerbsData.Import, "Stm32Device", DefaultParameterSetName = PathSet)]
    [OutputType(typeof(DeviceInfo))]
    public sealed class ImportStm32DeviceCommand : Stm32CmdletBase
    {
        private const string PathSet = "Path";
        private const string LiteralPathSet = "LiteralPath";

        private readonly List<(string File, IReadOnlyList<DeviceInfo> Rows)> _files = new List<(string, IReadOnlyList<DeviceInfo>)>();
        private bool _failed;

        #region Parameters

        [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet, ValueFromPipeline = true,
            HelpMessage = "The CSV or JSON file of device rows; wildcards allowed.")]
        [SupportsWildcards]
        [ValidateNotNullOrEmpty]
        public string[] Path { get; set; } = Array.Empty<string>();

        [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet, ValueFromPipelineByPropertyName = true,
            HelpMessage = "The CSV or JSON file of device rows, taken literally (no wildcards).")]
        [Alias("PSPath", "LP")]
        [ValidateNotNullOrEmpty]
        public string[] LiteralPath { get; set; } = Array.Empty<string>();

        #endregion

        protected override void ProcessRecord()
        {
            bool literal = ParameterSetName == LiteralPathSet;
            foreach (var path in literal ? LiteralPath : Path)
            {
                if (!TryRun(() =>
                {
                    foreach (var file in FirmwareFiles.Resolve(this, path, literal, "device file"))
                    {
                        IReadOnlyList<DeviceInfo> rows;
                        try
                        {
                            rows = DeviceCatalog.ReadUserFile(file);
                        }
                        catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
                        {
                            throw new ModuleException(ErrorIds.FileNotFound, ErrorCategory.ReadError, $"Cannot read '{file}': {e.Message}", null, e);
                        }
                        catch (FormatException e)
                        {
                            throw new ModuleException(ErrorIds.FileInvalid, ErrorCategory.InvalidData, e.Message
                                + ". Nothing was imported; the catalog is as it was.", null, e);
                        }
                        WriteVerbose($"{file}: {rows.Count} device row(s).");
                        _files.Add((file, rows));
                    }
                }, path)) _failed = true;
            }
        }

        protected override void EndProcessing()
        {
            // All or nothing: a bad file leaves the catalog (and the earlier user rows) as they were.
            if (_failed || _files.Count == 0) return;
            var byId = new Dictionary<ushort, DeviceInfo>();
            var order = new List<ushort>();
            var from = new Dictionary<ushort, string>();
            foreach (var (file, rows) in _files)
            {
                foreach (var row in rows)
                {
                    if (byId.ContainsKey(row.ProductId))
                        WriteWarning($"{file}: the row for {row.ProductIdHex} replaces the one from {from[row.ProductId]}.");
                    else order.Add(row.ProductId);
                    byId[row.ProductId] = row;
                    from[row.ProductId] = file;
                }
            }
            var all = order.Select(id => byId[id]).ToList();
            DeviceCatalog.SetUserRows(all);
            foreach (var row in all) WriteObject(row);
        }
    }
}
