# Issue 5: boot sequences on DTR/RTS, tcp://, Get-Stm32Port, Start-Stm32Simulator, and stm32flash against the served simulator.
BeforeDiscovery {
    . (Join-Path $PSScriptRoot '../Common.ps1')
    $script:HasStm32flash = $IsLinux -and [bool] (Get-Command stm32flash -CommandType Application -ErrorAction Ignore)
}

BeforeAll {
    . (Join-Path $PSScriptRoot '../Common.ps1')
}

Describe 'Boot sequences on a simulated chip wired to DTR/RTS' {
    AfterEach { Remove-AllStm32Session }

    It 'answers only after the entry sequence when it starts in its application (sim://…?boot0=0)' {
        $port = 'sim://0x410?timing=instant&boot0=0'
        $e = { Connect-Stm32 -Port $port -TimeoutMs 50 -ErrorAction Stop } | Should -Throw -PassThru
        $e.FullyQualifiedErrorId | Should -BeExactly 'BootloaderNoResponse,Stm32.PowerShell.Commands.ConnectStm32Command'

        $s = Connect-Stm32 -Port $port -EnterBootloader -ResetPulseMs 2 -BootDelayMs 2
        $s.DeviceName | Should -Be 'STM32F10xxx Medium-density'
        $s.BootSequence | Should -Be '-rts&dtr&2ms&-dtr&2ms'
        $s.ExitSequence | Should -Be 'rts&dtr&2ms&-dtr&2ms&-rts'
    }

    It 'takes stm32flash''s -i syntax and keeps its exit part' {
        $s = Connect-Stm32 -Port 'sim://0x413?timing=instant&boot0=0' -BootSequence '-rts&dtr,-dtr,:rts&dtr,-dtr&-rts'
        $s.ProductId | Should -Be 0x413
        $s.BootSequence | Should -Be '-rts&dtr&100ms&-dtr&100ms'
        $s.ExitSequence | Should -Be 'rts&dtr&100ms&-dtr&-rts'
    }

    It 'Disconnect-Stm32 -Reset runs the exit sequence: the chip starts its application' {
        $s = Connect-Stm32 -Port $F103 -EnterBootloader -ResetPulseMs 1 -BootDelayMs 1
        $chip = Get-TestChip '0x410'
        $chip.State | Should -Be 'CommandLoop'
        $resets = $chip.ResetCount
        $s | Disconnect-Stm32 -Reset
        $s.IsOpen | Should -BeFalse
        $chip.State | Should -Be 'RunningApplication'
        $chip.ResetCount | Should -Be ($resets + 1)
    }

    It 'Start-Stm32Application -Reset runs the exit sequence and leaves the session out of the bootloader' {
        $s = Connect-Stm32 -Port $F103 -EnterBootloader -ResetPulseMs 1 -BootDelayMs 1
        $chip = Get-TestChip '0x410'
        $resets = $chip.ResetCount
        $s | Start-Stm32Application -Reset -PassThru | Select-Object -ExpandProperty InBootloader | Should -BeFalse
        $chip.State | Should -Be 'RunningApplication'
        $chip.ResetCount | Should -Be ($resets + 1)
        $e = { $s | Start-Stm32Application -ErrorAction Stop } | Should -Throw -PassThru
        $e.FullyQualifiedErrorId | Should -Match '^NotInBootloader,'
    }

    It 'Start-Stm32Application -Reset without an exit sequence says so' {
        $s = Connect-Stm32 -Port $F407
        $e = { $s | Start-Stm32Application -Reset -ErrorAction Stop } | Should -Throw -PassThru
        $e.FullyQualifiedErrorId | Should -BeExactly 'NoExitSequence,Stm32.PowerShell.Commands.StartStm32ApplicationCommand'
        $s.InBootloader | Should -BeTrue
    }

    It 'follows another wiring only with the matching parameters' {
        # RESET on RTS, BOOT0 on DTR through an inverter (high while asserted).
        $port = 'sim://0x410?timing=instant&boot0=0&wiring=rts:!dtr'
        $e = { Connect-Stm32 -Port $port -EnterBootloader -ResetPulseMs 1 -BootDelayMs 1 -TimeoutMs 50 -ErrorAction Stop } | Should -Throw -PassThru
        $e.FullyQualifiedErrorId | Should -BeExactly 'BootloaderNoResponse,Stm32.PowerShell.Commands.ConnectStm32Command'
        $s = Connect-Stm32 -Port $port -ResetLine Rts -Boot0Line Dtr -InvertBoot0 -ResetPulseMs 1 -BootDelayMs 1
        $s.BootSequence | Should -Be 'dtr&rts&1ms&-rts&1ms'
        $s | Disconnect-Stm32 -Reset
        (Get-TestChip '0x410').State | Should -Be 'RunningApplication'
    }

    It 'Disconnect-Stm32 -Reset without an exit sequence says so; -ExitSequence gives one' {
        $s = Connect-Stm32 -Port $F407
        $e = { $s | Disconnect-Stm32 -Reset -ErrorAction Stop } | Should -Throw -PassThru
        $e.FullyQualifiedErrorId | Should -BeExactly 'NoExitSequence,Stm32.PowerShell.Commands.DisconnectStm32Command'
        $s.IsOpen | Should -BeTrue
        $s | Disconnect-Stm32 -ExitSequence 'rts&dtr,-dtr&-rts'
        $s.IsOpen | Should -BeFalse
        (Get-TestChip '0x413').State | Should -Be 'RunningApplication'
    }

    It 'refuses a malformed sequence, a GPIO number and a bad wiring option' {
        $e = { Connect-Stm32 -Port $F103 -BootSequence '4,-5,-3,3' -ErrorAction Stop } | Should -Throw -PassThru
        $e.FullyQualifiedErrorId | Should -BeExactly 'InvalidBootSequence,Stm32.PowerShell.Commands.ConnectStm32Command'
        $e.Exception.Message | Should -Match 'GPIO number'
        $e = { Connect-Stm32 -Port $F103 -BootSequence 'rts,cts' -ErrorAction Stop } | Should -Throw -PassThru
        $e.FullyQualifiedErrorId | Should -BeExactly 'InvalidBootSequence,Stm32.PowerShell.Commands.ConnectStm32Command'
        $e = { Connect-Stm32 -Port 'sim://0x410?wiring=cts' -ErrorAction Stop } | Should -Throw -PassThru
        $e.FullyQualifiedErrorId | Should -BeExactly 'InvalidPortName,Stm32.PowerShell.Commands.ConnectStm32Command'
        $s = Connect-Stm32 -Port $F103
        $e = { $s | Disconnect-Stm32 -ExitSequence 'a:b' -ErrorAction Stop } | Should -Throw -PassThru
        $e.FullyQualifiedErrorId | Should -BeExactly 'InvalidBootSequence,Stm32.PowerShell.Commands.DisconnectStm32Command'
        Get-Stm32Session | Should -HaveCount 1
    }

    It 'a session that leaves RESET asserted releases it when it closes, as a port does' {
        $e = { Connect-Stm32 -Port $F103 -BootSequence 'dtr' -TimeoutMs 50 -ErrorAction Stop } | Should -Throw -PassThru
        $e.FullyQualifiedErrorId | Should -BeExactly 'BootloaderNoResponse,Stm32.PowerShell.Commands.ConnectStm32Command'
        $e.ErrorDetails.Message | Should -Match 'entry sequence dtr ran'
        (Get-TestChip '0x410').State | Should -Not -Be 'HeldInReset'
        (Connect-Stm32 -Port $F103).ProductId | Should -Be 0x410
    }

    It 'wiring=none leaves the chip deaf to the lines' {
        $e = { Connect-Stm32 -Port 'sim://0x410?timing=instant&boot0=0&wiring=none' -EnterBootloader -ResetPulseMs 1 -BootDelayMs 1 -TimeoutMs 50 -ErrorAction Stop } |
            Should -Throw -PassThru
        $e.FullyQualifiedErrorId | Should -BeExactly 'BootloaderNoResponse,Stm32.PowerShell.Commands.ConnectStm32Command'
    }
}

Describe 'Start-Stm32Simulator and tcp://' {
    AfterEach { Remove-AllStm32Session }

    It 'writes one endpoint object at once and keeps serving until -TimeoutSec' {
        $clock = [Diagnostics.Stopwatch]::StartNew()
        $seen = Start-Stm32Simulator -Device 0x410 -Port tcp://127.0.0.1:0 -Timing Instant -TimeoutSec 3 |
            ForEach-Object { [pscustomobject]@{ Endpoint = $_; At = $clock.Elapsed.TotalSeconds } }
        $clock.Elapsed.TotalSeconds | Should -BeGreaterOrEqual 2.9
        @($seen).Count | Should -Be 1
        $seen.At | Should -BeLessThan 2.5 -Because 'the object goes down the pipeline before the serving ends'
        $seen.Endpoint.Endpoint | Should -Match '^tcp://127\.0\.0\.1:\d+$'
        $seen.Endpoint.Kind | Should -Be 'Tcp'
        $seen.Endpoint.Device | Should -Be 'STM32F10xxx Medium-density'
        $seen.Endpoint.Protocol | Should -Be '2.2'
        $seen.Endpoint.Timing | Should -Be 'Instant'
        $seen.Endpoint.BaudRate | Should -Be 115200
    }

    It 'serves on TCP loopback; the endpoint pipes into Connect-Stm32 (tcp://)' {
        $sim = Start-TestSimulator @('-Device', '0x413', '-Port', 'tcp://127.0.0.1:0', '-Timing', 'Instant', '-Protocol', '3.3', '-TimeoutSec', '60')
        try {
            $s = $sim.Endpoint | Connect-Stm32
            $s.Port | Should -Be $sim.Endpoint.Endpoint
            $s.ProductId | Should -Be 0x413
            $s.BootloaderVersion | Should -Be '3.3'
            $e = { Connect-Stm32 -Port $sim.Endpoint.Endpoint -ErrorAction Stop } | Should -Throw -PassThru
            $e.FullyQualifiedErrorId | Should -BeExactly 'PortInUse,Stm32.PowerShell.Commands.ConnectStm32Command'
            $s | Disconnect-Stm32
            # A TCP stream has no modem lines.
            $e = { Connect-Stm32 -Port $sim.Endpoint.Endpoint -EnterBootloader -ErrorAction Stop } | Should -Throw -PassThru
            $e.FullyQualifiedErrorId | Should -BeExactly 'ModemLinesNotSupported,Stm32.PowerShell.Commands.ConnectStm32Command'
            $e.Exception.Message | Should -Match ([regex]::Escape("Cannot drive DTR/RTS on $($sim.Endpoint.Endpoint)"))
        }
        finally { Stop-TestSimulator $sim }
    }

    It 'serves one TCP client at a time: another is told it is busy (PortBusy), and an idle one is dropped after -IdleTimeoutSec' {
        $sim = Start-TestSimulator @('-Device', '0x410', '-Port', 'tcp://127.0.0.1:0', '-Timing', 'Instant', '-IdleTimeoutSec', '3', '-TimeoutSec', '60')
        try {
            $s = Connect-Stm32 -Port $sim.Endpoint.Endpoint
            # A second client, in another process as it would be (this one reserves the port), while
            # the first holds the chip: told at once that it is busy, not "no answer to 0x7F".
            $exe = [Environment]::ProcessPath
            [string[]] $pre = @()
            if ([IO.Path]::GetFileNameWithoutExtension($exe) -eq 'dotnet') { $pre = @(Join-Path $PSHOME 'pwsh.dll') }
            $child = "Import-Module '$ModulePath'; try { `$null = Connect-Stm32 -Port '$($sim.Endpoint.Endpoint)' -ErrorAction Stop; 'connected' } catch { `$_.FullyQualifiedErrorId; `$_.Exception.Message }"
            $info = [Diagnostics.ProcessStartInfo]::new($exe)
            foreach ($a in @($pre) + @('-NoProfile', '-NonInteractive', '-Command', $child)) { $info.ArgumentList.Add($a) }
            $info.RedirectStandardOutput = $true
            $process = [Diagnostics.Process]::Start($info)
            $read = $process.StandardOutput.ReadToEndAsync()
            # The first client keeps talking while the child starts, so it is not idle meanwhile.
            while (-not $process.WaitForExit(500)) { $null = $s | Read-Stm32Memory 0x08000000 4 }
            $out = $read.Result -split "`r?`n"
            $out[0] | Should -BeExactly 'PortBusy,Stm32.PowerShell.Commands.ConnectStm32Command'
            $out[1] | Should -Match 'one client at a time'
            # The first client sends nothing for more than 3 s: dropped, and its session says the link closed.
            Start-Sleep -Seconds 4
            $e = { $s | Read-Stm32Memory 0x08000000 4 -ErrorAction Stop } | Should -Throw -PassThru
            $e.Exception.Message | Should -Match 'closed the connection'
            $s.IsOpen | Should -BeFalse
            # The next client is served.
            (Connect-Stm32 -Port $sim.Endpoint.Endpoint).ProductId | Should -Be 0x410
        }
        finally { Stop-TestSimulator $sim }
    }

    It '-Reset on a link without modem lines: ModemLinesNotSupported; Start-Stm32Application leaves the session in the bootloader, Disconnect-Stm32 still closes it' {
        $sim = Start-TestSimulator @('-Device', '0x410', '-Port', 'tcp://127.0.0.1:0', '-Timing', 'Instant', '-TimeoutSec', '60')
        try {
            # An exit sequence only (empty entry part): the connect itself drives no lines.
            $s = Connect-Stm32 -Port $sim.Endpoint.Endpoint -BootSequence ':rts&dtr,-dtr&-rts'
            $s.ExitSequence | Should -Not -BeNullOrEmpty
            $e = { $s | Start-Stm32Application -Reset -ErrorAction Stop } | Should -Throw -PassThru
            $e.FullyQualifiedErrorId | Should -BeExactly 'ModemLinesNotSupported,Stm32.PowerShell.Commands.StartStm32ApplicationCommand'
            $s.InBootloader | Should -BeTrue
            ($s | Read-Stm32Memory 0x08000000 4).Length | Should -Be 4
            $s | Disconnect-Stm32 -Reset -ErrorVariable err -ErrorAction SilentlyContinue
            $err.FullyQualifiedErrorId | Should -BeExactly 'ModemLinesNotSupported,Stm32.PowerShell.Commands.DisconnectStm32Command'
            $s.IsOpen | Should -BeFalse
        }
        finally { Stop-TestSimulator $sim }
    }

    It 'starts with the flash content of -Image' {
        $file = Join-Path ([IO.Path]::GetTempPath()) "stm32-image-$PID.bin"
        [IO.File]::WriteAllBytes($file, [byte[]](1..64))
        try {
            $sim = Start-TestSimulator @('-Device', 'STM32F10xxx Medium-density', '-Port', 'tcp://127.0.0.1:0', '-Timing', 'Instant', '-Image', $file, '-TimeoutSec', '60')
            try {
                $s = Connect-Stm32 -Port $sim.Endpoint.Port
                (Get-TestConnection $s).Read(0x08000000, 64, $null, [Threading.CancellationToken]::None) | Should -Be ([byte[]](1..64))
            }
            finally { Stop-TestSimulator $sim }
        }
        finally { Remove-Item $file -ErrorAction Ignore }
    }

    It 'reports an -Image it cannot find or read as FileNotFound naming the file, as Write-Stm32Firmware does' {
        $e = { Start-Stm32Simulator -Device 0x410 -Port tcp://127.0.0.1:0 -Image (Join-Path $TestDrive 'none.bin') -TimeoutSec 1 -ErrorAction Stop } | Should -Throw -PassThru
        $e.FullyQualifiedErrorId | Should -BeExactly 'FileNotFound,Stm32.PowerShell.Commands.StartStm32SimulatorCommand'
        $e.Exception.Message | Should -Match 'none\.bin'
        # A file another handle holds exclusively cannot be read (also as root, unlike chmod 000).
        $file = Join-Path $TestDrive 'locked.bin'
        [IO.File]::WriteAllBytes($file, [byte[]](1..64))
        $lock = [IO.File]::Open($file, 'Open', 'ReadWrite', 'None')
        try {
            $enforced = try { [IO.File]::OpenRead($file).Dispose(); $false } catch [IO.IOException] { $true }
            if (-not $enforced) { Set-ItResult -Skipped -Because 'file locks are not enforced here (DOTNET_SYSTEM_IO_DISABLEFILELOCKING?)'; return }
            $e = { Start-Stm32Simulator -Device 0x410 -Port tcp://127.0.0.1:0 -Image $file -TimeoutSec 1 -ErrorAction Stop } | Should -Throw -PassThru
            $e.FullyQualifiedErrorId | Should -BeExactly 'FileNotFound,Stm32.PowerShell.Commands.StartStm32SimulatorCommand'
            $e.CategoryInfo.Category | Should -Be 'ReadError'
            $e.Exception.Message | Should -Match ([regex]::Escape("Cannot read '$file'"))
            $w = { Connect-Stm32 $F103 | Write-Stm32Firmware -Path $file -Confirm:$false -ErrorAction Stop } | Should -Throw -PassThru
            $w.FullyQualifiedErrorId | Should -BeExactly 'FileNotFound,Stm32.PowerShell.Commands.WriteStm32FirmwareCommand'
        }
        finally { $lock.Dispose() }
    }

    It '-Protocol takes the versions sim://…?protocol= takes, and completes them' {
        $e = { Start-Stm32Simulator -Device 0x410 -Port tcp://127.0.0.1:0 -Protocol 9.9 -TimeoutSec 1 -ErrorAction Stop } | Should -Throw -PassThru
        $e.FullyQualifiedErrorId | Should -BeExactly 'ParameterArgumentValidationError,Stm32.PowerShell.Commands.StartStm32SimulatorCommand'
        $e.Exception.Message | Should -Match '2\.2, 3\.1, 3\.3, 4\.0'
        $e = { Connect-Stm32 -Port 'sim://0x410?timing=instant&protocol=9.9' -ErrorAction Stop } | Should -Throw -PassThru
        $e.Exception.Message | Should -Match 'protocol is one of 2\.2, 3\.1, 3\.3, 4\.0'
        $line = 'Start-Stm32Simulator 0x410 -Protocol '
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be @('2.2', '3.1', '3.3', '4.0')
    }

    It 'explains a bad tcp:// name and a refused connection' {
        $e = { Connect-Stm32 -Port tcp://nohost -ErrorAction Stop } | Should -Throw -PassThru
        $e.FullyQualifiedErrorId | Should -BeExactly 'InvalidPortName,Stm32.PowerShell.Commands.ConnectStm32Command'
        $listener = [System.Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, 0)
        $listener.Start(); $free = $listener.LocalEndpoint.Port; $listener.Stop()
        $e = { Connect-Stm32 -Port "tcp://127.0.0.1:$free" -ErrorAction Stop } | Should -Throw -PassThru
        $e.FullyQualifiedErrorId | Should -BeExactly 'PortNotFound,Stm32.PowerShell.Commands.ConnectStm32Command'
        $e.Exception.Message | Should -Match 'nothing listens'
        Get-Stm32Session | Should -BeNullOrEmpty
    }

    It 'refuses an unknown device' {
        $e = { Start-Stm32Simulator -Device 0xFFF -Port tcp://127.0.0.1:0 -TimeoutSec 1 -ErrorAction Stop } | Should -Throw -PassThru
        $e.FullyQualifiedErrorId | Should -BeExactly 'DeviceNotFound,Stm32.PowerShell.Commands.StartStm32SimulatorCommand'
    }

    It 'declares its output types' {
        (Get-Command Start-Stm32Simulator).OutputType.Name | Should -Contain 'Stm32.PowerShell.Stm32SimulatorEndpoint'
        (Get-Command Get-Stm32Port).OutputType.Name | Should -Contain 'Stm32.Protocol.Transport.SerialPortDescription'
    }
}

Describe 'A served pseudo-terminal' -Skip:(-not $IsLinux) {
    BeforeAll {
        $script:sim = Start-TestSimulator @('-Device', '0x410', '-PseudoTerminal', '-Timing', 'Instant', '-TimeoutSec', '120')
        $script:pty = $sim.Endpoint.Path
    }
    AfterAll { Stop-TestSimulator $sim }
    AfterEach { Remove-AllStm32Session }

    It 'reports the pty path and 8N1' {
        $pty | Should -Match '^/dev/pts/\d+$'
        $sim.Endpoint.Kind | Should -Be 'PseudoTerminal'
        $sim.Endpoint.LineSettings | Should -Match '8N1'
    }

    It 'Connect-Stm32 -Parity None identifies the chip through System.IO.Ports' {
        $s = Connect-Stm32 -Port $pty -Parity None -TimeoutMs 3000   # generous: a loaded CI machine
        $s.DeviceName | Should -Be 'STM32F10xxx Medium-density'
    }

    It 'pipes its endpoint (Port and Parity None) straight into Connect-Stm32' {
        $sim.Endpoint.Parity | Should -Be 'None'
        $s = $sim.Endpoint | Connect-Stm32
        $s.Parity | Should -Be 'None'
        $s.ProductId | Should -Be 0x410
    }

    It 'says a pty cannot drive DTR/RTS' {
        $e = { Connect-Stm32 -Port $pty -Parity None -EnterBootloader -ErrorAction Stop } | Should -Throw -PassThru
        $e.FullyQualifiedErrorId | Should -BeExactly 'ModemLinesNotSupported,Stm32.PowerShell.Commands.ConnectStm32Command'
        $e.Exception.Message | Should -Match ([regex]::Escape("Cannot drive DTR/RTS on $pty"))
        Get-Stm32Session | Should -BeNullOrEmpty
    }

    It 'stm32flash identifies, writes and verifies; Connect-Stm32 reads the same bytes back' -Skip:(-not $HasStm32flash) {
        $out = stm32flash -b 115200 -m 8n1 $pty 2>&1 | Out-String
        $LASTEXITCODE | Should -Be 0 -Because $out
        $out | Should -Match 'Device ID\s*:\s*0x0410'

        $file = Join-Path ([IO.Path]::GetTempPath()) "stm32flash-$PID.bin"
        $data = [byte[]]::new(4096); [Random]::new(5).NextBytes($data)
        [IO.File]::WriteAllBytes($file, $data)
        try {
            $out = stm32flash -b 115200 -m 8n1 -w $file -v $pty 2>&1 | Out-String
            $LASTEXITCODE | Should -Be 0 -Because $out
        }
        finally { Remove-Item $file -ErrorAction Ignore }

        $s = Connect-Stm32 -Port $pty -Parity None -TimeoutMs 3000   # generous: a loaded CI machine
        (Get-TestConnection $s).Read(0x08000000, 4096, $null, [Threading.CancellationToken]::None) | Should -Be $data
    }
}

Describe 'Get-Stm32Port' {
    AfterEach { Remove-AllStm32Session }

    It 'lists ports with a Port property (no pseudo-terminals or consoles), UARTs with their driver' {
        $ports = @(Get-Stm32Port)
        if (-not $ports) { Set-ItResult -Skipped -Because 'this machine has no serial port to list'; return }
        foreach ($p in $ports) {
            $p | Should -BeOfType ([Stm32.Protocol.Transport.SerialPortDescription])
            $p.Port | Should -Not -BeNullOrEmpty
            $p.Name | Should -Not -BeNullOrEmpty
            if ($IsLinux) { $p.Port | Should -Not -Match '/dev/(pts/|ptmx$|tty\d*$)' }
        }
        if ($IsLinux -and (Test-Path /sys/class/tty/ttyS0/device)) {
            # A UART with hardware behind it (a pnp ttyS0 on most PCs and VMs) is listed, with its driver.
            ($ports | Where-Object Name -eq 'ttyS0').Driver | Should -Not -BeNullOrEmpty
        }
    }

    It 'binds its objects to Connect-Stm32 -Port by property name' {
        $attr = (Get-Command Connect-Stm32).Parameters['Port'].Attributes | Where-Object { $_ -is [Parameter] }
        $attr.ValueFromPipelineByPropertyName | Should -Contain $true
        # The binding itself, with an object of the type Get-Stm32Port writes (no port needed).
        $port = [Stm32.Protocol.Transport.SerialPortDescription]@{ Port = $F103; Name = 'sim' }
        ($port | Connect-Stm32).Port | Should -Be $F103
    }

    It 'feeds the -Port completer: its serial ports are exactly the ones listed, with their by-id paths' {
        $ports = @(Get-Stm32Port)
        if (-not $ports) { Set-ItResult -Skipped -Because 'this machine has no serial port to list (the sim:// completion is in Completion.Tests)'; return }
        $line = 'Connect-Stm32 -Port '
        $found = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches
        $serial = @($found | Where-Object ToolTip -like 'Serial *' | ForEach-Object ListItemText | Sort-Object)
        $expected = @(@($ports.Port) + @($ports.ByIdPath | Where-Object { $_ }) | Sort-Object)
        $serial | Should -Be $expected
        ($found | Where-Object ListItemText -eq $ports[0].Port | Select-Object -First 1).ToolTip | Should -Match ([regex]::Escape($ports[0].Port))
    }

    It 'says when a named port is not there' {
        $e = { Get-Stm32Port -Name ttyNOPE -ErrorAction Stop } | Should -Throw -PassThru
        $e.FullyQualifiedErrorId | Should -BeExactly 'PortNotFound,Stm32.PowerShell.Commands.GetStm32PortCommand'
        Get-Stm32Port -Name 'ttyNOPE*' | Should -BeNullOrEmpty
    }

    It 'has a table view' {
        (Get-FormatData -TypeName Stm32.Protocol.Transport.SerialPortDescription).FormatViewDefinition[0].Control.GetType().Name | Should -Be 'TableControl'
        (Get-FormatData -TypeName Stm32.PowerShell.Stm32SimulatorEndpoint).FormatViewDefinition[0].Control.GetType().Name | Should -Be 'TableControl'
    }
}
