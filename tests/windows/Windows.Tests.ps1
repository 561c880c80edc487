# The Windows lane: the module's Windows paths (System.IO.Ports' Windows implementation,
# SerialPortLink's Windows read, COM names, Get-Stm32Port from the registry) under Wine, against
# simulated chips that tests/windows/Fixtures.ps1 serves on Linux pseudo-terminals mapped to COM
# ports. Run by tests/windows/run.sh inside a PowerShell hosted by a win-x64 program; anywhere
# else every test reports skipped. A pty carries no parity: -Parity None throughout.
BeforeDiscovery {
    $script:LaneReason = if (-not $IsWindows) { 'the Windows lane runs under Wine (tests/windows/run.sh)' }
    elseif (-not $env:STM32_LANE_STATE) { 'no fixtures: run through tests/windows/run.sh' }
}

Describe 'Windows serial ports (under Wine)' -Skip:([bool] $LaneReason) {
    BeforeAll {
        $ModulePath = $env:STM32_MODULE_PATH
        Import-Module $ModulePath -Force -ErrorAction Stop
        $Ports = Get-Content -LiteralPath $env:STM32_LANE_STATE -Raw | ConvertFrom-Json
        $Results = $env:STM32_LANE_RESULTS
        $Flash = 0x08000000

        function New-Image([int] $Length, [int] $Seed) {
            $bytes = [byte[]]::new($Length)
            [Random]::new($Seed).NextBytes($bytes)
            [Stm32.Protocol.Firmware.FirmwareImage]::FromBytes($Flash, $bytes)
        }
        function Test-SameBytes([byte[]] $A, [byte[]] $B) { [System.Linq.Enumerable]::SequenceEqual($A, $B) }
        # A fresh PowerShell in this process with the module imported (for Stop, and reads on another thread).
        function New-LanePowerShell {
            $ps = [powershell]::Create()
            $null = $ps.AddScript("Import-Module '$ModulePath'").Invoke()
            $ps.Commands.Clear()
            $ps
        }
    }
    AfterEach { Get-Stm32Session | Disconnect-Stm32 -Confirm:$false }

    It 'imports into PowerShell 7 on Windows and uses the host''s System.IO.Ports, not a copy beside the module' {
        $PSVersionTable.PSEdition | Should -Be 'Core'
        $PSVersionTable.Platform | Should -Be 'Win32NT'
        (Get-Module Stm32).Version | Should -Not -BeNullOrEmpty
        $moduleDir = Split-Path -Parent $ModulePath
        Test-Path (Join-Path $moduleDir 'System.IO.Ports.dll') | Should -BeFalse
        [System.IO.Ports.SerialPort].Assembly.Location | Should -Not -BeLike "$moduleDir*"
        # The copy the module was built against (System.IO.Ports 10.0.14 is assembly version 10.0.0.14).
        $built = [Stm32.Protocol.Transport.SerialPortLink].Assembly.GetReferencedAssemblies() | Where-Object Name -eq 'System.IO.Ports'
        [System.IO.Ports.SerialPort].Assembly.GetName().Version | Should -Be $built.Version
    }

    It 'Get-Stm32Port lists the COM ports Wine maps, from the registry' {
        $listed = @(Get-Stm32Port)
        foreach ($com in 'COM12', 'COM13', 'COM14', 'COM15', 'COM16') {
            $p = $listed | Where-Object Port -eq $com
            $p | Should -Not -BeNullOrEmpty -Because "$com is mapped in HKLM\Software\Wine\Ports"
            $p.Name | Should -Be $com
        }
        # Natural order: COM12 after COM1 and before COM13.
        $names = $listed.Port
        [array]::IndexOf($names, 'COM12') | Should -BeLessThan ([array]::IndexOf($names, 'COM13'))
        (Get-Stm32Port 'com12').Port | Should -Be 'COM12'
        (Get-Stm32Port '\\.\COM12').Port | Should -Be 'COM12'
        Get-Stm32Port COM99 -ErrorVariable e -ErrorAction SilentlyContinue
        $e[0].FullyQualifiedErrorId | Should -Be 'PortNotFound,Stm32.PowerShell.Commands.GetStm32PortCommand'
    }

    It 'connects to the chip and identifies it (Get-Stm32Info)' {
        $s = Connect-Stm32 COM12 -Parity None
        $s.Port | Should -Be 'COM12'
        $s.DeviceName | Should -Be 'STM32F10xxx Medium-density'
        $s.BootloaderVersion | Should -Be '2.2'
        $info = $s | Get-Stm32Info
        $info.FlashSize | Should -Be 128KB
        $info.IsReadProtected | Should -BeFalse
    }

    It 'writes 64 KiB with -Verify and reads every byte back' {
        $image = New-Image 65536 64
        $s = Connect-Stm32 COM12 -Parity None
        $r = $s | Write-Stm32Firmware -Image $image -Verify
        $r.Verified | Should -BeTrue
        $r.BytesWritten | Should -Be 65536
        $r.Retries + $r.Resyncs | Should -Be 0
        if ($Results) { $r.Duration.TotalSeconds.ToString([cultureinfo]::InvariantCulture) | Set-Content (Join-Path $Results 'wine-write64k.txt') }
        $back = Read-Stm32Memory -Session $s -Address $Flash -Length 65536
        Test-SameBytes $back.Bytes $image.Segments[0].ToArray() | Should -BeTrue
    }

    # The first 4 KiB of the image written above: enough to tell, at a twelfth of the read time.
    It 'Test-Stm32Firmware matches the written image and finds a changed byte' {
        $head = (New-Image 65536 64).Segments[0].ToArray()[0..4095]
        $s = Connect-Stm32 COM12 -Parity None
        ($s | Test-Stm32Firmware -Image ([Stm32.Protocol.Firmware.FirmwareImage]::FromBytes($Flash, [byte[]] $head))).Matches | Should -BeTrue
        $head[1000] = $head[1000] -bxor 0x01
        $t = $s | Test-Stm32Firmware -Image ([Stm32.Protocol.Firmware.FirmwareImage]::FromBytes($Flash, [byte[]] $head))
        $t.Matches | Should -BeFalse
        $t.FirstDifference | Should -Be ($Flash + 1000)
    }

    It '-WhatIf changes nothing on the chip' {
        $head = [Stm32.Protocol.Firmware.FirmwareImage]::FromBytes($Flash, [byte[]] (New-Image 65536 64).Segments[0].ToArray()[0..4095])
        $s = Connect-Stm32 COM12 -Parity None
        $s | Clear-Stm32Flash -All -WhatIf
        New-Image 4096 7 | Write-Stm32Firmware -Session $s -WhatIf
        ($s | Test-Stm32Firmware -Image $head).Matches | Should -BeTrue
    }

    It 'takes the port-name forms Windows users type: <_>' -ForEach @('\\.\COM12', 'COM12:', ' COM12', 'com12', 'USB Serial Port (COM12)') {
        $s = Connect-Stm32 -Port $_ -Parity None
        $s.Port | Should -Be 'COM12'
        $s.DeviceName | Should -Be 'STM32F10xxx Medium-density'
        # One port, one session, whatever it is called.
        { Connect-Stm32 -Port 'com12' -Parity None -ErrorAction Stop } | Should -Throw -ErrorId 'PortInUse,Stm32.PowerShell.Commands.ConnectStm32Command'
    }

    It 'drives DTR and RTS on a COM port (an entry sequence through Wine''s serial layer)' {
        $s = Connect-Stm32 COM12 -Parity None -EnterBootloader -ResetPulseMs 10 -BootDelayMs 10
        $s.DeviceName | Should -Be 'STM32F10xxx Medium-density'
    }

    It 'gives up with BootloaderNoResponse in under 5 s on a COM port where nothing answers' {
        $clock = [Diagnostics.Stopwatch]::StartNew()
        { Connect-Stm32 COM13 -Parity None -ErrorAction Stop } | Should -Throw -ErrorId 'BootloaderNoResponse,Stm32.PowerShell.Commands.ConnectStm32Command'
        $clock.Elapsed.TotalSeconds | Should -BeLessThan 5
        (Get-Stm32Session).Count | Should -Be 0
    }

    It 'a read with nothing to read returns nothing when its timeout is over, and Dispose ends a read in progress with ObjectDisposedException' {
        $link = [Stm32.Protocol.Transport.SerialPortLink]::Open('COM13', 115200, 'None')
        try {
            $clock = [Diagnostics.Stopwatch]::StartNew()
            $link.Read([byte[]]::new(16), 0, 16, [TimeSpan]::FromMilliseconds(300), [Threading.CancellationToken]::None) | Should -Be 0
            $clock.Elapsed.TotalSeconds | Should -BeLessThan 5
            $ps = New-LanePowerShell
            $null = $ps.AddScript({
                    param($link)
                    try { $link.Read([byte[]]::new(16), 0, 16, [TimeSpan]::FromSeconds(30), [Threading.CancellationToken]::None); 'returned' }
                    catch { $_.Exception.GetBaseException().GetType().FullName }
                }).AddArgument($link)
            $handle = $ps.BeginInvoke()
            Start-Sleep -Milliseconds 500
            $handle.IsCompleted | Should -BeFalse
            $link.Dispose()
            # 30 s read: ending within 10 s means Dispose ended it.
            $handle.AsyncWaitHandle.WaitOne(10000) | Should -BeTrue
            $ps.EndInvoke($handle) | Should -Be 'System.ObjectDisposedException'
            $ps.Dispose()
        }
        finally { $link.Dispose() }
    }

    It 'reconnects from a new process to a chip the previous process left synchronised' {
        $hostExe = [Environment]::ProcessPath
        $first = & $hostExe -Command "Import-Module '$ModulePath'; (Connect-Stm32 COM14 -Parity None).DeviceName"
        $LASTEXITCODE | Should -Be 0
        $first | Should -Contain 'STM32F10xxx Medium-density'
        # That process ended with the chip synchronised: our sync probe's short read must time out.
        $clock = [Diagnostics.Stopwatch]::StartNew()
        $s = Connect-Stm32 COM14 -Parity None
        $clock.Elapsed.TotalSeconds | Should -BeLessThan 5
        $s.DeviceName | Should -Be 'STM32F10xxx Medium-density'
        ($s | Get-Stm32Info).FlashSize | Should -Be 128KB
    }

    It 'recovers from a byte the chip sent and the wire lost, and the write is still verified' {
        $image = New-Image 8192 15
        $s = Connect-Stm32 COM15 -Parity None
        $r = $s | Write-Stm32Firmware -Image $image -Verify
        $Ports.COM15.Marker | Should -Not -BeNullOrEmpty
        $marker = 'Z:' + ($Ports.COM15.Marker -replace '/', '\')
        Test-Path -LiteralPath $marker | Should -BeTrue -Because 'the fixture lost a byte during the write'
        $r.Retries + $r.Resyncs | Should -BeGreaterThan 0
        $r.Verified | Should -BeTrue
        Test-SameBytes (Read-Stm32Memory -Session $s -Address $Flash -Length 8192).Bytes $image.Segments[0].ToArray() | Should -BeTrue
    }

    It 'stops a write in the middle on the host''s Stop (Ctrl+C), and the session then closes cleanly' {
        $ps = New-LanePowerShell
        try {
            $bytes = [byte[]]::new(65536)
            [Random]::new(16).NextBytes($bytes)
            $null = $ps.AddScript({
                    param($bytes)
                    $s = Connect-Stm32 COM16 -Parity None
                    [Stm32.Protocol.Firmware.FirmwareImage]::FromBytes(0x08000000, $bytes) | Write-Stm32Firmware -Session $s -Verify
                }).AddArgument($bytes)
            $handle = $ps.BeginInvoke()
            # Wait until the write is under way (its progress past 10 %). The progress collection
            # is read by index: enumerating it would block until the pipeline ends.
            $writing = {
                $n = $ps.Streams.Progress.Count
                $n -gt 0 -and $ps.Streams.Progress[$n - 1].Activity -eq 'Writing' -and $ps.Streams.Progress[$n - 1].PercentComplete -ge 10
            }
            $clock = [Diagnostics.Stopwatch]::StartNew()
            while (-not $handle.IsCompleted -and $clock.Elapsed.TotalSeconds -lt 60 -and -not (& $writing)) { Start-Sleep -Milliseconds 50 }
            $handle.IsCompleted | Should -BeFalse -Because 'the 64 KiB write takes longer than reaching 10 %'
            $clock.Restart()
            $ps.Stop()
            # The write and its verify take well over 10 s: returning within 5 s means Stop ended it.
            $clock.Elapsed.TotalSeconds | Should -BeLessThan 5
            $ps.InvocationStateInfo.State | Should -Be 'Stopped'
            # The session stays, as in a console after Ctrl+C, and closes cleanly. (Whether the chip
            # answers the next sync depends on where in a command the write stopped, the same on
            # every platform.)
            $ps.Commands.Clear()
            $ps.AddScript('Get-Stm32Session | Disconnect-Stm32 -Confirm:$false; @(Get-Stm32Session).Count').Invoke()[0] | Should -Be 0
            $ps.HadErrors | Should -BeFalse
        }
        finally { $ps.Dispose() }
    }

    It 'PortBusy between two processes' {
        Set-ItResult -Skipped -Because 'Wine lets two processes open one COM port, so a port held by another program cannot be shown here'
    }
}
