using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;
using Microsoft.Win32;

namespace Stm32.Protocol.Transport
{
    /// <summary>The part of HKEY_LOCAL_MACHINE the Windows port walk reads (tests give a fake one).</summary>
    internal interface IRegistryReader
    {
        /// <summary>The subkeys of <paramref name="path"/>; empty when it does not exist or may not be read.</summary>
        IReadOnlyList<string> SubKeyNames(string path);

        /// <summary>The value names of <paramref name="path"/>; empty when it does not exist.</summary>
        IReadOnlyList<string> ValueNames(string path);

        /// <summary>A value (string, string[] for REG_MULTI_SZ, int), or null.</summary>
        object? GetValue(string path, string name);

        bool KeyExists(string path);
    }

    /// <summary>HKEY_LOCAL_MACHINE through Microsoft.Win32.Registry (Windows only).</summary>
    internal sealed class LocalMachineRegistry : IRegistryReader
    {
        public IReadOnlyList<string> SubKeyNames(string path) => With(path, k => k.GetSubKeyNames(), Array.Empty<string>());

        public IReadOnlyList<string> ValueNames(string path) => With(path, k => k.GetValueNames(), Array.Empty<string>());

        public object? GetValue(string path, string name) => With(path, k => k.GetValue(name), null);

        public bool KeyExists(string path) => With(path, k => true, false);

        private static T With<T>(string path, Func<RegistryKey, T> read, T missing)
        {
            try
            {
                using var key = Registry.LocalMachine.OpenSubKey(path, writable: false);
                return key == null ? missing : read(key);
            }
            catch (Exception e) when (e is System.Security.SecurityException || e is UnauthorizedAccessException || e is System.IO.IOException)
            {
                return missing;
            }
        }
    }

    /// <summary>What a Windows device instance ID says: USB\VID_0403&amp;PID_6001\A50285BI.</summary>
    public sealed class WindowsDeviceId
    {
        /// <summary>The bus driver that enumerated it: USB, FTDIBUS, ACPI, PCI, BTHENUM, ROOT.</summary>
        public string Enumerator { get; set; } = "";

        /// <summary>The middle part: VID_0403&amp;PID_6001, VID_0403+PID_6001+A50285BIA, PNP0501.</summary>
        public string Device { get; set; } = "";

        /// <summary>The last part: a serial number, or an ID Windows made up (5&amp;1a2b3c&amp;0&amp;1).</summary>
        public string Instance { get; set; } = "";

        public string? VendorId { get; set; }

        public string? ProductId { get; set; }

        /// <summary>MI_02: the interface of a composite USB device (ST-LINK's virtual COM port).</summary>
        public string? Interface { get; set; }

        /// <summary>The USB serial number the ID carries, when it carries one.</summary>
        public string? SerialNumber { get; set; }

        private static readonly Regex Usb = new Regex(@"^VID_([0-9A-F]{4})&PID_([0-9A-F]{4})(?:&MI_([0-9A-F]{2}))?", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
        private static readonly Regex Ftdi = new Regex(@"^VID_([0-9A-F]{4})\+PID_([0-9A-F]{4})\+([^\\]+?)$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

        /// <summary>
        /// Parses an instance ID. USB: VID, PID, MI and, when the instance part is not one Windows
        /// generated (those contain '&amp;'), the serial number. FTDIBUS (FTDI's own driver): VID,
        /// PID and the serial in the middle part, which ends with the channel letter (A50285BIA
        /// for the USB serial number A50285BI). Null when <paramref name="id"/> has no two '\'.
        /// </summary>
        public static WindowsDeviceId? Parse(string? id)
        {
            var parts = id?.Trim().Split('\\');
            if (parts == null || parts.Length != 3 || parts.Any(p => p.Length == 0)) return null;
            var d = new WindowsDeviceId { Enumerator = parts[0].ToUpperInvariant(), Device = parts[1], Instance = parts[2] };
            var usb = Usb.Match(d.Device);
            var ftdi = Ftdi.Match(d.Device);
            if (ftdi.Success)
            {
                d.VendorId = ftdi.Groups[1].Value.ToLowerInvariant();
                d.ProductId = ftdi.Groups[2].Value.ToLowerInvariant();
                d.SerialNumber = ftdi.Groups[3].Value;
            }
            else if (usb.Success)
            {
                d.VendorId = usb.Groups[1].Value.ToLowerInvariant();
                d.ProductId = usb.Groups[2].Value.ToLowerInvariant();
                if (usb.Groups[3].Success) d.Interface = usb.Groups[3].Value;
                else if (d.Enumerator == "USB" && d.Instance.IndexOf('&') < 0) d.SerialNumber = d.Instance;
            }
            return d;
        }

        public override string ToString() => Enumerator + "\\" + Device + "\\" + Instance;
    }

    /// <summary>
    /// Get-Stm32Port on Windows, from the registry. The list is HARDWARE\DEVICEMAP\SERIALCOMM,
    /// which serial drivers fill with the ports that exist now, and which SerialPort.GetPortNames
    /// reads too (so what is listed is what opens). What each port is comes from the device's
    /// key under SYSTEM\CurrentControlSet\Enum, the one whose Device Parameters\PortName is the
    /// COM name (a started device, which has a volatile Control subkey, wins over a remembered
    /// one): FriendlyName, Mfg, Service (the driver) and the instance ID (USB ids, serial
    /// number; for an interface of a composite device, the serial of its parent, found by its
    /// ParentIdPrefix).
    /// <para>Why the registry and not SetupAPI: it is the source SetupAPI itself reads for these
    /// properties, it needs no P/Invoke structures, and it is the one Wine keeps (Wine has
    /// SERIALCOMM entries for its mapped COM ports, but no Ports-class devices in SetupAPI).</para>
    /// </summary>
    internal static class WindowsPortRegistry
    {
        public const string SerialComm = @"HARDWARE\DEVICEMAP\SERIALCOMM";
        public const string EnumRoot = @"SYSTEM\CurrentControlSet\Enum";

        private static readonly Regex ComSuffix = new Regex(@"\s*\((COM\d+)\)\s*$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

        public static List<SerialPortDescription> Enumerate(IRegistryReader registry)
        {
            var names = registry.ValueNames(SerialComm)
                .Select(v => registry.GetValue(SerialComm, v) as string)
                .Where(n => !string.IsNullOrWhiteSpace(n))
                .Select(n => n!.Trim())
                .Distinct(StringComparer.OrdinalIgnoreCase)
                .ToList();
            var devices = PortDevices(registry);
            var result = new List<SerialPortDescription>();
            foreach (var name in names)
            {
                var d = new SerialPortDescription { Port = name, Name = name };
                var instance = devices.Where(x => string.Equals(x.PortName, name, StringComparison.OrdinalIgnoreCase))
                    .OrderByDescending(x => x.Started).FirstOrDefault();
                if (instance != null) Describe(registry, d, instance);
                result.Add(d);
            }
            return result;
        }

        /// <summary>"@oem12.inf,%ftdi%;FTDI" (an indirect string as INF files write it) → "FTDI"; plain text stays.</summary>
        public static string? PlainText(string? value)
        {
            if (string.IsNullOrWhiteSpace(value)) return null;
            var v = value!.Trim();
            if (v.StartsWith("@", StringComparison.Ordinal))
            {
                var semicolon = v.LastIndexOf(';');
                v = semicolon >= 0 ? v.Substring(semicolon + 1).Trim() : "";
            }
            return v.Length == 0 ? null : v;
        }

        private sealed class PortDevice
        {
            public string Path { get; set; } = "";

            public WindowsDeviceId Id { get; set; } = new WindowsDeviceId();

            public string PortName { get; set; } = "";

            public bool Started { get; set; }
        }

        /// <summary>Every device instance under Enum that has Device Parameters\PortName.</summary>
        private static List<PortDevice> PortDevices(IRegistryReader registry)
        {
            var found = new List<PortDevice>();
            foreach (var enumerator in registry.SubKeyNames(EnumRoot))
            {
                var enumeratorPath = EnumRoot + "\\" + enumerator;
                foreach (var device in registry.SubKeyNames(enumeratorPath))
                {
                    var devicePath = enumeratorPath + "\\" + device;
                    foreach (var instance in registry.SubKeyNames(devicePath))
                    {
                        var path = devicePath + "\\" + instance;
                        if (!(registry.GetValue(path + @"\Device Parameters", "PortName") is string portName)) continue;
                        var id = WindowsDeviceId.Parse(enumerator + "\\" + device + "\\" + instance);
                        if (id == null) continue;
                        found.Add(new PortDevice
                        {
                            Path = path,
                            Id = id,
                            PortName = portName.Trim(),
                            Started = registry.KeyExists(path + @"\Control"),
                        });
                    }
                }
            }
            return found;
        }

        private static void Describe(IRegistryReader registry, SerialPortDescription d, PortDevice device)
        {
            var id = device.Id;
            d.DeviceId = id.ToString();
            d.Subsystem = id.Enumerator.ToLowerInvariant();
            d.Driver = registry.GetValue(device.Path, "Service") as string;
            d.Manufacturer = PlainText(registry.GetValue(device.Path, "Mfg") as string);
            var friendly = PlainText(registry.GetValue(device.Path, "FriendlyName") as string);
            d.Product = friendly != null ? ComSuffix.Replace(friendly, "") : PlainText(registry.GetValue(device.Path, "DeviceDesc") as string);
            d.UsbVendorId = id.VendorId;
            d.UsbProductId = id.ProductId;
            d.Interface = id.Interface;
            d.SerialNumber = id.SerialNumber;
            if (id.VendorId == null) return;

            var usbDevice = "VID_" + id.VendorId.ToUpperInvariant() + "&PID_" + id.ProductId!.ToUpperInvariant();
            var parents = registry.SubKeyNames(EnumRoot + @"\USB").FirstOrDefault(k => string.Equals(k, usbDevice, StringComparison.OrdinalIgnoreCase));
            if (parents == null) return;
            var parentPath = EnumRoot + @"\USB\" + parents;
            if (id.Enumerator == "FTDIBUS" && id.SerialNumber != null && id.SerialNumber.Length > 1)
            {
                // FTDIBUS adds the channel letter to the USB serial number: A50285BIA is A50285BI's channel A.
                var usbSerial = id.SerialNumber.Substring(0, id.SerialNumber.Length - 1);
                if (registry.SubKeyNames(parentPath).Any(k => string.Equals(k, usbSerial, StringComparison.OrdinalIgnoreCase)))
                    d.SerialNumber = usbSerial;
            }
            else if (id.Interface != null)
            {
                // An interface of a composite device: its instance is <parent's ParentIdPrefix>&<n>.
                var amp = id.Instance.LastIndexOf('&');
                if (amp <= 0) return;
                var prefix = id.Instance.Substring(0, amp);
                var parent = registry.SubKeyNames(parentPath).FirstOrDefault(k =>
                    string.Equals(registry.GetValue(parentPath + "\\" + k, "ParentIdPrefix") as string, prefix, StringComparison.OrdinalIgnoreCase));
                if (parent != null && parent.IndexOf('&') < 0) d.SerialNumber = parent;
            }
        }
    }
}
