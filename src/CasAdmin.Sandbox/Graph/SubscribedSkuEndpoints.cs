using System.Text.Json.Nodes;
using CasAdmin.Sandbox.Tenants;
using CasAdmin.Sandbox.Throttling;

namespace CasAdmin.Sandbox.Graph;

/// <summary>GET /subscribedSkus (with servicePlans) and GET /subscribedSkus/{id}: what licensing model A checks for Communications DLP.</summary>
internal static class SubscribedSkuEndpoints
{
    public static readonly GraphPermission Read = new(
        ["Organization.Read.All", "Organization.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All", "LicenseAssignment.Read.All"],
        ["Organization.Read.All", "Directory.Read.All", "Directory.AccessAsUser.All", "LicenseAssignment.Read.All", "User.Read"]);

    public static void Map(GraphRouter r)
    {
        r.MapGet("/subscribedSkus", RequestCost.Read(3), Read, call =>
        {
            List<JsonObject> skus;
            lock (call.Tenant.Sync)
            {
                skus = call.Tenant.SubscribedSkus.Select(s => Json(call.Tenant, s)).ToList();
            }

            return GraphCall.Ok(ODataPaging.Page(call.Request, "subscribedSkus", "subscribedSku", offset => skus.Skip(offset)));
        });
        r.MapGet("/subscribedSkus/{id}", RequestCost.Read(3), Read, call =>
        {
            JsonObject? sku;
            lock (call.Tenant.Sync)
            {
                sku = call.Tenant.SubscribedSkus.Select(s => Json(call.Tenant, s))
                    .FirstOrDefault(j => j["id"]!.GetValue<string>().Equals(call.Values["id"], StringComparison.OrdinalIgnoreCase));
            }
            return GraphCall.Ok(ODataPaging.Entity(call.Request, "subscribedSkus", sku ?? throw GraphException.NotFound(call.Values["id"]), "subscribedSku"));
        });
    }

    public static JsonObject Json(TenantState t, SubscribedSku s) => new()
    {
        ["accountName"] = t.DisplayName,
        ["accountId"] = t.Id,
        ["appliesTo"] = "User",
        ["capabilityStatus"] = s.CapabilityStatus,
        ["consumedUnits"] = s.Consumed,
        ["id"] = $"{t.Id}_{s.SkuId}",
        ["skuId"] = s.SkuId,
        ["skuPartNumber"] = s.SkuPartNumber,
        ["subscriptionIds"] = new JsonArray(DeterministicIds.Guid(t.Id, "subscription", s.SkuId)),
        ["prepaidUnits"] = new JsonObject { ["enabled"] = s.Enabled, ["suspended"] = s.Suspended, ["warning"] = s.Warning, ["lockedOut"] = s.LockedOut },
        ["servicePlans"] = new JsonArray([.. s.ServicePlans.Select(p => (JsonNode)new JsonObject
        {
            ["servicePlanId"] = p.ServicePlanId,
            ["servicePlanName"] = p.ServicePlanName,
            ["provisioningStatus"] = p.ProvisioningStatus,
            ["appliesTo"] = p.AppliesTo,
        })]),
    };
}
