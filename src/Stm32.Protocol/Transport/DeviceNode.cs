using System;
using System.IO;
using System.Runtime.InteropServices;

namespace Stm32.Protocol.Transport
{
    /// <summary>What a path names, as far as opening it as a serial port goes.</summary>
    public enum DeviceNodeKind
    {
        /// <summary>Not known (no such path, or this system cannot tell).</summary>
        Unknown,
        /// <summary>A terminal device: a serial port, a pseudo-terminal, a console.</summary>
        Terminal,
        Directory,
        RegularFile,
        /// <summary>A character device that is not a terminal (/dev/null, /dev/zero).</summary>
        CharacterDevice,
        BlockDevice,
        Fifo,
        Socket,
    }

    /// <summary>
    /// Linux: what kind of file a path is (statx(2), which has one layout on every architecture,
    /// unlike struct stat) and whether a character device is a terminal (pseudo-terminal slaves
    /// by their major number, other devices by their sysfs class). Nothing is opened: closing a
    /// real serial port can drop DTR and reset a board wired for it.
    /// </summary>
    internal static class DeviceNode
    {
        private const int AT_FDCWD = -100, STATX_TYPE = 0x1, StatxSize = 256, ModeOffset = 28, RdevMajorOffset = 128, RdevMinorOffset = 132;
        private const int S_IFMT = 0xF000, S_IFSOCK = 0xC000, S_IFREG = 0x8000, S_IFBLK = 0x6000, S_IFDIR = 0x4000, S_IFCHR = 0x2000, S_IFIFO = 0x1000;

        /// <summary>The kind of <paramref name="path"/> (symlinks followed); <paramref name="major"/> is a device's major number.</summary>
        public static DeviceNodeKind Probe(string path, out uint major)
        {
            major = 0;
            if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux)) return Directory.Exists(path) ? DeviceNodeKind.Directory : DeviceNodeKind.Unknown;
            var buffer = new byte[StatxSize];
            try
            {
                if (statx(AT_FDCWD, path, 0, STATX_TYPE, buffer) != 0) return DeviceNodeKind.Unknown;
            }
            catch (Exception e) when (e is EntryPointNotFoundException || e is DllNotFoundException)
            {
                return Directory.Exists(path) ? DeviceNodeKind.Directory : DeviceNodeKind.Unknown;
            }
            var mode = BitConverter.ToUInt16(buffer, ModeOffset) & S_IFMT;
            major = BitConverter.ToUInt32(buffer, RdevMajorOffset);
            var minor = BitConverter.ToUInt32(buffer, RdevMinorOffset);
            switch (mode)
            {
                case S_IFDIR: return DeviceNodeKind.Directory;
                case S_IFREG: return DeviceNodeKind.RegularFile;
                case S_IFBLK: return DeviceNodeKind.BlockDevice;
                case S_IFIFO: return DeviceNodeKind.Fifo;
                case S_IFSOCK: return DeviceNodeKind.Socket;
                case S_IFCHR: return IsTerminal(major, minor) == false ? DeviceNodeKind.CharacterDevice : DeviceNodeKind.Terminal;
                default: return DeviceNodeKind.Unknown;
            }
        }

        /// <summary>A Linux UNIX98 pseudo-terminal slave (/dev/pts/N, majors 136-143), through any symlink.</summary>
        public static bool IsPseudoTerminal(string path)
            => Probe(path, out var major) == DeviceNodeKind.Terminal && major >= 136 && major <= 143;

        /// <summary>"a directory", "a regular file", ...: for messages.</summary>
        public static string Describe(DeviceNodeKind kind)
        {
            switch (kind)
            {
                case DeviceNodeKind.Directory: return "a directory";
                case DeviceNodeKind.RegularFile: return "a regular file";
                case DeviceNodeKind.CharacterDevice: return "a character device that is not a terminal";
                case DeviceNodeKind.BlockDevice: return "a block device (a disk)";
                case DeviceNodeKind.Fifo: return "a named pipe (FIFO)";
                case DeviceNodeKind.Socket: return "a socket";
                case DeviceNodeKind.Terminal: return "a terminal device";
                default: return "not something this system can describe";
            }
        }

        /// <summary>
        /// Pseudo-terminal slaves (majors 136-143) have no sysfs entry; every other terminal is in
        /// the tty class (/sys/dev/char/MAJOR:MINOR/subsystem). Null when sysfs cannot say.
        /// </summary>
        private static bool? IsTerminal(uint major, uint minor)
        {
            if (major >= 136 && major <= 143) return true;
            var subsystem = SerialPortCatalog.RealPath(string.Format(System.Globalization.CultureInfo.InvariantCulture, "/sys/dev/char/{0}:{1}/subsystem", major, minor));
            return subsystem == null ? (bool?)null : Path.GetFileName(subsystem) == "tty";
        }

        [DllImport("libc", SetLastError = true)]
        private static extern int statx(int dirfd, [MarshalAs(UnmanagedType.LPStr)] string path, int flags, uint mask, byte[] buffer);
    }
}
