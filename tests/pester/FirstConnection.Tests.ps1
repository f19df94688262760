#Requires -Version 7.4
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
<#
    The first connection of a new administrator to a real tenant (docs/first-connection.md): Connect-CasTenant without
    -ClientId explains the one-time setup (ClientIdRequired) instead of PowerShell's MissingMandatoryParameter, and
    Register-CasAdminApp sets the tenant up once, after which Connect-CasTenant -TenantId alone signs in. Device codes
    are approved through the sandbox's control API, as a person would at the verification page.
#>

BeforeAll {
    . $PSScriptRoot/TestHelpers.ps1
    Import-TestModule
    Start-TestSandbox -NoConnect
    $info = $sandboxInfo | Where-Object tenantId -EQ $sandbox.Tenants[0].TenantId
    $sandboxParameters = @{ Environment = 'Sandbox'; SandboxUrl = $sandbox.Url; SandboxThumbprint = $sandbox.Thumbprint }

    # The remembered sign-in apps of this file only: never the person's own ~/.config/casadmin.
    $savedConfig = $env:CASADMIN_CONFIG
    $savedClientId = $env:CASADMIN_CLIENT_ID
    $env:CASADMIN_CONFIG = Join-Path $TestRoot 'config'
    $env:CASADMIN_CLIENT_ID = $null
    $configFile = Join-Path $env:CASADMIN_CONFIG 'admin-apps.json'

    <#
        Runs a command that signs in with a device code in a runspace of its own (the sign-in waits for the code to
        be entered), approves the code as $User through the control API and returns the command's output. Errors of
        the command come back in .Errors.
    #>
    function Invoke-WithDeviceCode([scriptblock] $Command, [hashtable] $Arguments, [string] $User, [switch] $Consent) {
        $child = [powershell]::Create()
        try {
            $null = $child.AddCommand('Import-Module').AddParameter('Name', $Manifest).AddStatement()
            $null = $child.AddScript($Command.ToString()).AddArgument($Arguments)
            $async = $child.BeginInvoke()
            $code = $null
            $deadline = [datetime]::UtcNow.AddSeconds(60)
            while (-not $code -and -not $async.IsCompleted -and [datetime]::UtcNow -lt $deadline) {
                Start-Sleep -Milliseconds 100
                $message = $child.Streams.Warning | Select-Object -Last 1
                if ($message -and "$message" -match 'enter the code (\S+)') {
                    $code = $Matches[1]
                }
            }
            if ($code) {
                $null = Invoke-SandboxControl POST 'devicecode/approve' @{ userCode = $code; user = $User; consent = [bool]$Consent }
            }
            $output = $child.EndInvoke($async)
            [pscustomobject]@{ Output = @($output); Errors = @($child.Streams.Error); Code = $code }
        }
        finally {
            $child.Dispose()
        }
    }
}

AfterAll {
    $env:CASADMIN_CONFIG = $savedConfig
    $env:CASADMIN_CLIENT_ID = $savedClientId
    Stop-TestSandbox
}

Describe 'Connect-CasTenant before any setup' {
    It 'says what to do with ClientIdRequired, not MissingMandatoryParameter, when a person signs in without -ClientId' {
        # A runspace without a host: today's mandatory -ClientId cannot prompt there and fails at binding.
        $result = Invoke-WithDeviceCode -User $info.adminUser -Arguments $sandboxParameters -Command {
            param($p)
            Connect-CasTenant -TenantId contoso.onmicrosoft.com -UseDeviceCode @p
        }
        $result.Output | Should -BeNullOrEmpty
        $result.Code | Should -BeNullOrEmpty -Because 'nothing is sent to Entra ID before the client id is known'
        $result.Errors | Should -HaveCount 1
        $result.Errors[0].FullyQualifiedErrorId | Should -BeLike 'ClientIdRequired*'
        $result.Errors[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $result.Errors[0].ErrorDetails.RecommendedAction | Should -Match 'Register-CasAdminApp -TenantId contoso\.onmicrosoft\.com'
        $result.Errors[0].ErrorDetails.RecommendedAction | Should -Match '-ClientId'
    }

    It 'fails an interactive sign-in without -ClientId the same way' {
        { Connect-CasTenant -TenantId contoso.onmicrosoft.com @sandboxParameters -ErrorAction Stop } |
            Should -Throw -ErrorId 'ClientIdRequired*'
    }

    It 'asks for the app of the secret with ClientIdRequired when a runbook leaves -ClientId out' {
        $err = { Connect-CasTenant -TenantId $info.tenantId -ClientSecret (ConvertTo-SecureString $info.adminAppSecret -AsPlainText -Force) @sandboxParameters -ErrorAction Stop } |
            Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'ClientIdRequired*'
        $err.ErrorDetails.RecommendedAction | Should -Match '-ClientId'
        $err.Exception.Message | Should -Not -Match ([regex]::Escape($info.adminAppSecret))
    }

    It 'registers nothing and signs in nowhere with Register-CasAdminApp -WhatIf' {
        $before = (Get-SandboxState $info.tenantId).applications.Count
        Register-CasAdminApp -TenantId $info.domain -UseDeviceCode @sandboxParameters -WhatIf | Should -BeNullOrEmpty
        (Get-SandboxState $info.tenantId).applications.Count | Should -Be $before
        Test-Path -LiteralPath $configFile | Should -BeFalse
    }
}

Describe 'The one-time setup with Register-CasAdminApp' {
    It 'refuses a person without an administrator role, and creates nothing' {
        $before = (Get-SandboxState $info.tenantId).applications.Count
        $result = Invoke-WithDeviceCode -User $info.plainUser -Consent -Arguments (@{ TenantId = $info.domain } + $sandboxParameters) -Command {
            param($p)
            Register-CasAdminApp @p -UseDeviceCode -Confirm:$false
        }
        $result.Code | Should -Not -BeNullOrEmpty
        $result.Output | Should -BeNullOrEmpty
        $result.Errors | Should -HaveCount 1
        # Entra's "Need admin approval": the bootstrap permissions need an administrator's consent.
        $result.Errors[0].FullyQualifiedErrorId | Should -BeLike 'AdminConsentMissing*'
        $result.Errors[0].ErrorDetails.RecommendedAction | Should -Match 'Global Administrator'
        $result.Errors[0].ErrorDetails.RecommendedAction | Should -Not -Match 'New-CasTeamsChatApp'
        (Get-SandboxState $info.tenantId).applications.Count | Should -Be $before
        Test-Path -LiteralPath $configFile | Should -BeFalse
    }

    It 'does not take over an app of the same name that it did not create (AppNameTaken), and changes nothing' {
        # The scenario's own "CasAdmin PowerShell" public client stands for an app an administrator made by hand.
        $before = Get-SandboxState $info.tenantId
        $result = Invoke-WithDeviceCode -User $info.adminUser -Consent -Arguments (@{ TenantId = $info.domain; DisplayName = 'CasAdmin PowerShell' } + $sandboxParameters) -Command {
            param($p)
            Register-CasAdminApp @p -UseDeviceCode -Confirm:$false
        }
        $result.Errors | Should -HaveCount 1
        $result.Errors[0].FullyQualifiedErrorId | Should -BeLike 'AppNameTaken*'
        $result.Errors[0].ErrorDetails.RecommendedAction | Should -Match "-ClientId $($info.apps.public.appId)"
        $after = Get-SandboxState $info.tenantId
        $after.applications.Count | Should -Be $before.applications.Count
        $after.servicePrincipals.Count | Should -Be $before.servicePrincipals.Count
        Test-Path -LiteralPath $configFile | Should -BeFalse
    }

    It 'creates the public-client app with admin consent as a Global Administrator, and remembers it' {
        $result = Invoke-WithDeviceCode -User $info.adminUser -Consent -Arguments (@{ TenantId = $info.domain } + $sandboxParameters) -Command {
            param($p)
            Register-CasAdminApp @p -UseDeviceCode -Confirm:$false
        }
        $result.Errors | Should -BeNullOrEmpty
        $app = $result.Output[0]
        $app.Created | Should -BeTrue
        $app.TenantId | Should -Be $info.tenantId
        $app.DisplayName | Should -Be 'CasAdmin Sign-in'
        $app.Permissions | Should -Contain 'Application.ReadWrite.All'
        $app.RememberedIn | Should -Be $configFile

        $state = Get-SandboxState $info.tenantId
        $state.applications | Where-Object appId -EQ $app.AppId | Should -HaveCount 1
        $principal = $state.servicePrincipals | Where-Object appId -EQ $app.AppId
        $principal | Should -HaveCount 1
        $grant = $state.oauth2PermissionGrants | Where-Object { $_.clientId -eq $principal.id -and $_.consentType -eq 'AllPrincipals' }
        $grant.scope -split ' ' | Should -Contain 'RoleManagement.ReadWrite.Directory'

        $remembered = (Get-Content -Raw -LiteralPath $configFile | ConvertFrom-Json).apps
        $remembered.clientId | Should -Be $app.AppId
        $remembered.domains | Should -Contain $info.domain
        Get-Content -Raw -LiteralPath $configFile | Should -Not -Match ([regex]::Escape($info.adminAppSecret))
        $script:registered = $app
    }

    It 'lets the administrator connect with -TenantId alone afterwards, by tenant id or domain' {
        foreach ($tenant in $info.domain, $info.tenantId) {
            $result = Invoke-WithDeviceCode -User $info.adminUser -Arguments (@{ TenantId = $tenant } + $sandboxParameters) -Command {
                param($p)
                Connect-CasTenant @p -UseDeviceCode -StorePath (Join-Path ([IO.Path]::GetTempPath()) "casadmin-first-$([guid]::NewGuid().ToString('n')).db")
            }
            $result.Errors | Should -BeNullOrEmpty
            $connection = $result.Output[0]
            $connection.AppId | Should -Be $registered.AppId
            $connection.TenantId | Should -Be $info.tenantId
            $connection.IsGlobalAdministrator | Should -BeTrue
            $connection.Permissions | Should -Contain 'Application.ReadWrite.All'
            $connection.Permissions | Should -Contain 'DelegatedPermissionGrant.ReadWrite.All'
        }
        $script:adminConnection = $connection
    }

    It 'gives that connection what provisioning and discovery need' {
        # The app's delegated permissions are enough for the administrator's work: find accounts, register an app with consent.
        @(Find-CasServiceAccount -Connection $adminConnection -ErrorAction Stop).Count | Should -BeGreaterThan 0
        $app = New-CasTeamsChatApp -Connection $adminConnection -DisplayName 'First connection check' -ConsoleUrl https://admin.cas.example.com -GrantAdminConsent -Confirm:$false -ErrorAction Stop
        $app.ConsentGranted | Should -BeTrue
        Disconnect-CasTenant -Connection $adminConnection -Confirm:$false
    }

    It 'creates nothing twice when it runs again' {
        $apps = (Get-SandboxState $info.tenantId).applications.Count
        $result = Invoke-WithDeviceCode -User $info.adminUser -Arguments (@{ TenantId = $info.tenantId } + $sandboxParameters) -Command {
            param($p)
            Register-CasAdminApp @p -UseDeviceCode -Confirm:$false
        }
        $result.Errors | Should -BeNullOrEmpty
        $result.Output[0].Created | Should -BeFalse
        $result.Output[0].AppId | Should -Be $registered.AppId
        (Get-SandboxState $info.tenantId).applications.Count | Should -Be $apps
        @((Get-Content -Raw -LiteralPath $configFile | ConvertFrom-Json).apps).Count | Should -Be 1
    }

    It 'uses CASADMIN_CLIENT_ID for a tenant without a registered app' {
        $other = $sandboxInfo | Where-Object tenantId -EQ $sandbox.Tenants[1].TenantId
        $env:CASADMIN_CLIENT_ID = $other.apps.public.appId
        try {
            $result = Invoke-WithDeviceCode -User $other.adminUser -Arguments (@{ TenantId = $other.domain } + $sandboxParameters) -Command {
                param($p)
                Connect-CasTenant @p -UseDeviceCode -StorePath (Join-Path ([IO.Path]::GetTempPath()) "casadmin-first-$([guid]::NewGuid().ToString('n')).db")
            }
        }
        finally {
            $env:CASADMIN_CLIENT_ID = $null
        }
        $result.Errors | Should -BeNullOrEmpty
        $result.Output[0].AppId | Should -Be $other.apps.public.appId
    }
}
