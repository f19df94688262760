namespace CasAdmin.Engine.Connections;

/// <summary>
/// The tenant's own public-client app that people sign in with (interactive and device code), created once per
/// tenant by Register-CasAdminApp. Microsoft Graph permission ids: learn.microsoft.com/graph/permissions-reference.
/// </summary>
internal static class AdminApp
{
    /// <summary>
    /// Microsoft's first-party public client "Microsoft Graph Command Line Tools" (the app Connect-MgGraph signs in
    /// with), present in every Entra ID tenant. CasAdmin uses it only to bootstrap: to create the tenant's own app.
    /// </summary>
    public const string GraphCommandLineToolsClientId = "14d82eec-204b-4c2f-b7e8-296a70dab67e";

    public const string DefaultDisplayName = "CasAdmin Sign-in";

    /// <summary>Marks the app as CasAdmin's, so that a rerun finds it instead of creating a second one.</summary>
    public const string Tag = "CasAdmin.AdminApp";

    public const string LoopbackRedirectUri = "http://localhost";

    public sealed record Scope(string Name, Guid Id);

    /// <summary>
    /// The delegated permissions CasAdmin's commands use with a person's connection: registering and consenting the
    /// Teams Chat app, finding, verifying and removing service accounts (users, groups, apps, role assignments) and
    /// reading the organization for licensing model A. A delegated permission never exceeds the signed-in person's
    /// own directory roles.
    /// </summary>
    public static readonly IReadOnlyList<Scope> DelegatedScopes =
    [
        new("User.Read", Guid.Parse("e1fe6dd8-ba31-4d61-89e7-88639da4683d")),
        new("User.ReadWrite.All", Guid.Parse("204e0828-b5ca-4ad8-b9f3-f32a958e7cc4")),
        new("Directory.Read.All", Guid.Parse("06da0dbc-49e2-44d2-8312-53f166ab848a")),
        new("Group.ReadWrite.All", Guid.Parse("4e46008b-f24c-477d-8fff-7bb4ec7aafe0")),
        new("Application.ReadWrite.All", Guid.Parse("bdfbf15f-ee85-4955-8675-146e8e5296b5")),
        new("AppRoleAssignment.ReadWrite.All", Guid.Parse("84bccea3-f856-4a8a-967b-dbe0a3d53a64")),
        new("DelegatedPermissionGrant.ReadWrite.All", Guid.Parse("41ce6ca6-6826-4807-84f1-1c82854f7ee5")),
        new("RoleManagement.ReadWrite.Directory", Guid.Parse("d01b97e9-cbc0-49fe-810a-750afd5527a3")),
        new("Organization.Read.All", Guid.Parse("4908d5b9-3fb2-4b1e-9336-1888b7937185")),
    ];

    /// <summary>
    /// What the bootstrap sign-in asks Microsoft Graph Command Line Tools for: create an app and its service
    /// principal, and grant the app's delegated permissions tenant-wide. Consented for the signed-in admin only.
    /// </summary>
    public static readonly IReadOnlyList<string> BootstrapScopes = ["User.Read", "Application.ReadWrite.All", "DelegatedPermissionGrant.ReadWrite.All"];

    public static string ConsentScope => string.Join(' ', DelegatedScopes.Select(s => s.Name));
}
