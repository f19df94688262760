#Requires -Version 7.4
<#
.SYNOPSIS
    An interactive walkthrough of CasAdmin against the sandbox: Teams Chat provisioning, licensing, health,
    discovery, registration, removal with its details, the remaining changes.

.DESCRIPTION
    Starts the Microsoft 365 sandbox that ships with the module and connects to its two tenants (contoso is the
    default connection), then:
      1. registers contoso's own Teams Chat app and provisions the Teams Chat service account with it;
      2. changes the account's licensing model to A and tests the account's health;
      3. finds the service accounts that already exist in fabrikam, registers them, shows what their removal would
         do (-WhatIf), and removes them together with contoso's Teams Chat account;
      4. shows the removal jobs with every step (Format-List) and what stayed in the tenants;
      5. stops the sandbox.
    Each step waits for Enter, and the cmdlets ask their usual confirmations (Exchange Online twice). With
    -NonInteractive the walkthrough runs straight through: no pauses, no confirmations (-Confirm:$false, -Force).
    Nothing outside the sandbox is touched: its connections use a registry of their own in the temporary folder.

.PARAMETER NonInteractive
    Runs without pauses and confirmations, for a quick check that every step works.

.EXAMPLE
    ./samples/Walkthrough.ps1

.EXAMPLE
    ./samples/Walkthrough.ps1 -NonInteractive -InformationAction Continue
#>
[CmdletBinding()]
param(
    [switch] $NonInteractive
)

Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'

# The installed module, else the one this checkout built (out/CasAdmin/<version>/).
if (-not (Get-Module CasAdmin)) {
    if (Get-Module CasAdmin -ListAvailable) {
        Import-Module CasAdmin
    }
    else {
        $repo = Split-Path -Parent $PSScriptRoot
        $manifest = Get-ChildItem -Path (Join-Path $repo 'out/CasAdmin') -Filter CasAdmin.psd1 -Recurse -ErrorAction SilentlyContinue |
            Sort-Object { [version]$_.Directory.Name } -Descending | Select-Object -First 1
        if (-not $manifest) {
            throw "CasAdmin is neither installed nor built here: run 'dotnet build CasAdmin.sln -c Release' first."
        }
        Import-Module $manifest.FullName
    }
}

if ($NonInteractive) {
    # Answers every ShouldProcess question of the CasAdmin cmdlets in this script with yes.
    $PSDefaultParameterValues['*-Cas*:Confirm'] = $false
}

function Step([string] $Title) {
    Write-Host ''
    Write-Host "== $Title" -ForegroundColor Cyan
    if (-not $NonInteractive) {
        $null = Read-Host 'Press Enter to continue'
    }
}

Step 'Start the sandbox and connect to its tenants'
$sandbox, $connections = Start-CasSandbox -Connect -Confirm:$false
$sandbox | Format-Table
$connections | Format-Table
$contoso = $connections | Where-Object TenantDomain -Like 'contoso*'
$fabrikam = $connections | Where-Object TenantDomain -Like 'fabrikam*'

try {
    Step "Register contoso's own Teams Chat app and provision the Teams Chat service account"
    # Entra ID (and the sandbox, by default) replicates a new app, its secret and consent after a delay: the two
    # commands wait for it, in the progress bar and, with -Verbose, line by line ("Waiting for Entra ID to replicate…").
    $app = New-CasTeamsChatApp -Connection $contoso -ConsoleUrl 'https://admin.cas.example.com' -GrantAdminConsent -Verbose
    $app | Format-List
    $account = $app | New-CasTeamsChatAccount -Connection $contoso -LicensingModel Evaluation -Verbose
    $account | Format-Table
    Get-CasNotification -AccountId $account.AccountId | Format-Table

    Step 'Change the licensing model to A (contoso has a licence with Microsoft Communications DLP)'
    $account = $account | Set-CasLicensingModel -LicensingModel A
    $account | Format-Table

    Step 'Test the health of the account'
    $account | Test-CasServiceAccount | Format-Table

    Step 'Find the service accounts that already exist in fabrikam'
    $candidates = Find-CasServiceAccount -Connection $fabrikam
    $candidates | Format-Table
    # The principals that are service accounts (Service set) and not in the registry yet.
    $candidates = $candidates | Where-Object Service | Where-Object Registered -EQ $false

    Step 'Register them in the registry (nothing changes in the tenant)'
    $registered = $candidates | Register-CasServiceAccount
    $registered | Format-Table

    Step 'What would removing them, and the Teams Chat account of contoso, do? (-WhatIf)'
    $toRemove = @($registered) + @($account)
    $toRemove | Remove-CasServiceAccount -WhatIf -RemoveApp

    Step 'Remove them: confirm each one (Exchange Online asks twice); progress shows every job'
    $jobs = $toRemove | Remove-CasServiceAccount -RemoveApp -Force:$NonInteractive -ThrottleLimit 4 -ErrorAction Continue
    $jobs | Format-Table

    Step 'The details of each removal: every step, its status and duration, the remaining changes'
    Get-CasRemovalJob | Format-List
    Get-CasRemovalJob | Select-Object -First 1 -ExpandProperty Steps | Format-Table

    Step 'What stayed in the tenants, with the command or page that removes it'
    Get-CasCleanupItem | Format-Table
    Get-CasCleanupItem | Select-Object -First 3 | Format-List
}
finally {
    Step 'Stop the sandbox (its connections close with it)'
    $sandbox | Stop-CasSandbox -Confirm:$false
}
