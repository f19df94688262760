using System.Globalization;

namespace CasAdmin.Sandbox.Scenarios;

/// <summary>
/// "generated:tenants=T,users=U,chats=C,seed=S": T tenants shaped like the default ones (same apps and key users),
/// each with U users generated lazily from the seed and C chats recorded for a later issue to generate on demand.
/// </summary>
internal static class ScenarioGenerator
{
    public static ScenarioDocument Create(string spec)
    {
        int tenants = 1, users = 100, chats = 0, seed = 1;
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
                Chats = chats,
                Seed = seed * 1000 + i,
                Users = template.Users,
                Apps = template.Apps,
                ManagedIdentity = template.ManagedIdentity,
                LegacyPrincipals = template.LegacyPrincipals,
            });
        }
        return doc;
    }
}
