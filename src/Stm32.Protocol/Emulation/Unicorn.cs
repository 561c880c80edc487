using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;

namespace Stm32.Protocol.Emulation
{
    /// <summary>
    /// The few calls of Unicorn 2 (Debian's libunicorn2, "libunicorn.so.2") the emulated core
    /// uses, by P/Invoke. Constants are those of unicorn.h/arm.h 2.0.1. The versioned name is
    /// loaded so a machine without the -dev package works.
    /// </summary>
    internal static class UnicornNative
    {
        public const string Library = "libunicorn.so.2";

        public const int ArchArm = 1;
        public const int ModeThumb = 1 << 4;

        // uc_ctl(UC_CTL_WRITE(UC_CTL_CPU_MODEL, 1), model): type | nr << 26 | rw << 30.
        public const int CtlWriteCpuModel = 7 | (1 << 26) | (1 << 30);
        public const int CpuCortexM0 = 7;
        public const int CpuCortexM3 = 8;
        public const int CpuCortexM4 = 9;

        public const uint ProtRead = 1, ProtWrite = 2, ProtExec = 4, ProtAll = 7;

        public const int RegLr = 10, RegPc = 11, RegSp = 12, RegR0 = 66, RegMsp = 115, RegXpsr = 120;

        public const int ErrOk = 0, ErrReadUnmapped = 6, ErrWriteUnmapped = 7, ErrFetchUnmapped = 8,
            ErrInsnInvalid = 10, ErrWriteProt = 12, ErrReadProt = 13, ErrFetchProt = 14, ErrException = 21;

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        public delegate ulong MmioRead(IntPtr uc, ulong offset, uint size, IntPtr userData);

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        public delegate void MmioWrite(IntPtr uc, ulong offset, uint size, ulong value, IntPtr userData);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        public static extern uint uc_version(IntPtr major, IntPtr minor);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        public static extern int uc_open(int arch, int mode, out IntPtr uc);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        public static extern int uc_close(IntPtr uc);

        // Variadic in C; one int argument is passed as a fixed one (SysV and Win64 agree for ints).
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        public static extern int uc_ctl(IntPtr uc, int control, int arg);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        public static extern IntPtr uc_strerror(int code);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        public static extern int uc_mem_map_ptr(IntPtr uc, ulong address, UIntPtr size, uint perms, IntPtr ptr);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        public static extern int uc_mmio_map(IntPtr uc, ulong address, UIntPtr size, MmioRead readCb, IntPtr userRead, MmioWrite writeCb, IntPtr userWrite);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        public static extern int uc_reg_write(IntPtr uc, int regid, ref uint value);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        public static extern int uc_reg_read(IntPtr uc, int regid, out uint value);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        public static extern int uc_emu_start(IntPtr uc, ulong begin, ulong until, ulong timeout, UIntPtr count);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        public static extern int uc_emu_stop(IntPtr uc);

        public static string ErrorText(int code)
        {
            try
            {
                return Marshal.PtrToStringAnsi(uc_strerror(code)) ?? ("error " + code);
            }
            catch (Exception)
            {
                return "error " + code;
            }
        }
    }

    /// <summary>One Unicorn engine (ARM, Thumb, a Cortex-M model) and what it keeps alive: pinned arrays and callback delegates.</summary>
    internal sealed class UnicornEngine : IDisposable
    {
        private IntPtr _uc;
        private readonly List<GCHandle> _pins = new List<GCHandle>();

        // Marshalled delegates must stay reachable as long as the engine may call them.
        private readonly List<Delegate> _callbacks = new List<Delegate>();

        public UnicornEngine(int cpuModel)
        {
            Check(UnicornNative.uc_open(UnicornNative.ArchArm, UnicornNative.ModeThumb, out _uc), "uc_open");
            // The CPU model must be set before any other call; with UC_MODE_MCLASS it would be ignored.
            var err = UnicornNative.uc_ctl(_uc, UnicornNative.CtlWriteCpuModel, cpuModel);
            if (err != UnicornNative.ErrOk)
            {
                UnicornNative.uc_close(_uc);
                _uc = IntPtr.Zero;
                Check(err, "uc_ctl(CPU model)");
            }
        }

        /// <summary>Maps a region backed by (a pinned) array. Address and length: multiples of 1 KiB.</summary>
        public void MapArray(uint address, byte[] data, int offset, uint length, uint perms)
        {
            var pin = GCHandle.Alloc(data, GCHandleType.Pinned);
            _pins.Add(pin);
            var ptr = IntPtr.Add(pin.AddrOfPinnedObject(), offset);
            Check(UnicornNative.uc_mem_map_ptr(_uc, address, (UIntPtr)length, perms, ptr), $"uc_mem_map_ptr(0x{address:X8}, 0x{length:X})");
        }

        public void MapMmio(uint address, uint length, UnicornNative.MmioRead read, UnicornNative.MmioWrite write)
        {
            _callbacks.Add(read);
            _callbacks.Add(write);
            Check(UnicornNative.uc_mmio_map(_uc, address, (UIntPtr)length, read, IntPtr.Zero, write, IntPtr.Zero), $"uc_mmio_map(0x{address:X8}, 0x{length:X})");
        }

        public uint ReadRegister(int reg)
        {
            Check(UnicornNative.uc_reg_read(_uc, reg, out var v), "uc_reg_read");
            return v;
        }

        public void WriteRegister(int reg, uint value) => Check(UnicornNative.uc_reg_write(_uc, reg, ref value), "uc_reg_write");

        /// <summary>Runs from <paramref name="pc"/> (Thumb bit added) for at most <paramref name="count"/> instructions; returns the uc_err code.</summary>
        public int Run(uint pc, ulong count) => UnicornNative.uc_emu_start(_uc, pc | 1u, 0, 0, (UIntPtr)count);

        /// <summary>Asks a running engine to stop (safe from another thread and from a callback).</summary>
        public void Stop()
        {
            if (_uc != IntPtr.Zero) UnicornNative.uc_emu_stop(_uc);
        }

        public void Dispose()
        {
            if (_uc != IntPtr.Zero)
            {
                UnicornNative.uc_close(_uc);
                _uc = IntPtr.Zero;
            }
            foreach (var p in _pins) p.Free();
            _pins.Clear();
            _callbacks.Clear();
        }

        private static void Check(int err, string what)
        {
            if (err != UnicornNative.ErrOk) throw new EmulationException($"{what} failed: {UnicornNative.ErrorText(err)}.");
        }

        /// <summary>True when libunicorn.so.2 can be loaded and opened; else the reason.</summary>
        public static bool Probe(out string? reason)
        {
            try
            {
                var v = UnicornNative.uc_version(IntPtr.Zero, IntPtr.Zero);
                // 0xMMmmppxx: major, minor, patch, extra (2.0.1 reports 0x020001FF).
                if ((v >> 24) != 2)
                {
                    reason = $"{UnicornNative.Library} reports version 0x{v:X8}; Unicorn 2 is needed.";
                    return false;
                }
                using (new UnicornEngine(UnicornNative.CpuCortexM3))
                {
                }
                reason = null;
                return true;
            }
            catch (DllNotFoundException)
            {
                reason = $"{UnicornNative.Library} is not installed (apt-get install libunicorn2).";
            }
            catch (EntryPointNotFoundException e)
            {
                reason = $"{UnicornNative.Library} lacks an entry point: {e.Message}";
            }
            catch (BadImageFormatException e)
            {
                reason = $"{UnicornNative.Library} cannot be loaded: {e.Message}";
            }
            catch (EmulationException e)
            {
                reason = e.Message;
            }
            return false;
        }
    }

    /// <summary>The emulated core could not be built or run (Unicorn missing or refusing a call).</summary>
    public sealed class EmulationException : Exception
    {
        public EmulationException(string message)
            : base(message)
        {
        }
    }
}
