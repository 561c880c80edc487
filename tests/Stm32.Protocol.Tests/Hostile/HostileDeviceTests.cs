using Xunit.Abstractions;

namespace Stm32.Protocol.Tests.Hostile;

/// <summary>
/// Our own hostile chips: every misbehaviour of <see cref="HostileScenarios.All"/> against a
/// <see cref="HostileBootloader"/> speaking bytes over a link, each ending in its one acceptable
/// outcome (the right data on the chip or in the read, or a typed error of the stated kind) well
/// within a minute; never a success with wrong data. Three classes so xunit runs them side by
/// side; bench/HostileBench runs the same scenarios with the module's default timeouts and
/// reports the time each takes.
/// </summary>
public abstract class HostileDeviceTests
{
    private readonly ITestOutputHelper _output;
    private readonly int _part;

    protected HostileDeviceTests(ITestOutputHelper output, int part)
    {
        _output = output;
        _part = part;
    }

    /// <summary>Far above what any scenario needs with the suite's timeouts (a few seconds), far below a minute.</summary>
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    /// <summary>Every third scenario, by name (the test's name says the misbehaviour).</summary>
    public static TheoryData<string> Part(int part)
    {
        var data = new TheoryData<string>();
        for (int i = part; i < HostileScenarios.All.Length; i += 3) data.Add(HostileScenarios.All[i].Misbehaviour);
        return data;
    }

    protected void Run(string misbehaviour)
    {
        int index = Array.FindIndex(HostileScenarios.All, s => s.Misbehaviour == misbehaviour);
        var scenario = HostileScenarios.All[index];
        Assert.Equal(_part, index % 3);
        var report = HostileScenarios.Run(scenario, HostileScenarios.TestOptions(), HostileScenarios.TestRecovery());
        _output.WriteLine(report.ToString());
        Assert.NotEqual(HostileResult.WrongSuccess, report.Result);
        Assert.NotEqual(HostileResult.UntypedError, report.Result);
        Assert.True(report.Result == scenario.Expected, $"{scenario.Misbehaviour}: expected {scenario.ExpectedText}, got {report}");
        Assert.True(report.Problem == null, report.ToString());
        Assert.True(report.Elapsed < Bound, $"{scenario.Misbehaviour}: {report.Elapsed.TotalSeconds:0.0} s");
    }
}

public sealed class HostileDeviceTests0 : HostileDeviceTests
{
    public HostileDeviceTests0(ITestOutputHelper output) : base(output, 0) { }

    public static TheoryData<string> Scenarios => Part(0);

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void Ends_in_its_one_acceptable_outcome(string misbehaviour) => Run(misbehaviour);
}

public sealed class HostileDeviceTests1 : HostileDeviceTests
{
    public HostileDeviceTests1(ITestOutputHelper output) : base(output, 1) { }

    public static TheoryData<string> Scenarios => Part(1);

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void Ends_in_its_one_acceptable_outcome(string misbehaviour) => Run(misbehaviour);
}

public sealed class HostileDeviceTests2 : HostileDeviceTests
{
    public HostileDeviceTests2(ITestOutputHelper output) : base(output, 2) { }

    public static TheoryData<string> Scenarios => Part(2);

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void Ends_in_its_one_acceptable_outcome(string misbehaviour) => Run(misbehaviour);
}
