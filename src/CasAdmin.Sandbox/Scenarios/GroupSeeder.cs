using CasAdmin.Sandbox.Tenants;

namespace CasAdmin.Sandbox.Scenarios;

/// <summary>Ordinary groups of a scenario, with their members named by scenario user name or principal name.</summary>
internal static class GroupSeeder
{
    public static void Seed(TenantState t, IEnumerable<ScenarioGroup> groups, DateTimeOffset seedTime)
    {
        foreach (var sg in groups)
        {
            var nickname = new string(sg.Name.Where(char.IsLetterOrDigit).ToArray());
            var g = new DirectoryGroup
            {
                Id = DeterministicIds.Guid(t.Id, "group", sg.Name),
                DisplayName = sg.Name,
                Description = sg.Description,
                MailNickname = nickname.Length > 0 ? nickname : "group",
                SecurityEnabled = sg.SecurityEnabled,
                MailEnabled = sg.MailEnabled || sg.Unified,
                Mail = sg.MailEnabled || sg.Unified ? $"{nickname}@{t.Domain}" : null,
                Visibility = sg.Unified ? "Private" : null,
                CreatedDateTime = seedTime,
            };
            if (sg.Unified)
            {
                g.GroupTypes.Add("Unified");
            }

            foreach (var m in sg.Members)
            {
                var upn = m.Contains('@', StringComparison.Ordinal) ? m : $"{m}@{t.Domain}";
                var user = t.Users.Find(upn) ?? throw new InvalidOperationException($"Group '{sg.Name}' names unknown member '{m}'.");
                g.Members.Add(user.Id);
            }
            t.Groups[g.Id] = g;
        }
    }
}
