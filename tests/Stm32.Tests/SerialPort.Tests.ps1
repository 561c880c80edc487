# The real System.IO.Ports path (SerialPortLink) on a Linux pseudo-terminal the test opens itself.
# A pty ignores parity, so these tests use -Parity None (8N1).
BeforeDiscovery {
    . (Join-Path $PSScriptRoot '../Common.ps1')
    # SimulatorHost serves a simulated chip on a pty; skipped where the Protocol assembly lacks it.
    $script:HasHost = [bool] ('Stm32.Protocol.Simulation.SimulatorHost' -as [type])
}

Describe 'System.IO.Ports' {
    It 'is the host''s copy: the module ships none (publish gives the netstandard stub, which only throws)' {
        . (Join-Path $PSScriptRoot '../Common.ps1')
        $moduleDir = Split-Path -Parent $ModulePath
        Get-ChildItem $moduleDir -Recurse -Filter 'System.IO.Ports.dll' | Should -BeNullOrEmpty
        [System.IO.Ports.SerialPort].Assembly.Location | Should -BeLike "$PSHOME*"
        $built = [Stm32.Protocol.Transport.SerialPortLink].Assembly.GetReferencedAssemblies() | Where-Object Name -eq 'System.IO.Ports'
        [System.IO.Ports.SerialPort].Assembly.GetName().Version | Should -Be $built.Version
    }
}

Describe 'Serial ports (pseudo-terminal)' -Skip:(-not $IsLinux) {
    BeforeAll {
        . (Join-Path $PSScriptRoot '../Common.ps1')
        if (-not ('Stm32Tests.Pty' -as [type])) {
            Add-Type -TypeDefinition @'
using System;
using System.Runtime.InteropServices;
namespace Stm32Tests {
    public static class Pty {
        [DllImport("libc", SetLastError = true)] public static extern int posix_openpt(int flags);
        [DllImport("libc", SetLastError = true)] public static extern int grantpt(int fd);
        [DllImport("libc", SetLastError = true)] public static extern int unlockpt(int fd);
        [DllImport("libc", SetLastError = true)] public static extern IntPtr ptsname(int fd);
        [DllImport("libc", SetLastError = true)] public static extern int read(int fd, byte[] buffer, IntPtr count);
        [DllImport("libc", SetLastError = true)] public static extern int close(int fd);
        // O_RDWR | O_NOCTTY | O_NONBLOCK
        public static int Open(out string slave) {
            int fd = posix_openpt(0x2 | 0x100 | 0x800);
            if (fd < 0 || grantpt(fd) != 0 || unlockpt(fd) != 0) throw new InvalidOperationException("no pty: errno " + Marshal.GetLastWin32Error());
            slave = Marshal.PtrToStringAnsi(ptsname(fd));
            return fd;
        }
        public static byte[] ReadAvailable(int fd) {
            var buf = new byte[4096];
            int n = read(fd, buf, (IntPtr)buf.Length);
            if (n <= 0) return new byte[0];
            Array.Resize(ref buf, n);
            return buf;
        }
    }
}
'@
        }
    }
    AfterEach { Remove-AllStm32Session }

    It 'opens the port with System.IO.Ports, sends the sync byte and explains the silence' {
        $slave = $null
        $fd = [Stm32Tests.Pty]::Open([ref] $slave)
        try {
            $e = { Connect-Stm32 -Port $slave -Parity None -TimeoutMs 100 -ErrorAction Stop } | Should -Throw -PassThru
            $e.FullyQualifiedErrorId | Should -BeExactly 'BootloaderNoResponse,Stm32.PowerShell.Commands.ConnectStm32Command'
            $e.ErrorDetails.Message | Should -Match ([regex]::Escape($slave))
            $e.ErrorDetails.Message | Should -Match '8N1'
            $sent = [Stm32Tests.Pty]::ReadAvailable($fd)
            $sent | Should -Contain 0x7F
            @($sent | Where-Object { $_ -ne 0x7F }).Count | Should -Be 0
        }
        finally { $null = [Stm32Tests.Pty]::close($fd) }
    }

    It 'answers every later connect to a pty the same way after one failed 8E1 connect (not PortOpenFailed)' {
        # A pty drops the parity flag; once a first open left it raw at 115200, asking for even
        # parity again was the only change left and failed, so every later open said "Value does
        # not fall within the expected range", from any process.
        $slave = $null
        $fd = [Stm32Tests.Pty]::Open([ref] $slave)
        try {
            foreach ($attempt in 1..3) {
                { Connect-Stm32 -Port $slave -TimeoutMs 50 -ErrorAction Stop } |
                    Should -Throw -ErrorId 'BootloaderNoResponse,Stm32.PowerShell.Commands.ConnectStm32Command' -Because "attempt $attempt"
            }
        }
        finally { $null = [Stm32Tests.Pty]::close($fd) }
    }

    It 'says what a path that is no serial port is: <Kind>' -ForEach @(
        @{ Kind = 'a regular file'; Make = { New-TemporaryFile | ForEach-Object FullName } }
        @{ Kind = 'a directory'; Make = { (New-Item -ItemType Directory (Join-Path ([IO.Path]::GetTempPath()) ([guid]::NewGuid()))).FullName } }
        @{ Kind = 'a character device that is not a terminal'; Make = { '/dev/null' } }
    ) {
        $path = & $Make
        try {
            $e = { Connect-Stm32 -Port $path -ErrorAction Stop } | Should -Throw -PassThru
            $e.FullyQualifiedErrorId | Should -BeExactly 'InvalidPortName,Stm32.PowerShell.Commands.ConnectStm32Command'
            $e.Exception.Message | Should -BeLike "'$path' is $Kind, not a serial port*"
            $e.Exception.Message | Should -Not -Match 'in use|does not exist'
        }
        finally { if ($path -ne '/dev/null') { Remove-Item -LiteralPath $path -Recurse -Force } }
    }

    It 'connects through a real serial port to a simulated chip served on a pty, one session per port' -Skip:(-not $HasHost) {
        $device = [Stm32.Protocol.Devices.DeviceCatalog]::Find(0x410)
        $chip = [Stm32.Protocol.Simulation.SimulatedChip]::new($device, $null)
        $simHost = [Stm32.Protocol.Simulation.SimulatorHost]::OnPseudoTerminal($chip, 115200)
        try {
            $s = Connect-Stm32 -Port $simHost.Endpoint -Parity None
            $s.DeviceName | Should -Be 'STM32F10xxx Medium-density'
            $s.BootloaderVersion | Should -Be '2.2'
            ($s | Get-Stm32Info).FlashSize | Should -Be 128KB
            $e = { Connect-Stm32 -Port $simHost.Endpoint -Parity None -ErrorAction Stop } | Should -Throw -PassThru
            $e.FullyQualifiedErrorId | Should -BeExactly 'PortInUse,Stm32.PowerShell.Commands.ConnectStm32Command'
            $s | Disconnect-Stm32 -Confirm:$false
            $s.IsOpen | Should -BeFalse
        }
        finally {
            $simHost.Dispose()
            $chip.Dispose()
        }
    }
}
