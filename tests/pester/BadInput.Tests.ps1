#Requires -Version 7.4
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
<#
    The bad-input catalogue (issue 12): every mistake an administrator can make, in real pwsh against the sandbox
    (Start-CasSandbox -Connect). Each case asserts that
      - the ErrorRecord's FullyQualifiedErrorId starts with the documented error id, and its category;
      - ErrorDetails.RecommendedAction is filled;
      - nothing changed in the tenant (the sandbox's control API: both tenants' state and its count of Graph writes)
        nor in the registry (accounts, removal jobs, notifications, and the registry file's size);
      - no secret value appears in any stream (all streams captured with *>&1, debug and verbose switched on),
        nor in the exception chain.
    A case is @{ Name; Id; Category; Run = { param($T) $sbx = $T.Sbx; ... } } plus optional Target / NotInAction. $T carries the sandbox.
#>

BeforeDiscovery {
    $thumb = '0' * 64
    $never = [guid]'00000000-0000-0000-0000-00000000bad0'

    # Each block of cases below is one area; the ids are those of about_CasAdmin.
    $script:cases = @(
        # --- Connect-CasTenant: the client secret ---------------------------------------------------------------
        @{ Name = 'secret of three spaces'; Id = 'ConnectionParameterMissing'; Category = 'InvalidArgument'
            Run = { param($T) $sbx = $T.Sbx; Connect-CasTenant -TenantId $T.C.tenantId -ClientId $T.C.adminAppId -ClientSecret (ConvertTo-SecureString '   ' -AsPlainText -Force) @sbx } }
        @{ Name = 'secret of a tab'; Id = 'ConnectionParameterMissing'; Category = 'InvalidArgument'
            Run = { param($T) $sbx = $T.Sbx; Connect-CasTenant -TenantId $T.C.tenantId -ClientId $T.C.adminAppId -ClientSecret (ConvertTo-SecureString "`t" -AsPlainText -Force) @sbx } }
        @{ Name = 'secret of line breaks and spaces'; Id = 'ConnectionParameterMissing'; Category = 'InvalidArgument'
            Run = { param($T) $sbx = $T.Sbx; Connect-CasTenant -TenantId $T.C.tenantId -ClientId $T.C.adminAppId -ClientSecret (ConvertTo-SecureString "`r`n  `n" -AsPlainText -Force) @sbx } }
        @{ Name = 'empty secret'; Id = 'ConnectionParameterMissing'; Category = 'InvalidArgument'
            Run = { param($T) $sbx = $T.Sbx; Connect-CasTenant -TenantId $T.C.tenantId -ClientId $T.C.adminAppId -ClientSecret ([securestring]::new()) @sbx } }
        @{ Name = 'wrong secret'; Id = 'InvalidClientSecret'; Category = 'AuthenticationError'; NotInAction = 'Update-CasServiceAccountSecret'; Target = 'app'
            Run = { param($T) $sbx = $T.Sbx; Connect-CasTenant -TenantId $T.C.tenantId -ClientId $T.C.adminAppId -ClientSecret $T.WrongSecret @sbx } }
        @{ Name = 'secret ID pasted instead of its value'; Id = 'InvalidClientSecret'; Category = 'AuthenticationError'; NotInAction = 'Update-CasServiceAccountSecret'
            Run = { param($T) $sbx = $T.Sbx; Connect-CasTenant -TenantId $T.C.tenantId -ClientId $T.C.adminAppId -ClientSecret (ConvertTo-SecureString ([guid]::NewGuid()) -AsPlainText -Force) @sbx } }
        @{ Name = 'expired secret'; Id = 'SecretExpired'; Category = 'AuthenticationError'; NotInAction = 'Update-CasServiceAccountSecret'
            Run = { param($T) $sbx = $T.Sbx; Connect-CasTenant -TenantId $T.C.tenantId -ClientId $T.C.apps.expired.appId -ClientSecret (ConvertTo-SecureString $T.C.apps.expired.secret -AsPlainText -Force) @sbx } }
        @{ Name = 'unknown app'; Id = 'AppNotFound'; Category = 'ObjectNotFound'
            Run = { param($T) $sbx = $T.Sbx; Connect-CasTenant -TenantId $T.C.tenantId -ClientId ([guid]::NewGuid()) -ClientSecret $T.WrongSecret @sbx } }
        @{ Name = 'app of another tenant'; Id = 'AppNotFound'; Category = 'ObjectNotFound'
            Run = { param($T) $sbx = $T.Sbx; Connect-CasTenant -TenantId $T.C.tenantId -ClientId $T.F.adminAppId -ClientSecret (ConvertTo-SecureString $T.F.adminAppSecret -AsPlainText -Force) @sbx } }
        @{ Name = 'disabled app'; Id = 'AppDisabled'; Category = 'NotEnabled'
            Run = { param($T) $sbx = $T.Sbx; Connect-CasTenant -TenantId $T.C.tenantId -ClientId $T.C.apps.disabled.appId -ClientSecret (ConvertTo-SecureString $T.C.apps.disabled.secret -AsPlainText -Force) @sbx } }
        @{ Name = 'unknown tenant id'; Id = 'TenantNotFound'; Category = 'ObjectNotFound'; Target = 'tenant'
            Run = { param($T) $sbx = $T.Sbx; Connect-CasTenant -TenantId $T.NoTenant -ClientId $T.C.adminAppId -ClientSecret $T.AdminSecret @sbx } }
        @{ Name = 'unknown tenant domain'; Id = 'TenantNotFound'; Category = 'ObjectNotFound'
            Run = { param($T) $sbx = $T.Sbx; Connect-CasTenant -TenantId 'nosuch.onmicrosoft.com' -ClientId $T.C.adminAppId -ClientSecret $T.AdminSecret @sbx } }

        # --- Connect-CasTenant: cloud and sandbox parameters -------------------------------------------------------
        @{ Name = 'wrong sandbox thumbprint'; Id = 'SandboxCertificateMismatch'; Category = 'SecurityError'
            Run = { param($T) $sbx = $T.Sbx; Connect-CasTenant -TenantId $T.C.tenantId -ClientId $T.C.adminAppId -ClientSecret $T.AdminSecret -Environment Sandbox -SandboxUrl $T.Url -SandboxThumbprint ('0' * 64) -StorePath $T.Registry } }
        @{ Name = 'USGov with -SandboxUrl'; Id = 'InvalidArgument'; Category = 'InvalidArgument'
            Run = { param($T) $sbx = $T.Sbx; Connect-CasTenant -TenantId $T.C.tenantId -ClientId $T.C.adminAppId -ClientSecret $T.AdminSecret -Environment USGov -SandboxUrl $T.Url -StorePath $T.Registry } }
        @{ Name = 'USGov with -SandboxThumbprint'; Id = 'InvalidArgument'; Category = 'InvalidArgument'
            Run = { param($T) $sbx = $T.Sbx; Connect-CasTenant -TenantId $T.C.tenantId -ClientId $T.C.adminAppId -ClientSecret $T.AdminSecret -Environment USGov -SandboxThumbprint $T.Thumbprint -StorePath $T.Registry } }
        @{ Name = 'USGovDoD with both sandbox parameters'; Id = 'InvalidArgument'; Category = 'InvalidArgument'
            Run = { param($T) $sbx = $T.Sbx; Connect-CasTenant -TenantId $T.C.tenantId -ClientId $T.C.adminAppId -ClientSecret $T.AdminSecret -Environment USGovDoD -SandboxUrl $T.Url -SandboxThumbprint $T.Thumbprint -StorePath $T.Registry } }
        @{ Name = 'China with -SandboxUrl'; Id = 'InvalidArgument'; Category = 'InvalidArgument'
            Run = { param($T) $sbx = $T.Sbx; Connect-CasTenant -TenantId $T.C.tenantId -ClientId $T.C.adminAppId -ClientSecret $T.AdminSecret -Environment China -SandboxUrl $T.Url -StorePath $T.Registry } }
        @{ Name = 'Global (default) with -SandboxUrl'; Id = 'InvalidArgument'; Category = 'InvalidArgument'
            Run = { param($T) $sbx = $T.Sbx; Connect-CasTenant -TenantId $T.C.tenantId -ClientId $T.C.adminAppId -ClientSecret $T.AdminSecret -SandboxUrl $T.Url -StorePath $T.Registry } }
        @{ Name = 'Global with -SandboxThumbprint'; Id = 'InvalidArgument'; Category = 'InvalidArgument'
            Run = { param($T) $sbx = $T.Sbx; Connect-CasTenant -TenantId $T.C.tenantId -ClientId $T.C.adminAppId -ClientSecret $T.AdminSecret -Environment Global -SandboxThumbprint $T.Thumbprint -StorePath $T.Registry } }
        @{ Name = 'Sandbox without -SandboxUrl'; Id = 'ConnectionParameterMissing'; Category = 'InvalidArgument'
            Run = { param($T) $sbx = $T.Sbx; Connect-CasTenant -TenantId $T.C.tenantId -ClientId $T.C.adminAppId -ClientSecret $T.AdminSecret -Environment Sandbox -SandboxThumbprint $T.Thumbprint -StorePath $T.Registry } }
        @{ Name = 'Sandbox without -SandboxThumbprint'; Id = 'ConnectionParameterMissing'; Category = 'InvalidArgument'
            Run = { param($T) $sbx = $T.Sbx; Connect-CasTenant -TenantId $T.C.tenantId -ClientId $T.C.adminAppId -ClientSecret $T.AdminSecret -Environment Sandbox -SandboxUrl $T.Url -StorePath $T.Registry } }
        @{ Name = 'http sandbox URL'; Id = 'InvalidArgument'; Category = 'InvalidArgument'
            Run = { param($T) $sbx = $T.Sbx; Connect-CasTenant -TenantId $T.C.tenantId -ClientId $T.C.adminAppId -ClientSecret $T.AdminSecret -Environment Sandbox -SandboxUrl ($T.Url -replace '^https', 'http') -SandboxThumbprint $T.Thumbprint -StorePath $T.Registry } }

        # --- Connect-CasTenant: the network --------------------------------------------------------------------------
        @{ Name = 'refused connection (secret)'; Id = 'TenantUnreachable'; Category = 'ConnectionError'; InMessage = 'ClosedEndpoint'
            Run = { param($T) $sbx = $T.Sbx; Connect-CasTenant -TenantId $T.C.tenantId -ClientId $T.C.adminAppId -ClientSecret $T.AdminSecret -Environment Sandbox -SandboxUrl $T.ClosedUrl -SandboxThumbprint $T.Thumbprint -StorePath $T.Registry } }
        @{ Name = 'sandbox URL that is not loopback (secret)'; Id = 'InvalidArgument'; Category = 'InvalidArgument'
            Run = { param($T) $sbx = $T.Sbx; Connect-CasTenant -TenantId $T.C.tenantId -ClientId $T.C.adminAppId -ClientSecret $T.AdminSecret -Environment Sandbox -SandboxUrl 'https://casadmin-no-such-host.invalid/' -SandboxThumbprint $T.Thumbprint -StorePath $T.Registry } }
        @{ Name = 'refused connection (access token)'; Id = 'TenantUnreachable'; Category = 'ConnectionError'; NoTarget = $true
            Run = { param($T) $sbx = $T.Sbx; Connect-CasTenant -AccessToken $T.ContosoToken -Environment Sandbox -SandboxUrl $T.ClosedUrl -SandboxThumbprint $T.Thumbprint -StorePath $T.Registry } }
        @{ Name = 'refused connection (certificate)'; Id = 'TenantUnreachable'; Category = 'ConnectionError'
            Run = { param($T) $sbx = $T.Sbx; Connect-CasTenant -TenantId $T.C.tenantId -ClientId $T.C.adminAppId -Certificate $T.Unregistered -Environment Sandbox -SandboxUrl $T.ClosedUrl -SandboxThumbprint $T.Thumbprint -StorePath $T.Registry } }
        @{ Name = 'refused connection (device code)'; Id = 'TenantUnreachable'; Category = 'ConnectionError'
            Run = { param($T) $sbx = $T.Sbx; Connect-CasTenant -TenantId $T.C.tenantId -ClientId $T.C.apps.public.appId -UseDeviceCode -Environment Sandbox -SandboxUrl $T.ClosedUrl -SandboxThumbprint $T.Thumbprint -StorePath $T.Registry } }
        @{ Name = 'sandbox URL that is not loopback (device code)'; Id = 'InvalidArgument'; Category = 'InvalidArgument'
            Run = { param($T) $sbx = $T.Sbx; Connect-CasTenant -TenantId $T.C.tenantId -ClientId $T.C.apps.public.appId -UseDeviceCode -Environment Sandbox -SandboxUrl 'https://casadmin-no-such-host.invalid/' -SandboxThumbprint $T.Thumbprint -StorePath $T.Registry } }
        @{ Name = 'sign-in endpoint that accepts and never answers'; Id = 'RequestTimedOut'; Category = 'OperationTimeout'; InMessage = 'SilentEndpoint'
            Run = { param($T) $sbx = $T.Sbx; Connect-CasTenant -TenantId $T.C.tenantId -ClientId $T.C.adminAppId -ClientSecret $T.AdminSecret -Environment Sandbox -SandboxUrl $T.SilentUrl -SandboxThumbprint $T.Thumbprint -StorePath $T.Registry } }

        # --- Connect-CasTenant: certificates ------------------------------------------------------------------------
        @{ Name = 'certificate not registered on the app'; Id = 'CertificateNotRegistered'; Category = 'AuthenticationError'
            Run = { param($T) $sbx = $T.Sbx; Connect-CasTenant -TenantId $T.C.tenantId -ClientId $T.C.adminAppId -Certificate $T.Unregistered @sbx } }
        @{ Name = 'unregistered certificate from a PFX file'; Id = 'CertificateNotRegistered'; Category = 'AuthenticationError'
            Run = { param($T) $sbx = $T.Sbx; Connect-CasTenant -TenantId $T.C.tenantId -ClientId $T.C.adminAppId -CertificatePath $T.Pfx -CertificatePassword $T.PfxPassword @sbx } }
        @{ Name = 'certificate without its private key'; Id = 'CertificateInvalid'; Category = 'InvalidData'
            Run = { param($T) $sbx = $T.Sbx; Connect-CasTenant -TenantId $T.C.tenantId -ClientId $T.C.adminAppId -Certificate $T.PublicOnly @sbx } }
        @{ Name = 'certificate file that does not exist'; Id = 'CertificateNotFound'; Category = 'ObjectNotFound'
            Run = { param($T) $sbx = $T.Sbx; Connect-CasTenant -TenantId $T.C.tenantId -ClientId $T.C.adminAppId -CertificatePath (Join-Path $T.Folder 'missing.pfx') @sbx } }
        @{ Name = 'certificate file that is not a PFX'; Id = 'CertificateInvalid'; Category = 'InvalidData'
            Run = { param($T) $sbx = $T.Sbx; Connect-CasTenant -TenantId $T.C.tenantId -ClientId $T.C.adminAppId -CertificatePath $T.NotAPfx @sbx } }
        @{ Name = 'PFX with the wrong password'; Id = 'CertificateInvalid'; Category = 'InvalidData'
            Run = { param($T) $sbx = $T.Sbx; Connect-CasTenant -TenantId $T.C.tenantId -ClientId $T.C.adminAppId -CertificatePath $T.Pfx -CertificatePassword (ConvertTo-SecureString 'not-the-pfx-password' -AsPlainText -Force) @sbx } }
        @{ Name = 'certificate thumbprint in no store'; Id = 'CertificateNotFound'; Category = 'ObjectNotFound'
            Run = { param($T) $sbx = $T.Sbx; Connect-CasTenant -TenantId $T.C.tenantId -ClientId $T.C.adminAppId -CertificateThumbprint ('AB' * 20) @sbx } }

        # --- Connect-CasTenant: access tokens -----------------------------------------------------------------------
        @{ Name = 'access token that is not a JWT'; Id = 'AccessTokenInvalid'; Category = 'InvalidArgument'; NoTarget = $true
            Run = { param($T) $sbx = $T.Sbx; Connect-CasTenant -AccessToken (ConvertTo-SecureString 'not-a-jwt' -AsPlainText -Force) @sbx } }
        @{ Name = 'blank access token'; Id = 'ConnectionParameterMissing'; Category = 'InvalidArgument'; NoTarget = $true
            Run = { param($T) $sbx = $T.Sbx; Connect-CasTenant -AccessToken (ConvertTo-SecureString '  ' -AsPlainText -Force) @sbx } }
        @{ Name = 'access token of another tenant'; Id = 'InvalidArgument'; Category = 'InvalidArgument'
            Run = { param($T) $sbx = $T.Sbx; Connect-CasTenant -TenantId $T.F.tenantId -AccessToken $T.ContosoToken @sbx } }
        @{ Name = 'expired access token'; Id = 'AccessTokenInvalid'; Category = 'AuthenticationError'; NoTarget = $true
            Run = { param($T) $sbx = $T.Sbx; Connect-CasTenant -AccessToken $T.ExpiredToken @sbx } }

        # --- Start-CasSandbox ----------------------------------------------------------------------------------------
        @{ Name = 'unknown scenario'; Id = 'InvalidArgument'; Category = 'InvalidArgument'; NotInMessage = 'Unhandled exception'; NotInAction = '.NET'
            Run = { param($T) $sbx = $T.Sbx; Start-CasSandbox -Scenario nosuch -Confirm:$false } }
        @{ Name = 'scenario file that does not exist'; Id = 'InvalidArgument'; Category = 'InvalidArgument'
            Run = { param($T) $sbx = $T.Sbx; Start-CasSandbox -Scenario (Join-Path $T.Folder 'missing-scenario.json') -Confirm:$false } }
        @{ Name = 'port the running sandbox uses'; Id = 'SandboxPortInUse'; Category = 'ResourceUnavailable'; NotInMessage = 'Unhandled exception'; NotInAction = '.NET'
            Run = { param($T) $sbx = $T.Sbx; Start-CasSandbox -Port ([uri]$T.Url).Port -Confirm:$false } }
        @{ Name = 'port another listener uses'; Id = 'SandboxPortInUse'; Category = 'ResourceUnavailable'
            Run = { param($T) $sbx = $T.Sbx; Start-CasSandbox -Port ([uri]$T.SilentUrl).Port -Confirm:$false } }
        @{ Name = 'sandbox file that does not exist'; Id = 'SandboxNotFound'; Category = 'ObjectNotFound'
            Run = { param($T) $sbx = $T.Sbx; Start-CasSandbox -SandboxPath (Join-Path $T.Folder 'CasAdmin.Sandbox.dll') -Confirm:$false } }

        # --- Secret lifetimes: zero, negative, more than ten calendar years ----------------------------------------
        foreach ($days in 0, -5, 4000, 'TenYearsAndADay') {
            @{ Name = "Update-CasServiceAccountSecret -Rotate -SecretLifetime $days"; Id = 'InvalidArgument'; Category = 'InvalidArgument'; Days = $days
                Run = { param($T, $Case) $sbx = $T.Sbx; Update-CasServiceAccountSecret -AccountId $T.Never -Rotate -SecretLifetime (& $T.Days $Case.Days) -Connection $T.Admin -Confirm:$false } }
            @{ Name = "New-CasTeamsChatApp -SecretLifetime $days"; Id = 'InvalidArgument'; Category = 'InvalidArgument'; Days = $days
                Run = { param($T, $Case) $sbx = $T.Sbx; New-CasTeamsChatApp -ConsoleUrl 'https://console.example.com' -SecretLifetime (& $T.Days $Case.Days) -Connection $T.Admin -Confirm:$false } }
        }

        # --- New-CasTeamsChatApp ------------------------------------------------------------------------------------
        @{ Name = 'console URL over http'; Id = 'InvalidArgument'; Category = 'InvalidArgument'
            Run = { param($T) $sbx = $T.Sbx; New-CasTeamsChatApp -ConsoleUrl 'http://console.example.com' -Connection $T.Admin -Confirm:$false } }
        @{ Name = 'relative console URL'; Id = 'InvalidArgument'; Category = 'InvalidArgument'
            Run = { param($T) $sbx = $T.Sbx; New-CasTeamsChatApp -ConsoleUrl 'console/admin' -Connection $T.Admin -Confirm:$false } }
        @{ Name = 'display name of 121 characters'; Id = 'InvalidArgument'; Category = 'InvalidArgument'
            Run = { param($T) $sbx = $T.Sbx; New-CasTeamsChatApp -DisplayName ('x' * 121) -ConsoleUrl 'https://console.example.com' -Connection $T.Admin -Confirm:$false } }
        @{ Name = 'replication timeout of zero'; Id = 'InvalidArgument'; Category = 'InvalidArgument'
            Run = { param($T) $sbx = $T.Sbx; New-CasTeamsChatApp -ConsoleUrl 'https://console.example.com' -ReplicationTimeout 0 -Connection $T.Admin -Confirm:$false } }
        @{ Name = 'replication timeout of two days'; Id = 'InvalidArgument'; Category = 'InvalidArgument'
            Run = { param($T) $sbx = $T.Sbx; New-CasTeamsChatApp -ConsoleUrl 'https://console.example.com' -ReplicationTimeout (New-TimeSpan -Days 2) -Connection $T.Admin -Confirm:$false } }
        @{ Name = 'display name of another app'; Id = 'AppNameTaken'; Category = 'ResourceExists'
            Run = { param($T) $sbx = $T.Sbx; New-CasTeamsChatApp -DisplayName $T.C.apps.noConsent.displayName -ConsoleUrl 'https://console.example.com' -Connection $T.Admin -Confirm:$false } }
        @{ Name = 'app-only connection without consent creates an app'; Id = 'AdminPermissionMissing'; Category = 'PermissionDenied'
            Run = { param($T) $sbx = $T.Sbx; New-CasTeamsChatApp -DisplayName 'CasAdmin bad input' -ConsoleUrl 'https://console.example.com' -Connection $T.NoConsent -Confirm:$false } }
        @{ Name = 'directory reader app creates an app'; Id = 'AdminPermissionMissing'; Category = 'PermissionDenied'
            Run = { param($T) $sbx = $T.Sbx; New-CasTeamsChatApp -DisplayName 'CasAdmin bad input' -ConsoleUrl 'https://console.example.com' -Connection $T.Reader -Confirm:$false } }

        # --- New-CasTeamsChatAccount --------------------------------------------------------------------------------
        foreach ($blank in '   ', "`t", "`r`n ") {
            @{ Name = "New-CasTeamsChatAccount secret '$($blank -replace "`t", '\t' -replace "`r", '\r' -replace "`n", '\n')'"; Id = 'InvalidArgument'; Category = 'InvalidArgument'; Blank = $blank
                Run = { param($T, $Case) $sbx = $T.Sbx; New-CasTeamsChatAccount -AppId $T.C.apps.chatReader.appId -ClientSecret (ConvertTo-SecureString $Case.Blank -AsPlainText -Force) -LicensingModel B -Connection $T.Admin -Confirm:$false } }
            @{ Name = "Update-CasServiceAccountSecret secret '$($blank -replace "`t", '\t' -replace "`r", '\r' -replace "`n", '\n')'"; Id = 'InvalidArgument'; Category = 'InvalidArgument'; Blank = $blank
                Run = { param($T, $Case) $sbx = $T.Sbx; Update-CasServiceAccountSecret -AccountId $T.Never -ClientSecret (ConvertTo-SecureString $Case.Blank -AsPlainText -Force) -Connection $T.Admin -Confirm:$false } }
        }
        @{ Name = 'New-CasTeamsChatAccount empty secret'; Id = 'InvalidArgument'; Category = 'InvalidArgument'
            Run = { param($T) $sbx = $T.Sbx; New-CasTeamsChatAccount -AppId $T.C.apps.chatReader.appId -ClientSecret ([securestring]::new()) -LicensingModel B -Connection $T.Admin -Confirm:$false } }
        @{ Name = 'notification URL over http'; Id = 'InvalidArgument'; Category = 'InvalidArgument'
            Run = { param($T) $sbx = $T.Sbx; New-CasTeamsChatAccount -AppId $T.C.apps.chatReader.appId -ClientSecret $T.ChatReaderSecret -LicensingModel B -NotificationUrl 'http://notify.example.com/teams' -Connection $T.Admin -Confirm:$false } }
        @{ Name = 'relative notification URL'; Id = 'InvalidArgument'; Category = 'InvalidArgument'
            Run = { param($T) $sbx = $T.Sbx; New-CasTeamsChatAccount -AppId $T.C.apps.chatReader.appId -ClientSecret $T.ChatReaderSecret -LicensingModel B -NotificationUrl 'notify/teams' -Connection $T.Admin -Confirm:$false } }
        @{ Name = 'lifecycle URL over http'; Id = 'InvalidArgument'; Category = 'InvalidArgument'
            Run = { param($T) $sbx = $T.Sbx; New-CasTeamsChatAccount -AppId $T.C.apps.chatReader.appId -ClientSecret $T.ChatReaderSecret -LicensingModel B -NotificationUrl 'https://notify.example.com/teams' -LifecycleNotificationUrl 'http://notify.example.com/life' -Connection $T.Admin -Confirm:$false } }
        @{ Name = 'lifecycle URL without notification URL'; Id = 'InvalidArgument'; Category = 'InvalidArgument'
            Run = { param($T) $sbx = $T.Sbx; New-CasTeamsChatAccount -AppId $T.C.apps.chatReader.appId -ClientSecret $T.ChatReaderSecret -LicensingModel B -LifecycleNotificationUrl 'https://notify.example.com/life' -Connection $T.Admin -Confirm:$false } }
        @{ Name = 'App Id that is not a GUID'; Id = 'InvalidArgument'; Category = 'InvalidArgument'
            Run = { param($T) $sbx = $T.Sbx; New-CasTeamsChatAccount -AppId 'my-teams-app' -ClientSecret $T.ChatReaderSecret -LicensingModel B -Connection $T.Admin -Confirm:$false } }
        @{ Name = 'service account app with the wrong secret'; Id = 'InvalidClientSecret'; Category = 'AuthenticationError'
            Run = { param($T) $sbx = $T.Sbx; New-CasTeamsChatAccount -AppId $T.C.apps.chatReader.appId -ClientSecret $T.WrongSecret -LicensingModel B -Connection $T.Admin -Confirm:$false } }
        @{ Name = 'service account app that does not exist'; Id = 'AppNotFound'; Category = 'ObjectNotFound'
            Run = { param($T) $sbx = $T.Sbx; New-CasTeamsChatAccount -AppId ([guid]::NewGuid()) -ClientSecret $T.WrongSecret -LicensingModel B -Connection $T.Admin -Confirm:$false } }
        @{ Name = 'service account app with an expired secret'; Id = 'SecretExpired'; Category = 'AuthenticationError'
            Run = { param($T) $sbx = $T.Sbx; New-CasTeamsChatAccount -AppId $T.C.apps.expired.appId -ClientSecret (ConvertTo-SecureString $T.C.apps.expired.secret -AsPlainText -Force) -LicensingModel B -Connection $T.Admin -Confirm:$false } }
        @{ Name = 'service account app that is disabled'; Id = 'AppDisabled'; Category = 'NotEnabled'
            Run = { param($T) $sbx = $T.Sbx; New-CasTeamsChatAccount -AppId $T.C.apps.disabled.appId -ClientSecret (ConvertTo-SecureString $T.C.apps.disabled.secret -AsPlainText -Force) -LicensingModel B -Connection $T.Admin -Confirm:$false } }
        @{ Name = 'service account app without admin consent'; Id = 'AdminConsentMissing'; Category = 'PermissionDenied'
            Run = { param($T) $sbx = $T.Sbx; New-CasTeamsChatAccount -AppId $T.C.apps.noConsent.appId -ClientSecret $T.NoConsentSecret -LicensingModel B -Connection $T.Admin -Confirm:$false } }

        # --- Account cmdlets on an account that is not in the registry --------------------------------------------
        @{ Name = 'Test-CasServiceAccount unknown account'; Id = 'ServiceAccountNotFound'; Category = 'ObjectNotFound'
            Run = { param($T) $sbx = $T.Sbx; Test-CasServiceAccount -AccountId $T.Never -Connection $T.Admin } }
        @{ Name = 'Set-CasLicensingModel unknown account'; Id = 'ServiceAccountNotFound'; Category = 'ObjectNotFound'
            Run = { param($T) $sbx = $T.Sbx; Set-CasLicensingModel -AccountId $T.Never -LicensingModel B -Connection $T.Admin -Confirm:$false } }
        @{ Name = 'New-CasAccessToken unknown account'; Id = 'ServiceAccountNotFound'; Category = 'ObjectNotFound'
            Run = { param($T) $sbx = $T.Sbx; New-CasAccessToken -AccountId $T.Never -Connection $T.Admin } }
        @{ Name = 'Update-CasTeamsChatInventory unknown account'; Id = 'ServiceAccountNotFound'; Category = 'ObjectNotFound'
            Run = { param($T) $sbx = $T.Sbx; Update-CasTeamsChatInventory -AccountId $T.Never -Connection $T.Admin -Confirm:$false } }
        @{ Name = 'Update-CasServiceAccountSecret -Rotate unknown account'; Id = 'ServiceAccountNotFound'; Category = 'ObjectNotFound'
            Run = { param($T) $sbx = $T.Sbx; Update-CasServiceAccountSecret -AccountId $T.Never -Rotate -Connection $T.Admin -Confirm:$false } }
        @{ Name = 'Update-CasServiceAccountSecret -ClientSecret unknown account'; Id = 'ServiceAccountNotFound'; Category = 'ObjectNotFound'
            Run = { param($T) $sbx = $T.Sbx; Update-CasServiceAccountSecret -AccountId $T.Never -ClientSecret $T.WrongSecret -Connection $T.Admin -Confirm:$false } }
        @{ Name = 'Set-CasServiceAccountApp unknown account'; Id = 'ServiceAccountNotFound'; Category = 'ObjectNotFound'
            Run = { param($T) $sbx = $T.Sbx; Set-CasServiceAccountApp -AccountId $T.Never -AppId $T.C.apps.chatReader.appId -ClientSecret $T.ChatReaderSecret -Connection $T.Admin -Confirm:$false } }
        @{ Name = 'Remove-CasServiceAccount unknown account'; Id = 'ServiceAccountNotFound'; Category = 'ObjectNotFound'
            Run = { param($T) $sbx = $T.Sbx; Remove-CasServiceAccount -AccountId $T.Never -Connection $T.Admin -Confirm:$false } }
        @{ Name = 'Teams Chat cmdlet on an Exchange Online account'; Id = 'InvalidArgument'; Category = 'InvalidArgument'
            Run = { param($T) $sbx = $T.Sbx; Set-CasLicensingModel -AccountId $T.Exo -LicensingModel B -Connection $T.Admin -Confirm:$false } }
        @{ Name = 'account of one tenant with the connection of another'; Id = 'TenantMismatch'; Category = 'InvalidArgument'
            Run = { param($T) $sbx = $T.Sbx; Test-CasServiceAccount -AccountId $T.Exo -Connection $T.Fabrikam } }
        @{ Name = 'account of one tenant with -TenantId of another'; Id = 'TenantMismatch'; Category = 'InvalidArgument'
            Run = { param($T) $sbx = $T.Sbx; Remove-CasServiceAccount -AccountId $T.Exo -TenantId $T.F.tenantId -Force -Confirm:$false } }
        @{ Name = '-TenantId of one tenant with the connection of another'; Id = 'TenantMismatch'; Category = 'InvalidArgument'
            Run = { param($T) $sbx = $T.Sbx; Get-CasServiceAccount -TenantId $T.F.tenantId -Connection $T.Admin } }

        @{ Name = 'account of a tenant with no connection'; Id = 'NotConnected'; Category = 'ConnectionError'
            Run = { param($T) $sbx = $T.Sbx; Test-CasServiceAccount -AccountId $T.Never -TenantId 'nosuch.onmicrosoft.com' } }
        @{ Name = 'notification URL over ftp'; Id = 'InvalidArgument'; Category = 'InvalidArgument'
            Run = { param($T) $sbx = $T.Sbx; New-CasTeamsChatAccount -AppId $T.C.apps.chatReader.appId -ClientSecret $T.ChatReaderSecret -LicensingModel B -NotificationUrl 'ftp://notify.example.com/teams' -Connection $T.Admin -Confirm:$false } }
        @{ Name = 'wrong secret of the second tenant'; Id = 'InvalidClientSecret'; Category = 'AuthenticationError'; NotInAction = 'Update-CasServiceAccountSecret'
            Run = { param($T) $sbx = $T.Sbx; Connect-CasTenant -TenantId $T.F.tenantId -ClientId $T.F.adminAppId -ClientSecret $T.WrongSecret @sbx } }
        @{ Name = 'sandbox URL that is not loopback (certificate)'; Id = 'InvalidArgument'; Category = 'InvalidArgument'
            Run = { param($T) $sbx = $T.Sbx; Connect-CasTenant -TenantId $T.C.tenantId -ClientId $T.C.adminAppId -Certificate $T.Unregistered -Environment Sandbox -SandboxUrl 'https://casadmin-no-such-host.invalid/' -SandboxThumbprint $T.Thumbprint -StorePath $T.Registry } }
        @{ Name = 'unknown tenant (device code)'; Id = 'TenantNotFound'; Category = 'ObjectNotFound'; Target = 'tenant'
            Run = { param($T) $sbx = $T.Sbx; Connect-CasTenant -TenantId $T.NoTenant -ClientId $T.C.apps.public.appId -UseDeviceCode @sbx } }
        @{ Name = 'unknown tenant (certificate)'; Id = 'TenantNotFound'; Category = 'ObjectNotFound'; Target = 'tenant'
            Run = { param($T) $sbx = $T.Sbx; Connect-CasTenant -TenantId $T.NoTenant -ClientId $T.C.adminAppId -Certificate $T.Unregistered @sbx } }
        @{ Name = 'Exchange Online removal without -Force, host without UI'; Id = 'RemovalNotConfirmed'; Category = 'OperationStopped'; InAction = '-Force'
            Run = { param($T) $sbx = $T.Sbx; & $T.NoUiHost { param($id, $c) Remove-CasServiceAccount -AccountId $id -Connection $c -Confirm:$false } $T.Exo $T.Admin } }
        @{ Name = 'Exchange Online removal without -Confirm:$false, host without UI'; Id = 'RemovalNotConfirmed'; Category = 'OperationStopped'; InAction = '-Confirm:$false'
            Run = { param($T) $sbx = $T.Sbx; & $T.NoUiHost { param($id, $c) Remove-CasServiceAccount -AccountId $id -Connection $c } $T.Exo $T.Admin } }

        # --- The registry -------------------------------------------------------------------------------------------
        @{ Name = 'registry file that is not a registry'; Id = 'StoreCorrupt'; Category = 'InvalidData'
            Run = { param($T) $sbx = $T.Sbx; Get-CasServiceAccount -StorePath $T.NotAPfx } }
        @{ Name = 'registry path that is a folder'; Id = 'StoreUnavailable'; Category = 'ResourceUnavailable'
            Run = { param($T) $sbx = $T.Sbx; Get-CasServiceAccount -StorePath $T.Folder } }

        # --- Stored secrets ---------------------------------------------------------------------------------------------
        @{ Name = 'stored secret: a path instead of a reference'; Id = 'InvalidArgument'; Category = 'InvalidArgument'
            Run = { param($T) $sbx = $T.Sbx; Remove-CasStoredSecret -Reference '../../etc/passwd' -StorePath $T.Registry -Confirm:$false } }
        @{ Name = 'stored secret: an upper-case reference'; Id = 'InvalidArgument'; Category = 'InvalidArgument'
            Run = { param($T) $sbx = $T.Sbx; Remove-CasStoredSecret -Reference ('ABCDEF0123456789' * 2) -StorePath $T.Registry -Confirm:$false } }
        @{ Name = 'stored secret: a reference this machine does not hold'; Id = 'StoredSecretNotFound'; Category = 'ObjectNotFound'
            Run = { param($T) $sbx = $T.Sbx; Remove-CasStoredSecret -Reference ('0123456789abcdef' * 2) -StorePath $T.Registry -Confirm:$false } }

        # --- Microsoft Graph failures (the sandbox's faults) --------------------------------------------------------
        foreach ($fault in @(
                @{ Status = 400; Id = 'GraphRequestFailed'; Category = 'NotSpecified' }
                @{ Status = 401; Id = 'AccessTokenInvalid'; Category = 'AuthenticationError' }
                @{ Status = 402; Id = 'PaymentRequired'; Category = 'QuotaExceeded' }
                @{ Status = 403; Id = 'InsufficientPrivileges'; Category = 'PermissionDenied' }
            )) {
            @{ Name = "Graph answers $($fault.Status) to Find-CasServiceAccount"; Id = $fault.Id; Category = $fault.Category; Status = $fault.Status
                Run = { param($T, $Case) $sbx = $T.Sbx; & $T.WithFault @{ kind = 'status'; status = $Case.Status; path = '/v1.0/*'; tenantId = $T.C.tenantId } { param($c) Find-CasServiceAccount -Connection $c } $T.Admin } }
        }
        @{ Name = 'Graph resets every connection'; Id = 'TenantUnreachable'; Category = 'ConnectionError'
            Run = { param($T) $sbx = $T.Sbx; & $T.WithFault @{ kind = 'reset'; method = 'POST'; path = '/v1.0/applications'; tenantId = $T.C.tenantId } { param($c) New-CasTeamsChatApp -DisplayName 'CasAdmin reset app' -ConsoleUrl 'https://console.example.com' -Connection $c -Confirm:$false } $T.Admin } }
    )
}

BeforeAll {
    $repo = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    $props = [xml](Get-Content -Raw -LiteralPath (Join-Path $repo 'Directory.Build.props'))
    $version = @($props.Project.PropertyGroup | ForEach-Object { $_.CasAdminVersion } | Where-Object { $_ })[0]
    $manifest = Join-Path $repo "out/CasAdmin/$version/CasAdmin.psd1"
    if (-not (Test-Path -LiteralPath $manifest)) {
        throw "The module is not built: $manifest is missing. Run 'dotnet build CasAdmin.sln -c Release' first."
    }
    Import-Module $manifest -Force -ErrorAction Stop

    $folder = Join-Path $TestDrive 'badinput'
    $null = New-Item -ItemType Directory -Force -Path $folder
    $registry = Join-Path $folder 'registry.db'
    $sandbox, $connections = Start-CasSandbox -Connect -StorePath $registry -TimeoutSeconds 180 -Confirm:$false
    $info = Invoke-RestMethod -SkipCertificateCheck -Uri "$($sandbox.Url)_sandbox/info"
    $contoso = $info | Where-Object tenantId -EQ $sandbox.Tenants[0].TenantId
    $fabrikam = $info | Where-Object tenantId -EQ $sandbox.Tenants[1].TenantId
    $admin = $connections | Where-Object TenantId -EQ $contoso.tenantId
    $fabrikamAdmin = $connections | Where-Object TenantId -EQ $fabrikam.tenantId
    $sbx = @{ Environment = 'Sandbox'; SandboxUrl = $sandbox.Url; SandboxThumbprint = $sandbox.Thumbprint; StorePath = $registry }

    # Connections of the apps without (enough) consent; the admin connection is made the default again afterwards.
    $noConsent = Connect-CasTenant -TenantId $contoso.tenantId -ClientId $contoso.apps.noConsent.appId -ClientSecret (ConvertTo-SecureString $contoso.apps.noConsent.secret -AsPlainText -Force) @sbx -WarningVariable consentWarning -WarningAction SilentlyContinue
    $reader = Connect-CasTenant -TenantId $contoso.tenantId -ClientId $contoso.apps.reader.appId -ClientSecret (ConvertTo-SecureString $contoso.apps.reader.secret -AsPlainText -Force) @sbx -WarningAction SilentlyContinue
    $admin = Connect-CasTenant -TenantId $contoso.tenantId -ClientId $contoso.adminAppId -ClientSecret (ConvertTo-SecureString $contoso.adminAppSecret -AsPlainText -Force) @sbx
    $contosoToken = (Invoke-RestMethod -SkipCertificateCheck -Method Post -Uri "$($sandbox.Url)$($contoso.tenantId)/oauth2/v2.0/token" -Body @{
            grant_type = 'client_credentials'; client_id = $contoso.adminAppId; client_secret = $contoso.adminAppSecret; scope = 'https://graph.microsoft.com/.default' }).access_token

    # An Exchange Online account in the registry (recorded, not removed): the removal cases need one.
    $exo = Find-CasServiceAccount -Connection $admin | Where-Object Service -EQ 'ExchangeOnline' | Select-Object -First 1 |
        Register-CasServiceAccount -Connection $admin -Confirm:$false

    # Endpoints: a port nothing listens on; a listener that accepts connections (kernel backlog) and never answers.
    $probe = [System.Net.Sockets.TcpListener]::new([ipaddress]::Loopback, 0)
    $probe.Start(); $closedPort = $probe.LocalEndpoint.Port; $probe.Stop()
    $silent = [System.Net.Sockets.TcpListener]::new([ipaddress]::Loopback, 0)
    $silent.Start()

    # Certificates: one registered nowhere (also as a PFX), one without its private key; a file that is no PFX.
    $rsa = [System.Security.Cryptography.RSA]::Create(2048)
    $request = [System.Security.Cryptography.X509Certificates.CertificateRequest]::new('CN=casadmin-bad-input', $rsa,
        [System.Security.Cryptography.HashAlgorithmName]::SHA256, [System.Security.Cryptography.RSASignaturePadding]::Pkcs1)
    $unregistered = $request.CreateSelfSigned([datetimeoffset]::UtcNow.AddMinutes(-5), [datetimeoffset]::UtcNow.AddDays(1))
    $pfxPassword = 'pfx-password-bad-input'
    $pfx = Join-Path $folder 'unregistered.pfx'
    [System.IO.File]::WriteAllBytes($pfx, $unregistered.Export([System.Security.Cryptography.X509Certificates.X509ContentType]::Pfx, $pfxPassword))
    $publicOnly = [System.Security.Cryptography.X509Certificates.X509CertificateLoader]::LoadCertificate($unregistered.RawData)
    $notAPfx = Join-Path $folder 'not-a-registry-or-pfx.txt'
    Set-Content -LiteralPath $notAPfx -Value ('this is neither a PFX nor a SQLite file ' * 20)

    # An unsigned token for the sandbox tenant that expired an hour ago.
    function ConvertTo-Base64Url([string] $json) { [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes($json)).TrimEnd('=').Replace('+', '-').Replace('/', '_') }
    $past = [DateTimeOffset]::UtcNow.AddHours(-1).ToUnixTimeSeconds()
    $expiredToken = (ConvertTo-Base64Url '{"alg":"none","typ":"JWT"}') + '.' + (ConvertTo-Base64Url ('{"aud":"https://graph.microsoft.com","tid":"' + $contoso.tenantId + '","appid":"' + $contoso.adminAppId + '","roles":[],"iat":' + ($past - 3600) + ',"nbf":' + ($past - 3600) + ',"exp":' + $past + '}')) + '.'

    $wrongSecretText = 'Wr0ng~BadInputSecretValue_1234567890abcd'
    $T = @{
        Url = $sandbox.Url.ToString(); Thumbprint = $sandbox.Thumbprint; Registry = $registry; Folder = $folder; Sbx = $sbx
        C = $contoso; F = $fabrikam; Admin = $admin; Fabrikam = $fabrikamAdmin; NoConsent = $noConsent; Reader = $reader
        Never = [guid]'00000000-0000-0000-0000-00000000bad0'; Exo = $exo.AccountId; NoTenant = [guid]::NewGuid().ToString()
        AdminSecret = ConvertTo-SecureString $contoso.adminAppSecret -AsPlainText -Force
        WrongSecret = ConvertTo-SecureString $wrongSecretText -AsPlainText -Force
        ChatReaderSecret = ConvertTo-SecureString $contoso.apps.chatReader.secret -AsPlainText -Force
        NoConsentSecret = ConvertTo-SecureString $contoso.apps.noConsent.secret -AsPlainText -Force
        ContosoToken = ConvertTo-SecureString $contosoToken -AsPlainText -Force
        ExpiredToken = ConvertTo-SecureString $expiredToken -AsPlainText -Force
        ClosedUrl = "https://127.0.0.1:$closedPort/"; ClosedEndpoint = "127.0.0.1:$closedPort"
        SilentUrl = "https://127.0.0.1:$($silent.LocalEndpoint.Port)/"; SilentEndpoint = "127.0.0.1:$($silent.LocalEndpoint.Port)"
        Unregistered = $unregistered; PublicOnly = $publicOnly; Pfx = $pfx; PfxPassword = ConvertTo-SecureString $pfxPassword -AsPlainText -Force; NotAPfx = $notAPfx
        Days = {
            param($days)
            if ($days -eq 'TenYearsAndADay') { $now = [datetimeoffset]::UtcNow; return ($now.AddYears(10) - $now) + [timespan]::FromDays(1) }
            [timespan]::FromDays($days)
        }
        # Runs a command in a runspace whose host has no UI (like a runbook's), with the module of this session.
        NoUiHost = {
            param([scriptblock] $command, $id, $connection)
            $ps = [powershell]::Create()
            try {
                $null = $ps.AddScript("Import-Module '$manifest'").Invoke()
                $null = $ps.Commands.Clear()
                $null = $ps.AddScript($command.ToString()).AddArgument($id).AddArgument($connection)
                $null = $ps.Invoke()
                foreach ($e in $ps.Streams.Error) { Write-Error -ErrorRecord $e }
            }
            finally { $ps.Dispose() }
        }
        WithFault = {
            param([hashtable] $rule, [scriptblock] $command, $connection)
            $faults = "$($sandbox.Url)_sandbox/faults"
            $null = Invoke-RestMethod -SkipCertificateCheck -Method Post -Uri $faults -ContentType 'application/json' -Body ($rule | ConvertTo-Json)
            try { & $command $connection }
            finally { $null = Invoke-RestMethod -SkipCertificateCheck -Method Delete -Uri $faults }
        }
    }

    # Every secret the session knows; none may ever be printed.
    $secrets = @($wrongSecretText, $pfxPassword, $contosoToken, $expiredToken) + @(foreach ($tenantInfo in $info) {
            $tenantInfo.adminAppSecret; $tenantInfo.adminPassword; $tenantInfo.managedIdentityHeader
            foreach ($a in $tenantInfo.apps.PSObject.Properties.Value) { if ($a.secret) { $a.secret } }
        }) | Where-Object { $_ }

    function Get-TenantSnapshot {
        $states = foreach ($tenantInfo in $info) {
            Invoke-RestMethod -SkipCertificateCheck -Uri "$($sandbox.Url)_sandbox/tenants/$($tenantInfo.tenantId)/state" | ConvertTo-Json -Depth 50 -Compress
        }
        $writes = (Invoke-RestMethod -SkipCertificateCheck -Uri "$($sandbox.Url)_sandbox/stats").totals.writes
        [pscustomobject]@{ States = $states -join "`n"; Writes = $writes }
    }

    function Get-RegistrySnapshot {
        $accounts = Get-CasServiceAccount -StorePath $registry -IncludeRemoved | Sort-Object AccountId |
            Select-Object AccountId, Service, Status, AppId, SecretKeyId, SecretExpiresOn, LicensingModel, UpdatedOn | ConvertTo-Json -Depth 5 -Compress
        $jobs = Get-CasRemovalJob -StorePath $registry | Sort-Object JobId | Select-Object JobId, Status, AccountId | ConvertTo-Json -Compress
        $notifications = @(Get-CasNotification -StorePath $registry -ErrorAction SilentlyContinue).Count
        "$accounts|$jobs|$notifications"
    }

    # Runs one case with every stream captured; returns the first ErrorRecord and all the text it produced.
    function Invoke-BadInput([scriptblock] $run, [hashtable] $case) {
        $ErrorActionPreference = 'Continue'
        $VerbosePreference = 'Continue'
        $DebugPreference = 'Continue'
        $InformationPreference = 'Continue'
        $caught = $null
        $all = @()
        try {
            $all = @(& $run $T $case *>&1)
        }
        catch {
            $caught = $_
        }
        $errors = @($all | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] }) + @($caught | Where-Object { $_ })
        $text = ($all | Out-String -Width 4096) + (($errors | ForEach-Object {
                    $_.ToString(); $_.Exception.ToString(); $_.ErrorDetails.Message; $_.ErrorDetails.RecommendedAction; "$($_.TargetObject)"
                }) -join "`n")
        [pscustomobject]@{ Error = $errors | Select-Object -First 1; Text = $text; Output = $all }
    }
}

AfterAll {
    if ($silent) { $silent.Stop() }
    if (Get-Module CasAdmin) {
        Disconnect-CasTenant -All -Confirm:$false -ErrorAction SilentlyContinue
        if ($sandbox) { Stop-CasSandbox -ProcessId $sandbox.ProcessId -ErrorAction SilentlyContinue }
        Remove-Module CasAdmin -Force
    }
}

Describe 'Bad input: a stable id, a way out, and nothing changed' {
    It 'the catalogue holds at least 100 bad inputs' -ForEach @{ Count = $cases.Count } {
        $Count | Should -BeGreaterOrEqual 100
    }

    It '<Name> → <Id>' -ForEach $cases {
        $tenantBefore = Get-TenantSnapshot
        $registryBefore = Get-RegistrySnapshot
        $fileBefore = (Get-Item -LiteralPath $T.Registry).Length

        $result = Invoke-BadInput $Run $_

        $result.Error | Should -Not -BeNullOrEmpty -Because "'$Name' must fail"
        $result.Error.FullyQualifiedErrorId | Should -BeLike "$Id*"
        $result.Error.CategoryInfo.Category | Should -Be $Category
        $result.Error.ErrorDetails.RecommendedAction | Should -Not -BeNullOrEmpty
        if (-not $_.NoTarget) { $result.Error.TargetObject | Should -Not -BeNullOrEmpty }
        if ($_.Target -eq 'tenant') { "$($result.Error.TargetObject)" | Should -Be $T.NoTenant }
        if ($_.Target -eq 'app') { "$($result.Error.TargetObject)" | Should -Be $T.C.adminAppId }
        if ($_.NotInAction) { $result.Error.ErrorDetails.RecommendedAction | Should -Not -BeLike "*$($_.NotInAction)*" }
        if ($_.InAction) { $result.Error.ErrorDetails.RecommendedAction | Should -BeLike "*$($_.InAction)*" }
        if ($_.NotInMessage) { $result.Error.ToString() | Should -Not -BeLike "*$($_.NotInMessage)*" }
        if ($_.InMessage) { $result.Error.ToString() | Should -BeLike "*$($T[$_.InMessage])*" }
        foreach ($secret in $secrets) {
            $result.Text.Contains($secret) | Should -BeFalse -Because "no secret may appear in any stream ('$Name')"
        }

        (Get-TenantSnapshot).States | Should -Be $tenantBefore.States -Because 'nothing may change in the tenant'
        (Get-TenantSnapshot).Writes | Should -Be $tenantBefore.Writes -Because 'no Graph write may be made'
        Get-RegistrySnapshot | Should -Be $registryBefore -Because 'nothing may change in the registry'
        (Get-Item -LiteralPath $T.Registry).Length | Should -Be $fileBefore
    }
}

Describe 'Warnings that are not errors' {
    It 'an app without admin consent connects with a warning that names the missing consent' {
        $consentWarning | Should -Not -BeNullOrEmpty
        "$consentWarning" | Should -BeLike '*admin consent*'
        "$consentWarning" | Should -BeLike "*$($contoso.apps.noConsent.appId)*"
        "$consentWarning" | Should -BeLike '*Application.ReadWrite.All*'
        $noConsent.Permissions.Count | Should -Be 0
    }
}
