using CasAdmin.Engine.Errors;

namespace CasAdmin.Engine.Connections;

/// <summary>
/// "Global Administrator privileges are required": a delegated connection must hold the role actively
/// (a PIM-eligible administrator is told to activate); app-only automation has no directory role, so it
/// must hold the application permissions the work needs, and any missing one is named.
/// </summary>
internal static class RoleCheck
{
    public static async Task RequireAsync(CasConnection admin, IReadOnlyCollection<string> appOnlyPermissions, CancellationToken ct)
    {
        if (admin.IsAppOnly)
        {
            var missing = appOnlyPermissions.Where(p => !admin.Permissions.Contains(p, StringComparer.OrdinalIgnoreCase)).ToArray();
            if (missing.Length > 0)
            {
                throw new CasException(ErrorIds.AdminPermissionMissing, CasErrorCategory.PermissionDenied,
                    $"The app-only connection to {admin.TenantDomain ?? admin.TenantId} lacks the application permission(s) {string.Join(", ", missing)}.",
                    $"Grant {string.Join(", ", missing)} (with admin consent) to app {admin.AppId}, then connect again; or use a Global Administrator's connection (-Connection; -AdminConnection on Remove-CasServiceAccount).",
                    admin.TenantId);
            }

            return;
        }

        if (admin.IsGlobalAdministrator)
        {
            return;
        }

        if (await IsEligibleGlobalAdministratorAsync(admin, ct).ConfigureAwait(false))
        {
            throw new CasException(ErrorIds.PimActivationRequired, CasErrorCategory.PermissionDenied,
                $"{admin.Account} is eligible for Global Administrator but has not activated it.",
                "Activate the Global Administrator role in Privileged Identity Management, then run Connect-CasTenant again so the token carries it.",
                admin.Account);
        }

        throw new CasException(ErrorIds.GlobalAdministratorRequired, CasErrorCategory.PermissionDenied,
            $"{admin.Account} is not a Global Administrator of {admin.TenantDomain ?? admin.TenantId}.",
            "Connect as a Global Administrator (Connect-CasTenant) and use that connection (-Connection; -AdminConnection on Remove-CasServiceAccount).",
            admin.Account);
    }

    private static async Task<bool> IsEligibleGlobalAdministratorAsync(CasConnection admin, CancellationToken ct)
    {
        if (admin.ObjectId is null)
        {
            return false;
        }

        try
        {
            var page = await admin.Context.Graph.CallAsync((g, c) => g.RoleManagement.Directory.RoleEligibilitySchedules.GetAsync(
                r => r.QueryParameters.Filter = $"principalId eq '{admin.ObjectId}'", c), admin.Account, ct).ConfigureAwait(false);
            return page?.Value?.Any(s => string.Equals(s.RoleDefinitionId, DirectoryRoleNames.GlobalAdministratorTemplateId, StringComparison.OrdinalIgnoreCase)) == true;
        }
        catch (CasException ex) when (ex.ErrorId is ErrorIds.InsufficientPrivileges or ErrorIds.ResourceNotFound)
        {
            // Someone who may not read their own eligibility simply is not told about it.
            return false;
        }
    }
}
