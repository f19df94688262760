#Requires -Version 7.4
#Requires -Modules CasAdmin
<#
.SYNOPSIS
    Azure Automation runbook: keeps Teams Chat protected in every tenant by renewing the chat-message subscriptions
    of every Teams Chat account before they expire, on a schedule.

.DESCRIPTION
    Microsoft Graph keeps a chat-message subscription at most 4,320 minutes (60 without a lifecycle URL) and says
    nothing when it simply expires. Schedule this runbook more often than -RenewWithin (for example every 12 hours
    with the default of one day): for every Teams Chat account of the registry it runs Update-CasTeamsChatSubscription,
    which renews what expires soon, recreates what expired or what Graph removed, and changes nothing that is current.

    Each tenant is signed in to with the Automation account's managed identity; when that fails (no identity, another
    tenant, not consented), with a certificate (-ClientId and -CertificateThumbprint, or the Automation variables
    CasAdminClientId and CasAdminCertificateThumbprint: a multitenant app consented in every tenant), and finally with
    a credential of that tenant (-Credential, or the Automation credential CasAdminAppSecret-<tenant ID>, else
    CasAdminAppSecret: user name = the app's client ID, password = its client secret). The connection only locates
    the tenant and the registry; the renewal itself runs as each account's own Teams Chat app, whose secret comes
    from -AppCredential, else the Automation credential CasAdminTeamsChat-<app ID>, else the secret stored on this
    machine.

    Errors are collected, not fatal: every tenant and account is tried, each error is reported with its stable error
    ID and recommended action, and the runbook throws at the end when any failed, so the Automation job ends Failed.
    A rerun is safe: renewal is idempotent.

    Against the sandbox (no Azure needed):
        $sandbox, $connections = Start-CasSandbox -Connect -StorePath ./renew.db
        # ... provision Teams Chat accounts with -NotificationUrl ...
        $tenant = $sandbox.Tenants[0]
        ./samples/Runbook-RenewTeamsChatSubscriptions.ps1 -StorePath ./renew.db `
            -Credential @{ $tenant.TenantId = [pscredential]::new($tenant.AdminAppId, $tenant.AdminAppSecret) } `
            -SandboxUrl $sandbox.Url -SandboxThumbprint $sandbox.Thumbprint

.PARAMETER TenantId
    Only these tenants (IDs or verified domains). Default: every tenant with a Teams Chat account in the registry.

.PARAMETER RenewWithin
    Renews the subscriptions that expire within this time (a TimeSpan or a number of days). Default: 1 day.

.PARAMETER ManagedIdentityClientId
    The client ID of a user-assigned managed identity. Default: the system-assigned identity.

.PARAMETER ClientId
    The app (client) ID for the certificate sign-in. Default: the Automation variable CasAdminClientId.

.PARAMETER CertificateThumbprint
    The thumbprint of the app's certificate in the certificate store. Default: the Automation variable
    CasAdminCertificateThumbprint.

.PARAMETER Credential
    Last resort for signing in: a hashtable of tenant ID => PSCredential (user name = the app's client ID, password =
    its client secret). Default: the Automation credentials CasAdminAppSecret-<tenant ID>, else CasAdminAppSecret.

.PARAMETER AppCredential
    The Teams Chat apps' secrets: a hashtable of app ID => PSCredential (password = the secret) or SecureString.
    Default: the Automation credentials CasAdminTeamsChat-<app ID>, else the secret stored on this machine.

.PARAMETER StorePath
    The registry file. Default: CASADMIN_STORE, else the user data folder (use a shared path, or the PostgreSQL
    registry, when the accounts were provisioned elsewhere).

.PARAMETER SandboxUrl
    Runs against the CasAdmin sandbox at this URL (with -SandboxThumbprint) instead of Microsoft 365.

.PARAMETER SandboxThumbprint
    The sandbox's certificate thumbprint.
#>
[CmdletBinding()]
param(
    [string[]] $TenantId,

    [timespan] $RenewWithin = [timespan]::FromDays(1),

    [string] $ManagedIdentityClientId,

    [string] $ClientId,

    [string] $CertificateThumbprint,

    [hashtable] $Credential = @{},

    [hashtable] $AppCredential = @{},

    [string] $StorePath,

    [uri] $SandboxUrl,

    [string] $SandboxThumbprint
)

Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'
# Runbooks have no console: progress records only slow the job stream down.
$ProgressPreference = 'SilentlyContinue'

# An Automation asset, or $null outside Azure Automation (the cmdlets exist only there).
function Get-AutomationAsset([string] $Name, [switch] $Credential) {
    $command = if ($Credential) { 'Get-AutomationPSCredential' } else { 'Get-AutomationVariable' }
    if (-not (Get-Command $command -ErrorAction SilentlyContinue)) {
        return $null
    }
    try {
        & $command -Name $Name
    }
    catch {
        Write-Verbose "Automation asset '$Name' is not available: $($_.Exception.Message)"
        $null
    }
}

# A hashtable entry by key, whatever the key's case (tenant and app IDs are GUIDs, written either way).
function Find-Entry([hashtable] $Table, [string] $Key) {
    foreach ($k in $Table.Keys) {
        if ([string]::Equals("$k", $Key, [System.StringComparison]::OrdinalIgnoreCase)) {
            return $Table[$k]
        }
    }
    $null
}

# 1. Managed identity, 2. certificate, 3. the tenant's credential. Returns the connection and how it signed in, or
# $null with the reasons when none works (the caller writes the messages: a function's output is its return value).
function Connect-RunbookTenant([string] $Tenant, [hashtable] $Common, [System.Collections.Generic.List[string]] $Reasons) {
    try {
        $identity = @{}
        if ($ManagedIdentityClientId) {
            $identity.ClientId = $ManagedIdentityClientId
        }
        $connection = Connect-CasTenant -TenantId $Tenant -ManagedIdentity @identity @Common
        return [pscustomobject]@{ Connection = $connection; Message = "Signed in with the managed identity to $($connection.TenantDomain)." }
    }
    catch {
        $Reasons.Add("Managed identity: $($_.Exception.Message)")
    }

    if ($script:CertificateThumbprint -and $script:ClientId) {
        try {
            $connection = Connect-CasTenant -TenantId $Tenant -ClientId $script:ClientId -CertificateThumbprint $script:CertificateThumbprint @Common
            return [pscustomobject]@{ Connection = $connection; Message = "Signed in with certificate $($script:CertificateThumbprint) to $($connection.TenantDomain)." }
        }
        catch {
            $Reasons.Add("Certificate: $($_.Exception.Message)")
        }
    }

    $secret = Find-Entry $Credential $Tenant
    if (-not $secret) {
        $secret = Get-AutomationAsset "CasAdminAppSecret-$Tenant" -Credential
    }
    if (-not $secret) {
        $secret = Get-AutomationAsset 'CasAdminAppSecret' -Credential
    }
    if ($secret) {
        try {
            $connection = Connect-CasTenant -TenantId $Tenant -ClientId $secret.UserName -ClientSecret $secret.Password @Common
            return [pscustomobject]@{ Connection = $connection; Message = "Signed in with the client secret of app $($secret.UserName) to $($connection.TenantDomain)." }
        }
        catch {
            $Reasons.Add("Client secret: $($_.Exception.Message)")
        }
    }
    $null
}

if (-not $CertificateThumbprint) {
    $CertificateThumbprint = Get-AutomationAsset 'CasAdminCertificateThumbprint'
}
if (-not $ClientId) {
    $ClientId = Get-AutomationAsset 'CasAdminClientId'
}

$registry = @{}
if ($StorePath) {
    $registry.StorePath = $StorePath
}
$common = @{} + $registry
if ($SandboxUrl) {
    $common.Environment = 'Sandbox'
    $common.SandboxUrl = $SandboxUrl
    $common.SandboxThumbprint = $SandboxThumbprint
}

# Legacy accounts run on the vendor's app: there is nothing of theirs to renew.
$accounts = @(Get-CasServiceAccount -Service TeamsChat @registry | Where-Object { -not $_.IsLegacy -and $_.Status -ne 'Removed' })
if ($TenantId) {
    $accounts = @($accounts | Where-Object { $_.TenantId -in $TenantId -or $_.TenantDomain -in $TenantId })
}
$tenants = @($accounts | Group-Object TenantId)
Write-Output "Renewing the chat-message subscriptions of $($accounts.Count) Teams Chat account(s) in $($tenants.Count) tenant(s)."

$failures = [System.Collections.Generic.List[string]]::new()
$results = [System.Collections.Generic.List[object]]::new()
foreach ($tenant in $tenants) {
    $reasons = [System.Collections.Generic.List[string]]::new()
    $signIn = Connect-RunbookTenant $tenant.Name $common $reasons
    if (-not $signIn) {
        $failures.Add("FAILED tenant $($tenant.Name): could not sign in. $($reasons -join ' ')")
        continue
    }
    Write-Output $signIn.Message
    $connection = $signIn.Connection

    try {
        foreach ($account in $tenant.Group) {
            $secret = Find-Entry $AppCredential $account.AppId
            if (-not $secret) {
                $secret = Get-AutomationAsset "CasAdminTeamsChat-$($account.AppId)" -Credential
            }
            $app = @{}
            if ($secret) {
                $app.ClientSecret = if ($secret -is [pscredential]) { $secret.Password } else { $secret }
            }

            $renewErrors = $null
            $renewed = @(Update-CasTeamsChatSubscription -Connection $connection -AccountId $account.AccountId -RenewWithin $RenewWithin @app `
                    -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable renewErrors)
            foreach ($r in $renewed) {
                $results.Add($r)
            }
            foreach ($err in @($renewErrors)) {
                # FullyQualifiedErrorId starts with the stable error ID (ProtectedApiNotApproved, SecretNotAvailable...).
                $failures.Add("FAILED account $($account.AccountId) of $($account.TenantDomain ?? $account.TenantId): $($err.FullyQualifiedErrorId): $($err.Exception.Message) $($err.ErrorDetails.RecommendedAction)")
            }
        }
    }
    finally {
        Disconnect-CasTenant -Connection $connection -Confirm:$false
    }
}

if ($results.Count -gt 0) {
    $results | Format-Table -Property TenantId, SubscriptionId, Action, ExpiresOn, Reason -AutoSize | Out-String -Width 200 | Write-Output
}
foreach ($failure in $failures) {
    Write-Output $failure
}

$summary = [pscustomobject]@{
    Tenants   = $tenants.Count
    Accounts  = $accounts.Count
    Unchanged = @($results | Where-Object Action -EQ 'Unchanged').Count
    Renewed   = @($results | Where-Object Action -EQ 'Renewed').Count
    Recreated = @($results | Where-Object Action -In 'Recreated', 'Adopted').Count
    Errors    = $failures.Count
}
Write-Output $summary
if ($failures.Count -gt 0) {
    # Throwing marks the Automation job Failed (and gives pwsh -File a non-zero exit code); a rerun is safe.
    throw "$($failures.Count) tenant(s) or account(s) could not be renewed; see the FAILED lines above."
}
