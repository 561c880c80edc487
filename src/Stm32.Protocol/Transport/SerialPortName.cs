using System;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace Stm32.Protocol.Transport
{
    /// <summary>
    /// Port names as people type them. On Windows a COM port is written many ways: COM12, com12,
    /// COM12: (DOS device syntax), \\.\COM12 (the Win32 device path, needed in C for COM10 and
    /// above), " COM12" pasted with a space, or "USB Serial Port (COM12)" copied from Device
    /// Manager. System.IO.Ports takes only the bare name (it refuses names starting with \\ and
    /// looks a name with a colon up as a different device), so all of them become COM12.
    /// </summary>
    public static class SerialPortName
    {
        private static readonly Regex ComPort = new Regex(@"^COM(\d{1,3})$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
        private static readonly Regex DeviceManagerLabel = new Regex(@"\((COM\d{1,3})\)\s*$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

        /// <summary>The name to open on this machine: <see cref="Normalize(string, bool)"/> with Windows rules on Windows.</summary>
        public static string Normalize(string name) => Normalize(name, RuntimeInformation.IsOSPlatform(OSPlatform.Windows));

        /// <summary>
        /// Leading and trailing white space goes everywhere (no real device name has it). With
        /// <paramref name="windows"/>: a \\.\ or \\?\ device prefix (either slash) and a trailing
        /// colon go, "Label (COMn)" becomes COMn, and COMn is upper case (Windows device names
        /// are case-insensitive; one spelling keeps one reservation per port). Names with a
        /// scheme (sim://, tcp://) and other device names are only trimmed.
        /// </summary>
        public static string Normalize(string name, bool windows)
        {
            if (name == null) throw new ArgumentNullException(nameof(name));
            var n = name.Trim();
            if (!windows || n.IndexOf("://", StringComparison.Ordinal) >= 0) return n;

            var label = DeviceManagerLabel.Match(n);
            if (label.Success) n = label.Groups[1].Value;
            if (n.Length > 4 && (n[0] == '\\' || n[0] == '/') && (n[1] == '\\' || n[1] == '/')
                && (n[2] == '.' || n[2] == '?') && (n[3] == '\\' || n[3] == '/'))
                n = n.Substring(4);
            n = n.TrimEnd(':').Trim();
            var com = ComPort.Match(n);
            return com.Success ? "COM" + com.Groups[1].Value : n;
        }
    }
}
