using Stm32.Protocol.Transport;

namespace Stm32.Protocol.Tests.Bootloader;

/// <summary>
/// A device end that expects exact byte frames and answers with scripted bytes: it checks that
/// the client puts on the wire exactly what the spec's diagrams show.
/// </summary>
internal sealed class ScriptedDevice : IDisposable
{
    private readonly InMemoryLinkPair _pair;
    private readonly List<(byte[] expect, byte[] reply)> _steps = new();
    private readonly List<byte> _received = new();
    private Thread? _thread;
    private Exception? _failure;
    private readonly CancellationTokenSource _cts = new();

    public ScriptedDevice(int baud = 115200)
    {
        _pair = new InMemoryLinkPair("scripted", baud);
    }

    public IByteLink Host => _pair.Host;

    /// <summary>Expect these bytes from the host, then answer with those.</summary>
    public ScriptedDevice Expect(byte[] expect, params byte[] reply)
    {
        _steps.Add((expect, reply));
        return this;
    }

    public ScriptedDevice Start()
    {
        _thread = new Thread(Run) { IsBackground = true };
        _thread.Start();
        return this;
    }

    private void Run()
    {
        try
        {
            var buf = new byte[1];
            foreach (var (expect, reply) in _steps)
            {
                for (int i = 0; i < expect.Length; i++)
                {
                    if (_pair.Device.Read(buf, 0, 1, TimeSpan.FromSeconds(5), _cts.Token) == 0)
                        throw new Exception($"Timed out waiting for byte {i} of {Hex(expect)}; got so far {Hex(_received.ToArray())}");
                    _received.Add(buf[0]);
                    if (buf[0] != expect[i])
                        throw new Exception($"Expected {Hex(expect)} but byte {i} was {buf[0]:X2}; all received: {Hex(_received.ToArray())}");
                }
                if (reply.Length > 0) _pair.Device.Write(reply, 0, reply.Length);
            }
        }
        catch (OperationCanceledException) { }
        catch (ObjectDisposedException) { }
        catch (Exception e) { _failure = e; }
    }

    /// <summary>Waits for the script to finish and rethrows any mismatch.</summary>
    public void Verify()
    {
        _thread?.Join(TimeSpan.FromSeconds(5));
        if (_failure != null) throw new Xunit.Sdk.XunitException(_failure.Message);
        Assert.False(_thread?.IsAlive ?? false, "the script did not finish");
    }

    public static string Hex(byte[] b) => string.Join(" ", b.Select(x => x.ToString("X2")));

    public void Dispose()
    {
        _cts.Cancel();
        _pair.Host.Dispose();
    }
}
