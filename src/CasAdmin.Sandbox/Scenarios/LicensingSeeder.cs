using System.Xml;
using CasAdmin.Sandbox.Tenants;

namespace CasAdmin.Sandbox.Scenarios;

/// <summary>Seeds a tenant's subscribed SKUs and its default app management policy from the scenario.</summary>
internal static class LicensingSeeder
{
    public static void Seed(TenantState t, ScenarioTenant st)
    {
        foreach (var s in st.Skus)
        {
            var known = SkuCatalog.Known.TryGetValue(s.SkuPartNumber, out var k) ? k : default;
            var sku = new SubscribedSku
            {
                SkuId = s.SkuId ?? known.SkuId ?? throw new InvalidOperationException($"SKU '{s.SkuPartNumber}' is not in the catalog: give its skuId and servicePlans."),
                SkuPartNumber = s.SkuPartNumber,
                CapabilityStatus = s.CapabilityStatus,
                Enabled = s.Enabled,
                Consumed = s.Consumed,
            };
            if (s.ServicePlans is { } plans)
            {
                sku.ServicePlans.AddRange(plans.Select(p => new ServicePlan(p.Id, p.Name)));
            }
            else
            {
                sku.ServicePlans.AddRange(known.Plans ?? []);
            }

            t.SubscribedSkus.Add(sku);
        }
        if (st.AppManagementPolicy is { } p)
        {
            t.AppManagementPolicy = new AppManagementPolicy
            {
                IsEnabled = p.IsEnabled,
                MaxPasswordLifetime = p.MaxPasswordLifetime is { } d ? XmlConvert.ToTimeSpan(d) : null,
                RestrictForAppsCreatedAfter = p.RestrictForAppsCreatedAfter,
            };
        }
    }
}
