using Stm32.Protocol.Bootloader;
using Stm32.Protocol.Devices;
using Stm32.Protocol.Transport;

// Shared by the hostile-device suite (HostileDeviceTests) and its bench (bench/HostileBench links
// this file and HostileScenarios.cs). No xunit in here.
namespace Stm32.Protocol.Tests.Hostile;

/// <summary>
/// The ways a <see cref="HostileBootloader"/> misbehaves. Each is off by default; a scenario turns
/// on one (or two) of them. Counts are 1-based ("the 3rd Write Memory").
/// </summary>
public sealed class HostileQuirks
{
    /// <summary>The byte sent wherever an ACK is due (0x79 for a bootloader that behaves).</summary>
    public byte AckByte { get; set; } = An3155.Ack;

    /// <summary>The n-th Write Memory is stored, but its final ACK is 0x7A.</summary>
    public int? WrongAckOnWrite { get; set; }

    /// <summary>Every byte received is sent straight back before it is acted on (a single-wire or RS-485 line).</summary>
    public bool Echo { get; set; }

    /// <summary>Writes and erases are acknowledged and nothing is stored or erased.</summary>
    public bool StoreNothing { get; set; }

    /// <summary>Write Memory with this number or higher is answered NACK after its data, without storing; with <see cref="NackOnce"/> only that one.</summary>
    public int? NackAfterWriteData { get; set; }

    public bool NackOnce { get; set; }

    /// <summary>The count byte of the Get answer, whatever the codes that follow (null: the real count).</summary>
    public int? GetCount { get; set; }

    /// <summary>The count byte of the Get ID answer (null: 1, for the two PID bytes that follow).</summary>
    public int? GetIdCount { get; set; }

    /// <summary>Bytes more (positive: the flash that follows) or fewer (negative) in every Read Memory answer.</summary>
    public int ReadDelta { get; set; }

    /// <summary>Sent in every Read Memory answer between its ACK and its data (the data arrives shifted).</summary>
    public byte[] BeforeRead { get; set; } = Array.Empty<byte>();

    /// <summary>Sent with every Read Memory answer, right after its data.</summary>
    public byte[] AfterRead { get; set; } = Array.Empty<byte>();

    /// <summary>Sent with every Write Memory's final ACK, right after it.</summary>
    public byte[] AfterWrite { get; set; } = Array.Empty<byte>();

    /// <summary>The n-th Read Memory answer stops after this many data bytes, and the chip never answers again.</summary>
    public (int Read, int Bytes)? DiesInRead { get; set; }

    /// <summary>After this many Write Memory commands the chip never answers again (a dead chip).</summary>
    public int? DiesAfterWrites { get; set; }

    /// <summary>The n-th Write Memory's data frame is met by a reset: a burst of 0x00, then the chip waits for a sync (memory kept).</summary>
    public int? ResetOnWrite { get; set; }

    /// <summary>The product ID given by Get ID after the 1st, 2nd, ... fresh sync (the last repeats).</summary>
    public ushort[]? ProductIds { get; set; }

    /// <summary>Each byte of a Read Memory answer's data follows the one before after this long.</summary>
    public TimeSpan DripRead { get; set; }

    /// <summary>Erases are acknowledged and nothing is erased (ST's code ACKs erases whatever the flash controller says).</summary>
    public bool EraseDoesNothing { get; set; }

    /// <summary>The mass-erase code (0x44 FFFF, 0x43 FF 00) is answered NACK after the command's ACK.</summary>
    public bool RefuseMassErase { get; set; }

    /// <summary>Get Checksum is listed but the command is answered NACK.</summary>
    public bool ChecksumRefused { get; set; }

    /// <summary>Get Checksum answers a CRC of 0 for anything.</summary>
    public bool ChecksumZero { get; set; }

    /// <summary>The flash-size register says this many KiB (null: the catalog's size).</summary>
    public int? FlashSizeKiB { get; set; }

    /// <summary>Reads that run past the end of flash (or of any region) are answered (with 0x00 there) instead of NACKed.</summary>
    public bool AnswerPastEnd { get; set; }

    /// <summary>Page erases: the command is ACKed, the page list read, and then nothing is ever answered for it (the chip waits for the next command).</summary>
    public bool SilentOnErase { get; set; }

    /// <summary>After the first erase command's frame the chip never answers again (dead in the middle of an erase).</summary>
    public bool DiesOnErase { get; set; }

    /// <summary>The n-th command pair is answered with 6 bytes of garbage instead of ACK, and the command dropped.</summary>
    public int? GarbageForCommand { get; set; }

    /// <summary>Every command pair from this one on is answered with garbage.</summary>
    public int? GarbageFromCommand { get; set; }

    /// <summary>WRP0..WRP3 option bytes (bit clear = protected sector of 4 pages on an F1); null: none protected.</summary>
    public byte[]? WriteProtectionBytes { get; set; }

    /// <summary>The bootloader version: 0x22 (Erase 0x43), 0x31 (Extended Erase 0x44) or 0x33 (0x44 and Get Checksum 0xA1).</summary>
    public byte Version { get; set; } = 0x31;
}

/// <summary>
/// A small AN3155 bootloader of our own (spec 4), built to misbehave in the ways the hostile-device
/// suite tests: it speaks bytes over an <see cref="InMemoryLinkPair"/> like the simulated chip, with
/// the memory map of a catalog row (flash, RAM, system memory with the flash-size register, the F1
/// option bytes with their write protection), and follows ST's own device-side habits where they
/// differ from the simulated chip: an erase is ACKed whatever it did, write-protected pages are
/// skipped silently. Commands: Get, Get Version, Get ID, Read, Write, Erase (0x43 or 0x44), Get
/// Checksum (on 3.3), Go. Not thread-safe beyond its own serving thread; the memory accessors lock.
/// </summary>
public sealed class HostileBootloader : IDisposable
{
    private enum State
    {
        WaitingForSync,
        CommandLoop,
        Dead,
    }

    private readonly InMemoryLinkPair _pair;
    private readonly HostileQuirks _q;
    private readonly DeviceInfo _device;
    private readonly object _gate = new();
    private readonly byte[] _flash;
    private readonly byte[] _ram;
    private readonly byte[] _system;
    private readonly byte[] _options;
    private readonly Thread _thread;
    private readonly CancellationTokenSource _cts = new();
    private readonly Random _random = new(7);
    private volatile State _state = State.WaitingForSync;
    private int _syncs, _commands, _writes, _reads;
    private readonly byte[] _codes;

    public HostileBootloader(HostileQuirks quirks, ushort productId = 0x410, int baud = 115200)
    {
        _q = quirks;
        _device = DeviceCatalog.Find(productId) ?? throw new ArgumentException("no catalog row");
        _pair = new InMemoryLinkPair("hostile://0x" + productId.ToString("X3"), baud);
        _flash = Filled((int)_device.Flash.Length, 0xFF);
        _ram = new byte[_device.Ram.Length];
        _random.NextBytes(_ram);
        _system = new byte[_device.SystemMemory.Length];
        _random.NextBytes(_system);
        var kib = (ushort)(_q.FlashSizeKiB ?? (int)(_device.Flash.Length / 1024));
        if (_device.FlashSizeAddress is uint fs && _device.SystemMemory.Contains(fs))
        {
            _system[fs - _device.SystemMemory.Start] = (byte)kib;
            _system[fs - _device.SystemMemory.Start + 1] = (byte)(kib >> 8);
        }
        // F1 option bytes: RDP level 0, USER, DATA0/1, WRP0-3, each followed by its complement (spec 7).
        _options = new byte[] { 0xA5, 0x5A, 0xFF, 0x00, 0xFF, 0x00, 0xFF, 0x00, 0xFF, 0x00, 0xFF, 0x00, 0xFF, 0x00, 0xFF, 0x00 };
        var wrp = _q.WriteProtectionBytes ?? new byte[] { 0xFF, 0xFF, 0xFF, 0xFF };
        for (int i = 0; i < 4; i++)
        {
            _options[8 + 2 * i] = wrp[i];
            _options[9 + 2 * i] = (byte)~wrp[i];
        }
        var codes = new List<byte> { 0x00, 0x01, 0x02, 0x11, 0x21, 0x31, _q.Version < 0x30 ? An3155.Erase : An3155.ExtendedErase, 0x63, 0x73, 0x82, 0x92 };
        if (_q.Version >= 0x33) codes.Add(An3155.GetChecksum);
        _codes = codes.ToArray();
        _thread = new Thread(Serve) { IsBackground = true, Name = "HostileBootloader" };
        _thread.Start();
    }

    /// <summary>The end a client opens.</summary>
    public IByteLink Host => _pair.Host;

    public DeviceInfo Device => _device;

    /// <summary>Write Memory commands whose data frame arrived.</summary>
    public int Writes => Volatile.Read(ref _writes);

    /// <summary>Erase commands (0x43, 0x44) received, mass or pages.</summary>
    public int Erases { get; private set; }

    /// <summary>A reset (or another board plugged in): the bootloader waits for a sync again; memory is kept.</summary>
    public void Reset() => _state = State.WaitingForSync;

    /// <summary>The chip's flash as it really is.</summary>
    public byte[] PeekFlash(uint address, int length)
    {
        lock (_gate) return _flash.AsSpan((int)(address - _device.Flash.Start), length).ToArray();
    }

    /// <summary>Sets flash directly (test setup).</summary>
    public void PokeFlash(uint address, byte[] data)
    {
        lock (_gate) data.CopyTo(_flash, (int)(address - _device.Flash.Start));
    }

    private static byte[] Filled(int length, byte value)
    {
        var b = new byte[length];
        Array.Fill(b, value);
        return b;
    }

    // ------------------------------------------------------------------ the wire

    private readonly byte[] _one = new byte[1];

    private byte ReadByte()
    {
        while (true)
        {
            var n = _pair.Device.Read(_one, 0, 1, TimeSpan.FromMilliseconds(100), _cts.Token);
            if (n == 0) continue;
            if (_q.Echo) _pair.Device.Write(_one, 0, 1);
            return _one[0];
        }
    }

    private byte[] ReadBytes(int count)
    {
        var b = new byte[count];
        for (int i = 0; i < count; i++) b[i] = ReadByte();
        return b;
    }

    /// <summary>4 bytes MSB first and their XOR; null on a bad XOR.</summary>
    private uint? ReadWord()
    {
        var b = ReadBytes(5);
        if ((byte)(b[0] ^ b[1] ^ b[2] ^ b[3]) != b[4]) return null;
        return (uint)(b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3]);
    }

    private void Send(params byte[] bytes) => _pair.Device.Write(bytes, 0, bytes.Length);

    private void Ack() => Send(_q.AckByte);

    private void Nack() => Send(An3155.Nack);

    // ------------------------------------------------------------------ the bootloader

    private void Serve()
    {
        try
        {
            while (!_cts.IsCancellationRequested)
            {
                var b = ReadByte();
                switch (_state)
                {
                    case State.WaitingForSync:
                        if (b != An3155.Sync) break;
                        _syncs++;
                        _state = State.CommandLoop;
                        Ack();
                        break;
                    case State.CommandLoop:
                        RunCommand(b);
                        break;
                    default:
                        break; // dead: every byte ignored
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private ushort ProductId
    {
        get
        {
            var ids = _q.ProductIds;
            if (ids == null || ids.Length == 0) return _device.ProductId;
            return ids[Math.Min(ids.Length, Math.Max(1, _syncs)) - 1];
        }
    }

    private void RunCommand(byte code)
    {
        var complement = ReadByte();
        int number = ++_commands;
        if ((byte)(code ^ complement) != 0xFF || Array.IndexOf(_codes, code) < 0)
        {
            Nack();
            return;
        }
        if (_q.GarbageForCommand == number || (_q.GarbageFromCommand is int from && number >= from))
        {
            var garbage = new byte[6];
            _random.NextBytes(garbage);
            for (int i = 0; i < garbage.Length; i++) if (garbage[i] == An3155.Ack || garbage[i] == An3155.Nack) garbage[i] = 0x55;
            Send(garbage);
            return;
        }
        if (code == An3155.GetChecksum && _q.ChecksumRefused)
        {
            Nack();
            return;
        }
        Ack();
        switch (code)
        {
            case An3155.Get:
                var get = new List<byte> { (byte)(_q.GetCount ?? _codes.Length), _q.Version };
                get.AddRange(_codes);
                get.Add(_q.AckByte);
                Send(get.ToArray());
                break;
            case An3155.GetVersion:
                Send(_q.Version, 0x00, 0x00, _q.AckByte);
                break;
            case An3155.GetId:
                Send((byte)(_q.GetIdCount ?? 1), (byte)(ProductId >> 8), (byte)ProductId, _q.AckByte);
                break;
            case An3155.ReadMemory:
                ReadMemory();
                break;
            case An3155.WriteMemory:
                WriteMemory();
                break;
            case An3155.Erase:
                LegacyErase();
                break;
            case An3155.ExtendedErase:
                ExtendedErase();
                break;
            case An3155.GetChecksum:
                GetChecksum();
                break;
            case An3155.Go:
                if (ReadWord() is null) Nack();
                else
                {
                    Ack();
                    _state = State.Dead; // the application runs
                }
                break;
            default:
                // Listed for a realistic Get, not modelled: write/readout (un)protect.
                Nack();
                break;
        }
    }

    /// <summary>The memory holding [address, address+length): flash, RAM, system memory, option bytes; null outside.</summary>
    private (byte[] Data, int Offset)? Find(uint address, int length, bool pastEndAnswered = false)
    {
        foreach (var (range, data) in new[] { (_device.Flash, _flash), (_device.Ram, _ram), (_device.SystemMemory, _system), (_device.OptionBytes, _options) })
        {
            if (!range.Contains(address)) continue;
            if (range.Equals(_device.Flash) && _q.FlashSizeKiB is int kib && !pastEndAnswered && address + (ulong)length > range.Start + (ulong)kib * 1024) return null;
            if (!pastEndAnswered && address + (ulong)length > range.Start + (ulong)data.Length) return null;
            return (data, (int)(address - range.Start));
        }
        return null;
    }

    private void ReadMemory()
    {
        var address = ReadWord();
        if (address == null || Find(address.Value, 1, _q.AnswerPastEnd) == null)
        {
            Nack();
            return;
        }
        Ack();
        var n = ReadByte();
        var notN = ReadByte();
        int length = n + 1;
        var found = Find(address.Value, length, _q.AnswerPastEnd);
        if ((byte)(n ^ notN) != 0xFF || found == null)
        {
            Nack();
            return;
        }
        int number = ++_reads;
        var (data, offset) = found.Value;
        int send = Math.Max(0, length + _q.ReadDelta);
        var reply = new byte[send];
        lock (_gate)
            for (int i = 0; i < send; i++) reply[i] = offset + i < data.Length ? data[offset + i] : (byte)0x00;
        Ack();
        if (_q.DiesInRead is (int read, int bytes) && read == number)
        {
            Send(reply.AsSpan(0, Math.Min(bytes, reply.Length)).ToArray());
            _state = State.Dead;
            return;
        }
        if (_q.DripRead > TimeSpan.Zero)
        {
            foreach (var b in reply)
            {
                Send(b);
                if (_cts.Token.WaitHandle.WaitOne(_q.DripRead)) return;
            }
            if (_q.AfterRead.Length > 0) Send(_q.AfterRead);
            return;
        }
        Send(_q.BeforeRead.Concat(reply).Concat(_q.AfterRead).ToArray());
    }

    private bool IsProtected(int page)
    {
        var sector = page / _device.PagesPerSector;
        if (sector >= 32) sector = 31;
        lock (_gate) return (_options[8 + 2 * (sector / 8)] & (1 << (sector % 8))) == 0;
    }

    private void WriteMemory()
    {
        var address = ReadWord();
        var region = address == null ? null : Find(address.Value, 1);
        if (region == null || (!_device.Flash.Contains(address!.Value) && !_device.Ram.Contains(address.Value)))
        {
            Nack();
            return;
        }
        Ack();
        var n = ReadByte();
        var data = ReadBytes(n + 1);
        var checksum = ReadByte();
        int number = Interlocked.Increment(ref _writes);
        if (_q.ResetOnWrite == number)
        {
            Send(new byte[8]); // the line glitches low while the chip resets
            _state = State.WaitingForSync;
            return;
        }
        if (_q.DiesAfterWrites is int dies && number > dies)
        {
            _state = State.Dead;
            return;
        }
        if ((byte)(n ^ An3155.Xor(data, 0, data.Length)) != checksum || Find(address.Value, data.Length) is not { } target
            || (_q.NackAfterWriteData is int nack && (_q.NackOnce ? number == nack : number >= nack)))
        {
            Nack();
            return;
        }
        if (!_q.StoreNothing)
        {
            lock (_gate)
            {
                for (int i = 0; i < data.Length; i++)
                {
                    var a = address.Value + (uint)i;
                    if (_device.Flash.Contains(a))
                    {
                        var page = _device.Layout!.PageAt(a)!.Index;
                        if (!IsProtected(page)) target.Data[target.Offset + i] &= data[i];
                    }
                    else target.Data[target.Offset + i] = data[i];
                }
            }
        }
        Send(new[] { _q.WrongAckOnWrite == number ? (byte)0x7A : _q.AckByte }.Concat(_q.AfterWrite).ToArray());
    }

    private void ErasePages(IEnumerable<int> pages)
    {
        if (_q.StoreNothing || _q.EraseDoesNothing) return;
        lock (_gate)
        {
            foreach (var index in pages)
            {
                if (IsProtected(index)) continue; // skipped silently, as ST's code does
                var p = _device.Layout!.Pages[index];
                Array.Fill(_flash, (byte)0xFF, (int)(p.Start - _device.Flash.Start), (int)p.Size);
            }
        }
    }

    private int PageCount => _device.Layout!.PageCount;

    /// <summary>A page list that checked out: erase (or not) and ACK, unless the chip goes silent or dies here.</summary>
    private void FinishPageErase(IEnumerable<int> pages)
    {
        if (_q.SilentOnErase) return;
        if (_q.DiesOnErase)
        {
            _state = State.Dead;
            return;
        }
        ErasePages(pages);
        Ack();
    }

    private void LegacyErase()
    {
        Erases++;
        var first = ReadByte();
        if (first == 0xFF)
        {
            var second = ReadByte();
            if (second != 0x00 || _q.RefuseMassErase)
            {
                Nack();
                return;
            }
            ErasePages(Enumerable.Range(0, PageCount));
            Ack();
            return;
        }
        var pages = ReadBytes(first + 1);
        var checksum = ReadByte();
        if ((byte)(first ^ An3155.Xor(pages, 0, pages.Length)) != checksum || pages.Any(p => p >= PageCount))
        {
            Nack();
            return;
        }
        FinishPageErase(pages.Select(p => (int)p));
    }

    private void ExtendedErase()
    {
        Erases++;
        var nh = ReadByte();
        var nl = ReadByte();
        int n = nh << 8 | nl;
        if (n >= 0xFFF0)
        {
            var check = ReadByte();
            if ((byte)(nh ^ nl) != check || n != An3155.MassEraseCode || _q.RefuseMassErase)
            {
                Nack();
                return;
            }
            ErasePages(Enumerable.Range(0, PageCount));
            Ack();
            return;
        }
        var raw = ReadBytes(2 * (n + 1));
        var checksum = ReadByte();
        var list = Enumerable.Range(0, n + 1).Select(i => raw[2 * i] << 8 | raw[2 * i + 1]).ToList();
        if ((byte)(nh ^ nl ^ An3155.Xor(raw, 0, raw.Length)) != checksum || list.Any(p => p >= PageCount))
        {
            Nack();
            return;
        }
        FinishPageErase(list);
    }

    // Spec 4.13 (AN3155r18 flow).
    private void GetChecksum()
    {
        var address = ReadWord();
        if (address == null || Find(address.Value, 4) == null)
        {
            Nack();
            return;
        }
        Ack();
        var words = ReadWord();
        var area = words == null ? null : Find(address.Value, (int)words.Value * 4);
        if (area == null || words == 0)
        {
            Nack();
            return;
        }
        Ack();
        var poly = ReadWord();
        if (poly == null)
        {
            Nack();
            return;
        }
        Ack();
        var init = ReadWord();
        if (init == null)
        {
            Nack();
            return;
        }
        Ack();
        uint crc;
        lock (_gate) crc = _q.ChecksumZero ? 0 : An3155.Crc32(area.Value.Data, area.Value.Offset, (int)words!.Value * 4, init.Value);
        var c = new[] { (byte)(crc >> 24), (byte)(crc >> 16), (byte)(crc >> 8), (byte)crc };
        Send(_q.AckByte, c[0], c[1], c[2], c[3], An3155.Xor(c, 0, 4));
    }

    public void Dispose()
    {
        _cts.Cancel();
        _pair.Host.Dispose();
        _thread.Join(TimeSpan.FromSeconds(2));
        _cts.Dispose();
    }
}
