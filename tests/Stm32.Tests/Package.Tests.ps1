# The module as a NuGet package: made as build.ps1 -Task Package makes it (Compress-PSResource),
# installed from a local folder repository with PSResourceGet and imported by name, in a child pwsh
# whose PSResourceGet settings (XDG_DATA_HOME) and module path point into TestDrive.
Describe 'The Stm32 package' {
    BeforeAll {
        . (Join-Path $PSScriptRoot '../Common.ps1')
        $script:ModuleDir = Split-Path $ModulePath
        $script:Elf = (Resolve-Path (Join-Path $PSScriptRoot '../data/blinky-f103.elf')).ProviderPath
    }
    AfterEach { Remove-AllStm32Session }

    It 'installs from a local repository and imports by name, ELF reading included' {
        $root = (New-Item -ItemType Directory (Join-Path $TestDrive 'pkg')).FullName
        $script = @"
`$ErrorActionPreference = 'Stop'
`$env:XDG_DATA_HOME = '$root/data'
`$repo = New-Item -ItemType Directory '$root/repo' -Force
`$modules = New-Item -ItemType Directory '$root/modules' -Force
Import-Module Microsoft.PowerShell.PSResourceGet
Compress-PSResource -Path '$ModuleDir' -DestinationPath `$repo.FullName
Register-PSResourceRepository -Name Stm32Local -Uri `$repo.FullName -Trusted
try {
    Save-PSResource -Name Stm32 -Repository Stm32Local -Path `$modules.FullName -TrustRepository -Quiet
    `$env:PSModulePath = `$modules.FullName + [IO.Path]::PathSeparator + `$env:PSModulePath
    Import-Module Stm32
    `$m = Get-Module Stm32
    `$image = Import-Stm32Firmware -Path '$Elf'
    `$info = Connect-Stm32 'sim://0x410?timing=instant' | Get-Stm32Info
    [pscustomobject]@{
        Nupkg = (Get-ChildItem `$repo.FullName -Filter *.nupkg).Name
        Base = `$m.ModuleBase
        Version = `$m.Version.ToString()
        Cmdlets = `$m.ExportedCmdlets.Count
        ElfBytes = `$image.DataBytes
        Device = `$info.DeviceName
    } | ConvertTo-Json -Compress
}
finally { Unregister-PSResourceRepository -Name Stm32Local }
"@
        $json = & (Join-Path $PSHOME 'pwsh') -NoProfile -NonInteractive -Command $script 2>&1
        $LASTEXITCODE | Should -Be 0 -Because ($json -join "`n")
        $r = ($json | Select-Object -Last 1) | ConvertFrom-Json
        $version = (Import-PowerShellDataFile $ModulePath).ModuleVersion
        $r.Nupkg | Should -Be "Stm32.$version.nupkg"
        $r.Base | Should -BeLike "$root/modules/Stm32*"
        $r.Version | Should -Be $version
        $r.Cmdlets | Should -Be (Get-Module Stm32).ExportedCmdlets.Count
        $r.ElfBytes | Should -Be 272
        $r.Device | Should -Be 'STM32F10xxx Medium-density'
    }
}
