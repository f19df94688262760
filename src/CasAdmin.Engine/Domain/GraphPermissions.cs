namespace CasAdmin.Engine.Domain;

/// <summary>Microsoft Graph permission ids CasAdmin uses (learn.microsoft.com/graph/permissions-reference).</summary>
public static class GraphPermissions
{
    /// <summary>The Microsoft Graph resource application id.</summary>
    public const string GraphAppId = "00000003-0000-0000-c000-000000000000";

    public sealed record Permission(string Name, Guid Id, bool IsApplication);

    public static readonly Permission UserRead = new("User.Read", Guid.Parse("e1fe6dd8-ba31-4d61-89e7-88639da4683d"), false);
    public static readonly Permission FilesReadWriteAll = new("Files.ReadWrite.All", Guid.Parse("75359482-378d-4052-8f01-80520e7db3cd"), true);
    public static readonly Permission UserReadAll = new("User.Read.All", Guid.Parse("df021288-bdef-4463-88db-98f22de89214"), true);
    public static readonly Permission ChatUpdatePolicyViolationAll = new("Chat.UpdatePolicyViolation.All", Guid.Parse("7e847308-e030-4183-9899-5235d7270f58"), true);
    public static readonly Permission ChatReadAll = new("Chat.Read.All", Guid.Parse("6b7d71aa-70aa-4810-a8d9-5d9fb2830017"), true);
    public static readonly Permission GroupReadAll = new("Group.Read.All", Guid.Parse("5b567255-7703-4780-807c-7be8301ae99b"), true);

    /// <summary>Exactly the six permissions of the customer's Teams Chat app (the vendor's "Creating an Azure AD App for Teams Chat Protection").</summary>
    public static readonly IReadOnlyList<Permission> TeamsChatApp =
        [UserRead, FilesReadWriteAll, UserReadAll, ChatUpdatePolicyViolationAll, ChatReadAll, GroupReadAll];

    /// <summary>The five application permissions whose presence in the token's roles means admin consent was granted.</summary>
    public static readonly IReadOnlyList<Permission> TeamsChatAppRoles = TeamsChatApp.Where(p => p.IsApplication).ToArray();

    /// <summary>What an app-only admin connection needs to register an app and grant its consent.</summary>
    public static readonly IReadOnlyList<string> ProvisioningAdminRoles =
        ["Application.ReadWrite.All", "AppRoleAssignment.ReadWrite.All", "DelegatedPermissionGrant.ReadWrite.All"];
}
