using CasAdmin.Sandbox.Identity;
using CasAdmin.Sandbox.Tenants;

namespace CasAdmin.Sandbox.Graph;

/// <summary>
/// Entra's second gate for delegated directory writes: besides the scope, the signed-in user must hold an ACTIVE directory
/// role (the token's wids) that may make the change. Global Administrator always may; PIM-eligible roles are not in wids and
/// do not count. App-only tokens are not checked here: their application permission is all they need.
/// Applies to every POST/PATCH/PUT/DELETE route on users, groups, applications, service principals (and their app-role
/// assignments), oauth2PermissionGrants, directory role assignments and deleted items, whoever registered the route.
/// </summary>
internal static class DirectoryRoleCheck
{
    public const string GlobalAdministrator = DirectoryRoleCatalog.GlobalAdministrator;
    public const string UserAdministrator = "fe930be7-5e62-47db-91af-98c3a49a38b1";
    public const string GroupsAdministrator = "fdd7a751-b60b-444a-984c-02652fe8fa1c";
    public const string ApplicationAdministrator = "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3";
    public const string CloudApplicationAdministrator = "158c047a-c907-4556-b7ef-446551a6b5f7";
    public const string PrivilegedRoleAdministrator = "e8611ab8-c189-46e8-94e1-60213ab1f814";

    private static readonly string[] Users = [UserAdministrator];
    private static readonly string[] Groups = [GroupsAdministrator, UserAdministrator];
    private static readonly string[] Apps = [ApplicationAdministrator, CloudApplicationAdministrator];

    // Granting application permissions (app roles of Microsoft Graph) needs Privileged Role Administrator; revoking them an app admin may do too.
    private static readonly string[] GrantAppRoles = [PrivilegedRoleAdministrator];
    private static readonly string[] RevokeAppRoles = [PrivilegedRoleAdministrator, ApplicationAdministrator, CloudApplicationAdministrator];
    private static readonly string[] DelegatedGrants = [PrivilegedRoleAdministrator, ApplicationAdministrator, CloudApplicationAdministrator];
    private static readonly string[] RoleAssignments = [PrivilegedRoleAdministrator];
    private static readonly string[] DeletedItems = [UserAdministrator, GroupsAdministrator, ApplicationAdministrator, CloudApplicationAdministrator];

    /// <summary>The roles (besides Global Administrator) that may make this write; null when the route is not a directory write.</summary>
    public static IReadOnlyList<string>? RolesFor(string method, string template)
    {
        if (method is not ("POST" or "PATCH" or "PUT" or "DELETE"))
        {
            return null;
        }

        var segments = template.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Length == 0)
        {
            return null;
        }

        var first = segments[0];
        var paren = first.IndexOf('(', StringComparison.Ordinal);
        if (paren >= 0)
        {
            first = first[..paren];
        }

        var isAppRoleAssignment = segments.Any(s => s.Equals("appRoleAssignedTo", StringComparison.OrdinalIgnoreCase) || s.Equals("appRoleAssignments", StringComparison.OrdinalIgnoreCase));
        return first.ToLowerInvariant() switch
        {
            // Only the user object itself (and its $ref-style children): not e.g. chats reached through a user.
            "users" when segments.Length <= 2 => Users,
            "users" or "groups" when isAppRoleAssignment => method == "DELETE" ? RevokeAppRoles : GrantAppRoles,
            "groups" => Groups,
            "applications" => Apps,
            "serviceprincipals" when isAppRoleAssignment => method == "DELETE" ? RevokeAppRoles : GrantAppRoles,
            "serviceprincipals" when segments.Any(s => s.Equals("oauth2PermissionGrants", StringComparison.OrdinalIgnoreCase)) => DelegatedGrants,
            "serviceprincipals" => Apps,
            "oauth2permissiongrants" => DelegatedGrants,
            "rolemanagement" => RoleAssignments,
            "directory" when segments.Length > 1 && segments[1].Equals("deletedItems", StringComparison.OrdinalIgnoreCase) => DeletedItems,
            _ => null,
        };
    }

    /// <summary>Null when allowed; otherwise the error message for 403 Authorization_RequestDenied.</summary>
    public static string? Denied(GraphRoute route, AccessTokenPrincipal principal)
    {
        if (principal.IsApp)
        {
            return null;
        }

        var roles = RolesFor(route.Method, route.Template);
        if (roles is null)
        {
            return null;
        }

        if (principal.Wids.Any(w => w.Equals(GlobalAdministrator, StringComparison.OrdinalIgnoreCase) || roles.Contains(w, StringComparer.OrdinalIgnoreCase)))
        {
            return null;
        }

        return "Insufficient privileges to complete the operation.";
    }
}
