# Progress records and Ctrl+C (PowerShell.Stop) for the long operations, each in its own runspace.
Describe 'Progress and Ctrl+C of the flashing cmdlets' {
    BeforeAll {
        . (Join-Path $PSScriptRoot '../Common.ps1')
        $script:Blinky = (Resolve-Path (Join-Path $PSScriptRoot '../data/blinky-f103.hex')).ProviderPath
        function Invoke-InRunspace([string] $Script) {
            $ps = New-TestPowerShell
            try {
                $out = $ps.AddScript($Script).Invoke()
                [pscustomobject]@{ Output = $out; Progress = @($ps.Streams.Progress); Errors = @($ps.Streams.Error) }
            }
            finally { $ps.Dispose() }
        }
        # Waits until the running pipeline has written a progress record of the activity.
        function Wait-Progress($ps, [string] $Activity, [int] $TimeoutMs = 15000) {
            $sw = [Diagnostics.Stopwatch]::StartNew()
            while ($sw.ElapsedMilliseconds -lt $TimeoutMs) {
                if (@($ps.Streams.Progress | Where-Object { $_.Activity -eq $Activity -and $_.PercentComplete -gt 0 }).Count) { return $true }
                Start-Sleep -Milliseconds 50
            }
            $false
        }
    }
    AfterEach { Remove-AllStm32Session }

    It '<Name> ends its progress with a Completed record' -ForEach @(
        @{ Name = 'Write-Stm32Firmware'; Script = "Connect-Stm32 '{0}' | Write-Stm32Firmware -Path '{1}' -Verify" }
        @{ Name = 'Read-Stm32Memory'; Script = "Connect-Stm32 '{0}' | Read-Stm32Memory" }
        @{ Name = 'Read-Stm32Memory -OutFile'; Script = "Connect-Stm32 '{0}' | Read-Stm32Memory -OutFile (Join-Path ([IO.Path]::GetTempPath()) 'stm32-progress.bin')" }
        @{ Name = 'Clear-Stm32Flash'; Script = "Connect-Stm32 '{0}' | Clear-Stm32Flash -All -Confirm:`$false" }
        @{ Name = 'Test-Stm32Firmware'; Script = "Connect-Stm32 '{0}' | Test-Stm32Firmware -Path '{1}'" }
    ) {
        $r = Invoke-InRunspace ($Script -f $F103, $Blinky)
        $r.Errors | Should -BeNullOrEmpty
        $r.Progress.Count | Should -BeGreaterThan 1
        $r.Progress[-1].RecordType | Should -Be 'Completed'
        @($r.Progress | Where-Object RecordType -eq 'Processing').Count | Should -BeGreaterThan 0
    }

    It 'shows bytes (and the rate once a phase has run a second) while reading' {
        $r = Invoke-InRunspace "Connect-Stm32 '$F103' | Read-Stm32Memory"
        ($r.Progress | Where-Object RecordType -eq 'Processing' | Select-Object -First 1).StatusDescription |
            Should -Match '^[\d,]+ of 131,072 bytes(, [\d,]+ bytes/s)?$'
    }

    # The rate and time left are per phase: the verify pass does not start from the rate of the
    # whole job so far ("201 bytes/s, 316 s left" for a job of seconds). Realistic timing at 115200
    # baud: 16 KiB takes about 1.6 s to write and as long to read back.
    It 'estimates the time left of each phase (write, verify) from that phase alone' {
        $bin = Join-Path $TestDrive 'random16k.bin'
        $bytes = [byte[]]::new(16384)
        [Random]::new(7).NextBytes($bytes)
        [IO.File]::WriteAllBytes($bin, $bytes)
        $ps = New-TestPowerShell
        try {
            $clock = [Diagnostics.Stopwatch]::StartNew()
            $null = $ps.AddScript("Connect-Stm32 'sim://0x410' | Write-Stm32Firmware -Path '$bin' -Verify").Invoke()
            $seconds = $clock.Elapsed.TotalSeconds
            $ps.Streams.Error | Should -BeNullOrEmpty
            $records = @($ps.Streams.Progress | Where-Object { $_.RecordType -eq 'Processing' -and $_.Activity -in 'Writing', 'Verifying' })
            @($records | Where-Object Activity -eq 'Verifying') | Should -Not -BeNullOrEmpty
            $timed = @($records | Where-Object SecondsRemaining -gt 0)
            $timed | Should -Not -BeNullOrEmpty -Because 'a phase of over a second shows its time left'
            foreach ($p in $timed) {
                $p.SecondsRemaining | Should -BeLessOrEqual ([math]::Ceiling(2 * $seconds) + 2) -Because "$($p.Activity) at '$($p.StatusDescription)' cannot have more left than the whole job took ($([math]::Round($seconds, 1)) s)"
                $p.StatusDescription | Should -Match 'bytes/s$'
            }
        }
        finally { $ps.Dispose() }
    }

    It 'writes no progress under $ProgressPreference = SilentlyContinue' {
        $r = Invoke-InRunspace "`$ProgressPreference = 'SilentlyContinue'; Connect-Stm32 '$F103' | Write-Stm32Firmware -Path '$Blinky' -Verify"
        $r.Errors | Should -BeNullOrEmpty
        $r.Progress.Count | Should -Be 0
    }

    # Ctrl+C: the bound is structural, not a race with the clock. At 9600 baud with realistic timing
    # the operation takes minutes, so Stop() returning within 10 s (generous for a loaded machine;
    # it normally takes well under one) means the operation was stopped, not that it finished.
    It 'Ctrl+C stops a whole-flash read long before it would end, and the session stays usable' {
        $ps = New-TestPowerShell
        try {
            # Realistic timing: 128 KiB at 9600 baud takes over two minutes.
            $null = $ps.AddScript("`$s = Connect-Stm32 'sim://0x410' -BaudRate 9600 -Retry 3 -TimeoutMs 2000 -WarningAction SilentlyContinue; `$s | Read-Stm32Memory").BeginInvoke()
            Wait-Progress $ps 'Reading' | Should -BeTrue
            $ps.InvocationStateInfo.State | Should -Be 'Running' -Because 'Ctrl+C must reach the read while it runs'
            $sw = [Diagnostics.Stopwatch]::StartNew()
            $ps.Stop()
            $sw.Elapsed.TotalSeconds | Should -BeLessThan 10
            $ps.InvocationStateInfo.State | Should -Be 'Stopped'
            $ps.Commands.Clear()
            $ps.Streams.Error.Clear()
            $after = $ps.AddScript('$s | Read-Stm32Memory 0x08000000 16; $s.IsOpen').Invoke()
            $ps.Streams.Error | Should -BeNullOrEmpty
            $after[0].Length | Should -Be 16
            $after[1] | Should -BeTrue
        }
        finally { $ps.Dispose() }
    }

    It 'Ctrl+C stops a write long before it would end; the session is then usable or clearly closed' {
        $ps = New-TestPowerShell
        try {
            # Realistic timing: 48 KiB at 9600 baud takes about a minute.
            $null = $ps.AddScript(@'
$s = Connect-Stm32 'sim://0x410' -BaudRate 9600 -Retry 3 -TimeoutMs 2000 -WarningAction SilentlyContinue
$image = [Stm32.Protocol.Firmware.FirmwareImage]::FromBytes(0x08000000, [byte[]]::new(48KB))
$image | Write-Stm32Firmware -Session $s
'@).BeginInvoke()
            # Never enumerate $ps.Streams.Error while the pipeline runs: that blocks until it ends, and
            # (as an argument of Should, evaluated before Wait-Progress's result is tested) it made
            # this test stop a write that had already finished. Count and the indexer do not block.
            $underWay = Wait-Progress $ps 'Writing'
            $why = "the write should be under way ($($ps.InvocationStateInfo.State) $($ps.InvocationStateInfo.Reason); $($ps.Streams.Error.Count) errors$(if ($ps.Streams.Error.Count) { ', first: ' + $ps.Streams.Error[0] }); $(@($ps.Streams.Progress).Count) progress records, last: $(($ps.Streams.Progress | Select-Object -Last 1).Activity) $(($ps.Streams.Progress | Select-Object -Last 1).StatusDescription))"
            $underWay | Should -BeTrue -Because $why
            $ps.InvocationStateInfo.State | Should -Be 'Running' -Because 'Ctrl+C must reach the write while it runs'
            $sw = [Diagnostics.Stopwatch]::StartNew()
            $ps.Stop()
            $sw.Elapsed.TotalSeconds | Should -BeLessThan 10
            $ps.InvocationStateInfo.State | Should -Be 'Stopped'
            $ps.Commands.Clear()
            $ps.Streams.Error.Clear()
            $ps.Streams.Warning.Clear()
            $after = $ps.AddScript('$s | Read-Stm32Memory 0x08000000 16; $s.IsOpen').Invoke()
            # The next command says first what was stopped, what the flash holds, and how long getting back in step may take.
            $warning = ($ps.Streams.Warning | Select-Object -First 1).Message
            $warning | Should -Match 'Write-Stm32Firmware: The write was stopped while (writing|erasing)'
            $warning | Should -Match 'Getting back in step with the bootloader first; this takes at most about \d+ s'
            if ($ps.Streams.Error.Count) {
                $ps.Streams.Error[0].FullyQualifiedErrorId | Should -BeExactly 'SessionClosed,Stm32.PowerShell.Commands.ReadStm32MemoryCommand'
                $after[-1] | Should -BeFalse
            }
            else {
                $after[0].Length | Should -Be 16
                $after[1] | Should -BeTrue -Because 'the session is open when the read after the stop worked'
                if ($warning -match 'nothing from (0x[0-9A-F]{8}) on') {
                    # The address named is right: the image (zeros) is there below it, erased flash a block above it.
                    $first = [uint32] $Matches[1]
                    $ps.Commands.Clear()
                    $check = $ps.AddScript("`$s | Read-Stm32Memory 0x08000000 $($first - 0x08000000 + 512)").Invoke()[0].Bytes
                    if ($first -gt 0x08000000) { $check[0..($first - 0x08000000 - 1)] | Where-Object { $_ -ne 0 } | Should -BeNullOrEmpty }
                    $check[($first - 0x08000000 + 256)..($check.Length - 1)] | Where-Object { $_ -ne 0xFF } | Should -BeNullOrEmpty
                }
            }
        }
        finally { $ps.Dispose() }
    }
}
