using Stm32.Protocol.Transport;

namespace Stm32.Protocol.Tests.Flasher;

/// <summary>
/// The host end with line faults the session must survive: garbage injected before a given
/// write, a given write lost whole, and a span of silence (writes lost, replies unread and
/// discarded) after a given write.
/// </summary>
internal sealed class FaultyLink : IByteLink
{
    private readonly IByteLink _inner;
    private int _writes;
    private DateTime _silentUntil;

    public FaultyLink(IByteLink inner) => _inner = inner;

    public int GarbageBeforeWrite { get; set; } = -1;
    public int GarbageLength { get; set; } = 64;
    public int LoseWrite { get; set; } = -1;
    public int SilenceAfterWrite { get; set; } = -1;
    public TimeSpan Silence { get; set; } = TimeSpan.FromMilliseconds(300);
    public int Injected { get; private set; }

    public string Name => _inner.Name;
    public int BaudRate => _inner.BaudRate;
    public bool SupportsModemLines => false;

    public void Write(byte[] buffer, int offset, int count)
    {
        int n = ++_writes;
        if (DateTime.UtcNow < _silentUntil) return;
        if (n == GarbageBeforeWrite)
        {
            var junk = new byte[GarbageLength];
            new Random(n).NextBytes(junk);
            junk[0] = 0xA5; // starts like a frame, to test the resync
            _inner.Write(junk, 0, junk.Length);
            Injected++;
        }
        if (n == LoseWrite)
        {
            Injected++;
            return;
        }
        _inner.Write(buffer, offset, count);
        if (n == SilenceAfterWrite)
        {
            _silentUntil = DateTime.UtcNow + Silence;
            Injected++;
        }
    }

    public int Read(byte[] buffer, int offset, int count, TimeSpan timeout, CancellationToken cancellationToken)
    {
        int got = _inner.Read(buffer, offset, count, timeout, cancellationToken);
        return DateTime.UtcNow < _silentUntil ? 0 : got;
    }

    public void DiscardInput() => _inner.DiscardInput();
    public void SetModemLine(ModemLine line, bool asserted) => throw new ModemLinesNotSupportedException(Name);
    public void Dispose() => _inner.Dispose();
}
