#
# Module manifest for CasAdmin.
# ModuleVersion is stamped by the build from CasAdminVersion in Directory.Build.props (build/Module.targets);
# the value below is a placeholder and is never shipped.
# Adding a cmdlet: one line in CmdletsToExport (a test checks the list equals the compiled cmdlets).
#
@{
    RootModule           = 'CasAdmin.dll'
    ModuleVersion        = '0.0.0'
    GUID                 = '5d6c8a1e-3f47-4b9e-9c2d-7a1e0b4f6c38'
    Author               = 'CasAdmin contributors'
    CompanyName          = 'CasAdmin'
    Copyright            = '(c) CasAdmin contributors. All rights reserved.'
    Description          = 'Service-account management for a cloud app security service on Microsoft 365: provision and maintain the Teams Chat service account, deprovision the Exchange Online, SharePoint Online, OneDrive, Teams and Teams Chat service accounts, in bulk and in runbooks, within Microsoft Graph throttling limits. Includes a tenant emulator (sandbox) to try every command without a tenant.'
    PowerShellVersion    = '7.4'
    CompatiblePSEditions = @('Core')
    # The types scripts name ([CasAdmin.Engine.Accounts.CasService]::Teams, -is [CasAdmin.Engine.Connections.CasConnection]):
    # BCL-only, loaded into the default context before CasAdmin.dll, whose exported types PowerShell reads at import.
    RequiredAssemblies   = @('CasAdmin.Model.dll')
    FormatsToProcess     = @('CasAdmin.Format.ps1xml')
    CmdletsToExport      = @(
        'Connect-CasTenant'
        'Disconnect-CasTenant'
        'Get-CasConnection'
        'Register-CasAdminApp'
        'New-CasTeamsChatApp'
        'New-CasTeamsChatAccount'
        'Set-CasLicensingModel'
        'Update-CasServiceAccountSecret'
        'Set-CasServiceAccountApp'
        'New-CasAccessToken'
        'Get-CasServiceAccount'
        'Test-CasServiceAccount'
        'Get-CasNotification'
        'Get-CasAuditLog'
        'Get-CasStoredSecret'
        'Remove-CasStoredSecret'
        'Update-CasTeamsChatInventory'
        'Update-CasTeamsChatSubscription'
        'Find-CasServiceAccount'
        'Register-CasServiceAccount'
        'Remove-CasServiceAccount'
        'Get-CasRemovalJob'
        'Get-CasCleanupItem'
        'Start-CasSandbox'
        'Stop-CasSandbox'
    )
    FunctionsToExport    = @()
    VariablesToExport    = @()
    AliasesToExport      = @()
    PrivateData          = @{
        PSData = @{
            Tags         = @('Microsoft365', 'M365', 'EntraID', 'MicrosoftGraph', 'Teams', 'ExchangeOnline', 'SharePointOnline', 'OneDrive', 'CloudAppSecurity', 'ServiceAccount', 'Deprovisioning')
            ReleaseNotes = 'Connections: Register-CasAdminApp (the one-time setup for people signing in), Connect-CasTenant (interactive, device code, client secret, certificate, managed identity, access token; global and national clouds; the sandbox), Disconnect-CasTenant, Get-CasConnection. Teams Chat: New-CasTeamsChatApp, New-CasTeamsChatAccount, Set-CasLicensingModel, Update-CasServiceAccountSecret, Set-CasServiceAccountApp, New-CasAccessToken, Update-CasTeamsChatInventory, Update-CasTeamsChatSubscription. Accounts: Get-CasServiceAccount, Test-CasServiceAccount, Get-CasNotification, Find-CasServiceAccount, Register-CasServiceAccount, Get-CasStoredSecret and Remove-CasStoredSecret (the stored secrets of this machine that no account uses). Deprovisioning: Remove-CasServiceAccount (tracked, resumable removal jobs, in bulk), Get-CasRemovalJob, Get-CasCleanupItem. Sandbox: Start-CasSandbox, Stop-CasSandbox (the tenant emulator ships in the module).'
        }
    }
}
