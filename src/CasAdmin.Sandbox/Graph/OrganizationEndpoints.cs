using CasAdmin.Sandbox.Throttling;

namespace CasAdmin.Sandbox.Graph;

/// <summary>GET /organization.</summary>
internal static class OrganizationEndpoints
{
    public static readonly GraphPermission Read = new(
        ["Organization.Read.All", "Organization.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"],
        ["User.Read", "Organization.Read.All", "Directory.Read.All", "Directory.AccessAsUser.All"]);

    public static void Map(GraphRouter r)
    {
        r.MapGet("/organization", RequestCost.Read(1), Read, call =>
        {
            var org = GraphJson.Organization(call.Tenant);
            return GraphCall.Ok(ODataPaging.Page(call.Request, "organization", "organization", offset => new[] { org }.Skip(offset)));
        });
    }
}
