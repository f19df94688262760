using CasAdmin.Engine.Connections;
using CasAdmin.Engine.Domain;
using CasAdmin.Engine.Errors;
using CasAdmin.Engine.Graph;
using CasAdmin.Engine.Provisioning;
using CasAdmin.Engine.Store;

namespace CasAdmin.Engine.Accounts;

/// <summary>What Register-CasServiceAccount records.</summary>
public sealed record RegisterAccountRequest
{
    public CasService Service { get; init; }

    public ServiceAccountKind Kind { get; init; } = ServiceAccountKind.AuthorizedAccount;

    public string? AppId { get; init; }

    public string? DelegateAccount { get; init; }

    public string? DisplayName { get; init; }

    public bool IsLegacy { get; init; }

    public LicensingModel? LicensingModel { get; init; }
}

/// <summary>Finds service-account footprints already in a tenant and brings them under management.</summary>
internal static class Discovery
{
    /// <summary>Delegate users follow the product's naming; the pattern is a parameter for tenants that differ.</summary>
    public const string DefaultDelegatePrefix = "tmcas";

    public static async Task<IReadOnlyList<CasServiceAccountCandidate>> FindAsync(CasConnection connection, string delegatePrefix, CancellationToken ct)
    {
        var directory = new DirectoryClient(connection.Context.Graph, connection.Permissions);
        // Only to mark what is registered already: a registry that does not exist yet holds nothing, and is not created by a look.
        var location = StoreLocator.Resolve(connection.StorePath);
        var registered = StoreLocator.IsConnectionString(location) || File.Exists(location)
            ? await new AccountRepository(RegistryStore.Open(connection.StorePath, create: false)).ListAsync(connection.TenantId, null, null, false, ct).ConfigureAwait(false)
            : [];
        bool IsRegistered(CasService? service, string? appId, string? upn) => registered.Any(a =>
            (service is null || a.Service == service)
            && (appId is null || string.Equals(a.AppId, appId, StringComparison.OrdinalIgnoreCase))
            && (upn is null || string.Equals(a.DelegateAccount, upn, StringComparison.OrdinalIgnoreCase)));

        var found = new List<CasServiceAccountCandidate>();
        CasServiceAccountCandidate Candidate(CasService? service, ServiceAccountKind kind, string? appId, string? upn, string? name, bool legacy, string evidence) => new()
        {
            TenantId = connection.TenantId, TenantDomain = connection.TenantDomain, Service = service, Kind = kind, AppId = appId, DelegateAccount = upn,
            DisplayName = name, IsLegacy = legacy, Evidence = evidence, Registered = IsRegistered(service, appId, upn),
        };

        foreach (var app in await directory.ListApplicationsAsync($"tags/any(t:t eq '{TeamsChatAppProvisioner.Tag}')", ct).ConfigureAwait(false))
        {
            found.Add(Candidate(CasService.TeamsChat, ServiceAccountKind.AuthorizedAccount, app.AppId, null, app.DisplayName, false,
                $"App '{app.DisplayName}' registered by CasAdmin for Teams Chat"));
        }

        var vendor = await directory.ListServicePrincipalsAsync($"startswith(displayName,'{Footprints.VendorAppName}')", ct).ConfigureAwait(false);
        var legacyByApp = vendor.Where(p => p.ServicePrincipalType == "Legacy").ToLookup(p => p.AppId, StringComparer.OrdinalIgnoreCase);
        var inlineGroups = 0;
        foreach (var name in Footprints.InlineGroups)
        {
            inlineGroups += (await directory.FindGroupsAsync(name, ct).ConfigureAwait(false)).Count;
        }

        foreach (var principal in vendor.Where(p => p.ServicePrincipalType != "Legacy"))
        {
            var service = Footprints.ServiceFromName(principal.DisplayName);
            if (service == CasService.ExchangeOnlineInline && inlineGroups == 0)
            {
                service = null;
            }

            var evidence = $"Service principal '{principal.DisplayName}'";
            if (service == CasService.ExchangeOnlineInline)
            {
                evidence += $" and {inlineGroups} TMCAS Inline group(s)";
            }

            if (legacyByApp.Contains(principal.AppId))
            {
                evidence += "; a legacy SharePoint add-in principal with the same App Id";
            }

            found.Add(Candidate(service, ServiceAccountKind.AuthorizedAccount, principal.AppId, null, principal.DisplayName,
                service == CasService.TeamsChat, evidence));
        }

        var users = await connection.Context.Graph.CallAsync((g, c) => g.Users.GetAsync(r =>
        {
            r.QueryParameters.Filter = $"startswith(userPrincipalName,'{DirectoryClient.Escape(delegatePrefix)}')";
            r.QueryParameters.Select = ["id", "userPrincipalName", "displayName"];
            r.QueryParameters.Top = 999;
        }, c), "users", ct, ["User.Read.All"], connection.Permissions).ConfigureAwait(false);
        foreach (var user in users?.Value ?? [])
        {
            var upn = user.UserPrincipalName!;
            var local = upn.Split('@')[0];
            CasService? service = local.Contains("exchange", StringComparison.OrdinalIgnoreCase) ? CasService.ExchangeOnline
                : local.Contains("sharepoint", StringComparison.OrdinalIgnoreCase) ? CasService.SharePointOnline
                : local.Contains("onedrive", StringComparison.OrdinalIgnoreCase) ? CasService.OneDrive
                : null;
            found.Add(Candidate(service, ServiceAccountKind.DelegateAccount, null, upn, user.DisplayName, false, $"Delegate user {upn}"));
        }

        return found;
    }

    public static async Task<CasServiceAccount> RegisterAsync(CasConnection connection, RegisterAccountRequest request, CancellationToken ct)
    {
        Validate(request);
        var store = RegistryStore.Open(connection.StorePath);
        store.EnsureWritable();
        var now = DateTimeOffset.UtcNow;
        var account = new CasServiceAccount
        {
            AccountId = Guid.NewGuid(),
            TenantId = connection.TenantId,
            TenantDomain = connection.TenantDomain,
            Service = request.Service,
            Kind = request.Kind,
            IsLegacy = request.IsLegacy,
            AppId = request.AppId,
            DelegateAccount = request.DelegateAccount,
            DisplayName = request.DisplayName,
            LicensingModel = request.Service == CasService.TeamsChat ? request.LicensingModel ?? (request.IsLegacy ? LicensingModel.Evaluation : null) : null,
            Status = ServiceAccountStatus.Active,
            CreatedOn = now,
            UpdatedOn = now,
        };

        var repository = new AccountRepository(store);
        var audit = new AuditEntry(AuditEntry.ActorOf(connection), account.TenantId, account.AccountId, "RegisterServiceAccount",
            account.AppId ?? account.DelegateAccount, "Succeeded", $"{request.Service} {request.Kind}");

        // Checked inside the write transaction, and backed by the unique natural key: two processes registering the
        // same account at once get one record, and the second an error naming it.
        if (await repository.RegisterAsync(KnownTenant.Of(connection), account, audit, ct).ConfigureAwait(false) is { } existing)
        {
            throw new CasException(ErrorIds.ServiceAccountExists, CasErrorCategory.ResourceExists,
                $"The {request.Service} account of {connection.TenantDomain ?? connection.TenantId} is already registered ({existing}).",
                "Use the registered account (Get-CasServiceAccount).", existing.ToString());
        }

        return (await repository.GetAsync(account.AccountId, ct).ConfigureAwait(false))!;
    }

    private static void Validate(RegisterAccountRequest request)
    {
        if (request.AppId is not null && !Guid.TryParse(request.AppId, out _))
        {
            throw CasException.InvalidArgument($"'{request.AppId}' is not an App Id (a GUID).",
                "Copy the App Id from the service account's details, or from the app's Overview page in Entra ID.", request.AppId);
        }

        if (request.Kind == ServiceAccountKind.DelegateAccount)
        {
            if (string.IsNullOrWhiteSpace(request.DelegateAccount) || !request.DelegateAccount.Contains('@', StringComparison.Ordinal))
            {
                throw CasException.InvalidArgument("A delegate account needs its user principal name (user@domain).", "Pass -DelegateAccount user@domain.", request.DelegateAccount);
            }
        }
        else if (request.AppId is null)
        {
            throw CasException.InvalidArgument($"An authorized {request.Service} account needs its App Id.", "Pass -AppId.", request.Service.ToString());
        }

        if (request.Service is CasService.ExchangeOnlineInline or CasService.TeamsChat && request.Kind == ServiceAccountKind.DelegateAccount)
        {
            throw CasException.InvalidArgument($"{request.Service} uses an authorized account, not a delegate account.", "Pass -Kind AuthorizedAccount with -AppId.", request.Service.ToString());
        }
    }
}
