#Requires -Version 7.4
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
<#
    Pester 5 tests of the connection cmdlets against the built module and the sandbox it ships (TestHelpers.ps1).
    Run with ./build.ps1 -Task Test (or -Task Pester after a build); they need PowerShell 7.4+ and Pester 5.
    The module is the one the build assembled: <repo>/out/CasAdmin/<CasAdminVersion>/CasAdmin.psd1.
#>

BeforeAll {
    . $PSScriptRoot/TestHelpers.ps1
    Import-TestModule
    # The file's sandbox, without its connections: these tests connect themselves.
    Start-TestSandbox -NoConnect
    $manifest = $Manifest
    $tenant = $sandbox.Tenants[0]
    $sandboxParameters = @{
        Environment       = 'Sandbox'
        SandboxUrl        = $sandbox.Url
        SandboxThumbprint = $sandbox.Thumbprint
        StorePath         = Join-Path $TestRoot 'registry.db'
    }
    $secret = $tenant.AdminAppSecret
}

AfterAll {
    Stop-TestSandbox
}

Describe 'The CasAdmin module' {
    It 'exports exactly the cmdlets of its manifest' {
        $exported = (Get-Command -Module CasAdmin).Name | Sort-Object
        $exported | Should -Be @((Import-PowerShellDataFile -LiteralPath $manifest).CmdletsToExport | Sort-Object)
        $exported | Should -Contain 'Connect-CasTenant'
    }

    It 'gives Connect-CasTenant one parameter set per sign-in, Interactive by default' {
        $command = Get-Command Connect-CasTenant
        $command.DefaultParameterSet | Should -Be 'Interactive'
        $command.ParameterSets.Name | Sort-Object | Should -Be @(
            'AccessToken', 'Certificate', 'CertificateFile', 'CertificateThumbprint', 'ClientSecret', 'DeviceCode',
            'Interactive', 'ManagedIdentity')
        $command.OutputType.Name | Should -Contain 'CasAdmin.Engine.Connections.CasConnection'
    }

    It 'makes -ClientSecret a mandatory SecureString of the ClientSecret set' {
        $set = (Get-Command Connect-CasTenant).ParameterSets | Where-Object Name -EQ 'ClientSecret'
        $parameter = $set.Parameters | Where-Object Name -EQ 'ClientSecret'
        $parameter.ParameterType | Should -Be ([securestring])
        $parameter.IsMandatory | Should -BeTrue
        ($set.Parameters | Where-Object Name -EQ 'TenantId').IsMandatory | Should -BeTrue
    }

    It 'makes -TenantId optional for managed identity and access tokens' {
        foreach ($name in 'ManagedIdentity', 'AccessToken') {
            $set = (Get-Command Connect-CasTenant).ParameterSets | Where-Object Name -EQ $name
            ($set.Parameters | Where-Object Name -EQ 'TenantId').IsMandatory | Should -BeFalse
        }
    }

    It 'gives Disconnect-CasTenant the TenantId, Connection and All sets and -WhatIf' {
        $command = Get-Command Disconnect-CasTenant
        $command.DefaultParameterSet | Should -Be 'TenantId'
        $command.ParameterSets.Name | Sort-Object | Should -Be @('All', 'Connection', 'TenantId')
        $command.Parameters.Keys | Should -Contain 'WhatIf'
        $command.Parameters.Keys | Should -Contain 'Confirm'
        $connection = ($command.ParameterSets | Where-Object Name -EQ 'Connection').Parameters | Where-Object Name -EQ 'Connection'
        $connection.ValueFromPipeline | Should -BeTrue
    }

    It 'binds Get-CasConnection -TenantId by position and by property name' {
        $parameter = (Get-Command Get-CasConnection).Parameters['TenantId']
        $parameter.ParameterType | Should -Be ([string[]])
        $attribute = $parameter.Attributes | Where-Object { $_ -is [System.Management.Automation.ParameterAttribute] }
        $attribute.Position | Should -Be 0
        $attribute.ValueFromPipelineByPropertyName | Should -BeTrue
    }

    It 'has help with examples for every cmdlet' {
        foreach ($name in 'Connect-CasTenant', 'Disconnect-CasTenant', 'Get-CasConnection') {
            $help = Get-Help $name -Full
            $help.Synopsis | Should -Not -BeNullOrEmpty
            @($help.examples.example).Count | Should -BeGreaterOrEqual 2
        }
    }
}

Describe 'Connections to the sandbox' {
    It 'connects with a client secret and returns the connection' {
        $connection = Connect-CasTenant -TenantId $tenant.tenantId -ClientId $tenant.adminAppId -ClientSecret $secret @sandboxParameters
        $connection.TenantId | Should -Be $tenant.tenantId
        $connection.AppId | Should -Be $tenant.adminAppId
        $connection.Environment | Should -Be 'Sandbox'
        $connection.IsDefault | Should -BeTrue
        $connection.ExpiresOn | Should -BeGreaterThan ([datetimeoffset]::UtcNow)
    }

    It 'lists the connection as the default' {
        (Get-CasConnection -Default).TenantId | Should -Be $tenant.tenantId
        Get-CasConnection -TenantId $tenant.tenantId | Should -HaveCount 1
    }

    It 'finds the connection by domain and by wildcard' {
        Get-CasConnection -TenantId $tenant.domain | Should -HaveCount 1
        Get-CasConnection -TenantId ($tenant.tenantId.Substring(0, 8) + '*') | Should -HaveCount 1
        Get-CasConnection -TenantId 'no-such-tenant*' | Should -BeNullOrEmpty
    }

    It 'keeps the first connection as the default when another tenant connects' {
        if (@($sandbox.tenants).Count -lt 2) {
            Set-ItResult -Skipped -Because 'the sandbox seeds a single tenant'
            return
        }
        $other = $sandbox.tenants[1]
        $otherSecret = $other.AdminAppSecret
        $second = Connect-CasTenant -TenantId $other.tenantId -ClientId $other.adminAppId -ClientSecret $otherSecret @sandboxParameters
        $second.IsDefault | Should -BeFalse
        (Get-CasConnection -Default).TenantId | Should -Be $tenant.tenantId
        Disconnect-CasTenant -TenantId $other.tenantId -Confirm:$false
    }

    It 'changes nothing with Disconnect-CasTenant -WhatIf' {
        Disconnect-CasTenant -TenantId $tenant.tenantId -WhatIf
        Disconnect-CasTenant -All -WhatIf
        Get-CasConnection -TenantId $tenant.tenantId | Should -HaveCount 1
    }

    It 'disconnects a connection piped from Get-CasConnection' {
        Get-CasConnection -TenantId $tenant.tenantId | Disconnect-CasTenant -Confirm:$false
        Get-CasConnection | Where-Object TenantId -EQ $tenant.tenantId | Should -BeNullOrEmpty
        # An exact tenant without a connection is an error (like Get-Process -Name), a wildcard just matches nothing.
        Get-CasConnection -TenantId $tenant.tenantId -ErrorAction SilentlyContinue -ErrorVariable missing | Should -BeNullOrEmpty
        $missing[0].FullyQualifiedErrorId | Should -BeLike 'NotConnected*'
    }

    It 'fails a wrong secret with the InvalidClientSecret error id, without the secret in the message' {
        $wrong = ConvertTo-SecureString 'wrong-secret-value-4711' -AsPlainText -Force
        $err = { Connect-CasTenant -TenantId $tenant.tenantId -ClientId $tenant.adminAppId -ClientSecret $wrong @sandboxParameters -ErrorAction Stop } |
            Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'InvalidClientSecret*'
        $err.Exception.Message | Should -Not -Match 'wrong-secret-value-4711'
        Get-CasConnection | Where-Object TenantId -EQ $tenant.tenantId | Should -BeNullOrEmpty
    }
}
