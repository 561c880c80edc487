namespace Stm32.PowerShell
{
    /// <summary>
    /// Every ErrorId the module emits, in one place. They are stable: scripts and tests match on
    /// FullyQualifiedErrorId ("&lt;Id&gt;,Stm32.PowerShell.Commands.&lt;Class&gt;"). Add; never rename.
    /// </summary>
    public static class ErrorIds
    {
        // Ports and links
        public const string PortNotFound = "PortNotFound";
        public const string PortBusy = "PortBusy";
        public const string PortOpenFailed = "PortOpenFailed";
        public const string PortInUse = "PortInUse";
        public const string InvalidPortName = "InvalidPortName";
        public const string LinkFailed = "LinkFailed";

        // The bootloader conversation
        public const string BootloaderNoResponse = "BootloaderNoResponse";
        public const string Nack = "Nack";
        public const string Timeout = "Timeout";
        public const string ProtocolError = "ProtocolError";
        public const string ReadProtected = "ReadProtected";
        public const string UnsupportedCommand = "UnsupportedCommand";
        public const string NotInBootloader = "NotInBootloader";
        public const string VerifyMismatch = "VerifyMismatch";
        public const string Stm32Error = "Stm32Error";

        // Sessions
        public const string SessionNotFound = "SessionNotFound";
        public const string NoSession = "NoSession";
        public const string AmbiguousSession = "AmbiguousSession";
        public const string SessionClosed = "SessionClosed";
        public const string SessionBusy = "SessionBusy";

        // Protection and option bytes (issue 6)
        public const string OptionBytesNotSupported = "OptionBytesNotSupported";
        public const string ReadProtectionLevel2Refused = "ReadProtectionLevel2Refused";
        public const string OptionByteVerifyFailed = "OptionByteVerifyFailed";
        public const string WriteProtected = "WriteProtected";

        // Files, images, addresses, the catalog
        public const string FileNotFound = "FileNotFound";
        public const string FileInvalid = "FileInvalid";
        public const string ImageOutOfRange = "ImageOutOfRange";
        public const string AddressOutOfRange = "AddressOutOfRange";
        public const string DeviceNotFound = "DeviceNotFound";
        public const string DeviceLayoutUnknown = "DeviceLayoutUnknown";

        // Flashing (Clear-, Write-, Read-, Test-Stm32*, Import-/Export-Stm32Firmware)
        public const string EraseUnitMismatch = "EraseUnitMismatch";
        public const string PageOutOfRange = "PageOutOfRange";
        public const string FileExists = "FileExists";
        public const string FileWriteFailed = "FileWriteFailed";
        public const string FormatNotSupported = "FormatNotSupported";
        public const string AmbiguousPath = "AmbiguousPath";
        public const string EmptyImage = "EmptyImage";
        // -Address given for a file that carries its own addresses (HEX, S-record, ELF).
        public const string AddressNotApplicable = "AddressNotApplicable";
        // Port permissions, boot sequences (DTR/RTS) and the served simulator
        public const string PortAccessDenied = "PortAccessDenied";
        public const string ModemLinesNotSupported = "ModemLinesNotSupported";
        public const string InvalidBootSequence = "InvalidBootSequence";
        public const string NoExitSequence = "NoExitSequence";
        public const string SimulatorFailed = "SimulatorFailed";

        public const string InvalidArgument = "InvalidArgument";
        public const string UnexpectedError = "UnexpectedError";

        // Fault recovery (issue 8): retries exhausted without a NACK or timeout to name; the chip
        // reset and came back as another device.
        public const string RecoveryFailed = "RecoveryFailed";
        public const string DeviceChanged = "DeviceChanged";

        // Any other operation that the chip's or the session's state does not allow.
        public const string InvalidOperation = "InvalidOperation";
    }
}
