using System.Diagnostics;
using Stm32.Protocol.Bootloader;
using Stm32.Protocol.Firmware;
using Stm32.Protocol.Programming;

// Shared by the hostile-device suite (HostileDeviceTests) and its bench (bench/HostileBench), so
// both run exactly the same scenarios. No xunit in here.
namespace Stm32.Protocol.Tests.Hostile;

/// <summary>How a scenario ended.</summary>
public enum HostileResult
{
    /// <summary>Success, and the chip (or what was read) holds exactly the right data.</summary>
    RightData,

    /// <summary>A typed error of ours (a Stm32Exception, an image or argument refusal) naming what failed.</summary>
    TypedError,

    /// <summary>Success with wrong data on the chip or in what was read. Must never happen.</summary>
    WrongSuccess,

    /// <summary>An exception that is not one of ours. Must never happen.</summary>
    UntypedError,
}

/// <summary>
/// One misbehaviour: the quirks that make the device misbehave, what the client does against it,
/// and the one outcome that is acceptable: the right data, or an error of <see cref="ErrorType"/>.
/// <see cref="Act"/> returns null when what it checks is right, or says what is wrong.
/// </summary>
public sealed record HostileScenario(
    string Misbehaviour,
    string Operation,
    HostileResult Expected,
    Func<HostileQuirks> Quirks,
    Func<HostileRun, string?> Act,
    Type? ErrorType = null,
    ushort ProductId = 0x410,
    Func<HostileRun, Exception?, string?>? Check = null)
{
    /// <summary>What the scenario expects, for tables: "right data" or "typed error (Stm32VerifyException)".</summary>
    public string ExpectedText => Expected == HostileResult.RightData ? "right data" : "typed error (" + (ErrorType ?? typeof(Stm32Exception)).Name + ")";

    public override string ToString() => Misbehaviour;
}

/// <summary>The device of one run and the client's settings; what the client does goes through here.</summary>
public sealed class HostileRun
{
    public HostileRun(HostileBootloader device, BootloaderOptions options, RecoveryOptions recovery)
    {
        Device = device;
        Options = options;
        Recovery = recovery;
    }

    public HostileBootloader Device { get; }

    public BootloaderOptions Options { get; }

    public RecoveryOptions Recovery { get; }

    /// <summary>Warnings the connection gave (mass erase refused, checksum not believed).</summary>
    public List<string> Warnings { get; } = new();

    /// <summary>Outcomes of what succeeded, for the scenario's own checks.</summary>
    public WriteOutcome? Write { get; set; }

    public EraseOutcome? Erase { get; set; }

    public Stm32Connection Connect()
    {
        var c = Stm32Connection.Open(Device.Host, Options.Clone(), Recovery.Clone(), HostileScenarios.Verbose);
        c.Warning = Warnings.Add;
        return c;
    }
}

public sealed class HostileReport
{
    public required HostileScenario Scenario { get; init; }
    public HostileResult Result { get; set; }
    public Exception? Error { get; set; }
    public string? Problem { get; set; }
    public TimeSpan Elapsed { get; set; }

    /// <summary>The expected outcome, within the run's checks.</summary>
    public bool AsExpected => Result == Scenario.Expected && Problem == null;

    public override string ToString()
        => $"{Scenario.Misbehaviour}: {Result} in {Elapsed.TotalSeconds:0.00} s"
           + (Error is { } e ? $" ({e.GetType().Name}: {e.Message})" : "")
           + (Problem is { } p ? " PROBLEM: " + p : "");
}

public static class HostileScenarios
{
    public const uint FlashStart = 0x08000000;

    /// <summary>Where the connections' recovery narration goes (the bench's --verbose).</summary>
    public static Action<string>? Verbose { get; set; }

    /// <summary>
    /// The suite's client settings: short timeouts (the device answers at once) and a short
    /// deadline floor, so a test ends in seconds; the bench uses the module's defaults.
    /// </summary>
    public static BootloaderOptions TestOptions() => new()
    {
        ReplyTimeout = TimeSpan.FromMilliseconds(100),
        WriteTimeout = TimeSpan.FromMilliseconds(200),
        ProtectionTimeout = TimeSpan.FromMilliseconds(200),
        ResetSettleTime = TimeSpan.Zero,
        SyncProbeTimeout = TimeSpan.FromMilliseconds(10),
        NackSettleTime = TimeSpan.FromMilliseconds(2),
        DeadlineFloor = TimeSpan.FromSeconds(5),
    };

    public static RecoveryOptions TestRecovery() => new()
    {
        BackOff = TimeSpan.FromMilliseconds(1),
        MaxBackOff = TimeSpan.FromMilliseconds(5),
        QuietTime = TimeSpan.FromMilliseconds(10),
    };

    /// <summary>8 KiB of seeded random data: 32 blocks over 8 pages of an F1.</summary>
    public static byte[] Image(int size = 8 * 1024, int seed = 1)
    {
        var b = new byte[size];
        new Random(seed).NextBytes(b);
        return b;
    }

    // ------------------------------------------------------------------ what the client does

    /// <summary>Connects and writes the image with the given erase and verify; null when the chip then holds it exactly.</summary>
    private static string? WriteImage(HostileRun run, byte[] image, bool verify = true, EraseMode erase = EraseMode.Touched)
    {
        using var c = run.Connect();
        run.Write = FlashProgrammer.Write(c, FirmwareImage.FromBytes(FlashStart, image), new WriteOptions { Verify = verify, Erase = erase });
        return Differs(run.Device.PeekFlash(FlashStart, image.Length), image, "the chip");
    }

    /// <summary>Fills flash with known data through the back door, connects and reads it; null when the read is exact.</summary>
    private static string? ReadBack(HostileRun run, int length)
    {
        var known = Image(length, 2);
        run.Device.PokeFlash(FlashStart, known);
        using var c = run.Connect();
        var got = c.Read(FlashStart, length);
        return Differs(got, known, "the read");
    }

    /// <summary>Fills the pages with data, erases them (null: the whole flash) with a blank check; null when they read blank on the chip.</summary>
    private static string? EraseChecked(HostileRun run, int[]? pages, bool verify = true)
    {
        var size = (pages == null ? 128 : pages.Max() + 1) * 1024;
        run.Device.PokeFlash(FlashStart, Image(size, 3));
        using var c = run.Connect();
        run.Erase = FlashProgrammer.Erase(c, pages, new EraseOptions { Verify = verify });
        foreach (var p in pages ?? Enumerable.Range(0, 128).ToArray())
            if (run.Device.PeekFlash(FlashStart + (uint)p * 1024, 1024).Any(b => b != 0xFF)) return $"page {p} is not blank on the chip";
        return null;
    }

    private static string? Differs(byte[] got, byte[] want, string what)
    {
        for (int i = 0; i < want.Length; i++)
            if (got[i] != want[i]) return $"{what} differs at +0x{i:X} (0x{got[i]:X2}, want 0x{want[i]:X2})";
        return null;
    }

    private static string? Connects(HostileRun run)
    {
        using var c = run.Connect();
        return null;
    }

    private static string? MessageHas(Exception? e, string text)
        => e != null && e.Message.Contains(text, StringComparison.OrdinalIgnoreCase) ? null : $"the error does not say \"{text}\": {e?.Message}";

    private static string? NothingSent(HostileRun run)
        => run.Device.Erases == 0 && run.Device.Writes == 0 ? null : $"{run.Device.Erases} erase(s) and {run.Device.Writes} write(s) were sent";

    private static string? Warned(HostileRun run, string text)
        => run.Warnings.Any(w => w.Contains(text, StringComparison.OrdinalIgnoreCase)) ? null : $"no warning says \"{text}\" ({string.Join(" | ", run.Warnings)})";

    // ------------------------------------------------------------------ the scenarios

    public static readonly HostileScenario[] All =
    {
        new("wrong ACK byte (0x7A) everywhere", "connect", HostileResult.TypedError,
            () => new HostileQuirks { AckByte = 0x7A }, Connects, typeof(Stm32Exception),
            Check: (r, e) => MessageHas(e, "0x7A")),
        new("wrong ACK byte (0x7A) once, after a Write Memory", "write 8 KiB, verify", HostileResult.RightData,
            () => new HostileQuirks { WrongAckOnWrite = 5 }, r => WriteImage(r, Image())),
        new("garbage instead of one answer", "write 8 KiB, verify", HostileResult.RightData,
            () => new HostileQuirks { GarbageForCommand = 20 }, r => WriteImage(r, Image())),
        new("garbage instead of every answer from the 20th command on", "write 8 KiB, verify", HostileResult.TypedError,
            () => new HostileQuirks { GarbageFromCommand = 20 }, r => WriteImage(r, Image())),
        new("echo of every byte (single-wire line)", "connect", HostileResult.TypedError,
            () => new HostileQuirks { Echo = true }, Connects, typeof(Stm32Exception),
            Check: (r, e) => MessageHas(e, "echo")),
        new("ACKs everything, stores nothing", "write 8 KiB, verify", HostileResult.TypedError,
            () => new HostileQuirks { StoreNothing = true }, r => WriteImage(r, Image()), typeof(Stm32VerifyException)),
        new("NACK after the data of every Write Memory", "write 8 KiB, verify", HostileResult.TypedError,
            () => new HostileQuirks { NackAfterWriteData = 1 }, r => WriteImage(r, Image()), typeof(Stm32RecoveryFailedException),
            Check: (r, e) => MessageHas(e, "0x08000000")),
        new("NACK after the data of one Write Memory (nothing stored)", "write 8 KiB, verify", HostileResult.RightData,
            () => new HostileQuirks { NackAfterWriteData = 3, NackOnce = true }, r => WriteImage(r, Image())),
        new("Get answer with a count byte of 0", "connect", HostileResult.TypedError,
            () => new HostileQuirks { GetCount = 0 }, Connects, typeof(Stm32ProtocolException)),
        new("Get answer with a count byte of 255", "connect", HostileResult.TypedError,
            () => new HostileQuirks { GetCount = 255 }, Connects, typeof(Stm32TimeoutException)),
        new("Get ID answer with a count byte of 0", "connect", HostileResult.TypedError,
            () => new HostileQuirks { GetIdCount = 0 }, Connects, typeof(Stm32ProtocolException)),
        new("Get ID answer with a count byte of 255", "connect", HostileResult.TypedError,
            () => new HostileQuirks { GetIdCount = 255 }, Connects, typeof(Stm32TimeoutException)),
        new("Read answer one byte short", "read 4 KiB", HostileResult.TypedError,
            () => new HostileQuirks { ReadDelta = -1 }, r => ReadBack(r, 4096)),
        new("Read answer 8 bytes long", "read 4 KiB", HostileResult.TypedError,
            () => new HostileQuirks { ReadDelta = 8 }, r => ReadBack(r, 4096), typeof(Stm32Exception),
            Check: (r, e) => MessageHas(e, "more than")),
        new("4 stray ACKs after every Read answer", "read 4 KiB", HostileResult.TypedError,
            () => new HostileQuirks { AfterRead = new byte[] { 0x79, 0x79, 0x79, 0x79 } }, r => ReadBack(r, 4096), typeof(Stm32Exception),
            Check: (r, e) => MessageHas(e, "79 79 79 79")),
        new("2 stray bytes between the ACK and the data of every Read answer (shifted data)", "read 4 KiB", HostileResult.TypedError,
            () => new HostileQuirks { BeforeRead = new byte[] { 0x79, 0x79 } }, r => ReadBack(r, 4096), typeof(Stm32Exception),
            Check: (r, e) => MessageHas(e, "more than")),
        new("2 stray ACKs after every Write Memory answer", "write 8 KiB, verify", HostileResult.RightData,
            () => new HostileQuirks { AfterWrite = new byte[] { 0x79, 0x79 } }, r => WriteImage(r, Image()),
            Check: (r, e) => r.Write!.Retries == 0 && r.Write.Resyncs == 0 ? null : $"{r.Write.Retries} retries, {r.Write.Resyncs} resyncs: the strays were taken for answers"),
        new("silent from the middle of a Read answer on (dead)", "read 4 KiB", HostileResult.TypedError,
            () => new HostileQuirks { DiesInRead = (3, 100) }, r => ReadBack(r, 4096), typeof(Stm32Exception)),
        new("stops answering after 10 Write Memory (dead)", "write 8 KiB, verify", HostileResult.TypedError,
            () => new HostileQuirks { DiesAfterWrites = 10 }, r => WriteImage(r, Image()), typeof(Stm32Exception),
            Check: (r, e) => MessageHas(e, "0x08000A00")),
        new("reset in the middle of a write (0x00 burst)", "write 8 KiB, verify", HostileResult.RightData,
            () => new HostileQuirks { ResetOnWrite = 7 }, r => WriteImage(r, Image()),
            Check: (r, e) => r.Write!.Resets == 1 ? null : $"{r.Write.Resets} resets noticed"),
        new("product ID changes between connects (0x410, then 0x412)", "connect, connect, write 40 KiB", HostileResult.TypedError,
            () => new HostileQuirks { ProductIds = new ushort[] { 0x410, 0x412 } }, r =>
            {
                var first = r.Connect();
                if (first.ProductId != 0x410) return $"first connect: 0x{first.ProductId:X3}";
                // Another board on the same port (a reset, a fresh sync): the second session must take its word.
                r.Device.Reset();
                using var second = r.Connect();
                if (second.ProductId != 0x412 || second.Flash.Length != 32 * 1024) return $"second connect: 0x{second.ProductId:X3}, {second.Flash.Length} bytes of flash";
                FlashProgrammer.Write(second, FirmwareImage.FromBytes(FlashStart, Image(40 * 1024)), new WriteOptions { Verify = true });
                return "a 40 KiB image was written to a 32 KiB part";
            }, typeof(ImageOutOfRangeException), Check: (r, e) => NothingSent(r)),
        new("product ID changes at a reset in the middle of a write", "write 8 KiB, verify", HostileResult.TypedError,
            () => new HostileQuirks { ResetOnWrite = 5, ProductIds = new ushort[] { 0x410, 0x412 } }, r => WriteImage(r, Image()),
            typeof(Stm32DeviceChangedException)),
        new("drips a Read answer, a byte every 30 ms (each within the reply timeout)", "read 4 KiB", HostileResult.TypedError,
            () => new HostileQuirks { DripRead = TimeSpan.FromMilliseconds(30) }, r => ReadBack(r, 4096), typeof(Stm32Exception),
            Check: (r, e) => MessageHas(e, "too slowly")),
        new("erase ACKed but not done", "erase pages 0-3, blank check", HostileResult.TypedError,
            () => new HostileQuirks { EraseDoesNothing = true }, r => EraseChecked(r, new[] { 0, 1, 2, 3 }), typeof(Stm32NotErasedException),
            Check: (r, e) => MessageHas(e, "0x08000000")),
        new("erase ACKed but not done, then a write", "write 8 KiB over old data, verify", HostileResult.TypedError,
            () => new HostileQuirks { EraseDoesNothing = true }, r =>
            {
                r.Device.PokeFlash(FlashStart, Image(8 * 1024, 9));
                return WriteImage(r, Image());
            }, typeof(Stm32VerifyException)),
        new("write-protected pages 0-3 (erase ACKed, nothing erased)", "erase page 0", HostileResult.TypedError,
            () => new HostileQuirks { WriteProtectionBytes = new byte[] { 0xFE, 0xFF, 0xFF, 0xFF } }, r => EraseChecked(r, new[] { 0 }),
            typeof(Stm32.Protocol.Programming.Stm32WriteProtectedException), Check: (r, e) => NothingSent(r)),
        new("mass erase refused (44 BB ACK, FF FF 00 NACK)", "erase the whole flash, blank check", HostileResult.RightData,
            () => new HostileQuirks { RefuseMassErase = true }, r => EraseChecked(r, null),
            Check: (r, e) => Warned(r, "refused the mass-erase code") ?? (r.Erase!.How == WholeFlashErase.PageByPage ? null : $"erased by {r.Erase.How}")),
        new("mass erase refused by a 2.2 bootloader (43 BC ACK, FF 00 NACK)", "write 8 KiB with EraseAll, verify", HostileResult.RightData,
            () => new HostileQuirks { RefuseMassErase = true, Version = 0x22 }, r => WriteImage(r, Image(), erase: EraseMode.All),
            Check: (r, e) => Warned(r, "refused the mass-erase code") ?? (r.Write!.BlankChecked ? null : "the rest of the flash was not blank-checked")),
        new("Get Checksum listed but refused", "write 8 KiB, verify", HostileResult.RightData,
            () => new HostileQuirks { Version = 0x33, ChecksumRefused = true }, r => WriteImage(r, Image()),
            Check: (r, e) => r.Write!.VerifyMethod == VerifyMethod.ReadBack ? Warned(r, "refuses") : $"verified by {r.Write.VerifyMethod}"),
        new("Get Checksum answers zero", "write 8 KiB, verify", HostileResult.RightData,
            () => new HostileQuirks { Version = 0x33, ChecksumZero = true }, r => WriteImage(r, Image()),
            Check: (r, e) => r.Write!.VerifyMethod == VerifyMethod.ReadBack ? Warned(r, "not believed") : $"verified by {r.Write.VerifyMethod}"),
        new("Get Checksum answers zero, erase not done", "erase pages 0-3, blank check", HostileResult.TypedError,
            () => new HostileQuirks { Version = 0x33, ChecksumZero = true, EraseDoesNothing = true }, r => EraseChecked(r, new[] { 0, 1, 2, 3 }),
            typeof(Stm32NotErasedException)),
        new("answers Reads past the end of its flash (size register: 64 KiB)", "write 80 KiB", HostileResult.TypedError,
            () => new HostileQuirks { FlashSizeKiB = 64, AnswerPastEnd = true }, r => WriteImage(r, Image(80 * 1024)),
            typeof(ImageOutOfRangeException), Check: (r, e) => NothingSent(r)),
        new("stops answering in the middle of a page erase (dead)", "write 8 KiB, verify", HostileResult.TypedError,
            () => new HostileQuirks { DiesOnErase = true }, r => WriteImage(r, Image()), typeof(Stm32RecoveryFailedException),
            Check: (r, e) => MessageHas(e, "Extended Erase")),
        new("silent after every page-erase list (answers resyncs)", "write 8 KiB, verify", HostileResult.TypedError,
            () => new HostileQuirks { SilentOnErase = true }, r => WriteImage(r, Image()), typeof(Stm32Exception),
            Check: (r, e) => MessageHas(e, "Extended Erase")),
    };

    /// <summary>Runs one scenario on a fresh device; never throws for what the client does.</summary>
    public static HostileReport Run(HostileScenario scenario, BootloaderOptions options, RecoveryOptions recovery, int baud = 2_000_000)
    {
        var report = new HostileReport { Scenario = scenario };
        using var device = new HostileBootloader(scenario.Quirks(), scenario.ProductId, baud);
        var run = new HostileRun(device, options, recovery);
        var sw = Stopwatch.StartNew();
        try
        {
            var problem = scenario.Act(run);
            report.Elapsed = sw.Elapsed;
            report.Result = problem == null ? HostileResult.RightData : HostileResult.WrongSuccess;
            report.Problem = problem ?? scenario.Check?.Invoke(run, null);
        }
        catch (Exception e) when (e is Stm32Exception || e is ImageOutOfRangeException || e is ArgumentException || e is InvalidOperationException)
        {
            report.Elapsed = sw.Elapsed;
            report.Result = HostileResult.TypedError;
            report.Error = e;
            if (scenario.Expected == HostileResult.TypedError)
            {
                if (!(scenario.ErrorType ?? typeof(Stm32Exception)).IsInstanceOfType(e))
                    report.Problem = $"expected {(scenario.ErrorType ?? typeof(Stm32Exception)).Name}";
                else report.Problem = scenario.Check?.Invoke(run, e);
            }
        }
        catch (Exception e)
        {
            report.Elapsed = sw.Elapsed;
            report.Result = HostileResult.UntypedError;
            report.Error = e;
        }
        return report;
    }
}
