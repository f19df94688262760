namespace CasAdmin.Sandbox.Tenants;

/// <summary>
/// The Microsoft Graph service principal's real app-role and delegated-scope ids (learn.microsoft.com/graph/permissions-reference)
/// for the permissions CasAdmin and its tests use. Add rows here when a later resource family needs a new permission.
/// </summary>
internal static class GraphPermissionCatalog
{
    public const string GraphAppId = "00000003-0000-0000-c000-000000000000";
    public const string GraphDisplayName = "Microsoft Graph";
    public const string GraphResource = "https://graph.microsoft.com";

    public static IReadOnlyList<AppRole> AppRoles { get; } =
    [
        Role("df021288-bdef-4463-88db-98f22de89214", "User.Read.All", "Read all users' full profiles"),
        Role("741f803b-c850-494e-b5df-cde7c675a1ca", "User.ReadWrite.All", "Read and write all users' full profiles"),
        Role("97235f07-e226-4f63-ace3-39588e11d3a1", "User.ReadBasic.All", "Read all users' basic profiles"),
        Role("75359482-378d-4052-8f01-80520e7db3cd", "Files.ReadWrite.All", "Read and write files in all site collections"),
        Role("7e847308-e030-4183-9899-5235d7270f58", "Chat.UpdatePolicyViolation.All", "Flag chat messages for violating policy"),
        Role("6b7d71aa-70aa-4810-a8d9-5d9fb2830017", "Chat.Read.All", "Read all chat messages"),
        Role("5b567255-7703-4780-807c-7be8301ae99b", "Group.Read.All", "Read all groups"),
        Role("62a82d76-70ea-41e2-9197-370581804d09", "Group.ReadWrite.All", "Read and write all groups"),
        Role("9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30", "Application.Read.All", "Read all applications"),
        Role("1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9", "Application.ReadWrite.All", "Read and write all applications"),
        Role("18a4783c-866b-4cc7-a460-3d5e5662c884", "Application.ReadWrite.OwnedBy", "Manage apps that this app creates or owns"),
        Role("06b708a9-e830-4db3-a914-8e69da51d44f", "AppRoleAssignment.ReadWrite.All", "Manage app permission grants and app role assignments"),
        Role("8e8e4742-1d95-4f68-9d56-6ee75648c72a", "DelegatedPermissionGrant.ReadWrite.All", "Manage all delegated permission grants"),
        Role("7ab1d382-f21e-4acd-a863-ba3e13f7da61", "Directory.Read.All", "Read directory data"),
        Role("19dbc75e-c2e2-444c-a770-ec69d8559fc7", "Directory.ReadWrite.All", "Read and write directory data"),
        Role("483bed4a-2ad3-4361-a73b-c83ccdbdc53c", "RoleManagement.Read.Directory", "Read all directory RBAC settings"),
        Role("9e3f62cf-ca93-4989-b6ce-bf83c28f9fe8", "RoleManagement.ReadWrite.Directory", "Read and write all directory RBAC settings"),
        Role("498476ce-e0fe-48b0-b801-37ba7e2685c6", "Organization.Read.All", "Read organization information"),
        Role("292d869f-3427-49a8-9dab-8c70152b74e9", "Organization.ReadWrite.All", "Read and write organization information"),
        // Held by the vendor principals of the seeded service-account footprints (Scenarios/FootprintSeeder.cs).
        Role("e2a3a72e-5f79-4c64-b1b1-878b674786c9", "Mail.ReadWrite", "Read and write mail in all mailboxes"),
        Role("a82116e5-55eb-4c41-a434-62fe8a61c773", "Sites.FullControl.All", "Have full control of all site collections"),
        Role("7b2449af-6ccd-4f4d-9f78-e550c193f0d1", "ChannelMessage.Read.All", "Read all channel messages"),
        Role("98830695-27a2-44f7-8c18-0c3ebc9698f6", "GroupMember.Read.All", "Read all group memberships"),
        // Tenant app management policy, Teams chats, PIM eligibility (ApplicationWrite/Policy/Chat/RoleEligibility endpoints).
        Role("246dd0d5-5bd0-4def-940b-0421030a5b68", "Policy.Read.All", "Read your organization's policies"),
        Role("be74164b-cff1-491c-8741-e671cb536e13", "Policy.ReadWrite.ApplicationConfiguration", "Read and write your organization's application configuration policies"),
        Role("b2e060da-3baf-4687-9611-f4ebc0f0cbde", "Chat.ReadBasic.All", "Read names and members of all chat threads"),
        Role("294ce7c9-31ba-490a-ad7d-97a7d075e4ed", "Chat.ReadWrite.All", "Read and write all chat messages"),
        Role("ff278e11-4a33-4d0c-83d2-d01dc58929a5", "RoleEligibilitySchedule.Read.Directory", "Read all eligible role assignments and role schedules for your company's directory"),
    ];

    public static IReadOnlyList<PermissionScope> Scopes { get; } =
    [
        Scope("e1fe6dd8-ba31-4d61-89e7-88639da4683d", "User.Read", "User", "Sign in and read user profile"),
        Scope("b340eb25-3456-403f-be2f-af7a0d370277", "User.ReadBasic.All", "User", "Read all users' basic profiles"),
        Scope("a154be20-db9c-4678-8ab7-66f6cc099a59", "User.Read.All", "Admin", "Read all users' full profiles"),
        Scope("06da0dbc-49e2-44d2-8312-53f166ab848a", "Directory.Read.All", "Admin", "Read directory data"),
        Scope("0e263e50-5827-48a4-b97c-d940288653c7", "Directory.AccessAsUser.All", "Admin", "Access directory as the signed in user"),
        Scope("bdfbf15f-ee85-4955-8675-146e8e5296b5", "Application.ReadWrite.All", "Admin", "Read and write all applications"),
        Scope("84bccea3-f856-4a8a-967b-dbe0a3d53a64", "AppRoleAssignment.ReadWrite.All", "Admin", "Manage app permission grants and app role assignments"),
        Scope("41ce6ca6-6826-4807-84f1-1c82854f7ee5", "DelegatedPermissionGrant.ReadWrite.All", "Admin", "Manage all delegated permission grants"),
        Scope("4e46008b-f24c-477d-8fff-7bb4ec7aafe0", "Group.ReadWrite.All", "Admin", "Read and write all groups"),
        Scope("741c54c3-0c1e-44a1-818b-3f97ab4e8c83", "RoleManagement.Read.Directory", "Admin", "Read directory RBAC settings"),
        Scope("4908d5b9-3fb2-4b1e-9336-1888b7937185", "Organization.Read.All", "Admin", "Read organization information"),
        Scope("f501c180-9344-439a-bca0-6cbf209fd270", "Chat.Read", "User", "Read user chat messages"),
        Scope("204e0828-b5ca-4ad8-b9f3-f32a958e7cc4", "User.ReadWrite.All", "Admin", "Read and write all users' full profiles"),
        Scope("5f8c59db-677d-491f-a6b8-5f174b11ec1d", "Group.Read.All", "Admin", "Read all groups"),
        Scope("d01b97e9-cbc0-49fe-810a-750afd5527a3", "RoleManagement.ReadWrite.Directory", "Admin", "Read and write directory RBAC settings"),
        Scope("c5366453-9fb0-48a5-a156-24f0c49a4b84", "Directory.ReadWrite.All", "Admin", "Read and write directory data"),
    ];

    /// <summary>OIDC scopes: requested by MSAL on every user flow, never part of scp.</summary>
    public static IReadOnlySet<string> OidcScopes { get; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "openid", "profile", "offline_access", "email" };

    public static AppRole? FindRole(string value) => AppRoles.FirstOrDefault(r => string.Equals(r.Value, value, StringComparison.OrdinalIgnoreCase));

    public static PermissionScope? FindScope(string value) => Scopes.FirstOrDefault(s => string.Equals(s.Value, value, StringComparison.OrdinalIgnoreCase));

    private static AppRole Role(string id, string value, string displayName) =>
        new(id, value, displayName, $"Allows the app to {char.ToLowerInvariant(displayName[0])}{displayName[1..]} without a signed-in user.", ["Application"]);

    private static PermissionScope Scope(string id, string value, string type, string displayName) =>
        new(id, value, type, displayName, $"Allows the app to {char.ToLowerInvariant(displayName[0])}{displayName[1..]} on behalf of the signed-in user.");
}

/// <summary>Built-in Entra role templates (ids are the same in every tenant).</summary>
internal static class DirectoryRoleCatalog
{
    public const string GlobalAdministrator = "62e90394-69f5-4237-9190-012177145e10";

    /// <summary>The default "User" role every member carries in wids.</summary>
    public const string DefaultUserRole = "b79fbf4d-3ef9-4689-8143-76b194e85509";

    public static IReadOnlyDictionary<string, (string DisplayName, string Description)> Templates { get; } =
        new Dictionary<string, (string, string)>(StringComparer.OrdinalIgnoreCase)
        {
            [GlobalAdministrator] = ("Global Administrator", "Can manage all aspects of Microsoft Entra ID and Microsoft services that use Microsoft Entra identities."),
            ["9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3"] = ("Application Administrator", "Can create and manage all aspects of app registrations and enterprise apps."),
            ["158c047a-c907-4556-b7ef-446551a6b5f7"] = ("Cloud Application Administrator", "Can create and manage all aspects of app registrations and enterprise apps except App Proxy."),
            ["e8611ab8-c189-46e8-94e1-60213ab1f814"] = ("Privileged Role Administrator", "Can manage role assignments in Microsoft Entra ID, and all aspects of Privileged Identity Management."),
            ["fe930be7-5e62-47db-91af-98c3a49a38b1"] = ("User Administrator", "Can manage all aspects of users and groups, including resetting passwords for limited admins."),
            ["f2ef992c-3afb-46b9-b7cf-a126ee74c451"] = ("Global Reader", "Can read everything that a Global Administrator can, but not update anything."),
            ["29232cdf-9323-42fd-ade2-1d097af3e4de"] = ("Exchange Administrator", "Can manage all aspects of the Exchange product."),
            ["f28a1f50-f6e7-4571-818b-6a12f2af6b6c"] = ("SharePoint Administrator", "Can manage all aspects of the SharePoint service."),
            ["69091246-20e8-4a56-aa4d-066075b2a7a8"] = ("Teams Administrator", "Can manage the Microsoft Teams service."),
            ["fdd7a751-b60b-444a-984c-02652fe8fa1c"] = ("Groups Administrator", "Members of this role can create/manage groups, create/manage groups settings like naming and expiration policies, and view groups activity and audit reports."),
        };

    public static string Resolve(string templateIdOrName)
    {
        if (Templates.ContainsKey(templateIdOrName))
        {
            return templateIdOrName;
        }

        foreach (var (id, info) in Templates)
        {
            if (string.Equals(info.DisplayName, templateIdOrName, StringComparison.OrdinalIgnoreCase))
            {
                return id;
            }
        }
        throw new InvalidOperationException($"Unknown directory role '{templateIdOrName}'.");
    }
}
