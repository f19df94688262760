#Requires -Version 7.4
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
<#
    Pester 5: the OS keyring for real. On Linux, CasAdmin keeps secrets in the Secret Service keyring through the
    libsecret path of MSAL's storage (Microsoft.Identity.Client.Extensions.Msal). Each case runs child pwsh sessions
    inside a private D-Bus session (dbus-run-session) with a GNOME Keyring of its own (its files under the case's
    XDG_DATA_HOME, its sockets under the case's XDG_RUNTIME_DIR, so that a desktop's own keyring is never touched):

    - unlocked: save (New-CasTeamsChatAccount), read in a new session (New-CasAccessToken with no -ClientSecret), -Rotate,
      Change App and removal, each leaving exactly the entry the registry names; an account removed by another machine
      leaves its entry, which Get-CasStoredSecret -Unreferenced lists and Remove-CasStoredSecret deletes;
    - locked (the daemon runs, its collection is not unlocked) and absent (no D-Bus session): the secret stays in the
      session with the warning.

    CI (CI=true, .ci/run installs gnome-keyring and dbus) fails these tests when the keyring cannot start; elsewhere
    they are skipped without it. DPAPI (Windows) and the Keychain (macOS) are not tested here.
#>

BeforeDiscovery {
    $tools = @('dbus-run-session', 'gnome-keyring-daemon' | Where-Object { -not (Get-Command $_ -CommandType Application -ErrorAction SilentlyContinue) })
    $skipReason = if (-not $IsLinux) {
        'the Secret Service keyring is Linux''s; DPAPI and the Keychain are not tested here'
    }
    elseif ($tools.Count -gt 0 -and $env:CI -ne 'true') {
        "$($tools -join ' and ') not installed (apt-get install gnome-keyring dbus; .ci/run installs them)"
    }
    $skip = [bool]$skipReason
    if ($skip) {
        Write-Host "Keyring tests skipped: $skipReason"
    }
}

BeforeAll {
    . $PSScriptRoot/TestHelpers.ps1
    Import-TestModule
    $missing = @('dbus-run-session', 'gnome-keyring-daemon' | Where-Object { -not (Get-Command $_ -CommandType Application -ErrorAction SilentlyContinue) })
    if ($IsLinux -and $missing.Count -gt 0) {
        # Only reached in CI (elsewhere the tests are skipped): a missing keyring fails, it is never skipped.
        throw "The keyring tests need $($missing -join ' and ') (apt-get install gnome-keyring dbus libsecret-1-0); .ci/run installs them."
    }
    Start-TestSandbox -NoConnect
    $tenant = $sandbox.Tenants[0]
    $sandboxJson = [ordered]@{
        Url = "$($sandbox.Url)"; Thumbprint = $sandbox.Thumbprint; TenantId = $tenant.TenantId; AdminAppId = $tenant.AdminAppId
        AdminAppSecret = [System.Net.NetworkCredential]::new('', $tenant.AdminAppSecret).Password
    } | ConvertTo-Json -Compress
    $steps = Join-Path $PSScriptRoot 'KeyringSteps.ps1'

    # Starts the sh script below inside dbus-run-session: the keyring daemon (unlocked with a password on stdin, or
    # only started, so its collection stays locked), then each step in a child pwsh of its own. A step written
    # "<Step>:nobus" runs without the D-Bus session, as another machine without a keyring would.
    $driver = @'
set -e
if [ "$CASADMIN_TEST_KEYRING" = unlocked ]; then
  printf '%s' "$CASADMIN_TEST_KEYRING_PASSWORD" | gnome-keyring-daemon --unlock --components=secrets >/dev/null
else
  gnome-keyring-daemon --start --components=secrets >/dev/null
fi
for step in $CASADMIN_TEST_STEPS; do
  case "$step" in
    *:nobus) env -u DBUS_SESSION_BUS_ADDRESS "$@" -Step "${step%:nobus}" ;;
    *) "$@" -Step "$step" ;;
  esac
done
'@

    # Runs the steps of one case ('unlocked', 'locked' or 'absent') and returns each step's JSON result by name.
    function Invoke-KeyringCase([string] $Keyring, [string[]] $Step) {
        $case = Join-Path $TestRoot "keyring-$Keyring-$([guid]::NewGuid().ToString('n').Substring(0, 6))"
        $runtime = Join-Path $case 'run'
        $null = New-Item -ItemType Directory -Force -Path (Join-Path $case 'data'), $runtime
        # gnome-keyring refuses a runtime folder that others may read.
        [System.IO.File]::SetUnixFileMode($runtime, [System.IO.UnixFileMode]'UserRead, UserWrite, UserExecute')
        $pwsh = @(Get-TestPwsh) + @('-NoProfile', '-NonInteractive', '-File', $steps)
        $command = if ($Keyring -eq 'absent') {
            @('sh', '-c', 'for step in $CASADMIN_TEST_STEPS; do "$@" -Step "$step" || exit 1; done', 'sh') + $pwsh
        }
        else {
            @('dbus-run-session', '--', 'sh', '-c', $driver, 'sh') + $pwsh
        }
        $psi = [System.Diagnostics.ProcessStartInfo]::new($command[0])
        foreach ($argument in $command | Select-Object -Skip 1) {
            $psi.ArgumentList.Add($argument)
        }
        $psi.UseShellExecute = $false
        $psi.RedirectStandardOutput = $true
        $psi.RedirectStandardError = $true
        $psi.WorkingDirectory = $case
        $psi.Environment['PSModulePath'] = (Join-Path $RepoRoot 'out') + [System.IO.Path]::PathSeparator + $env:PSModulePath
        $psi.Environment['NO_COLOR'] = '1'
        $psi.Environment['XDG_DATA_HOME'] = Join-Path $case 'data'
        $psi.Environment['XDG_RUNTIME_DIR'] = $runtime
        $psi.Environment['CASADMIN_STORE'] = Join-Path $case 'registry.db'
        $psi.Environment['CASADMIN_TEST_STATE'] = Join-Path $case 'state.json'
        $psi.Environment['CASADMIN_TEST_SANDBOX'] = $sandboxJson
        $psi.Environment['CASADMIN_TEST_KEYRING'] = $Keyring
        $psi.Environment['CASADMIN_TEST_KEYRING_PASSWORD'] = [guid]::NewGuid().ToString('n')
        $psi.Environment['CASADMIN_TEST_STEPS'] = $Step -join ' '
        # No session bus and no display to autolaunch one: "absent" means absent, whatever the machine runs.
        $null = $psi.Environment.Remove('DISPLAY')
        $null = $psi.Environment.Remove('DBUS_SESSION_BUS_ADDRESS')
        $process = [System.Diagnostics.Process]::Start($psi)
        try {
            $stdout = $process.StandardOutput.ReadToEndAsync()
            $stderr = $process.StandardError.ReadToEndAsync()
            if (-not $process.WaitForExit(600000)) {
                $process.Kill($true)
                throw "The keyring case '$Keyring' did not finish within 10 minutes."
            }
            $process.WaitForExit()
            $text = $stdout.Result
            $process.ExitCode | Should -Be 0 -Because "every step of the '$Keyring' case must succeed: $text $($stderr.Result)"
        }
        finally {
            $process.Dispose()
        }
        $results = @{}
        foreach ($line in $text -split '\r?\n' | Where-Object { $_.StartsWith('{"Step"') }) {
            $parsed = $line | ConvertFrom-Json
            $results[$parsed.Step] = $parsed
        }
        foreach ($name in $Step -replace ':nobus$') {
            $results[$name] | Should -Not -BeNullOrEmpty -Because "step $name of the '$Keyring' case writes its result: $text $($stderr.Result)"
        }
        $results
    }
}

AfterAll {
    Stop-TestSandbox
}

Describe 'The Secret Service keyring, unlocked' -Skip:$skip {
    BeforeAll {
        $run = Invoke-KeyringCase unlocked 'Provision', 'Use', 'Remove'
        $provision = $run.Provision
        $use = $run.Use
        $remove = $run.Remove
    }

    It 'saves the secret in the keyring: one referenced entry, an empty index file, the value in no file' {
        $provision.SecretStored | Should -BeTrue
        $provision.Warnings | Should -Not -BeLike '*this PowerShell session only*'
        $provision.Stored.Entries | Should -HaveCount 1
        $provision.Stored.Entries[0].Referenced | Should -BeTrue
        $provision.Stored.Entries[0].AccountId | Should -Be $provision.AccountId
        # MSAL's libsecret storage keeps only an empty file beside the keyring item (DPAPI would write the protected bytes).
        $provision.IndexFiles | Should -HaveCount 1
        $provision.IndexFiles[0].Length | Should -Be 0
        $provision.IndexFiles[0].Name | Should -Be "secret-$($provision.Stored.Entries[0].Reference).bin"
        $provision.KeyringFiles | Should -BeGreaterThan 0 -Because 'gnome-keyring writes the login keyring under XDG_DATA_HOME/keyrings'
        $provision.SecretInFiles | Should -BeFalse
    }

    It 'reads it back in a new session, with no -ClientSecret' {
        $use.TokenRoles | Should -Be 5
        $use.Before.Reference | Should -Be $provision.Stored.Entries[0].Reference
    }

    It 'Remove-CasStoredSecret refuses the entry an account names' {
        $use.InUseError | Should -BeLike 'StoredSecretInUse,*'
        $use.AfterRefusal | Should -Be 1
    }

    It '-Rotate keeps the new secret under a new reference and deletes the old entry' {
        $use.RotatedKey | Should -Not -BeNullOrEmpty
        $use.AfterRotate | Should -HaveCount 1
        $use.AfterRotate[0].Reference | Should -Not -Be $provision.Stored.Entries[0].Reference
        $use.AfterRotate[0].Referenced | Should -BeTrue
    }

    It 'Change App keeps the new app''s secret under a new reference, deletes the old entry, and a new session reads it' {
        $use.ChangedApp | Should -BeTrue
        $use.SecretStored | Should -BeTrue
        $use.AfterChange | Should -HaveCount 1
        $use.AfterChange[0].Reference | Should -Not -Be $use.AfterRotate[0].Reference
        $use.AfterChange[0].Referenced | Should -BeTrue
        $use.SecretInFiles | Should -BeFalse
        $remove.TokenRoles | Should -Be 5
    }

    It 'removal deletes the entry from the keyring' {
        $remove.JobStatus | Should -Be 'Succeeded'
        $remove.After | Should -HaveCount 0
    }
}

Describe 'Stored secrets that no account names' -Skip:$skip {
    BeforeAll {
        $run = Invoke-KeyringCase unlocked 'Provision', 'RemoveElsewhere:nobus', 'Sweep'
    }

    It 'a removal on a machine without the entry says where to delete it' {
        $run.RemoveElsewhere.JobStatus | Should -Be 'Succeeded'
        $run.RemoveElsewhere.LocalDataDetail | Should -BeLike "*not in this machine's vault*Get-CasStoredSecret -Unreferenced | Remove-CasStoredSecret*"
    }

    It 'Get-CasStoredSecret -Unreferenced lists the leftover; Remove-CasStoredSecret -WhatIf keeps it; piped, it is deleted' {
        $run.Sweep.Unreferenced | Should -HaveCount 1
        $run.Sweep.Unreferenced[0].Reference | Should -Be $run.Provision.Stored.Entries[0].Reference
        $run.Sweep.Unreferenced[0].Referenced | Should -BeFalse
        $run.Sweep.AfterWhatIf | Should -HaveCount 1
        $run.Sweep.AfterRemove | Should -HaveCount 0
        $run.Sweep.BadReferenceError | Should -BeLike 'InvalidArgument,*'
    }
}

Describe 'Without a usable keyring, the secret stays in the session with the warning' -Skip:$skip -ForEach @(
    @{ Keyring = 'locked' }
    @{ Keyring = 'absent' }
) {
    BeforeAll {
        $fallback = (Invoke-KeyringCase $Keyring 'Fallback').Fallback
    }

    It '<Keyring>: warns, records no stored secret, and the session still signs in with it' {
        $fallback.SecretStored | Should -BeFalse
        $fallback.Warnings | Should -BeLike '*this PowerShell session only*'
        $fallback.TokenRoles | Should -Be 5
        $fallback.IndexFiles | Should -Be 0
    }

    It '<Keyring>: Get-CasStoredSecret says there is no protected storage and lists nothing' {
        $fallback.Stored.Entries | Should -HaveCount 0
        $fallback.Stored.Warning | Should -BeLike '*no protected storage*'
    }
}
