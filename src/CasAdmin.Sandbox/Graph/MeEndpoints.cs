using CasAdmin.Sandbox.Throttling;

namespace CasAdmin.Sandbox.Graph;

/// <summary>GET /me and GET /me/transitiveMemberOf/microsoft.graph.directoryRole (delegated only).</summary>
internal static class MeEndpoints
{
    private static readonly GraphPermission Me = new([], ["User.Read", "User.ReadWrite", "User.ReadBasic.All", "User.Read.All", "Directory.Read.All", "Directory.AccessAsUser.All"], DelegatedOnly: true);

    private static readonly GraphPermission MemberOf = new([],
        ["User.Read", "Directory.Read.All", "Directory.ReadWrite.All", "Group.Read.All", "GroupMember.Read.All", "User.Read.All", "Directory.AccessAsUser.All"], DelegatedOnly: true);

    public static void Map(GraphRouter r)
    {
        r.MapGet("/me/transitiveMemberOf/microsoft.graph.directoryRole", RequestCost.Read(2), MemberOf, call =>
        {
            List<string> templates;
            lock (call.Tenant.Sync)
            {
                templates = call.Tenant.ActiveRoleTemplates(call.Principal.ObjectId);
            }

            var roles = templates.Select(id => GraphJson.DirectoryRole(call.Tenant, id)).ToList();
            return GraphCall.Ok(ODataPaging.Page(call.Request, "directoryRoles", "directoryRole", offset => roles.Skip(offset)));
        });
        r.MapGet("/me", RequestCost.Read(1), Me, call =>
        {
            var user = UserEndpoints.Find(call.Tenant, call.Principal.ObjectId) ?? throw GraphException.NotFound(call.Principal.ObjectId);
            return GraphCall.Ok(ODataPaging.Entity(call.Request, "users", GraphJson.User(user), "user", GraphJson.UserDefaultProperties));
        });
    }
}
