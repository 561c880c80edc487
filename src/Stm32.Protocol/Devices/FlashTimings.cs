using System;

namespace Stm32.Protocol.Devices
{
    /// <summary>
    /// Typical flash durations per family: what the simulated chip takes with realistic timing,
    /// and what the host's erase timeouts and operation deadlines are scaled from (a multiple of
    /// these, so a slower part or a clone still fits). Datasheet-level figures (spec 6.3),
    /// UNCONFIRMED per part. The one table of them:
    /// <code>
    /// family         page/sector erase                      mass erase       program 256 B   option write
    /// F0, F1, F3, W  20 ms per page                         40 ms            6.7 ms (16-bit, 52 us)   40 ms
    /// F2, F4         150 ms + 6.6 ms/KiB (16K 0.26 s,       8 s per MiB      1 ms (x32)      0.5 s
    ///                64K 0.57 s, 128K 1 s)
    /// F7             same rule (32K 0.36 s, 256K 1.8 s)     8 s per MiB      1 ms            0.5 s
    /// L0             3.2 ms per 128 B page                  (none)           12.8 ms (half pages)     6.4 ms
    /// L1             3.2 ms per 256 B page                  (none)           6.4 ms          6.4 ms
    /// L4, G0, G4,    22 ms per page                         22 ms            2.6 ms (64-bit, 82 us)   25 ms
    /// WB, WL, C0
    /// H7             1 s per 128K sector                    4 s per MiB      0.5 ms          0.5 s
    /// L5, U5, H5 ... 5 ms per page                          20 ms            2 ms            25 ms
    /// </code>
    /// A bank erase takes half the mass-erase time. Readout Unprotect takes a mass erase plus an
    /// option write; Write (Un)Protect and Readout Protect take an option write.
    /// </summary>
    internal sealed class FlashTimings
    {
        private FlashTimings(double pageMs, double perKiBMs, double massMsPerMiB, double massMsFixed, double program256Ms, double optionMs)
        {
            _pageMs = pageMs;
            _perKiBMs = perKiBMs;
            _massMsPerMiB = massMsPerMiB;
            _massMsFixed = massMsFixed;
            _program256Ms = program256Ms;
            _optionMs = optionMs;
        }

        private readonly double _pageMs;
        private readonly double _perKiBMs;
        private readonly double _massMsPerMiB;
        private readonly double _massMsFixed;
        private readonly double _program256Ms;
        private readonly double _optionMs;

        public static FlashTimings For(string family)
        {
            switch (family)
            {
                case "F2":
                case "F4":
                case "F7":
                    return new FlashTimings(150, 6.6, 8000, 0, 1, 500);
                case "L0":
                    return new FlashTimings(3.2, 0, 0, 3.2, 12.8, 6.4);
                case "L1":
                    return new FlashTimings(3.2, 0, 0, 3.2, 6.4, 6.4);
                case "L4":
                case "G0":
                case "G4":
                case "WB":
                case "WL":
                case "C0":
                    return new FlashTimings(22, 0, 0, 22, 2.6, 25);
                case "H7":
                    return new FlashTimings(0, 1000.0 / 128, 4000, 0, 0.5, 500);
                case "L5":
                case "U5":
                case "H5":
                case "WBA":
                    return new FlashTimings(5, 0, 0, 20, 2, 25);
                default: // F0, F1, F3, W and unknown: the F1 figures
                    return new FlashTimings(20, 0, 0, 40, 6.7, 40);
            }
        }

        /// <summary>Erasing one page or sector of <paramref name="size"/> bytes.</summary>
        public TimeSpan PageErase(uint size) => TimeSpan.FromMilliseconds(_pageMs + _perKiBMs * size / 1024.0);

        public TimeSpan MassErase(uint flashSize) => TimeSpan.FromMilliseconds(_massMsFixed + _massMsPerMiB * flashSize / (1024.0 * 1024.0));

        public TimeSpan Program(int bytes) => TimeSpan.FromMilliseconds(_program256Ms * bytes / 256.0);

        public TimeSpan OptionWrite => TimeSpan.FromMilliseconds(_optionMs);
    }
}
