Describe 'Sessions (Get-Stm32Session, Disconnect-Stm32)' {
    BeforeAll { . (Join-Path $PSScriptRoot '../Common.ps1') }
    AfterEach { Remove-AllStm32Session }

    It 'lists the open sessions of the runspace' {
        $a = Connect-Stm32 -Port $F103
        $b = Connect-Stm32 -Port $F407
        $all = Get-Stm32Session
        $all.Id | Should -Be @($a.Id, $b.Id)
        (Get-Stm32Session -Id $b.Id).Port | Should -Be $F407
    }

    It 'returns a snapshot: Get-Stm32Session | Disconnect-Stm32 closes every session' {
        $sessions = @(Connect-Stm32 -Port $F103; Connect-Stm32 -Port $F407)
        $snapshot = Get-Stm32Session
        Get-Stm32Session | Disconnect-Stm32 -Confirm:$false
        @(Get-Stm32Session).Count | Should -Be 0
        $snapshot.Count | Should -Be 2
        $sessions.IsOpen | Should -Be @($false, $false)
    }

    It 'never reuses an id' {
        $first = Connect-Stm32 -Port $F103
        $first | Disconnect-Stm32 -Confirm:$false
        $second = Connect-Stm32 -Port $F103
        $second.Id | Should -BeGreaterThan $first.Id
    }

    It 'reports an unknown -Id as SessionNotFound' {
        $e = { Get-Stm32Session -Id 99999 -ErrorAction Stop } | Should -Throw -PassThru
        $e.FullyQualifiedErrorId | Should -BeExactly 'SessionNotFound,Stm32.PowerShell.Commands.GetStm32SessionCommand'
        $e.CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }

    Context 'Disconnect-Stm32' {
        It 'closes the session from the pipeline and returns it with -PassThru' {
            $s = Connect-Stm32 -Port $F103
            $out = $s | Disconnect-Stm32 -PassThru -Confirm:$false
            $out | Should -Be $s
            $out.IsOpen | Should -BeFalse
            $out.InBootloader | Should -BeFalse
            @(Get-Stm32Session).Count | Should -Be 0
        }

        It 'returns nothing without -PassThru' {
            Connect-Stm32 -Port $F103 | Disconnect-Stm32 -Confirm:$false | Should -BeNullOrEmpty
        }

        It 'closes the session named by -SessionId' {
            $a = Connect-Stm32 -Port $F103
            $b = Connect-Stm32 -Port $F407
            Disconnect-Stm32 -SessionId $a.Id -Confirm:$false
            $a.IsOpen | Should -BeFalse
            $b.IsOpen | Should -BeTrue
            (Get-Stm32Session).Id | Should -Be $b.Id
        }

        It 'uses the single open session when none is named' {
            $s = Connect-Stm32 -Port $F103
            Disconnect-Stm32 -Confirm:$false
            $s.IsOpen | Should -BeFalse
        }

        It 'changes nothing with -WhatIf' {
            $s = Connect-Stm32 -Port $F103
            $s | Disconnect-Stm32 -WhatIf
            $s.IsOpen | Should -BeTrue
        }

        It 'is quiet for a session that is already closed' {
            $s = Connect-Stm32 -Port $F103
            $s | Disconnect-Stm32 -Confirm:$false
            { $s | Disconnect-Stm32 -Confirm:$false -ErrorAction Stop } | Should -Not -Throw
        }

        It 'reports NoSession when nothing is open' {
            $e = { Disconnect-Stm32 -Confirm:$false -ErrorAction Stop } | Should -Throw -PassThru
            $e.FullyQualifiedErrorId | Should -BeExactly 'NoSession,Stm32.PowerShell.Commands.DisconnectStm32Command'
            $e.CategoryInfo.Category | Should -Be 'InvalidOperation'
        }

        It 'reports AmbiguousSession when several are open and none is named' {
            $null = Connect-Stm32 -Port $F103
            $null = Connect-Stm32 -Port $F407
            $e = { Disconnect-Stm32 -Confirm:$false -ErrorAction Stop } | Should -Throw -PassThru
            $e.FullyQualifiedErrorId | Should -BeExactly 'AmbiguousSession,Stm32.PowerShell.Commands.DisconnectStm32Command'
            @(Get-Stm32Session).Count | Should -Be 2
        }

        It 'reports an unknown -SessionId as SessionNotFound' {
            $e = { Disconnect-Stm32 -SessionId 4242 -Confirm:$false -ErrorAction Stop } | Should -Throw -PassThru
            $e.FullyQualifiedErrorId | Should -BeExactly 'SessionNotFound,Stm32.PowerShell.Commands.DisconnectStm32Command'
        }
    }

    Context 'simulated chips' {
        It 'keeps a sim:// chip (and its flash) across Disconnect and Connect' {
            $s = Connect-Stm32 -Port $F103
            $c = Get-TestConnection $s
            [byte[]] $data = 0xDE, 0xAD, 0xBE, 0xEF
            $c.WriteBlock([uint32] 0x08000400, $data, 0, 4, [Threading.CancellationToken]::None)
            $s | Disconnect-Stm32 -Confirm:$false

            $again = Connect-Stm32 -Port 'sim://0x410?timing=instant'
            $read = (Get-TestConnection $again).Read([uint32] 0x08000400, 4, $null, [Threading.CancellationToken]::None)
            $read | Should -Be $data
        }
    }

    Context 'runspaces' {
        It 'keeps sessions apart: a session made in another runspace is not visible here' {
            $ps = New-TestPowerShell
            try {
                $other = $ps.AddScript("Connect-Stm32 -Port '$F103'").Invoke()[0]
                $other.IsOpen | Should -BeTrue
                @(Get-Stm32Session).Count | Should -Be 0
                $ps.Commands.Clear()
                $ps.AddScript('@(Get-Stm32Session).Count').Invoke()[0] | Should -Be 1
                # This runspace has its own simulated chips, so the same name is free here.
                (Connect-Stm32 -Port $F103).IsOpen | Should -BeTrue
            }
            finally { $ps.Dispose() }
            $other.IsOpen | Should -BeFalse -Because 'closing a runspace closes its sessions'
        }

        It 'gives every runspace its own simulated chip' {
            $mine = Connect-Stm32 -Port $F103
            [byte[]] $data = 1, 2, 3, 4
            (Get-TestConnection $mine).WriteBlock([uint32] 0x08000000, $data, 0, 4, [Threading.CancellationToken]::None)
            $ps = New-TestPowerShell
            try {
                $theirs = $ps.AddScript("Connect-Stm32 -Port '$F103'").Invoke()[0]
                $read = (Get-TestConnection $theirs).Read([uint32] 0x08000000, 4, $null, [Threading.CancellationToken]::None)
                $read | Should -Be ([byte[]] (0xFF, 0xFF, 0xFF, 0xFF))
            }
            finally { $ps.Dispose() }
        }
    }
}
