using Xunit;
using Xunit.Abstractions;
using Stm32.Protocol.Firmware;

namespace Stm32.Protocol.Tests.Firmware;

/// <summary>
/// Mutated firmware files (<see cref="FirmwareFuzz"/>): a seeded run of a few seconds, and the
/// inputs earlier runs found, kept under tests/data/fuzz as regression files.
/// </summary>
public class FuzzTests(ITestOutputHelper output)
{
    // A fixed seed: every run tries the same inputs first (at least MinInputs of them), then
    // more of the same stream while the time box lasts. bench/FirmwareFuzz runs the long version.
    private const ulong Seed = 0x5354_4D33_3246_555A;
    private const long MinInputs = 3000;
    private static readonly TimeSpan TimeBox = TimeSpan.FromSeconds(4);

    private static readonly IReadOnlyList<FirmwareFuzz.Seed> Seeds = FirmwareFuzz.LoadSeeds(Path.Combine(AppContext.BaseDirectory, "data"));

    [Fact]
    public void MutatedFilesAreReadOrRefusedWithTheReadersOwnMessage()
    {
        var report = FirmwareFuzz.Run(Seeds, Seed, TimeBox, MinInputs, long.MaxValue, stopAtFirst: true);
        output.WriteLine(report.ToString());
        Assert.True(report.Inputs >= MinInputs);
        // The mutations must reach both outcomes, or the run proves little.
        Assert.True(report.Accepted > 0 && report.Refused > 0, report.ToString());
    }

    public static TheoryData<string> CrashFiles()
    {
        var data = new TheoryData<string>();
        foreach (var f in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "data", "fuzz", "crashes")).OrderBy(f => f, StringComparer.Ordinal))
            data.Add(Path.GetFileName(f));
        return data;
    }

    /// <summary>
    /// Inputs the long run found against the reader before ElfValidator (ELFSharp's exceptions,
    /// allocations of what a header claims): each is now refused with a message of the reader's own.
    /// </summary>
    [Theory]
    [MemberData(nameof(CrashFiles))]
    public void EarlierCrashInputsAreRefusedWithTheReadersOwnMessage(string file)
    {
        var bytes = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "data", "fuzz", "crashes", file));
        var seed = new FirmwareFuzz.Seed(file, bytes, FirmwareReader.FormatFromExtension(file), Array.Empty<(int, int)>());
        Assert.False(FirmwareFuzz.Check(seed, bytes), "the damaged file was read");
        var e = Assert.Throws<FirmwareFormatException>(() => FirmwareReader.Read(bytes, file));
        output.WriteLine(e.Message);
        Assert.NotNull(e.ByteOffset);
    }
}
