using Xunit.Abstractions;

namespace Stm32.Protocol.Tests.Faults;

/// <summary>
/// Issue 8, the fast seeded subset: every round of write-with-verify under a fault either ends
/// with the exact image on the chip and a verified success, or with a clear typed error; never
/// a success with a wrong image. The long run is bench/FaultBench.
/// </summary>
public class FaultSuiteTests
{
    private readonly ITestOutputHelper _output;

    public FaultSuiteTests(ITestOutputHelper output) => _output = output;

    public static TheoryData<int, int> Cases()
    {
        var data = new TheoryData<int, int>();
        for (int p = 0; p < FaultRounds.Parts.Length; p++)
            for (int s = 0; s < FaultRounds.Scenarios.Length; s++)
                data.Add(p, s);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Never_a_success_with_a_wrong_image(int part, int scenario)
    {
        const int rounds = 3;
        var reports = new List<RoundReport>();
        for (int i = 0; i < rounds; i++)
        {
            var r = FaultRounds.Run(FaultRounds.Parts[part], FaultRounds.Scenarios[scenario], seed: 1000 * scenario + 100 * part + i);
            reports.Add(r);
            _output.WriteLine(r.ToString());
        }
        Assert.DoesNotContain(reports, r => r.Result == RoundResult.WrongSuccess);
        Assert.DoesNotContain(reports, r => r.Result == RoundResult.UnclearError);
    }
}
