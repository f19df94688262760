#Requires -Version 7.4
#Requires -Modules CasAdmin
<#
.SYNOPSIS
    Removes the service accounts of many tenants listed in a CSV file, resumably, with a summary per tenant.

.DESCRIPTION
    Reads a CSV of tenants and opens one connection per tenant (certificate, or a client secret taken from an
    environment variable the row names: secrets never sit in the CSV). A tenant that cannot be signed in to is
    reported and skipped. Optionally registers the accounts that exist in the tenants but not in the registry
    (-Discover). Then removes every service account of the connected tenants (or of -Service) in one bulk run,
    -ThrottleLimit jobs at a time, the tenants taken in turn.

    Resumable: the removal jobs are journaled in the registry. Running the script again resumes the jobs that are
    Failed or were interrupted (Running, Pending) from their first unfinished step, and does not touch what was
    removed. The script lists those jobs before it resumes them. At the end it prints a summary per tenant and
    exits with code 1 when any removal failed (0 otherwise).

    CSV columns:
        TenantId               tenant ID or verified domain (required)
        ClientId               the tenant's own app (client) ID (required)
        CertificateThumbprint  the app's certificate in the certificate store (optional)
        ClientSecretVariable   the name of an environment variable that holds the app's client secret (optional)

    Against the sandbox:
        $sandbox = Start-CasSandbox
        $rows = foreach ($tenant in $sandbox.Tenants) {
            $variable = 'CAS_SECRET_' + $tenant.Domain.Split('.')[0].ToUpperInvariant()
            Set-Item "env:$variable" ([System.Net.NetworkCredential]::new('', $tenant.AdminAppSecret).Password)
            [pscustomobject]@{ TenantId = $tenant.TenantId; ClientId = $tenant.AdminAppId; CertificateThumbprint = ''; ClientSecretVariable = $variable }
        }
        $rows | Export-Csv ./tenants.csv -NoTypeInformation
        ./samples/Remove-CasTenantsBulk.ps1 -CsvPath ./tenants.csv -Discover -Force -StorePath ./bulk.db `
            -SandboxUrl $sandbox.Url -SandboxThumbprint $sandbox.Thumbprint
        $sandbox | Stop-CasSandbox

.PARAMETER CsvPath
    The CSV file of tenants.

.PARAMETER Service
    Only these services. Default: every service.

.PARAMETER Discover
    Registers the accounts found in each tenant that the registry does not know yet, before the removal.

.PARAMETER Force
    Forces the removal of CasAdmin's data when an account cannot be verified or a step fails, and skips the
    Exchange Online confirmation. Without it, failed jobs stay Failed and resumable.

.PARAMETER ThrottleLimit
    How many removals run at once across all tenants (1 to 64).

.PARAMETER StorePath
    The registry file every connection uses. Use the same file on every run so that reruns resume.

.PARAMETER SandboxUrl
    Runs against the CasAdmin sandbox at this URL (with -SandboxThumbprint) instead of Microsoft 365.

.PARAMETER SandboxThumbprint
    The sandbox's certificate thumbprint.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)]
    [string] $CsvPath,

    [ValidateSet('ExchangeOnline', 'ExchangeOnlineInline', 'SharePointOnline', 'OneDrive', 'Teams', 'TeamsChat')]
    [string[]] $Service,

    [switch] $Discover,

    [switch] $Force,

    [ValidateRange(1, 64)]
    [int] $ThrottleLimit = 16,

    [string] $StorePath,

    [uri] $SandboxUrl,

    [string] $SandboxThumbprint
)

Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'

$tenants = @(Import-Csv -LiteralPath $CsvPath)
if ($tenants.Count -eq 0) {
    throw "$CsvPath lists no tenants."
}

$common = @{}
if ($StorePath) {
    $common.StorePath = $StorePath
}
if ($SandboxUrl) {
    $common.Environment = 'Sandbox'
    $common.SandboxUrl = $SandboxUrl
    $common.SandboxThumbprint = $SandboxThumbprint
}
$registry = @{}
if ($StorePath) {
    $registry.StorePath = $StorePath
}

# One connection per tenant; a tenant that cannot be signed in to is reported and skipped.
$connections = [System.Collections.Generic.List[object]]::new()
$summary = [System.Collections.Generic.List[object]]::new()
$byTenantId = @{}
foreach ($row in $tenants) {
    $entry = [pscustomobject]@{
        Tenant = $row.TenantId; Connected = $false; Accounts = 0; Resumed = 0; Succeeded = 0; Forced = 0; Failed = 0; Errors = 0
        RemainingChanges = 0; Note = ''
    }
    $summary.Add($entry)
    try {
        if ($row.CertificateThumbprint) {
            $connection = Connect-CasTenant -TenantId $row.TenantId -ClientId $row.ClientId -CertificateThumbprint $row.CertificateThumbprint @common
        }
        elseif ($row.ClientSecretVariable -and (Test-Path "env:$($row.ClientSecretVariable)")) {
            $secret = ConvertTo-SecureString (Get-Item "env:$($row.ClientSecretVariable)").Value -AsPlainText -Force
            $connection = Connect-CasTenant -TenantId $row.TenantId -ClientId $row.ClientId -ClientSecret $secret @common
        }
        else {
            throw 'the row names neither a CertificateThumbprint nor a set ClientSecretVariable'
        }
        $connections.Add($connection)
        $entry.Tenant = if ($connection.TenantDomain) { $connection.TenantDomain } else { $connection.TenantId }
        $entry.Connected = $true
        $byTenantId[$connection.TenantId] = $entry
    }
    catch {
        $entry.Note = "Not connected: $($_.Exception.Message)"
        Write-Warning "Tenant $($row.TenantId) skipped: $($_.Exception.Message)"
    }
}

$removalErrors = $null
$jobs = @()
try {
    if ($Discover) {
        foreach ($connection in $connections) {
            Find-CasServiceAccount -Connection $connection |
                Where-Object { $null -ne $_.Service -and -not $_.Registered -and (-not $Service -or $_.Service -in $Service) } |
                Register-CasServiceAccount -Connection $connection -Confirm:$false -ErrorAction Continue |
                Out-Null
        }
    }

    $connectedIds = @($connections | ForEach-Object TenantId)

    # What an earlier run left unfinished: those jobs resume from their first unfinished step.
    $unfinished = @(foreach ($status in 'Failed', 'Running', 'Pending') {
            Get-CasRemovalJob -Status $status @registry | Where-Object TenantId -In $connectedIds
        })
    if ($unfinished.Count -gt 0) {
        Write-Host "Resuming $($unfinished.Count) unfinished removal job(s):"
        $unfinished | Format-Table -Property Service, TenantDomain, Status, CurrentStep, ErrorId | Out-Host
    }

    # Every account not removed yet: new ones, and those whose removal is unfinished (Removing, RemovalFailed).
    $accounts = @(Get-CasServiceAccount @registry |
            Where-Object { $_.TenantId -in $connectedIds -and (-not $Service -or $_.Service -in $Service) })
    foreach ($account in $accounts) {
        $entry = $byTenantId[$account.TenantId]
        $entry.Accounts++
        if ($unfinished | Where-Object AccountId -EQ $account.AccountId) {
            $entry.Resumed++
        }
    }

    Write-Host "Removing $($accounts.Count) service account(s) of $($connections.Count) tenant(s), $ThrottleLimit at a time."
    if ($accounts.Count -gt 0) {
        # -TenantId comes from each account: every removal runs through the connection to its own tenant.
        $jobs = @($accounts | Remove-CasServiceAccount -Force:$Force -Confirm:$false -ThrottleLimit $ThrottleLimit `
                -ErrorAction SilentlyContinue -ErrorVariable removalErrors)
    }
}
finally {
    foreach ($connection in $connections) {
        Disconnect-CasTenant -Connection $connection -Confirm:$false
    }
}

foreach ($job in $jobs) {
    $entry = $byTenantId[$job.TenantId]
    switch ($job.Status) {
        'Succeeded' { $entry.Succeeded++ }
        'Forced' { $entry.Forced++ }
        'Failed' { $entry.Failed++ }
    }
    $entry.RemainingChanges += $job.RemainingChanges.Count
}

foreach ($err in @($removalErrors)) {
    # The target is the job or the account (both have TenantId); the error ID leads FullyQualifiedErrorId.
    $target = $err.TargetObject
    if ($target -and $target.PSObject.Properties['TenantId'] -and $byTenantId.ContainsKey($target.TenantId)) {
        $byTenantId[$target.TenantId].Errors++
    }
    Write-Warning "$($err.FullyQualifiedErrorId): $($err.Exception.Message) $($err.ErrorDetails.RecommendedAction)"
}

$summary | Format-Table -AutoSize | Out-Host
$failedTotal = @($removalErrors).Count
$unconnected = @($summary | Where-Object { -not $_.Connected }).Count
Write-Host ("{0} job(s): {1} succeeded, {2} forced, {3} failed; {4} error(s); {5} tenant(s) not connected." -f $jobs.Count,
    @($jobs | Where-Object Status -EQ 'Succeeded').Count, @($jobs | Where-Object Status -EQ 'Forced').Count,
    @($jobs | Where-Object Status -EQ 'Failed').Count, $failedTotal, $unconnected)
if ($failedTotal -gt 0 -or $unconnected -gt 0) {
    Write-Host 'Run the script again to resume the unfinished removals (finished steps are not repeated).'
    exit 1
}
exit 0
