# In the spirit of PSReadLine's CheckHelp.ps1: help and parameters must agree, both ways.
Describe 'Help' {
    BeforeDiscovery {
        . (Join-Path $PSScriptRoot '../Common.ps1')
        $script:Cmdlets = (Get-Module Stm32).ExportedCmdlets.Keys | Sort-Object | ForEach-Object { @{ Name = $_ } }
    }
    BeforeAll {
        . (Join-Path $PSScriptRoot '../Common.ps1')
        $script:Common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
    }
    AfterEach { Remove-AllStm32Session }

    It 'ships the cmdlet help file and about_Stm32 beside the module' {
        Join-Path (Split-Path $ModulePath) 'en-US/Stm32.PowerShell.dll-Help.xml' | Should -Exist
        Join-Path (Split-Path $ModulePath) 'en-US/about_Stm32.help.txt' | Should -Exist
    }

    Context '<Name>' -ForEach $Cmdlets {
        BeforeAll {
            $script:help = Get-Help $Name -Full
            $script:cmd = Get-Command $Name
        }

        It 'has a synopsis and a description' {
            $help.Synopsis | Should -Not -BeNullOrEmpty
            $help.Synopsis | Should -Not -Match ([regex]::Escape($Name) + '\s*\[')   # not the generated syntax line
            ($help.description.Text -join '') | Should -Not -BeNullOrEmpty
        }

        It 'has at least two examples, each with code and remarks' {
            @($help.examples.example).Count | Should -BeGreaterOrEqual 2
            foreach ($ex in $help.examples.example) {
                $ex.code | Should -Not -BeNullOrEmpty
                ($ex.remarks.Text -join '') | Should -Not -BeNullOrEmpty
            }
        }

        It 'documents every parameter, and only those' {
            $actual = $cmd.Parameters.Keys | Where-Object { $_ -notin $Common } | Sort-Object
            $documented = @($help.parameters.parameter.name) | Where-Object { $_ -and $_ -notin $Common } | Sort-Object
            Compare-Object @($actual) @($documented) | Should -BeNullOrEmpty -Because 'help and the cmdlet must name the same parameters'
        }

        It 'describes every parameter' {
            foreach ($p in @($help.parameters.parameter)) {
                if (-not $p) { continue }
                ($p.description.Text -join '') | Should -Not -BeNullOrEmpty -Because "-$($p.name) needs a description"
            }
        }

        It 'shows the syntax Get-Command -Syntax shows (-WhatIf and -Confirm included, switches without a type)' {
            $expected = @((Get-Command $Name -Syntax) -split '\r?\n' | ForEach-Object Trim | Where-Object { $_ })
            $shown = @(($help.syntax | Out-String -Width 10000) -split '\r?\n' | ForEach-Object Trim | Where-Object { $_ })
            $shown | Should -Be $expected
            ($shown -join ' ') | Should -Not -Match '<SwitchParameter>'
        }

        It 'documents -WhatIf and -Confirm where the cmdlet has them' {
            $names = @($help.parameters.parameter.name)
            foreach ($p in 'WhatIf', 'Confirm') {
                if (-not $cmd.Parameters.ContainsKey($p)) { continue }
                $names | Should -Contain $p
                ((Get-Help $Name -Parameter $p).description.Text -join '') | Should -Not -BeNullOrEmpty
            }
        }

        It 'names inputs and outputs' {
            ($help.inputTypes.inputType.type.name -join '') | Should -Not -BeNullOrEmpty
            ($help.returnValues.returnValue.type.name -join '') | Should -Not -BeNullOrEmpty
        }
    }

    It 'has about_Stm32 covering sessions, BOOT0/BOOT1, hex addresses, -Confirm:$false and troubleshooting' {
        $about = Get-Help about_Stm32 | Out-String
        $about | Should -Match 'BOOT0'
        $about | Should -Match 'BOOT1'
        $about | Should -Match '0x08000000'
        $about | Should -Match '-Confirm:\$false'
        $about | Should -Match 'sim://'
        $about | Should -Match 'No response from the target'
        $about | Should -Match 'Get-Stm32Session'
    }
}
