<#
    One step of Keyring.Tests.ps1, run in a child pwsh of its own (a new session, so that nothing but the OS store can
    carry a secret from one step to the next), inside the D-Bus session and keyring that the test set up, or outside
    any. Connects to the sandbox of the parent test (CASADMIN_TEST_SANDBOX), uses the registry CASADMIN_STORE, and keeps
    what the next step needs in the state file CASADMIN_TEST_STATE. Writes one JSON line: what it saw, never a secret.
#>
param(
    [Parameter(Mandatory)]
    [ValidateSet('Provision', 'Use', 'Remove', 'RemoveElsewhere', 'Sweep', 'Fallback')]
    [string] $Step
)

$ErrorActionPreference = 'Stop'
Import-Module CasAdmin
$info = $env:CASADMIN_TEST_SANDBOX | ConvertFrom-Json
$adminSecret = ConvertTo-SecureString $info.AdminAppSecret -AsPlainText -Force
$null = Connect-CasTenant -TenantId $info.TenantId -ClientId $info.AdminAppId -ClientSecret $adminSecret -Environment Sandbox `
    -SandboxUrl $info.Url -SandboxThumbprint $info.Thumbprint -StorePath $env:CASADMIN_STORE
$statePath = $env:CASADMIN_TEST_STATE
$state = if (Test-Path -LiteralPath $statePath) { Get-Content -Raw -LiteralPath $statePath | ConvertFrom-Json -AsHashtable } else { @{} }
$vaultIndex = Join-Path $env:XDG_DATA_HOME 'casadmin/secrets'
$result = [ordered]@{ Step = $Step }

# This machine's entries as Get-CasStoredSecret lists them (reference, whether an account names it, which one).
function Get-Stored([switch] $Unreferenced) {
    $warnings = $null
    $stored = @(Get-CasStoredSecret -Unreferenced:$Unreferenced -WarningVariable warnings -WarningAction SilentlyContinue |
            ForEach-Object { [ordered]@{ Reference = $_.Reference; Referenced = $_.Referenced; AccountId = "$($_.AccountId)"; ComputerName = $_.ComputerName } })
    [ordered]@{ Entries = $stored; Warning = "$warnings" }
}

# True when a secret's value is in any file under the test's data folder (the vault index, the keyring files).
function Test-SecretInFiles([securestring] $Secret) {
    $value = [System.Net.NetworkCredential]::new('', $Secret).Password
    # Latin-1 maps every byte to one character, so the value is found as UTF-8 and, with its NULs, as UTF-16.
    $utf16 = [System.Text.Encoding]::Latin1.GetString([System.Text.Encoding]::Unicode.GetBytes($value))
    $hit = $false
    foreach ($file in Get-ChildItem -LiteralPath $env:XDG_DATA_HOME -Recurse -File -ErrorAction SilentlyContinue) {
        $text = [System.Text.Encoding]::Latin1.GetString([System.IO.File]::ReadAllBytes($file.FullName))
        if ($text.Contains($value, [System.StringComparison]::Ordinal) -or $text.Contains($utf16, [System.StringComparison]::Ordinal)) {
            $hit = $true
        }
    }
    $hit
}

function New-TestApp {
    New-CasTeamsChatApp -ConsoleUrl https://admin.cas.example.com -DisplayName "CasAdmin keyring $([guid]::NewGuid().ToString('n').Substring(0, 8))" `
        -GrantAdminConsent -Confirm:$false -WarningAction SilentlyContinue
}

switch ($Step) {
    'Provision' {
        # Save: the secret New-CasTeamsChatAccount is given goes to the keyring.
        $app = New-TestApp
        $warnings = $null
        $account = $app | New-CasTeamsChatAccount -LicensingModel Evaluation -SkipInventory -Confirm:$false -WarningVariable warnings -WarningAction SilentlyContinue
        $state.AccountId = "$($account.AccountId)"
        $result.AccountId = $state.AccountId
        $result.SecretStored = $account.SecretStored
        $result.Warnings = "$warnings"
        $result.Stored = Get-Stored
        $result.IndexFiles = @(Get-ChildItem -LiteralPath $vaultIndex -Filter 'secret-*.bin' | ForEach-Object { [ordered]@{ Name = $_.Name; Length = $_.Length } })
        $result.KeyringFiles = @(Get-ChildItem -LiteralPath (Join-Path $env:XDG_DATA_HOME 'keyrings') -Filter '*.keyring' -ErrorAction SilentlyContinue).Count
        $result.SecretInFiles = Test-SecretInFiles $app.Secret
    }
    'Use' {
        # Read in a new session: no -ClientSecret, so only the keyring can supply it.
        $id = [guid]$state.AccountId
        $result.TokenRoles = @((New-CasAccessToken -AccountId $id -Confirm:$false).Roles).Count
        $before = (Get-Stored).Entries
        # The account's own entry is refused: it is the only copy of the secret in use.
        try {
            Remove-CasStoredSecret -Reference $before[0].Reference -Confirm:$false -ErrorAction Stop
        }
        catch {
            $result.InUseError = $_.FullyQualifiedErrorId
        }
        $result.AfterRefusal = @((Get-Stored).Entries).Count
        # -Rotate: a new secret under a new reference; the old entry goes once the registry has it.
        $rotated = Update-CasServiceAccountSecret -AccountId $id -Rotate -Force -Confirm:$false -WarningAction SilentlyContinue
        $afterRotate = (Get-Stored).Entries
        # Change App: the new app's secret under a new reference; the old app's entry goes after the record.
        $app = New-TestApp
        $changed = Set-CasServiceAccountApp -AccountId $id -AppId $app.AppId -ClientSecret $app.Secret -Confirm:$false -WarningAction SilentlyContinue
        $afterChange = (Get-Stored).Entries
        $result.Before = $before
        $result.AfterRotate = $afterRotate
        $result.AfterChange = $afterChange
        $result.RotatedKey = "$($rotated.SecretKeyId)"
        $result.ChangedApp = $changed.AppId -eq $app.AppId
        $result.SecretStored = $changed.SecretStored
        $result.SecretInFiles = Test-SecretInFiles $app.Secret
    }
    'Remove' {
        # Read the Change App secret in yet another session, then removal deletes the entry.
        $id = [guid]$state.AccountId
        $result.TokenRoles = @((New-CasAccessToken -AccountId $id -Confirm:$false).Roles).Count
        $job = Remove-CasServiceAccount -AccountId $id -RemoveApp -Confirm:$false
        $result.JobStatus = "$($job.Status)"
        $result.After = (Get-Stored).Entries
    }
    'RemoveElsewhere' {
        # Another machine (no keyring here) removes the account: its entry stays in the first machine's keyring.
        $job = Remove-CasServiceAccount -AccountId ([guid]$state.AccountId) -RemoveApp -Confirm:$false
        $result.JobStatus = "$($job.Status)"
        $result.LocalDataDetail = "$(($job.Steps | Where-Object Name -EQ "Remove CasAdmin's data for the account").Detail)"
    }
    'Sweep' {
        $result.Unreferenced = (Get-Stored -Unreferenced).Entries
        Get-CasStoredSecret -Unreferenced | Remove-CasStoredSecret -WhatIf
        $result.AfterWhatIf = (Get-Stored -Unreferenced).Entries
        Get-CasStoredSecret -Unreferenced | Remove-CasStoredSecret -Confirm:$false
        $result.AfterRemove = (Get-Stored).Entries
        try {
            Remove-CasStoredSecret -Reference 'not-a-reference' -Confirm:$false -ErrorAction Stop
        }
        catch {
            $result.BadReferenceError = $_.FullyQualifiedErrorId
        }
    }
    'Fallback' {
        # No keyring (absent or locked): the secret stays in the session, with the warning, and still works here.
        $app = New-TestApp
        $warnings = $null
        $account = $app | New-CasTeamsChatAccount -LicensingModel Evaluation -SkipInventory -Confirm:$false -WarningVariable warnings -WarningAction SilentlyContinue
        $result.SecretStored = $account.SecretStored
        $result.Warnings = "$warnings"
        $result.TokenRoles = @((New-CasAccessToken -AccountId $account.AccountId -Confirm:$false).Roles).Count
        $result.Stored = Get-Stored
        $result.IndexFiles = @(Get-ChildItem -LiteralPath $vaultIndex -Filter 'secret-*.bin' -ErrorAction SilentlyContinue).Count
    }
}

$state | ConvertTo-Json -Depth 5 | Set-Content -LiteralPath $statePath
$result | ConvertTo-Json -Depth 6 -Compress
