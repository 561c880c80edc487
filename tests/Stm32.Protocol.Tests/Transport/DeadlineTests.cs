using Stm32.Protocol.Transport;

namespace Stm32.Protocol.Tests.Transport;

/// <summary>The monotonic deadline the links and the client time their waits with.</summary>
public class DeadlineTests
{
    [Fact]
    public void Zero_and_negative_timeouts_have_passed_at_once()
    {
        foreach (var t in new[] { TimeSpan.Zero, TimeSpan.FromMilliseconds(-1), Timeout.InfiniteTimeSpan, TimeSpan.MinValue })
        {
            var d = Deadline.After(t);
            Assert.True(d.HasPassed);
            Assert.Equal(TimeSpan.Zero, d.Remaining);
        }
    }

    [Fact]
    public void Remaining_counts_down_from_the_timeout()
    {
        var d = Deadline.After(TimeSpan.FromHours(1));
        var first = d.Remaining;
        Assert.False(d.HasPassed);
        Assert.InRange(first, TimeSpan.FromMinutes(59), TimeSpan.FromHours(1));
        Assert.True(d.Remaining <= first);
    }

    [Fact]
    public void Huge_timeouts_do_not_overflow()
    {
        var d = Deadline.After(TimeSpan.MaxValue);
        Assert.False(d.HasPassed);
        Assert.True(d.Remaining > TimeSpan.FromDays(365 * 100)); // the Stopwatch range: ~292 years at 1 GHz
    }

    [Fact]
    public void A_link_read_with_a_huge_timeout_still_returns_what_arrives()
    {
        var pair = new InMemoryLinkPair("deadline", 115200);
        pair.Device.Write(new byte[] { 0x79 }, 0, 1);
        var buf = new byte[1];
        Assert.Equal(1, pair.Host.Read(buf, 0, 1, TimeSpan.MaxValue, default));
        Assert.Equal(0x79, buf[0]);
    }
}
