using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Management.Automation;
using Stm32.Protocol.Bootloader;
using Stm32.Protocol.Devices;
using Stm32.Protocol.Firmware;

namespace Stm32.PowerShell.Infrastructure
{
    /// <summary>
    /// A session cmdlet that talks to the chip's memory (erase, write, read, compare, go), with the
    /// helpers they share (layout, page lists, hex). Resync after an interrupted operation is the
    /// session base's, for every cmdlet that talks to the chip.
    /// </summary>
    public abstract class FlashCmdletBase : Stm32SessionCmdletBase
    {
        protected sealed override void ProcessSession(Stm32Session session) => ProcessFlash(session);

        /// <summary>The work of one pipeline record, with the session held and in step with the bootloader.</summary>
        protected abstract void ProcessFlash(Stm32Session session);

        /// <summary>The flash layout, or a DeviceLayoutUnknown error.</summary>
        internal static FlashLayout LayoutOf(Stm32Session session)
        {
            var layout = session.Device.Layout;
            if (layout == null || !session.Device.CanProgram)
                throw new ModuleException(ErrorIds.DeviceLayoutUnknown, ErrorCategory.InvalidOperation,
                    $"The catalog has no flash layout for {session.Device}; erasing and writing need a catalog row with one (Get-Help about_Stm32).");
            return layout;
        }

        internal static string Hex(uint value) => "0x" + value.ToString("X8", CultureInfo.InvariantCulture);

        /// <summary>"page 3", "pages 0-5", "sectors 1, 3, 5-7".</summary>
        internal static string DescribePages(IReadOnlyList<int> pages, string unit)
        {
            if (pages.Count == 0) return "no " + unit + "s";
            var sorted = pages.Distinct().OrderBy(p => p).ToList();
            var parts = new List<string>();
            int i = 0;
            while (i < sorted.Count)
            {
                int j = i;
                while (j + 1 < sorted.Count && sorted[j + 1] == sorted[j] + 1) j++;
                parts.Add(i == j ? sorted[i].ToString(CultureInfo.InvariantCulture)
                    : string.Format(CultureInfo.InvariantCulture, "{0}-{1}", sorted[i], sorted[j]));
                i = j + 1;
            }
            return (sorted.Count == 1 ? unit : unit + "s") + " " + string.Join(", ", parts);
        }

        internal static string DescribeRanges(IEnumerable<MemoryRange> ranges)
            => string.Join(", ", ranges.Select(r => string.Format(CultureInfo.InvariantCulture, "{0}-{1} ({2} bytes)", Hex(r.Start), Hex(r.End - 1), r.Length)));
    }

    /// <summary>Resolving -Path / -LiteralPath and reading firmware files, with file errors that never close a session.</summary>
    internal static class FirmwareFiles
    {
        /// <summary>Provider paths of existing files for -Path (wildcards) or -LiteralPath.</summary>
        public static List<string> Resolve(PSCmdlet cmdlet, string path, bool literal, string what = "firmware file")
        {
            var result = new List<string>();
            try
            {
                if (literal)
                {
                    var p = cmdlet.SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);
                    if (!File.Exists(p)) throw NotFound(path, Directory.Exists(p), what);
                    result.Add(p);
                    return result;
                }
                var resolved = cmdlet.SessionState.Path.GetResolvedProviderPathFromPSPath(path, out var provider);
                if (provider.Name != "FileSystem")
                    throw new ModuleException(ErrorIds.FileNotFound, ErrorCategory.InvalidArgument, $"'{path}' is not a file-system path.");
                foreach (var p in resolved)
                {
                    if (File.Exists(p)) result.Add(p);
                }
                if (result.Count == 0) throw NotFound(path, resolved.Count > 0, what);
                return result;
            }
            catch (ItemNotFoundException)
            {
                throw NotFound(path, false, what);
            }
            catch (System.Management.Automation.DriveNotFoundException)
            {
                throw NotFound(path, false, what);
            }
        }

        /// <summary>Exactly one file for -Path; wildcards that match several are refused (AmbiguousPath).</summary>
        public static string ResolveOne(PSCmdlet cmdlet, string path, bool literal)
        {
            var all = Resolve(cmdlet, path, literal);
            if (all.Count > 1)
                throw new ModuleException(ErrorIds.AmbiguousPath, ErrorCategory.InvalidArgument,
                    $"'{path}' matches {all.Count} files ({string.Join(", ", all.Select(Path.GetFileName).Take(5))}{(all.Count > 5 ? ", ..." : "")}); name one.");
            return all[0];
        }

        private static ModuleException NotFound(string path, bool isDirectory, string what = "firmware file")
            => new ModuleException(ErrorIds.FileNotFound, ErrorCategory.ObjectNotFound,
                isDirectory ? $"'{path}' is a folder, not a {what}." : $"Cannot find the {what} '{path}'.");

        /// <summary>Reads a firmware file; I/O failures become FileNotFound (they must not look like a broken link).</summary>
        public static FirmwareImage Read(string providerPath, FirmwareFormat format, uint? baseAddress)
        {
            try
            {
                return FirmwareReader.Read(providerPath, format, baseAddress);
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                throw new ModuleException(ErrorIds.FileNotFound, ErrorCategory.ReadError, $"Cannot read '{providerPath}': {e.Message}", null, e);
            }
            catch (ArgumentException e) when (!(e is ArgumentOutOfRangeException))
            {
                throw new ModuleException(ErrorIds.InvalidArgument, ErrorCategory.InvalidArgument, e.Message, null, e);
            }
        }

        /// <summary>The format a file will be written in; FormatNotSupported for none (unknown extension) or ELF.
        /// Callers with a long read ahead check this first (issue 8: fail before the read, not after).</summary>
        public static FirmwareFormat WritableFormat(string providerPath, FirmwareFormat format)
        {
            var resolved = format == FirmwareFormat.Auto ? FirmwareReader.FormatFromExtension(providerPath) : format;
            if (resolved == FirmwareFormat.Auto)
                throw new ModuleException(ErrorIds.FormatNotSupported, ErrorCategory.InvalidArgument,
                    $"Cannot tell the format of '{providerPath}' from its extension: use .hex, .srec (.s19, .mot), or .bin, or give -Format.");
            if (resolved == FirmwareFormat.Elf)
                throw new ModuleException(ErrorIds.FormatNotSupported, ErrorCategory.InvalidArgument,
                    $"'{providerPath}': writing ELF is not supported; write Intel HEX (.hex), S-record (.srec) or binary (.bin).");
            return resolved;
        }

        /// <summary>
        /// The checks <see cref="Write"/> makes before it touches anything, following Out-File: the
        /// format is known, the path is not a folder and its folder exists; an existing file is
        /// refused with <paramref name="noClobber"/> (FileExists), a read-only one without
        /// <paramref name="force"/> (FileWriteFailed), and one that cannot be opened for writing
        /// (FileWriteFailed). Changes nothing. Callers with a long read ahead call it first (fail
        /// before the read, not after it). Returns the format to write.
        /// </summary>
        public static FirmwareFormat CheckWritable(string providerPath, FirmwareFormat format, bool force, bool noClobber)
        {
            var resolved = WritableFormat(providerPath, format);
            if (Directory.Exists(providerPath))
                throw new ModuleException(ErrorIds.FileWriteFailed, ErrorCategory.InvalidArgument, $"'{providerPath}' is a folder.");
            var info = new FileInfo(providerPath);
            if (info.Directory != null && !info.Directory.Exists)
                throw new ModuleException(ErrorIds.FileWriteFailed, ErrorCategory.ObjectNotFound, $"The folder '{info.DirectoryName}' does not exist.");
            if (!info.Exists) return resolved;
            if (noClobber)
                throw new ModuleException(ErrorIds.FileExists, ErrorCategory.ResourceExists,
                    $"The file '{providerPath}' already exists and -NoClobber was given.");
            if (info.IsReadOnly)
            {
                if (!force)
                    throw new ModuleException(ErrorIds.FileWriteFailed, ErrorCategory.PermissionDenied,
                        $"The file '{providerPath}' is read-only; -Force replaces it.");
                return resolved; // -Force clears the attribute when it writes
            }
            try
            {
                // Opened for writing and closed again: no truncation, the content stays.
                using (new FileStream(providerPath, FileMode.Open, FileAccess.Write, FileShare.ReadWrite)) { }
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                throw new ModuleException(ErrorIds.FileWriteFailed, ErrorCategory.PermissionDenied, $"Cannot write '{providerPath}': {e.Message}", null, e);
            }
            return resolved;
        }

        /// <summary>
        /// Writes an image (format from the extension unless given), after <see cref="CheckWritable"/>:
        /// an existing file is replaced unless <paramref name="noClobber"/>; a read-only one only with <paramref name="force"/>.
        /// </summary>
        public static FileInfo Write(FirmwareImage image, string providerPath, FirmwareFormat format, bool force, bool noClobber)
        {
            var resolved = CheckWritable(providerPath, format, force, noClobber);
            var info = new FileInfo(providerPath);
            try
            {
                if (info.Exists && info.IsReadOnly) info.IsReadOnly = false;
                FirmwareWriter.Write(image, providerPath, resolved);
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                throw new ModuleException(ErrorIds.FileWriteFailed, ErrorCategory.WriteError, $"Cannot write '{providerPath}': {e.Message}", null, e);
            }
            catch (ArgumentException e)
            {
                throw new ModuleException(ErrorIds.FileWriteFailed, ErrorCategory.InvalidArgument, e.Message, null, e);
            }
            info.Refresh();
            return info;
        }
    }
}
