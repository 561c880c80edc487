using System;
using Stm32.Protocol.Devices;
using Stm32.Protocol.Simulation;

namespace Stm32.Protocol.Emulation
{
    /// <summary>Which flash controller a family has (the programs' view of it).</summary>
    public enum FlashControllerKind
    {
        /// <summary>F0, F1, F3: KEYR/SR/CR/AR, half-word programming, page erase by address (F1 XL: second bank at +0x40).</summary>
        F1,

        /// <summary>F2, F4: KEYR/SR/CR with PSIZE and SNB, sector erase, x8/x16/x32 programming.</summary>
        F4,

        /// <summary>G0: KEYR/SR/CR with PNB, 64-bit double-word programming.</summary>
        G0,
    }

    /// <summary>
    /// The flash memory and its controller. Programs read flash through here and write it only
    /// through the controller's sequence: unlock with KEY1 then KEY2 (a wrong key locks it until
    /// reset), set PG and write, or set PER/SER/MER and STRT. Programming ANDs bits; write-
    /// protected pages refuse (WRP error) and keep their content; BSY stays set for the family's
    /// figures from <see cref="FlashTimings"/> with realistic timing, and clears at once
    /// otherwise. Reads during BSY return the content (the stall of a real bus is not modelled).
    /// </summary>
    internal abstract class FlashController : IBusDevice
    {
        protected const uint Key1 = 0x45670123, Key2 = 0xCDEF89AB;

        protected readonly CoreContext Ctx;
        protected readonly byte[] Flash;
        protected readonly int FlashOffset;
        protected readonly uint FlashBase;
        protected readonly uint FlashLength;
        protected readonly FlashLayout Layout;
        protected readonly Func<uint, bool> IsProtected;
        protected readonly FlashTimings Timings;
        protected readonly object Gate = new object();

        protected FlashController(uint registerBase, CoreContext ctx, byte[] flash, int flashOffset, MemoryRange flashRange, FlashLayout layout,
            Func<uint, bool>? isProtected, string family)
        {
            Base = registerBase;
            Ctx = ctx;
            Flash = flash;
            FlashOffset = flashOffset;
            FlashBase = flashRange.Start;
            FlashLength = flashRange.Length;
            Layout = layout;
            IsProtected = isProtected ?? (_ => false);
            Timings = FlashTimings.For(family);
        }

        public uint Base { get; }

        public uint Size => 0x400;

        /// <summary>Flash operations done (programmed units, erased pages), for tests and figures.</summary>
        public long Programmed { get; protected set; }

        public long Erased { get; protected set; }

        public abstract long NextEvent { get; }

        public abstract void Reset();

        public abstract uint Read(uint offset, int size);

        public abstract void Write(uint offset, int size, uint value);

        /// <summary>A program's write into the flash address space.</summary>
        public abstract void WriteFlash(uint address, int size, uint value);

        public uint ReadFlash(uint address, int size)
        {
            int i = FlashOffset + (int)(address - FlashBase);
            if (size == 4) return (uint)(Flash[i] | Flash[i + 1] << 8 | Flash[i + 2] << 16 | Flash[i + 3] << 24);
            uint v = 0;
            for (int k = size - 1; k >= 0; k--) v = (v << 8) | Flash[i + k];
            return v;
        }

        protected long BusyFor(TimeSpan t) => Ctx.Realistic ? CoreContext.Clock + CoreContext.TicksOf(t) : 0;

        protected static bool Busy(long until) => until != 0 && CoreContext.Clock < until;

        /// <summary>Counts a status read that found the flash still busy (waiting, for the run loop).</summary>
        protected bool Polled(bool busy)
        {
            if (busy) Ctx.EmptyPolls++;
            return busy;
        }

        protected int Index(uint address) => FlashOffset + (int)(address - FlashBase);

        protected bool InFlash(uint address, uint length) => address >= FlashBase && address - FlashBase + (ulong)length <= FlashLength;

        /// <summary>Programs bytes (AND) unless a page is protected; false when refused.</summary>
        protected bool ProgramBytes(uint address, int size, uint value)
        {
            if (!InFlash(address, (uint)size) || IsProtected(address)) return false;
            int i = Index(address);
            for (int k = 0; k < size; k++) Flash[i + k] &= (byte)(value >> (8 * k));
            Programmed++;
            return true;
        }

        protected bool EraseRange(uint start, uint length)
        {
            if (IsProtected(start)) return false;
            int i = Index(start);
            for (int k = 0; k < length; k++) Flash[i + k] = 0xFF;
            Erased++;
            return true;
        }

        /// <summary>Mass erase: refused (nothing erased) when any page is protected (the safe reading; UNCONFIRMED per family).</summary>
        protected bool EraseAll()
        {
            foreach (var p in Layout.Pages)
                if (IsProtected(p.Start)) return false;
            for (int k = 0; k < FlashLength; k++) Flash[FlashOffset + k] = 0xFF;
            Erased++;
            return true;
        }

        /// <summary>Whole-word key register: KEY1 then KEY2 unlocks; anything else locks until reset.</summary>
        protected sealed class KeyState
        {
            private int _step;

            public bool Locked = true;
            public bool LockedOut;

            public void Write(uint value)
            {
                if (LockedOut) return;
                if (_step == 0 && value == Key1) _step = 1;
                else if (_step == 1 && value == Key2)
                {
                    _step = 0;
                    if (Locked) Locked = false;
                }
                else
                {
                    _step = 0;
                    LockedOut = true;
                    Locked = true;
                }
            }

            public void Lock()
            {
                Locked = true;
                _step = 0;
            }

            public void Reset()
            {
                Locked = true;
                LockedOut = false;
                _step = 0;
            }
        }
    }

    /// <summary>F0/F1/F3 FPEC at 0x40022000 (bank 2 of F1 XL-density at +0x40).</summary>
    internal sealed class F1FlashController : FlashController
    {
        private const uint Bsy = 1, PgErr = 1u << 2, WrpErr = 1u << 4, Eop = 1u << 5;
        private const uint Pg = 1, Per = 2, Mer = 4, Strt = 1u << 6, Lock = 1u << 7;

        private readonly uint _bank2;
        private readonly Bank[] _banks = { new Bank(), new Bank() };

        public F1FlashController(CoreContext ctx, byte[] flash, int offset, MemoryRange range, FlashLayout layout, Func<uint, bool>? isProtected,
            string family, uint bank2Start)
            : base(0x40022000, ctx, flash, offset, range, layout, isProtected, family)
        {
            _bank2 = bank2Start;
        }

        private sealed class Bank
        {
            public readonly KeyState Keys = new KeyState();
            public uint Cr, Sr, Ar;
            public long BusyUntil;
        }

        public override long NextEvent
        {
            get
            {
                lock (Gate) return Math.Max(Busy(_banks[0].BusyUntil) ? _banks[0].BusyUntil : 0, Busy(_banks[1].BusyUntil) ? _banks[1].BusyUntil : 0);
            }
        }

        public override void Reset()
        {
            lock (Gate)
                foreach (var b in _banks)
                {
                    b.Keys.Reset();
                    b.Cr = b.Sr = b.Ar = 0;
                    b.BusyUntil = 0;
                }
        }

        private Bank BankOf(uint address) => _bank2 != 0 && address >= _bank2 ? _banks[1] : _banks[0];

        public override uint Read(uint offset, int size)
        {
            lock (Gate)
            {
                var b = offset >= 0x40 && _bank2 != 0 ? _banks[1] : _banks[0];
                switch (offset & 0x3F)
                {
                    case 0x0C: return b.Sr | (Polled(Busy(b.BusyUntil)) ? Bsy : 0);
                    case 0x10: return b.Cr | (b.Keys.Locked ? Lock : 0);
                    case 0x14: return b.Ar;
                    default: return 0;
                }
            }
        }

        public override void Write(uint offset, int size, uint value)
        {
            lock (Gate)
            {
                Ctx.Activity++;
                if (offset >= 0x40 && _bank2 == 0) return;
                var b = offset >= 0x40 ? _banks[1] : _banks[0];
                switch (offset & 0x3F)
                {
                    case 0x04: b.Keys.Write(value); break;
                    case 0x0C: b.Sr &= ~(value & (PgErr | WrpErr | Eop)); break;
                    case 0x10: WriteCr(b, value, offset >= 0x40); break;
                    case 0x14: if (!b.Keys.Locked) b.Ar = value; break;
                }
            }
        }

        private void WriteCr(Bank b, uint value, bool second)
        {
            if ((value & Lock) != 0) b.Keys.Lock();
            if (b.Keys.Locked) return; // CR is write-protected while locked
            b.Cr = value & ~(Lock | Strt);
            if ((value & Strt) == 0 || Busy(b.BusyUntil)) return;
            if ((value & Per) != 0)
            {
                var page = Layout.PageAt(b.Ar);
                if (page == null || BankOf(page.Start) != b) return;
                if (EraseRange(page.Start, page.Size)) Done(b, Timings.PageErase(page.Size));
                else b.Sr |= WrpErr;
            }
            else if ((value & Mer) != 0)
            {
                // Each bank erases its own pages.
                bool ok = true;
                foreach (var p in Layout.Pages)
                    if (BankOf(p.Start) == b && IsProtected(p.Start)) ok = false;
                if (!ok)
                {
                    b.Sr |= WrpErr;
                    return;
                }
                foreach (var p in Layout.Pages)
                    if (BankOf(p.Start) == b) EraseRange(p.Start, p.Size);
                Done(b, second || _bank2 != 0 ? Timings.MassErase(FlashLength / 2) : Timings.MassErase(FlashLength));
            }
        }

        private void Done(Bank b, TimeSpan t)
        {
            b.BusyUntil = BusyFor(t);
            b.Sr |= Eop;
        }

        public override void WriteFlash(uint address, int size, uint value)
        {
            lock (Gate)
            {
                Ctx.Activity++;
                var b = BankOf(address);
                if (b.Keys.Locked || (b.Cr & Pg) == 0 || size != 2 || (address & 1) != 0)
                {
                    // Only half-words under PG program (UNCONFIRMED what else a real F1 does: refused here).
                    b.Sr |= PgErr;
                    return;
                }
                if (IsProtected(address))
                {
                    b.Sr |= WrpErr;
                    return;
                }
                int i = Index(address);
                ushort old = (ushort)(Flash[i] | Flash[i + 1] << 8);
                if (old != 0xFFFF && (value & 0xFFFF) != 0)
                {
                    b.Sr |= PgErr; // not erased: refused (writing 0x0000 is allowed)
                    return;
                }
                ProgramBytes(address, 2, value);
                Done(b, Timings.Program(2));
            }
        }
    }

    /// <summary>The F4 and G0 controllers: one key/lock, CR, SR with EOP at bit 0 and WRPERR at bit 4, one busy time.</summary>
    internal abstract class SingleBankFlashController : FlashController
    {
        protected const uint EopBit = 1, WrpErrBit = 1u << 4;

        protected readonly KeyState Keys = new KeyState();
        protected uint Cr, Sr;
        private long _busyUntil;

        protected SingleBankFlashController(uint registerBase, CoreContext ctx, byte[] flash, int offset, MemoryRange range, FlashLayout layout,
            Func<uint, bool>? isProtected, string family)
            : base(registerBase, ctx, flash, offset, range, layout, isProtected, family)
        {
        }

        public override long NextEvent
        {
            get { lock (Gate) return Busy(_busyUntil) ? _busyUntil : 0; }
        }

        protected bool IsBusy => Polled(Busy(_busyUntil));

        protected bool IsBusyNow => Busy(_busyUntil);

        public override void Reset()
        {
            lock (Gate)
            {
                Keys.Reset();
                Cr = Sr = 0;
                _busyUntil = 0;
                OnReset();
            }
        }

        protected virtual void OnReset()
        {
        }

        protected void Done(TimeSpan t)
        {
            _busyUntil = BusyFor(t);
            Sr |= EopBit;
        }

        /// <summary>Erases one page or sector, or flags WRPERR when it is protected.</summary>
        protected void EraseUnit(FlashPage unit)
        {
            if (EraseRange(unit.Start, unit.Size)) Done(Timings.PageErase(unit.Size));
            else Sr |= WrpErrBit;
        }

        protected void EraseEverything()
        {
            if (EraseAll()) Done(Timings.MassErase(FlashLength));
            else Sr |= WrpErrBit;
        }
    }

    /// <summary>F2/F4 flash interface at 0x40023C00: sectors by SNB (bank 2 of 2 MiB parts from SNB 0x10), PSIZE.</summary>
    internal sealed class F4FlashController : SingleBankFlashController
    {
        private const uint Eop = EopBit, OpErr = 2, WrpErr = WrpErrBit, PgaErr = 1u << 5, PgpErr = 1u << 6, PgsErr = 1u << 7, Bsy = 1u << 16;
        private const uint Pg = 1, Ser = 2, Mer = 4, Mer1 = 1u << 15, Strt = 1u << 16, Lock = 1u << 31;

        private readonly bool _dualBankNumbering;

        public F4FlashController(CoreContext ctx, byte[] flash, int offset, MemoryRange range, FlashLayout layout, Func<uint, bool>? isProtected,
            string family, bool dualBankNumbering)
            : base(0x40023C00, ctx, flash, offset, range, layout, isProtected, family)
        {
            _dualBankNumbering = dualBankNumbering;
        }

        public override uint Read(uint offset, int size)
        {
            lock (Gate)
            {
                switch (offset)
                {
                    case 0x0C: return Sr | (IsBusy ? Bsy : 0);
                    case 0x10: return Cr | (Keys.Locked ? Lock : 0);
                    default: return 0;
                }
            }
        }

        public override void Write(uint offset, int size, uint value)
        {
            lock (Gate)
            {
                Ctx.Activity++;
                switch (offset)
                {
                    case 0x04: Keys.Write(value); break;
                    case 0x0C: Sr &= ~(value & (Eop | OpErr | WrpErr | PgaErr | PgpErr | PgsErr)); break;
                    case 0x10: WriteCr(value); break;
                }
            }
        }

        private int PsizeBytes => 1 << (int)((Cr >> 8) & 3);

        private void WriteCr(uint value)
        {
            if ((value & Lock) != 0) Keys.Lock();
            if (Keys.Locked) return;
            Cr = value & ~(Lock | Strt);
            if ((value & Strt) == 0 || IsBusyNow) return;
            if ((value & Ser) != 0)
            {
                int snb = (int)((value >> 3) & 0x1F);
                int index = _dualBankNumbering && snb >= 0x10 ? 12 + (snb - 0x10) : snb;
                if (index >= Layout.PageCount || (!_dualBankNumbering && snb > 0x0F))
                {
                    Sr |= PgsErr;
                    return;
                }
                EraseUnit(Layout.Pages[index]);
            }
            else if ((value & (Mer | Mer1)) != 0) EraseEverything();
        }

        public override void WriteFlash(uint address, int size, uint value)
        {
            lock (Gate)
            {
                Ctx.Activity++;
                if (Keys.Locked || (Cr & Pg) == 0)
                {
                    Sr |= PgsErr;
                    return;
                }
                if (size != PsizeBytes)
                {
                    Sr |= PgpErr;
                    return;
                }
                if ((address & (uint)(size - 1)) != 0)
                {
                    Sr |= PgaErr;
                    return;
                }
                if (!ProgramBytes(address, size, value))
                {
                    Sr |= WrpErr;
                    return;
                }
                Done(Timings.Program(size));
            }
        }
    }

    /// <summary>G0 flash interface at 0x40022000: double-word programming (two word writes), page erase by PNB.</summary>
    internal sealed class G0FlashController : SingleBankFlashController
    {
        private const uint Eop = EopBit, OpErr = 2, ProgErr = 1u << 3, WrpErr = WrpErrBit, PgaErr = 1u << 5, SizErr = 1u << 6, PgsErr = 1u << 7,
            MissErr = 1u << 8, FastErr = 1u << 9, Bsy1 = 1u << 16, CfgBsy = 1u << 18;
        private const uint Errors = OpErr | ProgErr | WrpErr | PgaErr | SizErr | PgsErr | MissErr | FastErr;
        private const uint Pg = 1, Per = 2, Mer1 = 4, Strt = 1u << 16, Lock = 1u << 31;

        private uint? _firstAddress;
        private uint _firstWord;

        public G0FlashController(CoreContext ctx, byte[] flash, int offset, MemoryRange range, FlashLayout layout, Func<uint, bool>? isProtected, string family)
            : base(0x40022000, ctx, flash, offset, range, layout, isProtected, family)
        {
        }

        protected override void OnReset() => _firstAddress = null;

        public override uint Read(uint offset, int size)
        {
            lock (Gate)
            {
                switch (offset)
                {
                    case 0x10: return Sr | (IsBusy ? Bsy1 | CfgBsy : 0);
                    case 0x14: return Cr | (Keys.Locked ? Lock : 0);
                    default: return 0;
                }
            }
        }

        public override void Write(uint offset, int size, uint value)
        {
            lock (Gate)
            {
                Ctx.Activity++;
                switch (offset)
                {
                    case 0x08: Keys.Write(value); break;
                    case 0x10: Sr &= ~(value & (Eop | Errors)); break;
                    case 0x14: WriteCr(value); break;
                }
            }
        }

        private void WriteCr(uint value)
        {
            if ((value & Lock) != 0) Keys.Lock();
            if (Keys.Locked) return;
            Cr = value & ~(Lock | Strt);
            if ((value & Pg) == 0) _firstAddress = null;
            if ((value & Strt) == 0 || IsBusyNow) return;
            if ((Sr & Errors) != 0)
            {
                Sr |= PgsErr; // an operation may not start over an uncleared error
                return;
            }
            if ((value & Per) != 0)
            {
                int pnb = (int)((value >> 3) & 0x3FF);
                if (pnb >= Layout.PageCount)
                {
                    Sr |= PgsErr;
                    return;
                }
                EraseUnit(Layout.Pages[pnb]);
            }
            else if ((value & Mer1) != 0) EraseEverything();
        }

        public override void WriteFlash(uint address, int size, uint value)
        {
            lock (Gate)
            {
                Ctx.Activity++;
                if (Keys.Locked || (Cr & Pg) == 0 || (Sr & Errors) != 0)
                {
                    Sr |= PgsErr;
                    _firstAddress = null;
                    return;
                }
                if (size != 4)
                {
                    Sr |= SizErr;
                    _firstAddress = null;
                    return;
                }
                if (_firstAddress == null)
                {
                    if ((address & 7) != 0)
                    {
                        Sr |= PgaErr;
                        return;
                    }
                    _firstAddress = address;
                    _firstWord = value;
                    return;
                }
                uint first = _firstAddress.Value;
                _firstAddress = null;
                if (address != first + 4)
                {
                    Sr |= PgaErr;
                    return;
                }
                if (IsProtected(first))
                {
                    Sr |= WrpErr;
                    return;
                }
                int i = Index(first);
                bool erased = true;
                for (int k = 0; k < 8; k++)
                    if (Flash[i + k] != 0xFF) erased = false;
                if (!erased && (_firstWord != 0 || value != 0))
                {
                    Sr |= ProgErr; // a double word is programmed once between erases (ECC)
                    return;
                }
                ProgramBytes(first, 4, _firstWord);
                ProgramBytes(first + 4, 4, value);
                Programmed--;
                Done(Timings.Program(8));
            }
        }
    }
}
