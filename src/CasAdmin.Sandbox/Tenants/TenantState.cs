namespace CasAdmin.Sandbox.Tenants;

/// <summary>
/// One tenant's directory. Every read and write of its collections happens under <see cref="Sync"/>; later resource
/// families (groups, chats, subscriptions, deleted items) add their own dictionaries here.
/// </summary>
internal sealed class TenantState
{
    public TenantState(string id, string domain, string displayName, UserDirectory users)
    {
        Id = id;
        Domain = domain;
        DisplayName = displayName;
        Users = users;
    }

    public Lock Sync { get; } = new();
    public string Id { get; }
    public string Domain { get; }
    public string DisplayName { get; }
    public DateTimeOffset CreatedDateTime { get; init; }

    /// <summary>User count used for the throttling tier; defaults to the real count.</summary>
    public int? SizeOverride { get; init; }
    public int ThrottlingSize => SizeOverride ?? Users.Count;

    public UserDirectory Users { get; }
    public Dictionary<string, Application> Applications { get; } = new(StringComparer.OrdinalIgnoreCase);
    public Dictionary<string, ServicePrincipal> ServicePrincipals { get; } = new(StringComparer.OrdinalIgnoreCase);
    public Dictionary<string, AppRoleAssignment> AppRoleAssignments { get; } = new(StringComparer.OrdinalIgnoreCase);
    public Dictionary<string, OAuth2PermissionGrant> PermissionGrants { get; } = new(StringComparer.OrdinalIgnoreCase);
    public List<DirectoryRoleAssignment> RoleAssignments { get; } = [];

    /// <summary>Soft-deleted directory objects of every kind (the 30-day recycle bin behind /directory/deletedItems).</summary>
    public DeletedItemStore DeletedItems { get; } = new();

    /// <summary>The default app management policy (secret lifetime restriction).</summary>
    public AppManagementPolicy AppManagementPolicy { get; set; } = AppManagementPolicy.Disabled();

    /// <summary>Licences the tenant subscribes to (GET /subscribedSkus).</summary>
    public List<SubscribedSku> SubscribedSkus { get; } = [];

    /// <summary>Chats, chat subscriptions and Evaluation Mode usage.</summary>
    public TeamsChatState Teams => LazyInitializer.EnsureInitialized(ref _teams, () => new TeamsChatState(this));
    private TeamsChatState? _teams;
    public Dictionary<string, DirectoryGroup> Groups { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The seeded service-account footprints (for SandboxTenantInfo), in seeding order.</summary>
    public List<SandboxFootprintInfo> Footprints { get; } = [];

    /// <summary>Chats are generated lazily by a later issue from these numbers.</summary>
    public int GeneratedChatCount { get; init; }
    public int Seed { get; init; }

    /// <summary>App Service style managed identity of this tenant (X-IDENTITY-HEADER value and its client id).</summary>
    public string? ManagedIdentityAppId { get; set; }
    public string ManagedIdentityHeader { get; init; } = "";

    /// <summary>Scenario-level names for the well-known principals (admin user, apps), for SandboxTenantInfo.</summary>
    public Dictionary<string, string> Roles { get; } = new(StringComparer.OrdinalIgnoreCase);

    public ServicePrincipal GraphServicePrincipal =>
        FindServicePrincipalByAppId(GraphPermissionCatalog.GraphAppId) ?? throw new InvalidOperationException("Tenant without Microsoft Graph service principal.");

    public ServicePrincipal? FindServicePrincipalByAppId(string appId)
    {
        foreach (var sp in ServicePrincipals.Values)
        {
            if (string.Equals(sp.AppId, appId, StringComparison.OrdinalIgnoreCase))
            {
                return sp;
            }
        }
        return null;
    }

    public Application? FindApplicationByAppId(string appId)
    {
        foreach (var app in Applications.Values)
        {
            if (string.Equals(app.AppId, appId, StringComparison.OrdinalIgnoreCase))
            {
                return app;
            }
        }
        return null;
    }

    /// <summary>App-role values the principal holds on the resource (e.g. Graph), as they appear in a token's roles claim.</summary>
    public List<string> AssignedRoleValues(string principalId, ServicePrincipal resource, Func<AppRoleAssignment, bool>? replicated = null)
    {
        var values = new List<string>();
        foreach (var a in AppRoleAssignments.Values)
        {
            if (!a.PrincipalId.Equals(principalId, StringComparison.OrdinalIgnoreCase) || !a.ResourceId.Equals(resource.Id, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if (replicated is not null && !replicated(a))
            {
                continue;
            }

            var role = resource.AppRoles.FirstOrDefault(r => r.Id.Equals(a.AppRoleId, StringComparison.OrdinalIgnoreCase));
            if (role is not null && !values.Contains(role.Value))
            {
                values.Add(role.Value);
            }
        }
        return values;
    }

    /// <summary>Delegated scopes granted to the client on the resource for this user (tenant-wide grants plus the user's own).</summary>
    public HashSet<string> GrantedScopes(string clientSpId, string resourceSpId, string userId)
    {
        var scopes = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var g in PermissionGrants.Values)
        {
            if (!g.ClientId.Equals(clientSpId, StringComparison.OrdinalIgnoreCase) || !g.ResourceId.Equals(resourceSpId, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if (g.ConsentType == "AllPrincipals" || string.Equals(g.PrincipalId, userId, StringComparison.OrdinalIgnoreCase))
            {
                foreach (var s in g.Scope.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                {
                    scopes.Add(s);
                }
            }
        }
        return scopes;
    }

    public List<string> ActiveRoleTemplates(string principalId) =>
        RoleAssignments.Where(r => r.State == RoleAssignmentState.Active && r.PrincipalId.Equals(principalId, StringComparison.OrdinalIgnoreCase))
            .Select(r => r.RoleTemplateId).Distinct(StringComparer.OrdinalIgnoreCase).ToList();

    /// <summary>Object id of the activated directoryRole object for a template in this tenant.</summary>
    public string DirectoryRoleObjectId(string templateId) => DeterministicIds.Guid(Id, "directoryRole", templateId.ToLowerInvariant());
}
