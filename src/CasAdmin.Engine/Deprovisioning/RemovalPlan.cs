using CasAdmin.Engine.Accounts;

namespace CasAdmin.Engine.Deprovisioning;

/// <summary>The kinds of step a removal job is made of.</summary>
internal enum StepKind
{
    RecordAppId,
    VerifyAccount,
    VerifyAdministrator,
    DeleteSubscriptions,
    RemoveInlineGroups,
    RemoveDirectoryRoles,
    RemovePermissions,
    RemoveDelegateAccount,
    RemoveAppPrincipal,
    DeleteApp,
    RemoveLocalData,
    ListRemainingChanges,
}

/// <summary>Which steps each service's removal takes, in order; the names are what the admin sees.</summary>
internal static class RemovalPlan
{
    public static readonly IReadOnlyDictionary<StepKind, string> Names = new Dictionary<StepKind, string>
    {
        [StepKind.RecordAppId] = "Record the App Id",
        [StepKind.VerifyAccount] = "Verify the service account",
        [StepKind.VerifyAdministrator] = "Verify Global Administrator rights",
        [StepKind.DeleteSubscriptions] = "Delete the chat-message subscriptions",
        [StepKind.RemoveInlineGroups] = "Remove the inline-mode groups",
        [StepKind.RemoveDirectoryRoles] = "Remove the app's directory roles",
        [StepKind.RemovePermissions] = "Remove the app's permissions",
        [StepKind.RemoveDelegateAccount] = "Remove the delegate account",
        [StepKind.RemoveAppPrincipal] = "Remove the app principal",
        [StepKind.DeleteApp] = "Delete the app",
        [StepKind.RemoveLocalData] = "Remove CasAdmin's data for the account",
        [StepKind.ListRemainingChanges] = "List the remaining changes",
    };

    public static StepKind KindOf(string name) => Names.First(n => n.Value == name).Key;

    /// <summary>Steps that act on the tenant; forced removal leaves those not yet done and lists them.</summary>
    public static bool TouchesTenant(StepKind kind) => kind is not (StepKind.RecordAppId or StepKind.VerifyAccount or StepKind.VerifyAdministrator or StepKind.RemoveLocalData or StepKind.ListRemainingChanges);

    public static IReadOnlyList<StepKind> For(CasServiceAccount account)
    {
        // Rights first: a connection without them could not verify the account either.
        var steps = new List<StepKind> { StepKind.RecordAppId, StepKind.VerifyAdministrator, StepKind.VerifyAccount };
        switch (account.Service)
        {
            case CasService.TeamsChat:
                steps.AddRange([StepKind.DeleteSubscriptions, StepKind.RemovePermissions, StepKind.RemoveAppPrincipal, StepKind.DeleteApp]);
                break;
            case CasService.ExchangeOnlineInline:
                steps.AddRange([StepKind.RemoveInlineGroups, StepKind.RemoveDirectoryRoles, StepKind.RemovePermissions, StepKind.RemoveAppPrincipal]);
                break;
            default:
                if (account.Kind == ServiceAccountKind.DelegateAccount)
                {
                    steps.Add(StepKind.RemoveDelegateAccount);
                }

                if (account.AppId is not null)
                {
                    steps.AddRange([StepKind.RemovePermissions, StepKind.RemoveAppPrincipal]);
                }

                break;
        }

        steps.AddRange([StepKind.RemoveLocalData, StepKind.ListRemainingChanges]);
        return steps;
    }

    /// <summary>Application permissions an app-only admin connection needs for this removal.</summary>
    public static IReadOnlyList<string> AppOnlyPermissions(CasServiceAccount account, RemovalOptions options)
    {
        var needed = new List<string> { "Application.ReadWrite.All", "AppRoleAssignment.ReadWrite.All", "DelegatedPermissionGrant.ReadWrite.All" };
        if (account.Service == CasService.ExchangeOnlineInline)
        {
            needed.AddRange(["Group.ReadWrite.All", "RoleManagement.ReadWrite.Directory"]);
        }

        if (account.Kind == ServiceAccountKind.DelegateAccount && options.RemoveDelegateAccount)
        {
            needed.Add("User.ReadWrite.All");
        }

        return needed;
    }
}
