namespace Stm32.Protocol.Firmware
{
    /// <summary>The file formats a firmware image is read from and written to.</summary>
    public enum FirmwareFormat
    {
        /// <summary>From the file extension; for reading, from the first bytes where the extension says nothing.</summary>
        Auto = 0,

        /// <summary>Intel HEX (.hex .ihex .ihx .h86).</summary>
        IntelHex,

        /// <summary>Motorola S-record (.s19 .srec .mot .s28 .s37 .s).</summary>
        SRecord,

        /// <summary>ELF, 32-bit little-endian ARM (.elf .axf .out); read only.</summary>
        Elf,

        /// <summary>Raw binary (.bin): no addresses of its own, needs a base address.</summary>
        Binary,
    }
}
