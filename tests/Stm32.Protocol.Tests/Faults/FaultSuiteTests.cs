using Xunit.Abstractions;

namespace Stm32.Protocol.Tests.Faults;

/// <summary>
/// Issue 8, the fast seeded subset: every round of write-with-verify of a 64 KiB image under a
/// fault either ends with the exact image on the chip and a verified success, or with a clear
/// typed error; never a success with a wrong image. One class per part so xunit runs the parts
/// side by side; the long run with many more rounds is bench/FaultBench.
/// </summary>
public abstract class FaultSuiteTests
{
    private readonly ITestOutputHelper _output;
    private readonly int _part;

    protected FaultSuiteTests(ITestOutputHelper output, int part)
    {
        _output = output;
        _part = part;
    }

    /// <summary>Rounds per scenario here: the noisy-line scenarios cost seconds a round (every dropped byte waits out a timeout).</summary>
    private static int Rounds(string scenario, int part) => scenario switch
    {
        "drop 1e-3 each way" => 1,     // ~4 s a round; the bench runs many more
        "corrupt 1e-3 each way" or "everything at once" or "drop 1e-4 each way" => 1,
        _ => 2,
    };

    public static TheoryData<int> Scenarios()
    {
        var data = new TheoryData<int>();
        for (int s = 0; s < FaultRounds.Scenarios.Length; s++) data.Add(s);
        return data;
    }

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void Never_a_success_with_a_wrong_image(int scenario)
    {
        var sc = FaultRounds.Scenarios[scenario];
        var reports = new List<RoundReport>();
        for (int i = 0; i < Rounds(sc.Name, _part); i++)
        {
            var r = FaultRounds.Run(FaultRounds.Parts[_part], sc, seed: 1000 * scenario + 100 * _part + i);
            reports.Add(r);
            _output.WriteLine(r.ToString());
        }
        Assert.DoesNotContain(reports, r => r.Result == RoundResult.WrongSuccess);
        Assert.DoesNotContain(reports, r => r.Result == RoundResult.UnclearError);
        // A clear error must say where: a step, and an address when the failing step had one.
        foreach (var r in reports.Where(r => r.Result == RoundResult.ClearError))
            Assert.False(string.IsNullOrEmpty(((Stm32.Protocol.Bootloader.Stm32Exception)r.Error!).Step));
        // On a clean line, under NACKs, stalls, resets and the sync quirks, every round succeeds.
        if (!sc.Name.Contains("1e-3") && !sc.Name.Contains("everything"))
            Assert.All(reports, r => Assert.Equal(RoundResult.VerifiedExact, r.Result));
    }
}

public sealed class FaultSuiteF1V22Tests : FaultSuiteTests
{
    public FaultSuiteF1V22Tests(ITestOutputHelper output) : base(output, 0) { }
}

public sealed class FaultSuiteF4V31Tests : FaultSuiteTests
{
    public FaultSuiteF4V31Tests(ITestOutputHelper output) : base(output, 1) { }
}

public sealed class FaultSuiteF4V33Tests : FaultSuiteTests
{
    public FaultSuiteF4V33Tests(ITestOutputHelper output) : base(output, 2) { }
}
