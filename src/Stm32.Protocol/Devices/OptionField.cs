namespace Stm32.Protocol.Devices
{
    /// <summary>The named option-byte fields (reference-manual names in the comments).</summary>
    public enum OptionField
    {
        /// <summary>RDP: read protection level (the raw byte decides: spec 7).</summary>
        ReadProtection,
        /// <summary>WDG_SW / IWDG_SW: 1 = watchdog started by software, 0 = by hardware at reset.</summary>
        SoftwareWatchdog,
        /// <summary>nRST_STOP: 0 = entering Stop mode resets the chip.</summary>
        NRstStop,
        /// <summary>nRST_STDBY: 0 = entering Standby mode resets the chip.</summary>
        NRstStdby,
        /// <summary>nBOOT0 (F04x/F09x, L4, G0, G4, WB, WL): the boot pin's value when BOOT0 is taken from the option bytes.</summary>
        NBoot0,
        /// <summary>nBOOT1: with BOOT0 = 1, selects system memory (1) or SRAM (0).</summary>
        NBoot1,
        /// <summary>nSWBOOT0 (L4, G4, WB, WL): 0 = BOOT0 comes from nBOOT0 instead of the pin.</summary>
        NSwBoot0,
        /// <summary>nBOOT_SEL (G0, C0): 1 = BOOT0 comes from nBOOT0 instead of the pin.</summary>
        NBootSel,
        /// <summary>BOR_LEV: brown-out reset level, the raw field value.</summary>
        BorLevel,
        /// <summary>DATA0 (F0, F1, F3): a user byte.</summary>
        Data0,
        /// <summary>DATA1 (F0, F1, F3): a user byte.</summary>
        Data1,
        /// <summary>WRP: which write-protection sectors are protected.</summary>
        WriteProtection,
    }

    /// <summary>RDP levels (spec 7): 0 open, 1 flash unreadable from outside, 2 permanent (no bootloader, no debug).</summary>
    public enum ReadProtectionLevel
    {
        Level0 = 0,
        Level1 = 1,
        Level2 = 2,
    }
}
