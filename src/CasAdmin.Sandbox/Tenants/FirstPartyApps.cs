namespace CasAdmin.Sandbox.Tenants;

/// <summary>
/// Microsoft's own multitenant apps that people sign in with in any tenant. Their application objects live in
/// Microsoft's tenant, not in the customer's, so they never show in GET /applications; each tenant holds only the
/// service principal. Today: Microsoft Graph Command Line Tools, the public client of Microsoft Graph PowerShell
/// (Connect-MgGraph), which Register-CasAdminApp signs in with once to create the tenant's own app.
/// </summary>
internal static class FirstPartyApps
{
    /// <summary>The "Microsoft Services" tenant that owns Microsoft's first-party apps (appOwnerOrganizationId).</summary>
    public const string MicrosoftServicesTenantId = "f8cdef31-a31e-4b4a-93e4-5f571e91255a";

    public const string GraphCommandLineToolsAppId = "14d82eec-204b-4c2f-b7e8-296a70dab67e";
    public const string GraphCommandLineToolsName = "Microsoft Graph Command Line Tools";

    public static Application? Find(string appId) =>
        string.Equals(appId, GraphCommandLineToolsAppId, StringComparison.OrdinalIgnoreCase) ? GraphCommandLineTools() : null;

    /// <summary>
    /// A public client with the loopback redirect and public client flows allowed, as Graph PowerShell uses it.
    /// Built afresh on each lookup: it is read-only to every tenant, and nothing may change Microsoft's app.
    /// </summary>
    private static Application GraphCommandLineTools()
    {
        var app = new Application
        {
            Id = "b6e2bd1d-2f6f-4a41-8a4a-6b3f9f6f6d2c",
            AppId = GraphCommandLineToolsAppId,
            DisplayName = GraphCommandLineToolsName,
            HomeTenantId = MicrosoftServicesTenantId,
            SignInAudience = "AzureADandPersonalMicrosoftAccount",
            IsFallbackPublicClient = true,
        };
        app.PublicClientRedirectUris.Add("http://localhost");
        return app;
    }

    /// <summary>
    /// The app's service principal in a tenant. Entra creates it the first time someone in the tenant signs in to the
    /// app; the sandbox seeds it up front, because the sign-in endpoints resolve the client before anyone signs in.
    /// It carries no permission grant: the person consents when signing in (POST /_sandbox/devicecode/approve
    /// with "consent": true).
    /// </summary>
    public static ServicePrincipal GraphCommandLineToolsPrincipal(string tenantId, DateTimeOffset created)
    {
        var sp = new ServicePrincipal
        {
            Id = DeterministicIds.Guid(tenantId, "servicePrincipal", GraphCommandLineToolsAppId),
            AppId = GraphCommandLineToolsAppId,
            DisplayName = GraphCommandLineToolsName,
            AppOwnerOrganizationId = MicrosoftServicesTenantId,
            SignInAudience = "AzureADandPersonalMicrosoftAccount",
            CreatedDateTime = created,
        };
        sp.ServicePrincipalNames.Add(GraphCommandLineToolsAppId);
        sp.ReplyUrls.Add("http://localhost");
        return sp;
    }
}
