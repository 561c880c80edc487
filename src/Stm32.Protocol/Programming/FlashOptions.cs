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

    public sealed class WriteOptions
    {
        public EraseMode Erase { get; set; } = EraseMode.Touched;

        /// <summary>Verify the whole image after writing, mending wrong blocks (see <see cref="RecoveryOptions.PageRewrites"/>).</summary>
        public bool Verify { get; set; }
        /// <summary>Read back even where the chip offers Get Checksum.</summary>
        public bool ForceReadBack { get; set; }
    }

    /// <summary>What to check after an erase.</summary>
    public sealed class EraseOptions
    {
        /// <summary>Check that every erased byte reads 0xFF (a blank check).</summary>
        public bool Verify { get; set; }

        /// <summary>Read back even where the chip offers a believable Get Checksum.</summary>
        public bool ForceReadBack { get; set; }
    }
}
