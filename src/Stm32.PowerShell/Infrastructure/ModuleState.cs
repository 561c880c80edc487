using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation.Runspaces;
using System.Runtime.CompilerServices;
using Stm32.Protocol.Devices;
using Stm32.Protocol.Simulation;

namespace Stm32.PowerShell.Infrastructure
{
    /// <summary>
    /// What the module keeps per runspace: the open sessions and the simulated chips. Keyed on
    /// the runspace (never a global), so ForEach-Object -Parallel, thread jobs and
    /// [powershell]::Create() stay apart. Closed with the runspace or on Remove-Module.
    /// </summary>
    internal sealed class ModuleState
    {
        private static readonly ConditionalWeakTable<Runspace, ModuleState> States = new ConditionalWeakTable<Runspace, ModuleState>();
        private static readonly ModuleState NoRunspace = new ModuleState(Guid.Empty);

        private ModuleState(Guid runspaceId)
        {
            RunspaceId = runspaceId;
            Sessions = new SessionStore();
            Simulators = new SimulatorRegistry();
        }

        public Guid RunspaceId { get; }

        public SessionStore Sessions { get; }

        public SimulatorRegistry Simulators { get; }

        /// <summary>The state of the runspace running on this thread.</summary>
        public static ModuleState Current => For(Runspace.DefaultRunspace);

        public static ModuleState For(Runspace? runspace)
        {
            if (runspace == null) return NoRunspace;
            return States.GetValue(runspace, rs =>
            {
                var state = new ModuleState(rs.InstanceId);
                rs.StateChanged += (sender, e) =>
                {
                    if (e.RunspaceStateInfo.State == System.Management.Automation.Runspaces.RunspaceState.Closed || e.RunspaceStateInfo.State == System.Management.Automation.Runspaces.RunspaceState.Broken)
                        state.CloseAll();
                };
                return state;
            });
        }

        /// <summary>Closes every session and stops every simulated chip of this runspace.</summary>
        public void CloseAll()
        {
            foreach (var s in Sessions.RemoveAll()) s.Close();
            Simulators.StopAll();
        }
    }

    /// <summary>The open sessions of one runspace. Ids only increase; Snapshot returns a copy.</summary>
    internal sealed class SessionStore
    {
        private readonly object _gate = new object();
        private readonly List<Stm32Session> _sessions = new List<Stm32Session>();
        private int _lastId;

        public Stm32Session Add(Func<int, Stm32Session> create)
        {
            lock (_gate)
            {
                var session = create(++_lastId);
                session.Owner = this;
                _sessions.Add(session);
                return session;
            }
        }

        public Stm32Session[] Snapshot()
        {
            lock (_gate) return _sessions.ToArray();
        }

        public Stm32Session? Get(int id)
        {
            lock (_gate) return _sessions.FirstOrDefault(s => s.Id == id);
        }

        public bool Remove(Stm32Session session)
        {
            lock (_gate) return _sessions.Remove(session);
        }

        private readonly HashSet<string> _leftSynchronized = new HashSet<string>(StringComparer.OrdinalIgnoreCase);

        /// <summary>A session on <paramref name="port"/> ended with the chip idle in its command loop.</summary>
        public void NoteLeftSynchronized(string port)
        {
            lock (_gate) _leftSynchronized.Add(port);
        }

        /// <summary>
        /// Whether the last session on <paramref name="port"/> left the chip synchronised (and
        /// forgets it: the next session's own end decides again). Only a hint: the board may
        /// have been reset since, which the sync handles.
        /// </summary>
        public bool TakeLeftSynchronized(string port)
        {
            lock (_gate) return _leftSynchronized.Remove(port);
        }

        public Stm32Session[] RemoveAll()
        {
            lock (_gate)
            {
                var all = _sessions.ToArray();
                _sessions.Clear();
                return all;
            }
        }
    }

    /// <summary>
    /// The simulated chips of one runspace, by key ("0x410", or "0x410@3.3" for another bootloader
    /// version): the same sim:// name reaches the same chip, so its flash survives Disconnect and
    /// Connect like a board on the desk.
    /// </summary>
    internal sealed class SimulatorRegistry
    {
        private readonly object _gate = new object();
        private readonly Dictionary<string, (SimulatedChip Chip, SimulatorTiming Timing)> _chips =
            new Dictionary<string, (SimulatedChip, SimulatorTiming)>(StringComparer.OrdinalIgnoreCase);

        /// <summary>The chip for <paramref name="key"/>, made on first use. A chip's timing is fixed when it is
        /// made (<paramref name="actualTiming"/> tells which it has).</summary>
        public SimulatedChip GetOrCreate(string key, DeviceInfo device, SimulatorTiming timing, byte? bootloaderVersion, out SimulatorTiming actualTiming)
        {
            lock (_gate)
            {
                if (!_chips.TryGetValue(key, out var entry))
                {
                    var chip = new SimulatedChip(device, new SimulatorOptions { Timing = timing, BootloaderVersion = bootloaderVersion });
                    entry = (chip, timing);
                    _chips.Add(key, entry);
                }
                actualTiming = entry.Timing;
                return entry.Chip;
            }
        }

        /// <summary>The chip made for <paramref name="key"/>, or null. The module does not call it: the
        /// Pester tests reach it by reflection to see a simulated chip's state (Get-TestChip).</summary>
        public SimulatedChip? Find(string key)
        {
            lock (_gate) return _chips.TryGetValue(key, out var entry) ? entry.Chip : null;
        }

        public void StopAll()
        {
            List<SimulatedChip> chips;
            lock (_gate)
            {
                chips = _chips.Values.Select(e => e.Chip).ToList();
                _chips.Clear();
            }
            foreach (var chip in chips) chip.Dispose();
        }
    }
}
