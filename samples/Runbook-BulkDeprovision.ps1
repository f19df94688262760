#Requires -Version 7.4
#Requires -Modules CasAdmin
<#
.SYNOPSIS
    Azure Automation runbook: removes the service accounts of one tenant, unattended, and fails the job when a
    removal fails.

.DESCRIPTION
    Signs in with the Automation account's managed identity; when that fails (no identity, or not consented), with
    a certificate (the thumbprint from -CertificateThumbprint or the Automation variable CasAdminCertificateThumbprint),
    and finally with an Automation credential (user name = the app's client ID, password = its client secret).
    Optionally finds and registers the accounts provisioned elsewhere first (-Discover), then removes every
    account of the tenant (or of -Service) with -Force -Confirm:$false, -ThrottleLimit jobs at a time. Removal
    errors are collected, not fatal; the runbook reports each job and each error and throws at the end when any
    removal failed, so the Automation job ends Failed. A rerun resumes the jobs that did not finish.

    The identity needs Application.ReadWrite.All, AppRoleAssignment.ReadWrite.All,
    DelegatedPermissionGrant.ReadWrite.All and Group.ReadWrite.All (Microsoft Graph application permissions), and
    User.ReadWrite.All with -RemoveDelegateAccount.

    Against the sandbox (no Azure needed):
        $sandbox = Start-CasSandbox
        $tenant = $sandbox.Tenants[0]
        $credential = [pscredential]::new($tenant.AdminAppId, $tenant.AdminAppSecret)
        ./samples/Runbook-BulkDeprovision.ps1 -TenantId $tenant.TenantId -Credential $credential -Discover `
            -SandboxUrl $sandbox.Url -SandboxThumbprint $sandbox.Thumbprint -StorePath ./runbook.db
        $sandbox | Stop-CasSandbox

.PARAMETER TenantId
    The tenant whose service accounts are removed: its ID or a verified domain.

.PARAMETER ManagedIdentityClientId
    The client ID of a user-assigned managed identity. Default: the system-assigned identity.

.PARAMETER ClientId
    The app (client) ID for the certificate sign-in. Default: the Automation variable CasAdminClientId.

.PARAMETER CertificateThumbprint
    The thumbprint of the app's certificate in the certificate store. Default: the Automation variable
    CasAdminCertificateThumbprint.

.PARAMETER Credential
    Last resort: the app's client ID (user name) and client secret (password). Default: the Automation credential
    CasAdminAppSecret.

.PARAMETER Service
    Only these services. Default: every service.

.PARAMETER Discover
    Finds the accounts that exist in the tenant but not in the registry and registers them before the removal.

.PARAMETER ThrottleLimit
    How many removals run at once (1 to 64).

.PARAMETER RemoveApp
    Teams Chat: also deletes the tenant's own app.

.PARAMETER RemoveDelegateAccount
    Delegate accounts: also deletes the Microsoft 365 user.

.PARAMETER StorePath
    The registry file. Default: CASADMIN_STORE, else the user data folder of the Automation sandbox (use a shared
    path, or the PostgreSQL registry, when several workers share the work).

.PARAMETER SandboxUrl
    Runs against the CasAdmin sandbox at this URL (with -SandboxThumbprint) instead of Microsoft 365.

.PARAMETER SandboxThumbprint
    The sandbox's certificate thumbprint.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)]
    [string] $TenantId,

    [string] $ManagedIdentityClientId,

    [string] $ClientId,

    [string] $CertificateThumbprint,

    [pscredential] $Credential,

    [ValidateSet('ExchangeOnline', 'ExchangeOnlineInline', 'SharePointOnline', 'OneDrive', 'Teams', 'TeamsChat')]
    [string[]] $Service,

    [switch] $Discover,

    [ValidateRange(1, 64)]
    [int] $ThrottleLimit = 16,

    [switch] $RemoveApp,

    [switch] $RemoveDelegateAccount,

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

$common = @{ TenantId = $TenantId }
if ($StorePath) {
    $common.StorePath = $StorePath
}
if ($SandboxUrl) {
    $common.Environment = 'Sandbox'
    $common.SandboxUrl = $SandboxUrl
    $common.SandboxThumbprint = $SandboxThumbprint
}

# 1. Managed identity, 2. certificate, 3. client secret.
$connection = $null
$signInErrors = [System.Collections.Generic.List[string]]::new()
try {
    $identity = @{}
    if ($ManagedIdentityClientId) {
        $identity.ClientId = $ManagedIdentityClientId
    }
    $connection = Connect-CasTenant -ManagedIdentity @identity @common
    Write-Output "Signed in with the managed identity to $($connection.TenantDomain)."
}
catch {
    $signInErrors.Add("Managed identity: $($_.Exception.Message)")
}

if (-not $connection) {
    if (-not $CertificateThumbprint) {
        $CertificateThumbprint = Get-AutomationAsset 'CasAdminCertificateThumbprint'
    }
    if (-not $ClientId) {
        $ClientId = Get-AutomationAsset 'CasAdminClientId'
    }
    if ($CertificateThumbprint -and $ClientId) {
        try {
            $connection = Connect-CasTenant -ClientId $ClientId -CertificateThumbprint $CertificateThumbprint @common
            Write-Output "Signed in with certificate $CertificateThumbprint to $($connection.TenantDomain)."
        }
        catch {
            $signInErrors.Add("Certificate: $($_.Exception.Message)")
        }
    }
}

if (-not $connection) {
    if (-not $Credential) {
        $Credential = Get-AutomationAsset 'CasAdminAppSecret' -Credential
    }
    if ($Credential) {
        try {
            $connection = Connect-CasTenant -ClientId $Credential.UserName -ClientSecret $Credential.Password @common
            Write-Output "Signed in with the client secret of app $($Credential.UserName) to $($connection.TenantDomain)."
        }
        catch {
            $signInErrors.Add("Client secret: $($_.Exception.Message)")
        }
    }
}

if (-not $connection) {
    throw "Could not sign in to tenant $TenantId. $($signInErrors -join ' ')"
}

try {
    if ($Discover) {
        $candidates = Find-CasServiceAccount -Connection $connection |
            Where-Object { $null -ne $_.Service -and -not $_.Registered -and (-not $Service -or $_.Service -in $Service) }
        $registered = @($candidates | Register-CasServiceAccount -Connection $connection -Confirm:$false -ErrorAction Continue)
        Write-Output "Registered $($registered.Count) account(s) found in the tenant."
    }

    # The registry of this connection (the default connection's, unless -StorePath named another).
    $registry = @{}
    if ($connection.StorePath) {
        $registry.StorePath = $connection.StorePath
    }
    $accounts = @(Get-CasServiceAccount -TenantId $connection.TenantId @registry |
            Where-Object { -not $Service -or $_.Service -in $Service })
    Write-Output "Removing $($accounts.Count) service account(s) of $($connection.TenantDomain), $ThrottleLimit at a time."

    $removalErrors = $null
    $jobs = @($accounts | Remove-CasServiceAccount -Connection $connection -Force -Confirm:$false -ThrottleLimit $ThrottleLimit `
            -RemoveApp:$RemoveApp -RemoveDelegateAccount:$RemoveDelegateAccount `
            -ErrorAction SilentlyContinue -ErrorVariable removalErrors)

    $remaining = @{ Name = 'Remaining'; Expression = { $_.RemainingChanges.Count } }
    $jobs | Format-Table -Property Service, TenantDomain, Status, AppId, $remaining -AutoSize | Out-String -Width 200 | Write-Output
    foreach ($err in @($removalErrors)) {
        # FullyQualifiedErrorId starts with the stable error ID (GlobalAdministratorRequired, AdminPermissionMissing...).
        Write-Output "FAILED $($err.TargetObject): $($err.FullyQualifiedErrorId): $($err.Exception.Message) $($err.ErrorDetails.RecommendedAction)"
    }

    $cleanup = @(Get-CasCleanupItem -TenantId $connection.TenantId @registry)
    if ($cleanup.Count -gt 0) {
        Write-Output "$($cleanup.Count) change(s) stayed in the tenant and need a manual clean-up:"
        $cleanup | Format-Table -Property Service, Kind, Name, Action -Wrap | Out-String -Width 200 | Write-Output
    }

    $failed = @($jobs | Where-Object Status -EQ 'Failed').Count
    $errorCount = @($removalErrors).Count
    $summary = [pscustomobject]@{
        TenantId         = $connection.TenantId
        Accounts         = $accounts.Count
        Succeeded        = @($jobs | Where-Object Status -EQ 'Succeeded').Count
        Forced           = @($jobs | Where-Object Status -EQ 'Forced').Count
        Failed           = $failed
        Errors           = $errorCount
        RemainingChanges = $cleanup.Count
    }
    Write-Output $summary
    if ($errorCount -gt 0) {
        # Throwing marks the Automation job Failed (and gives pwsh -File a non-zero exit code); a rerun resumes.
        throw "$errorCount of $($accounts.Count) removal(s) of tenant $($connection.TenantId) failed; run the runbook again to resume them."
    }
}
finally {
    Disconnect-CasTenant -Connection $connection -Confirm:$false
}
