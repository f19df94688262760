using System.Globalization;

namespace CasAdmin.Sandbox.Scenarios;

/// <summary>
/// "generated:tenants=T,users=U,chats=C,seed=S,accounts=A": T tenants shaped like the default ones (same apps and key users),
/// each with U users generated lazily from the seed, C chats recorded for a later issue to generate on demand, and A
/// service-account footprints cycling through the six services (default: one per service, as in the default scenario).
/// </summary>
internal static class ScenarioGenerator
{
    public static ScenarioDocument Create(string spec)
    {
        int tenants = 1, users = 100, chats = 0, seed = 1;
        int? accounts = null;
        foreach (var part in spec.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var kv = part.Split('=', 2, StringSplitOptions.TrimEntries);
            if (kv.Length != 2 || !int.TryParse(kv[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) || n < 0)
            {
                throw new ArgumentException($"Bad generator setting '{part}'.");
            }
            switch (kv[0].ToLowerInvariant())
            {
                case "tenants": tenants = Math.Max(1, n); break;
                case "users": users = n; break;
                case "chats": chats = n; break;
                case "seed": seed = n; break;
                case "accounts": accounts = n; break;
                default: throw new ArgumentException($"Unknown generator setting '{kv[0]}'.");
            }
        }

        var template = ScenarioLoader.Resolve("default").Tenants[0];
        var doc = new ScenarioDocument { Name = $"generated:{spec}" };
        for (var i = 1; i <= tenants; i++)
        {
            var name = $"tenant{i:D2}s{seed}";
            doc.Tenants.Add(new ScenarioTenant
            {
                Name = name,
                Domain = $"{name}.onmicrosoft.com",
                DisplayName = $"Generated Tenant {i}",
                GeneratedUsers = users,
                Size = users, // the throttling tier follows U, not the handful of scenario and delegate users
                Chats = chats,
                Seed = seed * 1000 + i,
                Users = template.Users,
                Apps = template.Apps,
                ManagedIdentity = template.ManagedIdentity,
                LegacyPrincipals = template.LegacyPrincipals,
                Skus = template.Skus,
                AppManagementPolicy = template.AppManagementPolicy,
                Groups = users > 0 ? template.Groups : [],
                // accounts=A: A footprints cycling through the six services, numbered per service so every name stays unique.
                Footprints = accounts is { } a ? FootprintSeeder.Cycle(a) : template.Footprints,
            });
        }
        return doc;
    }
}
