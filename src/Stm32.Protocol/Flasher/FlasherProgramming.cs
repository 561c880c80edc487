using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using K4os.Compression.LZ4;
using Stm32.Protocol.Devices;
using Stm32.Protocol.Firmware;
using Stm32.Protocol.Simulation;
using Stm32.Protocol.Transport;

namespace Stm32.Protocol.Flasher
{
    public enum FlasherEraseMode
    {
        /// <summary>Erase the pages/sectors the image touches (already blank ones are skipped when <see cref="FlasherProgramOptions.SkipBlankPages"/>).</summary>
        Pages,

        /// <summary>One mass erase of the whole flash (refused by the flasher when anything is forbidden).</summary>
        Mass,

        /// <summary>No erase (the caller knows the flash is blank where it writes).</summary>
        None,
    }

    public sealed class FlasherProgramOptions
    {
        public FlasherEraseMode Erase { get; set; } = FlasherEraseMode.Pages;

        /// <summary>Ask the flasher to read each page first and not erase it when it is already blank.</summary>
        public bool SkipBlankPages { get; set; } = true;

        /// <summary>Verify every written range with the flasher's CRC-32 (the only verify: no read-back).</summary>
        public bool Verify { get; set; } = true;

        /// <summary>Called after each block is answered: bytes done, bytes in all.</summary>
        public Action<long, long>? Progress { get; set; }
    }

    /// <summary>One written range and its CRC-32, as the host computed it and as the chip reported it.</summary>
    public readonly struct FlasherRangeCrc
    {
        public FlasherRangeCrc(uint address, uint length, uint expected, uint chip)
        {
            Address = address;
            Length = length;
            Expected = expected;
            Chip = chip;
        }

        public uint Address { get; }

        public uint Length { get; }

        public uint Expected { get; }

        public uint Chip { get; }

        public bool Matches => Expected == Chip;

        public override string ToString() => $"0x{Address:X8}+{Length}: expected 0x{Expected:X8}, chip 0x{Chip:X8}";
    }

    /// <summary>What a flasher run did: path, rate reached, bytes on the wire, compression, CRCs.</summary>
    public sealed class FlasherResult
    {
        internal FlasherResult()
        {
        }

        /// <summary>"on-chip flasher (F1)" and the like; phase 2's ROM path says "ROM bootloader".</summary>
        public string Path { get; internal set; } = "";

        public FlasherVariant Variant { get; internal set; }

        public FlasherHello? Hello { get; internal set; }

        public FlasherBaudResult? Baud { get; internal set; }

        /// <summary>The rate the data went at.</summary>
        public int BaudRate { get; internal set; }

        /// <summary>Image bytes written (after padding to the programming unit).</summary>
        public long ImageBytes { get; internal set; }

        /// <summary>Data bytes sent in WRITE frames (compressed where that helped).</summary>
        public long PayloadBytes { get; internal set; }

        /// <summary>Image bytes over payload bytes (1.0: nothing compressed).</summary>
        public double CompressionRatio => PayloadBytes == 0 ? 1.0 : (double)ImageBytes / PayloadBytes;

        public long BytesToDevice { get; internal set; }

        public long BytesFromDevice { get; internal set; }

        public int Retransmits { get; internal set; }

        public int UnitsErased { get; internal set; }

        public int UnitsSkippedBlank { get; internal set; }

        public IReadOnlyList<FlasherRangeCrc> Crcs { get; internal set; } = Array.Empty<FlasherRangeCrc>();

        /// <summary>True when every range's CRC matched (false when not verified).</summary>
        public bool Verified { get; internal set; }

        public bool ExitConfirmed { get; internal set; }

        public TimeSpan Elapsed { get; internal set; }
    }

    public sealed partial class FlasherSession
    {
        /// <summary>The programming unit of a variant (bytes): F1 FPEC half-words, F4 x32 words, G0 double words.</summary>
        public static int ProgramUnit(FlasherVariant variant, byte f4ProgramSize = 2)
            => variant == FlasherVariant.G0 ? 8 : variant == FlasherVariant.F4 ? 1 << f4ProgramSize : 2;

        /// <summary>
        /// Writes the segments: pads them to the programming unit with 0xFF, merges what then
        /// touches, erases the units they touch (each ERASE queued just before the first block in
        /// its unit, so the chip erases while the next blocks arrive), sends LZ4 blocks in the
        /// window, and checks each range with the chip's CRC-32. Throws on any refusal or mismatch.
        /// </summary>
        public FlasherResult Program(FlasherFlashMap map, IEnumerable<ImageSegment> segments, FlasherProgramOptions? options = null)
        {
            var hello = Hello ?? throw new InvalidOperationException("Connect first.");
            options ??= new FlasherProgramOptions();
            var sw = Stopwatch.StartNew();
            var result = new FlasherResult { Variant = hello.Variant, Path = "on-chip flasher (" + hello.Variant + ")", Hello = hello };
            int unit = ProgramUnit(hello.Variant, map.ProgramSize);
            var ranges = Ranges(segments, unit);
            var units = map.Units().ToList();
            int block = hello.MaxBlock;
            var requests = new List<Request>();
            var erased = new HashSet<uint>();
            long total = ranges.Sum(r => (long)r.Data.Length), done = 0;

            if (options.Erase == FlasherEraseMode.Mass)
                requests.Add(new Request(FlasherProtocol.Erase, ErasePayload(0, 0, false, mass: true), TimeSpan.FromSeconds(2)));

            foreach (var (address, data) in ranges)
            {
                for (int off = 0; off < data.Length;)
                {
                    uint at = address + (uint)off;
                    // Blocks end at multiples of the block size, so none spans more units than it must.
                    int n = (int)Math.Min(data.Length - off, block - (at % (uint)block));
                    if (options.Erase == FlasherEraseMode.Pages)
                    {
                        foreach (var u in units.Where(u => u.Start < at + (uint)n && u.Start + u.Size > at))
                        {
                            if (!erased.Add(u.Start)) continue;
                            var er = new Request(FlasherProtocol.Erase, ErasePayload(u.Start, 1, options.SkipBlankPages, mass: false), EraseTime(u.Size));
                            er.OnAnswer = r =>
                            {
                                result.UnitsErased += (int)(r.Answer & 0xFFFF);
                                result.UnitsSkippedBlank += (int)(r.Answer >> 16);
                            };
                            requests.Add(er);
                        }
                    }
                    var payload = WritePayload(at, data, off, n, _options.Compress, out int dataBytes);
                    result.PayloadBytes += dataBytes;
                    int count = n;
                    requests.Add(new Request(FlasherProtocol.Write, payload, ProgramTime(n))
                    {
                        OnAnswer = r =>
                        {
                            done += count;
                            options.Progress?.Invoke(done, total);
                        },
                    });
                    off += n;
                }
            }
            var crcs = new List<FlasherRangeCrc>();
            if (options.Verify)
            {
                foreach (var (address, data) in ranges)
                {
                    uint expected = FlasherCrc32.Compute(data);
                    uint a = address, len = (uint)data.Length;
                    requests.Add(new Request(FlasherProtocol.Crc, CrcPayload(a, len), TimeSpan.FromMilliseconds(len / 1000.0))
                    {
                        OnAnswer = r => crcs.Add(new FlasherRangeCrc(a, len, expected, r.Answer)),
                    });
                }
            }
            Run(requests);
            result.ImageBytes = total;
            result.Crcs = crcs;
            result.Verified = options.Verify && crcs.Count == ranges.Count && crcs.All(c => c.Matches);
            result.BaudRate = _link.BaudRate;
            result.BytesToDevice = Stats.BytesToDevice;
            result.BytesFromDevice = Stats.BytesFromDevice;
            result.Retransmits = Stats.Retransmits;
            result.Elapsed = sw.Elapsed;
            if (options.Verify && !result.Verified)
            {
                var bad = crcs.First(c => !c.Matches);
                throw new FlasherVerifyException(bad);
            }
            return result;
        }

        private TimeSpan ProgramTime(int n) => _options.ProgramTime?.Invoke(n) ?? FlashTimings.For("F1").Program(n);

        private TimeSpan EraseTime(uint size) => _options.EraseTime?.Invoke(size) ?? FlashTimings.For("F1").PageErase(size);

        /// <summary>The WRITE payload for data[off, off+n) at address: LZ4 block when smaller, raw otherwise.</summary>
        internal static byte[] WritePayload(uint address, byte[] data, int off, int n, bool compress, out int dataBytes)
        {
            byte[]? packed = null;
            int packedLength = 0;
            if (compress)
            {
                packed = new byte[LZ4Codec.MaximumOutputSize(n)];
                packedLength = LZ4Codec.Encode(data, off, n, packed, 0, packed.Length, LZ4Level.L09_HC);
            }
            bool useLz4 = packed != null && packedLength > 0 && packedLength < n;
            dataBytes = useLz4 ? packedLength : n;
            var p = new byte[FlasherProtocol.WriteHeader + dataBytes];
            BitConverter.GetBytes(address).CopyTo(p, 0);
            p[4] = (byte)n;
            p[5] = (byte)(n >> 8);
            p[6] = (byte)(useLz4 ? 1 : 0);
            if (useLz4) Array.Copy(packed!, 0, p, FlasherProtocol.WriteHeader, dataBytes);
            else Array.Copy(data, off, p, FlasherProtocol.WriteHeader, n);
            return p;
        }

        /// <summary>Segments padded with 0xFF to whole programming units, sorted, and merged where they touch or share a unit.</summary>
        public static IReadOnlyList<(uint Address, byte[] Data)> Ranges(IEnumerable<ImageSegment> segments, int unit)
        {
            var list = new List<(uint Start, uint End, List<ImageSegment> Parts)>();
            foreach (var s in segments.Where(s => s.Length > 0).OrderBy(s => s.Address))
            {
                uint start = s.Address & ~(uint)(unit - 1);
                uint end = (s.End + (uint)unit - 1) & ~(uint)(unit - 1);
                if (list.Count > 0 && start <= list[list.Count - 1].End)
                {
                    var last = list[list.Count - 1];
                    last.Parts.Add(s);
                    list[list.Count - 1] = (last.Start, Math.Max(last.End, end), last.Parts);
                }
                else list.Add((start, end, new List<ImageSegment> { s }));
            }
            var result = new List<(uint, byte[])>();
            foreach (var (start, end, parts) in list)
            {
                var data = new byte[end - start];
                for (int i = 0; i < data.Length; i++) data[i] = 0xFF;
                foreach (var p in parts) p.CopyTo(0, data, (int)(p.Address - start), p.Length);
                result.Add((start, data));
            }
            return result;
        }

        /// <summary>The family's typical flash times (<see cref="FlashTimings"/>) as the session's timeout hints.</summary>
        /// <summary>Fills the timing hints the caller left null with the family's figures.</summary>
        public static void UseFamilyTimings(FlasherSessionOptions options, string family)
        {
            if (options == null) throw new ArgumentNullException(nameof(options));
            var t = FlashTimings.For(family);
            options.ProgramTime ??= n => t.Program(n);
            options.EraseTime ??= size => t.PageErase(size);
        }
    }

    /// <summary>The chip's CRC of a written range differs from the host's: the image is not verified.</summary>
    public sealed class FlasherVerifyException : FlasherException
    {
        public FlasherVerifyException(FlasherRangeCrc range)
            : base($"Verify failed at 0x{range.Address:X8} ({range.Length} bytes): the chip's CRC-32 is 0x{range.Chip:X8}, the image's 0x{range.Expected:X8}.")
        {
            Range = range;
        }

        public FlasherRangeCrc Range { get; }
    }

    /// <summary>What one whole flasher run needs besides the link (phase 2 fills it from the connection).</summary>
    public sealed class FlasherRunRequest
    {
        public FlasherRunRequest(DeviceInfo device, IReadOnlyList<ImageSegment> segments)
        {
            Device = device ?? throw new ArgumentNullException(nameof(device));
            Segments = segments ?? throw new ArgumentNullException(nameof(segments));
        }

        public DeviceInfo Device { get; }

        public IReadOnlyList<ImageSegment> Segments { get; }

        /// <summary>The real flash size when known (flash-size register); null: the catalog's.</summary>
        public uint? FlashSize { get; set; }

        /// <summary>Ranges never to write or erase (write-protected pages): the flasher refuses them.</summary>
        public IList<(uint Start, uint End)> Forbidden { get; } = new List<(uint, uint)>();

        /// <summary>Rates to try, highest first, with <see cref="BaudSwitch"/>; empty: stay.</summary>
        public IReadOnlyList<int> BaudRates { get; set; } = Array.Empty<int>();

        public IBaudSwitchable? BaudSwitch { get; set; }

        public FlasherProgramOptions Program { get; set; } = new FlasherProgramOptions();

        public FlasherSessionOptions Session { get; set; } = new FlasherSessionOptions();

        public FlasherExitMode ExitMode { get; set; } = FlasherExitMode.Reset;
    }

    /// <summary>
    /// A whole flasher session once the image runs (after Write Memory + Go of
    /// <see cref="FlasherImage.BuildFor"/>): READY, CONFIG, baud negotiation, erase + write +
    /// CRC verify, EXIT. Any failure throws (FlasherException and kin); the caller falls back to
    /// the ROM path. The rate is set back to the starting one before returning or throwing, so the
    /// caller can resynchronise the ROM bootloader with 0x7F.
    /// </summary>
    public static class FlasherRun
    {
        public static FlasherFlashMap MapFor(DeviceInfo device, uint? flashSize = null)
        {
            var layout = device.Layout ?? throw new NotSupportedException($"{device} has no flash layout.");
            uint end = flashSize is uint size ? device.Flash.Start + size : device.Flash.End;
            var runs = new List<(uint Count, uint Size)>();
            uint at = device.Flash.Start;
            foreach (var (count, unitSize) in FlasherImage.RunsOf(layout))
            {
                uint take = 0;
                while (take < count && at + unitSize <= end)
                {
                    take++;
                    at += unitSize;
                }
                if (take > 0) runs.Add((take, unitSize));
            }
            var map = new FlasherFlashMap(device.Flash.Start, at, runs)
            {
                Bank2Start = device.ProductId == 0x430 ? device.Flash.Start + 0x80000 : 0,
                DualBankSectorNumbering = device.Family == "F4" && layout.PageCount > 12,
            };
            return map;
        }

        public static FlasherResult Run(IByteLink link, FlasherRunRequest request, System.Threading.CancellationToken cancellationToken = default)
        {
            if (link == null) throw new ArgumentNullException(nameof(link));
            if (request == null) throw new ArgumentNullException(nameof(request));
            var sw = Stopwatch.StartNew();
            var device = request.Device;
            FlasherSession.UseFamilyTimings(request.Session, device.Family);
            var session = new FlasherSession(link, request.Session, cancellationToken);
            int initial = link.BaudRate;
            var map = MapFor(device, request.FlashSize);
            foreach (var f in request.Forbidden) map.Forbidden.Add(f);
            map.AllowMassErase = request.Program.Erase == FlasherEraseMode.Mass && map.Forbidden.Count == 0;
            try
            {
                var hello = session.Connect();
                session.Configure(map);
                var baud = session.NegotiateBaud(request.BaudSwitch, request.BaudRates);
                var result = session.Program(map, request.Segments, request.Program);
                result.Baud = baud;
                result.Hello = hello;
                result.ExitConfirmed = session.Exit(request.ExitMode, device.SystemMemory.Start);
                result.BytesToDevice = session.Stats.BytesToDevice;
                result.BytesFromDevice = session.Stats.BytesFromDevice;
                result.Elapsed = sw.Elapsed;
                return result;
            }
            finally
            {
                if (link.BaudRate != initial) request.BaudSwitch?.TrySetBaudRate(initial);
            }
        }
    }
}
