using System;

namespace Stm32.Protocol.Programming
{
    /// <summary>What to erase before writing.</summary>
    public enum EraseMode
    {
        /// <summary>Only the pages or sectors the image touches (spec 15a.5).</summary>
        Touched,
        /// <summary>The whole flash first (mass erase, per bank or page by page as the part needs).</summary>
        All,
        /// <summary>Nothing: the flash must already be erased where the image goes.</summary>
        None,
    }

    /// <summary>How a write was verified.</summary>
    public enum VerifyMethod
    {
        None,
        /// <summary>The chip's Get Checksum (0xA1) over every written range, compared with a CRC computed here.</summary>
        Checksum,
        /// <summary>Every image byte read back and compared.</summary>
        ReadBack,
    }

    /// <summary>
    /// How a write plan finds out whether the flash its erase clears beyond the image (the
    /// collateral) holds data. Every way only reads; none changes the chip.
    /// </summary>
    public enum CollateralCheck
    {
        /// <summary>Not looked at: every collateral range is <see cref="CollateralState.Unknown"/>.</summary>
        None,

        /// <summary>
        /// What costs little: the chip's Get Checksum of a range against the CRC of erased flash,
        /// where the chip lists 0xA1 and its checksum passes the connection's trust check; a read
        /// of ranges of up to 256 bytes; without a believable Get Checksum, reads of at most
        /// <see cref="FlashProgrammer.CollateralReadBudget"/> bytes in all (small ranges whole
        /// first, then the start of the larger ones).
        /// </summary>
        Cheap,

        /// <summary>Every byte read, however long that takes (exact counts of the bytes that are not 0xFF).</summary>
        Read,
    }

    public sealed class WriteOptions
    {
        public EraseMode Erase { get; set; } = EraseMode.Touched;

        /// <summary>Verify the whole image after writing, mending wrong blocks (see <see cref="RecoveryOptions.PageRewrites"/>).</summary>
        public bool Verify { get; set; }

        /// <summary>Read back even where the chip offers Get Checksum.</summary>
        public bool ForceReadBack { get; set; }

        /// <summary>
        /// Whether the plan looks at the flash the erase clears beyond the image (see
        /// <see cref="CollateralCheck"/>). With <see cref="EraseMode.All"/>, whose whole point is
        /// to clear it, <see cref="CollateralCheck.Cheap"/> reads nothing and asks Get Checksum only.
        /// </summary>
        public CollateralCheck CheckCollateral { get; set; } = CollateralCheck.None;

        internal WriteOptions Clone() => (WriteOptions)MemberwiseClone();
    }

    /// <summary>What to check after an erase.</summary>
    public sealed class EraseOptions
    {
        /// <summary>Check that every erased byte reads 0xFF (a blank check).</summary>
        public bool Verify { get; set; }

        /// <summary>Read back even where the chip offers a believable Get Checksum.</summary>
        public bool ForceReadBack { get; set; }

        internal EraseOptions Clone() => (EraseOptions)MemberwiseClone();
    }
}
