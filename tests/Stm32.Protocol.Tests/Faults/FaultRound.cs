using System.Diagnostics;
using Stm32.Protocol.Bootloader;
using Stm32.Protocol.Devices;
using Stm32.Protocol.Firmware;
using Stm32.Protocol.Programming;
using Stm32.Protocol.Simulation;
using Stm32.Protocol.Transport;

// Shared by the fast fault suite (FaultSuiteTests) and the long run (bench/FaultBench links this
// file), so both run exactly the same rounds. No xunit in here.
namespace Stm32.Protocol.Tests.Faults;

/// <summary>A simulated part: product ID and bootloader version (null: the catalog row's default).</summary>
public sealed record FaultPart(string Name, ushort ProductId, byte? Version);

/// <summary>A fault scenario: how to set the simulated chip's knobs for one seeded round.</summary>
public sealed record FaultScenario(string Name, Action<SimulatorOptions, Random> Configure);

public enum RoundResult
{
    /// <summary>Reported verified success, and the chip holds exactly the image.</summary>
    VerifiedExact,

    /// <summary>Stopped with a typed Stm32Exception that names a step or an address.</summary>
    ClearError,

    /// <summary>Reported success but the chip does not hold the image. Must never happen.</summary>
    WrongSuccess,

    /// <summary>Stopped with an exception that is not a clear Stm32Exception. Must never happen.</summary>
    UnclearError,
}

public sealed class RoundReport
{
    public required FaultPart Part { get; init; }
    public required FaultScenario Scenario { get; init; }
    public required int Seed { get; init; }
    public RoundResult Result { get; set; }
    public Exception? Error { get; set; }
    public WriteOutcome? Outcome { get; set; }
    /// <summary>The connection's counters at the end (connect included), also when the round ended in an error.</summary>
    public int Retries { get; set; }
    public int Resyncs { get; set; }
    public int Rewrites { get; set; }
    public int Resets { get; set; }
    public int ChipResets { get; set; }
    public TimeSpan Elapsed { get; set; }

    public override string ToString()
        => $"{Part.Name} {Scenario.Name} seed {Seed}: {Result}"
           + $" (retries {Retries}, resyncs {Resyncs}, rewrites {Rewrites}, resets {Resets}; chip resets {ChipResets})"
           + (Error is { } e ? $" {e.GetType().Name}: {e.Message}" : "");
}

public static class FaultRounds
{
    public const uint FlashStart = 0x08000000;
    public const int ImageSize = 64 * 1024;

    /// <summary>The short timeouts of the suite: the simulated chip answers at once, so a stall of 3x the reply timeout is a real stall.</summary>
    public static readonly TimeSpan ReplyTimeout = TimeSpan.FromMilliseconds(20);

    public static readonly FaultPart[] Parts =
    {
        new("F1 0x410 bootloader 2.2", 0x410, 0x22),
        new("F4 0x413 bootloader 3.1", 0x413, 0x31),
        new("F4 0x413 bootloader 3.3", 0x413, 0x33),
    };

    /// <summary>The first command of the write phase is about the 15th (identify, probes, erase); the run lasts about 270 (2.2/3.1 with read-back) or 260.</summary>
    private static int InWrite(Random r) => r.Next(18, 250);

    public static readonly FaultScenario[] Scenarios =
    {
        new("clean line", (o, r) => { }),
        new("corrupt 1e-4 each way", (o, r) => { o.Faults.CorruptRateToHost = 1e-4; o.Faults.CorruptRateToDevice = 1e-4; }),
        new("corrupt 1e-3 each way", (o, r) => { o.Faults.CorruptRateToHost = 1e-3; o.Faults.CorruptRateToDevice = 1e-3; }),
        new("drop 1e-4 each way", (o, r) => { o.Faults.DropRateToHost = 1e-4; o.Faults.DropRateToDevice = 1e-4; }),
        new("drop 1e-3 each way", (o, r) => { o.Faults.DropRateToHost = 1e-3; o.Faults.DropRateToDevice = 1e-3; }),
        new("random NACK 2%", (o, r) => o.Faults.RandomNackRate = 0.02),
        new("stall 3x reply timeout", (o, r) => { o.Faults.StallAfterCommand = ReplyTimeout + ReplyTimeout + ReplyTimeout; o.Faults.StallCommandNumber = InWrite(r); }),
        new("reset mid-write", (o, r) => o.Faults.ResetDuringCommandNumber = InWrite(r)),
        new("0x00 before sync ACK + reset", (o, r) => { o.LeadingZeroBeforeSyncAck = true; o.Faults.ResetDuringCommandNumber = InWrite(r); }),
        new("extra ACK after sync + reset", (o, r) => { o.ExtraAckAfterSync = true; o.Faults.ResetDuringCommandNumber = InWrite(r); }),
        new("everything at once", (o, r) =>
        {
            o.Faults.CorruptRateToHost = 1e-3; o.Faults.CorruptRateToDevice = 1e-3;
            o.Faults.DropRateToHost = 1e-4; o.Faults.DropRateToDevice = 1e-4;
            o.Faults.RandomNackRate = 0.01;
            o.Faults.ResetDuringCommandNumber = InWrite(r);
            o.LeadingZeroBeforeSyncAck = true; o.ExtraAckAfterSync = true;
        }),
    };

    /// <summary>Where the connection's recovery narration goes (the bench's --verbose).</summary>
    public static Action<string>? Verbose { get; set; }

    public static BootloaderOptions HostOptions() => new()
    {
        ReplyTimeout = ReplyTimeout,
        WriteTimeout = ReplyTimeout,
        EraseTimeoutPerPage = TimeSpan.FromMilliseconds(200),
        MassEraseTimeout = TimeSpan.FromMilliseconds(500),
        ProtectionTimeout = TimeSpan.FromMilliseconds(200),
        ResetSettleTime = TimeSpan.Zero,
        SyncProbeTimeout = TimeSpan.FromMilliseconds(5),
        NackSettleTime = TimeSpan.FromMilliseconds(2),
    };

    public static RecoveryOptions Recovery() => new()
    {
        BackOff = TimeSpan.FromMilliseconds(1),
        MaxBackOff = TimeSpan.FromMilliseconds(5),
        QuietTime = TimeSpan.FromMilliseconds(5),
    };

    /// <summary>One seeded round: a fresh chip with the scenario's faults, connect, write 64 KiB with verify, compare the chip with the image by the back door.</summary>
    public static RoundReport Run(FaultPart part, FaultScenario scenario, int seed)
    {
        var report = new RoundReport { Part = part, Scenario = scenario, Seed = seed };
        var sw = Stopwatch.StartNew();
        var random = new Random(seed);
        var image = new byte[ImageSize];
        random.NextBytes(image);
        var device = DeviceCatalog.Find(part.ProductId) ?? throw new ArgumentException($"no catalog row 0x{part.ProductId:X3}");
        var options = new SimulatorOptions { Timing = SimulatorTiming.Instant, BootloaderVersion = part.Version, TraceEnabled = false };
        options.Faults.Seed = seed;
        scenario.Configure(options, random);
        using var chip = new SimulatedChip(device, options);
        // A fast nominal baud keeps the host's wire-time waits short; the chip answers at once anyway.
        var pair = new InMemoryLinkPair($"sim://0x{part.ProductId:X3}", 2_000_000);
        chip.Attach(pair.Device);
        Stm32Connection? connection = null;
        try
        {
            connection = Stm32Connection.Open(pair.Host, HostOptions(), Recovery(), Verbose);
            var outcome = FlashProgrammer.Write(connection, FirmwareImage.FromBytes(FlashStart, image), new WriteOptions { Verify = true });
            report.Outcome = outcome;
            var exact = chip.Peek(FlashStart, image.Length).AsSpan().SequenceEqual(image);
            report.Result = exact && outcome.Verified ? RoundResult.VerifiedExact : RoundResult.WrongSuccess;
        }
        catch (Stm32Exception e) when (!string.IsNullOrEmpty(e.Step) || e.Address.HasValue)
        {
            report.Error = e;
            report.Result = RoundResult.ClearError;
        }
        catch (Exception e)
        {
            report.Error = e;
            report.Result = RoundResult.UnclearError;
        }
        finally
        {
            report.ChipResets = chip.ResetCount;
            if (connection != null)
            {
                report.Retries = connection.Counters.Retries;
                report.Resyncs = connection.Counters.Resyncs;
                report.Rewrites = connection.Counters.Rewrites;
                report.Resets = connection.Counters.Resets;
            }
            chip.Dispose();
            pair.Host.Dispose();
            report.Elapsed = sw.Elapsed;
        }
        return report;
    }
}
