using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Ports;
using System.Linq;
using System.Runtime.InteropServices;

namespace Stm32.Protocol.Transport
{
    /// <summary>One serial port present on this machine, with what the operating system knows about it.</summary>
    public sealed class SerialPortDescription
    {
        /// <summary>What to open: /dev/ttyUSB0, COM3.</summary>
        public string Port { get; set; } = "";

        /// <summary>The kernel's name (ttyUSB0) or the COM name.</summary>
        public string Name { get; set; } = "";

        /// <summary>A stable path that survives replugging (/dev/serial/by-id/usb-FTDI_..._A50285BI-if00-port0), when there is one.</summary>
        public string? ByIdPath { get; set; }

        /// <summary>The kernel driver (ftdi_sio, cp210x, ch341-uart, cdc_acm, serial, ...).</summary>
        public string? Driver { get; set; }

        /// <summary>The bus the hardware sits on (usb, pnp, pci, amba, ...).</summary>
        public string? Subsystem { get; set; }

        /// <summary>USB vendor id, four hex digits ("0403"), for USB adapters.</summary>
        public string? UsbVendorId { get; set; }

        /// <summary>USB product id, four hex digits ("6001").</summary>
        public string? UsbProductId { get; set; }

        public string? Manufacturer { get; set; }

        public string? Product { get; set; }

        public string? SerialNumber { get; set; }

        /// <summary>The USB interface number (a dual adapter has ports on interfaces 00 and 01).</summary>
        public string? Interface { get; set; }

        /// <summary>Windows: the device instance ID (USB\VID_0403&amp;PID_6001\A50285BI), as Device Manager shows it.</summary>
        public string? DeviceId { get; set; }

        /// <summary>A one-line description: product, else driver.</summary>
        public string Description =>
            !string.IsNullOrEmpty(Product) ? (string.IsNullOrEmpty(Manufacturer) ? Product! : Manufacturer + " " + Product)
            : Driver ?? "";

        public override string ToString() => Port;
    }

    /// <summary>
    /// The serial ports present: on Linux from /sys/class/tty (entries with a device behind them,
    /// not the ISA placeholders of the platform bus) and /dev/serial/by-id, with the USB identity
    /// of adapters; on Windows from the registry (see <see cref="WindowsPortRegistry"/>);
    /// elsewhere SerialPort.GetPortNames(). The roots are parameters so tests can walk a fake tree.
    /// </summary>
    public static class SerialPortCatalog
    {
        public static IReadOnlyList<SerialPortDescription> Enumerate()
            => RuntimeInformation.IsOSPlatform(OSPlatform.Linux) ? EnumerateLinux("/sys", "/dev")
                : RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? EnumerateWindows(new LocalMachineRegistry())
                : EnumerateByName();

        /// <summary>Windows: the ports in <paramref name="registry"/>'s SERIALCOMM, described from its Enum tree; GetPortNames() when that lists none.</summary>
        internal static IReadOnlyList<SerialPortDescription> EnumerateWindows(IRegistryReader registry)
        {
            var ports = WindowsPortRegistry.Enumerate(registry);
            return ports.Count == 0 ? EnumerateByName() : ports.OrderBy(p => p.Port, NaturalOrder.Instance).ToList();
        }

        /// <summary>SerialPort.GetPortNames() only (macOS; Windows when the registry lists nothing).</summary>
        public static IReadOnlyList<SerialPortDescription> EnumerateByName()
        {
            string[] names;
            try
            {
                names = SerialPort.GetPortNames();
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException || e is PlatformNotSupportedException)
            {
                names = Array.Empty<string>();
            }
            return names.Distinct(StringComparer.OrdinalIgnoreCase).OrderBy(n => n, NaturalOrder.Instance)
                .Select(n => new SerialPortDescription { Port = n, Name = Path.GetFileName(n) }).ToList();
        }

        /// <summary>Walks <paramref name="sysRoot"/>/class/tty and <paramref name="devRoot"/>/serial/by-id.</summary>
        public static IReadOnlyList<SerialPortDescription> EnumerateLinux(string sysRoot, string devRoot)
        {
            var result = new List<SerialPortDescription>();
            var ttyClass = Path.Combine(sysRoot, "class", "tty");
            if (!Directory.Exists(ttyClass)) return result;
            var byId = ByIdLinks(Path.Combine(devRoot, "serial", "by-id"));
            foreach (var entry in Directory.GetFileSystemEntries(ttyClass).OrderBy(e => Path.GetFileName(e), NaturalOrder.Instance))
            {
                var name = Path.GetFileName(entry);
                var devicePath = Path.Combine(entry, "device");
                if (!Directory.Exists(devicePath)) continue; // ptys, virtual consoles: no hardware
                var device = RealPath(devicePath) ?? devicePath;
                // Since Linux 6.5 a ttyS's device is a serial-base port: the hardware is further up.
                var hardware = device;
                while (SubsystemOf(hardware) == "serial-base")
                {
                    var parent = Path.GetDirectoryName(hardware);
                    if (string.IsNullOrEmpty(parent) || parent == hardware) break;
                    hardware = parent!;
                }
                var subsystem = SubsystemOf(hardware);
                if (subsystem == "platform") continue; // 8250 placeholders that answer nothing (pyserial does the same)

                var d = new SerialPortDescription
                {
                    Name = name,
                    Port = Path.Combine(devRoot, name),
                    Subsystem = subsystem == "usb-serial" ? "usb" : subsystem,
                    Driver = LinkName(Path.Combine(hardware, "driver")) ?? LinkName(Path.Combine(device, "driver")),
                };
                string? usbInterface = subsystem == "usb-serial" ? Path.GetDirectoryName(hardware)
                    : subsystem == "usb" ? hardware : null;
                if (usbInterface != null)
                {
                    var usbDevice = Path.GetDirectoryName(usbInterface);
                    if (usbDevice != null)
                    {
                        d.UsbVendorId = ReadText(Path.Combine(usbDevice, "idVendor"));
                        d.UsbProductId = ReadText(Path.Combine(usbDevice, "idProduct"));
                        d.Manufacturer = ReadText(Path.Combine(usbDevice, "manufacturer"));
                        d.Product = ReadText(Path.Combine(usbDevice, "product"));
                        d.SerialNumber = ReadText(Path.Combine(usbDevice, "serial"));
                    }
                    d.Interface = ReadText(Path.Combine(usbInterface, "bInterfaceNumber"));
                }
                if (byId.TryGetValue(name, out var stable)) d.ByIdPath = stable;
                result.Add(d);
            }
            return result;
        }

        /// <summary>by-id link → the tty name it points at (ttyUSB0).</summary>
        private static Dictionary<string, string> ByIdLinks(string dir)
        {
            var map = new Dictionary<string, string>(StringComparer.Ordinal);
            try
            {
                if (!Directory.Exists(dir)) return map;
                foreach (var link in Directory.GetFileSystemEntries(dir).OrderBy(p => p, StringComparer.Ordinal))
                {
                    var target = RealPath(link);
                    if (target == null) continue;
                    var tty = Path.GetFileName(target);
                    if (!map.ContainsKey(tty)) map.Add(tty, link);
                }
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
            }
            return map;
        }

        private static string? SubsystemOf(string devicePath) => LinkName(Path.Combine(devicePath, "subsystem"));

        /// <summary>The last part of where a symlink points (the driver or bus name), or null.</summary>
        private static string? LinkName(string link)
        {
            var target = RealPath(link);
            return target == null ? null : Path.GetFileName(target.TrimEnd('/'));
        }

        private static string? ReadText(string path)
        {
            try
            {
                return File.Exists(path) ? File.ReadAllText(path).Trim() : null;
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                return null;
            }
        }

        /// <summary>realpath(3): the canonical path with every symlink resolved, or null when it does not exist.</summary>
        internal static string? RealPath(string path)
        {
            var p = realpath(path, IntPtr.Zero);
            if (p == IntPtr.Zero) return null;
            try
            {
                return Marshal.PtrToStringAnsi(p);
            }
            finally
            {
                free(p);
            }
        }

        [DllImport("libc", SetLastError = true)] private static extern IntPtr realpath([MarshalAs(UnmanagedType.LPStr)] string path, IntPtr resolved);
        [DllImport("libc")] private static extern void free(IntPtr p);

        /// <summary>ttyS2 before ttyS10; COM2 before COM10.</summary>
        private sealed class NaturalOrder : IComparer<string>
        {
            public static readonly NaturalOrder Instance = new NaturalOrder();

            public int Compare(string? x, string? y)
            {
                var (xs, xn) = Split(x ?? "");
                var (ys, yn) = Split(y ?? "");
                var c = string.Compare(xs, ys, StringComparison.OrdinalIgnoreCase);
                return c != 0 ? c : xn.CompareTo(yn);
            }

            private static (string, long) Split(string s)
            {
                int i = s.Length;
                while (i > 0 && char.IsDigit(s[i - 1])) i--;
                long n = -1;
                if (i < s.Length && s.Length - i < 18) n = long.Parse(s.Substring(i), System.Globalization.CultureInfo.InvariantCulture);
                return (s.Substring(0, i), n);
            }
        }
    }
}
