using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using CasAdmin.Sandbox.Tenants;

namespace CasAdmin.Sandbox.Scenarios;

/// <summary>Turns a scenario (built-in name, generator spec or JSON file) into tenant state.</summary>
internal static class ScenarioLoader
{
    // A fixed creation date keeps seeded objects identical between runs.
    private static readonly DateTimeOffset SeedTime = new(2024, 6, 1, 9, 0, 0, TimeSpan.Zero);

    public static ScenarioDocument Resolve(string scenario)
    {
        if (string.IsNullOrWhiteSpace(scenario) || scenario.Equals("default", StringComparison.OrdinalIgnoreCase))
        {
            using var stream = typeof(ScenarioLoader).Assembly.GetManifestResourceStream("CasAdmin.Sandbox.Scenarios.default.json")
                ?? throw new InvalidOperationException("The default scenario is not embedded.");
            return Parse(stream);
        }
        if (scenario.StartsWith("generated:", StringComparison.OrdinalIgnoreCase))
        {
            return ScenarioGenerator.Create(scenario["generated:".Length..]);
        }
        if (File.Exists(scenario))
        {
            using var stream = File.OpenRead(scenario);
            return Parse(stream);
        }
        throw new ArgumentException($"Unknown scenario '{scenario}': use 'default', 'generated:tenants=T,users=U,chats=C,seed=S,accounts=A' or the path of a JSON file.", nameof(scenario));
    }

    private static ScenarioDocument Parse(Stream stream) =>
        JsonSerializer.Deserialize(stream, ScenarioJsonContext.Default.ScenarioDocument) ?? throw new InvalidOperationException("Empty scenario.");

    public static List<TenantState> Build(ScenarioDocument doc)
    {
        var tenants = new List<TenantState>();
        foreach (var st in doc.Tenants)
        {
            tenants.Add(BuildTenant(st));
        }

        return tenants;
    }

    private static TenantState BuildTenant(ScenarioTenant st)
    {
        var tenantId = st.Id ?? DeterministicIds.Guid("tenant", st.Name, st.Seed.ToString(CultureInfo.InvariantCulture));
        var domain = st.Domain ?? $"{st.Name}.onmicrosoft.com";
        var users = new UserDirectory(tenantId, domain, st.GeneratedUsers, st.Seed, SeedTime);
        var t = new TenantState(tenantId, domain, st.DisplayName ?? st.Name, users)
        {
            CreatedDateTime = SeedTime,
            SizeOverride = st.Size,
            GeneratedChatCount = st.Chats,
            Seed = st.Seed,
            ManagedIdentityHeader = DeterministicIds.Token(32, tenantId, "identity-header"),
        };

        var graph = AddGraphServicePrincipal(t);
        var graphCli = FirstPartyApps.GraphCommandLineToolsPrincipal(tenantId, SeedTime);
        t.ServicePrincipals[graphCli.Id] = graphCli;

        foreach (var su in st.Users)
        {
            var upn = su.Name.Contains('@', StringComparison.Ordinal) ? su.Name : $"{su.Name}@{domain}";
            var display = su.DisplayName ?? su.Name;
            var parts = display.Split(' ', 2);
            var user = new DirectoryUser
            {
                Id = su.Id ?? DeterministicIds.Guid(tenantId, "user", su.Name),
                UserPrincipalName = upn,
                DisplayName = display,
                GivenName = parts[0],
                Surname = parts.Length > 1 ? parts[1] : null,
                Mail = upn,
                MailNickname = upn.Split('@')[0],
                JobTitle = su.JobTitle,
                UsageLocation = "US",
                PreferredLanguage = "en-US",
                AccountEnabled = su.Enabled,
                Password = su.Password ?? "Sbx!" + DeterministicIds.Token(16, tenantId, "password", su.Name),
                CreatedDateTime = SeedTime,
            };
            users.Add(user);
            foreach (var r in su.Roles)
            {
                var template = DirectoryRoleCatalog.Resolve(r.Role);
                var state = r.State.Equals("eligible", StringComparison.OrdinalIgnoreCase) ? RoleAssignmentState.Eligible : RoleAssignmentState.Active;
                t.RoleAssignments.Add(new DirectoryRoleAssignment
                {
                    Id = Base64UrlId(tenantId, "roleAssignment", user.Id, template, state.ToString()),
                    PrincipalId = user.Id,
                    RoleTemplateId = template,
                    State = state,
                });
            }
            if (su.Tag is { } tag)
            {
                t.Roles[tag + "User"] = upn;
                t.Roles[tag + "Password"] = user.Password;
            }
        }

        foreach (var sa in st.Apps)
        {
            AddApp(t, graph, sa);
        }

        if (st.ManagedIdentity is { } mi)
        {
            var appId = DeterministicIds.Guid(tenantId, "managedIdentity", mi.Name);
            var sp = new ServicePrincipal
            {
                Id = DeterministicIds.Guid(tenantId, "servicePrincipal", appId),
                AppId = appId,
                DisplayName = mi.Name,
                ServicePrincipalType = "ManagedIdentity",
                AppOwnerOrganizationId = null,
                CreatedDateTime = SeedTime,
            };
            sp.ServicePrincipalNames.Add(appId);
            sp.AlternativeNames.Add("isExplicit=False");
            sp.AlternativeNames.Add($"/subscriptions/{DeterministicIds.Guid("subscription", tenantId)}/resourcegroups/casadmin/providers/Microsoft.Automation/automationAccounts/{mi.Name}");
            t.ServicePrincipals[sp.Id] = sp;
            t.ManagedIdentityAppId = appId;
            AssignRoles(t, graph, sp, mi.AppRoles);
        }

        foreach (var lp in st.LegacyPrincipals)
        {
            var appId = lp.AppId ?? DeterministicIds.Guid("legacy", lp.Name);
            var sp = new ServicePrincipal
            {
                Id = DeterministicIds.Guid(tenantId, "servicePrincipal", appId),
                AppId = appId,
                DisplayName = lp.Name,
                ServicePrincipalType = "Legacy",
                SignInAudience = "AzureADMultipleOrgs",
                AppOwnerOrganizationId = tenantId,
                CreatedDateTime = SeedTime,
            };
            sp.ServicePrincipalNames.Add(appId);
            sp.ServicePrincipalNames.Add($"{appId}/{domain}");
            t.ServicePrincipals[sp.Id] = sp;
        }

        GroupSeeder.Seed(t, st.Groups, SeedTime);
        FootprintSeeder.Seed(t, graph, st.Footprints, SeedTime);
        LicensingSeeder.Seed(t, st);
        return t;
    }

    private static ServicePrincipal AddGraphServicePrincipal(TenantState t)
    {
        var sp = new ServicePrincipal
        {
            Id = DeterministicIds.Guid(t.Id, "servicePrincipal", GraphPermissionCatalog.GraphAppId),
            AppId = GraphPermissionCatalog.GraphAppId,
            DisplayName = GraphPermissionCatalog.GraphDisplayName,
            AppOwnerOrganizationId = "f8cdef31-a31e-4b4a-93e4-5f571e91255a", // Microsoft Services tenant
            SignInAudience = "AzureADMultipleOrgs",
            CreatedDateTime = SeedTime,
        };
        sp.AppRoles.AddRange(GraphPermissionCatalog.AppRoles);
        sp.Oauth2PermissionScopes.AddRange(GraphPermissionCatalog.Scopes);
        sp.ServicePrincipalNames.Add("https://graph.microsoft.com");
        sp.ServicePrincipalNames.Add(GraphPermissionCatalog.GraphAppId);
        sp.ServicePrincipalNames.Add("https://graph.microsoft.com/");
        t.ServicePrincipals[sp.Id] = sp;
        return sp;
    }

    private static void AddApp(TenantState t, ServicePrincipal graph, ScenarioApp sa)
    {
        var appId = sa.AppId ?? DeterministicIds.Guid(t.Id, "appId", sa.Name);
        var app = new Application
        {
            Id = DeterministicIds.Guid(t.Id, "application", appId),
            AppId = appId,
            DisplayName = sa.Name,
            HomeTenantId = t.Id,
            SignInAudience = sa.SignInAudience,
            Description = sa.Description,
            IsFallbackPublicClient = sa.PublicClient,
            CreatedDateTime = SeedTime,
        };
        (sa.PublicClient ? app.PublicClientRedirectUris : app.WebRedirectUris).AddRange(sa.RedirectUris);
        foreach (var s in sa.Secrets)
        {
            var start = s.StartDateTime ?? SeedTime;
            app.PasswordCredentials.Add(new PasswordCredential
            {
                KeyId = s.KeyId ?? DeterministicIds.Guid(t.Id, "secret", appId, s.Name),
                DisplayName = s.Name,
                SecretText = s.Value ?? SecretValue(t.Id, appId, s.Name),
                StartDateTime = start,
                // Far in the future unless the scenario says otherwise, so seeded secrets never expire by the calendar.
                EndDateTime = s.EndDateTime ?? new DateTimeOffset(2099, 12, 31, 0, 0, 0, TimeSpan.Zero),
            });
        }
        foreach (var c in sa.Certificates)
        {
            using var cert = X509CertificateLoader.LoadCertificate(Convert.FromBase64String(c));
            app.KeyCredentials.Add(CreateKeyCredential(cert, t.Id, appId));
        }
        var graphAccess = new List<ResourceAccess>();
        foreach (var r in sa.AppRoles)
        {
            graphAccess.Add(new ResourceAccess(GraphPermissionCatalog.FindRole(r)?.Id ?? throw new InvalidOperationException($"Unknown Graph app role '{r}'."), "Role"));
        }

        foreach (var s in ExpandScopes(sa.DelegatedScopes))
        {
            graphAccess.Add(new ResourceAccess(GraphPermissionCatalog.FindScope(s)!.Id, "Scope"));
        }

        if (graphAccess.Count > 0)
        {
            app.RequiredResourceAccess.Add(new RequiredResourceAccess(GraphPermissionCatalog.GraphAppId, graphAccess));
        }

        t.Applications[app.Id] = app;

        if (sa.Tag is { } tag)
        {
            t.Roles[tag + "AppId"] = appId;
            if (app.PasswordCredentials.Count > 0)
            {
                t.Roles[tag + "AppSecret"] = app.PasswordCredentials[0].SecretText;
            }

            t.Roles[tag + "AppName"] = sa.Name;
        }
        if (!sa.ServicePrincipal)
        {
            return;
        }

        var sp = new ServicePrincipal
        {
            Id = DeterministicIds.Guid(t.Id, "servicePrincipal", appId),
            AppId = appId,
            DisplayName = sa.Name,
            AccountEnabled = sa.Enabled,
            AppOwnerOrganizationId = t.Id,
            SignInAudience = sa.SignInAudience,
            CreatedDateTime = SeedTime,
        };
        sp.ServicePrincipalNames.Add(appId);
        sp.ReplyUrls.AddRange(sa.RedirectUris);
        sp.Tags.Add("WindowsAzureActiveDirectoryIntegratedApp");
        t.ServicePrincipals[sp.Id] = sp;
        AssignRoles(t, graph, sp, sa.AppRoles);

        var scopes = ExpandScopes(sa.DelegatedScopes);
        if (scopes.Count > 0)
        {
            var grant = new OAuth2PermissionGrant
            {
                Id = Base64UrlId(t.Id, "grant", sp.Id, graph.Id),
                ClientId = sp.Id,
                ConsentType = "AllPrincipals",
                ResourceId = graph.Id,
                Scope = string.Join(' ', scopes),
            };
            t.PermissionGrants[grant.Id] = grant;
        }
    }

    private static List<string> ExpandScopes(List<string> scopes) =>
        scopes.Contains("*") ? GraphPermissionCatalog.Scopes.Select(s => s.Value).ToList()
            : scopes.Select(s => GraphPermissionCatalog.FindScope(s)?.Value ?? throw new InvalidOperationException($"Unknown Graph scope '{s}'.")).ToList();

    private static void AssignRoles(TenantState t, ServicePrincipal graph, ServicePrincipal principal, List<string> roles)
    {
        foreach (var value in roles)
        {
            var role = GraphPermissionCatalog.FindRole(value) ?? throw new InvalidOperationException($"Unknown Graph app role '{value}'.");
            var a = new AppRoleAssignment
            {
                Id = Base64UrlId(t.Id, "appRoleAssignment", principal.Id, role.Id),
                PrincipalId = principal.Id,
                PrincipalDisplayName = principal.DisplayName,
                ResourceId = graph.Id,
                ResourceDisplayName = graph.DisplayName,
                AppRoleId = role.Id,
                CreatedDateTime = SeedTime,
            };
            t.AppRoleAssignments[a.Id] = a;
        }
    }

    public static KeyCredential CreateKeyCredential(X509Certificate2 cert, string tenantId, string appId)
    {
        var der = cert.RawData;
        return new KeyCredential
        {
            KeyId = DeterministicIds.Guid(tenantId, "keyCredential", appId, Convert.ToHexString(SHA256.HashData(der))),
            DisplayName = cert.Subject,
            CertificateDer = der,
            Sha1Base64Url = Base64UrlEncode(SHA1.HashData(der)),
            Sha256Base64Url = Base64UrlEncode(SHA256.HashData(der)),
            CustomKeyIdentifier = Convert.ToHexString(SHA1.HashData(der)),
            StartDateTime = cert.NotBefore.ToUniversalTime(),
            EndDateTime = cert.NotAfter.ToUniversalTime(),
        };
    }

    /// <summary>Entra-looking secret value (40 chars, with the "~" Entra puts at position 4).</summary>
    private static string SecretValue(string tenantId, string appId, string name)
    {
        var raw = DeterministicIds.Token(40, tenantId, "secret", appId, name);
        return raw[..3] + "8Q~" + raw[3..37];
    }

    /// <summary>Graph uses base64url ids for assignments and grants.</summary>
    private static string Base64UrlId(params string[] parts) =>
        Base64UrlEncode(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(string.Join("/", parts))))[..43];

    public static string Base64UrlEncode(ReadOnlySpan<byte> bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
