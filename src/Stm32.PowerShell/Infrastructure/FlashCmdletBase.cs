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
        protected sealed override void ProcessSession(Stm32Session session)
        {
            // The first probe may just have found the protection out.
            if (ChangesFlash) RefuseReadProtected(session);
            ProcessFlash(session);
        }

        /// <summary>The work of one pipeline record, with the session held and in step with the bootloader.</summary>
        protected abstract void ProcessFlash(Stm32Session session);

        /// <summary>
        /// True for a cmdlet that erases or writes flash. A read-protected chip refuses both (its
        /// bootloader NACKs them), so such a cmdlet stops before sending anything once the session
        /// knows the chip is protected, with ReadProtected and the way out.
        /// </summary>
        protected virtual bool ChangesFlash => false;

        protected override void CheckBeforeContact(Stm32Session session)
        {
            if (ChangesFlash) RefuseReadProtected(session);
        }

        /// <summary>ReadProtected, without a word to the chip, when the session knows it is read-protected.</summary>
        private protected static void RefuseReadProtected(Stm32Session session)
        {
            if (session.IsReadProtected != true) return;
            throw new ModuleException(ErrorIds.ReadProtected, ErrorCategory.SecurityError,
                $"{session}: the chip is read-protected (RDP level 1), so its bootloader refuses to erase or write the flash; nothing was sent. "
                + "Unprotect-Stm32Flash -ReadOut lifts the protection; the chip then erases the whole flash (the firmware on it is gone), and writing works again.",
                "Unprotect-Stm32Flash -ReadOut (erases the whole flash), then write again.");
        }

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
            => pages.Count == 0 ? "no " + unit + "s" : Protocol.Devices.OptionByteSet.Counted(unit, pages);

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

        /// <summary>
        /// Reads a firmware file with -Address: a raw binary starts at <paramref name="address"/> (or
        /// <paramref name="defaultBase"/>); a file that carries its own addresses (HEX, S-record, ELF)
        /// given an -Address is refused (AddressNotApplicable), since the address would be ignored.
        /// </summary>
        public static FirmwareImage Read(string providerPath, FirmwareFormat format, uint? address, uint defaultBase)
        {
            var image = Read(providerPath, format, address ?? defaultBase);
            if (address.HasValue && image.SourceFormat != FirmwareFormat.Binary)
                throw new ModuleException(ErrorIds.AddressNotApplicable, ErrorCategory.InvalidArgument, string.Format(CultureInfo.InvariantCulture,
                    "'{0}' is {1}, which carries its own addresses ({2}): -Address places only raw binaries (.bin), so it would be ignored. "
                    + "Leave -Address out to use the file's addresses, or give -Format Binary for a file that is really a raw binary.",
                    providerPath, FormatName(image.SourceFormat), image.IsEmpty ? "none" : Hex(image.LowestAddress) + "-" + Hex(image.HighestAddress - 1)),
                    "Leave -Address out; the file says where its bytes go.");
            return image;
        }

        private static string Hex(uint value) => FlashCmdletBase.Hex(value);

        private static string FormatName(FirmwareFormat format)
            => format == FirmwareFormat.IntelHex ? "Intel HEX" : format == FirmwareFormat.SRecord ? "an S-record file" : format == FirmwareFormat.Elf ? "an ELF file" : format.ToString();

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
                throw new ModuleException(ErrorIds.InvalidArgument, ErrorCategory.InvalidArgument, Stm32CmdletBase.WithoutParamName(e), null, e);
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
        /// The file as the FileSystem provider returns it (Get-Item): a FileInfo with the provider's
        /// properties, so the file table shows its mode, owner and size instead of blank columns.
        /// </summary>
        public static PSObject ProviderItem(PSCmdlet cmdlet, FileInfo file)
        {
            try
            {
                var items = cmdlet.InvokeProvider.Item.Get(new[] { file.FullName }, true, true);
                if (items.Count == 1) return items[0];
            }
            catch (Exception e) when (e is ItemNotFoundException || e is ProviderNotFoundException || e is IOException || e is UnauthorizedAccessException)
            {
                // The file went away or cannot be listed again: the plain FileInfo still says what was written.
            }
            return PSObject.AsPSObject(file);
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
                throw new ModuleException(ErrorIds.FileWriteFailed, ErrorCategory.InvalidArgument, Stm32CmdletBase.WithoutParamName(e), null, e);
            }
            info.Refresh();
            return info;
        }
    }
}
