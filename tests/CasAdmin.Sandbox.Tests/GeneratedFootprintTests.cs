using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Graph;
using Microsoft.Graph.Models;

namespace CasAdmin.Sandbox.Tests;

/// <summary>The generator's accounts=A footprints, and the tenant state control endpoint.</summary>
[Collection("Sandbox")]
public sealed class GeneratedFootprintTests(SandboxFixture fixture)
{
    private const string Vendor = "Trend Micro Cloud App Security";

    private static readonly Dictionary<string, string> Suffix = new()
    {
        ["ExchangeOnline"] = " for Exchange Online", ["ExchangeOnlineInline"] = "", ["SharePointOnline"] = " for SharePoint Online",
        ["OneDrive"] = " for OneDrive", ["Teams"] = " for Microsoft Teams", ["TeamsChat"] = " for Teams Chat",
    };

    [Fact]
    public async Task Accounts20_GivesTwentyUniquelyNamedFootprintsPerTenant()
    {
        await using var host = await SandboxHost.StartAsync(new SandboxOptions { Scenario = "generated:tenants=3,users=50,seed=5,accounts=20" });
        Assert.Equal(3, host.Tenants.Count);
        foreach (var tenant in host.Tenants)
        {
            Assert.Equal(20, tenant.Footprints.Count);
            Assert.Equal(20, tenant.Footprints.Select(f => f.DisplayName).Distinct().Count());
            Assert.Equal(20, tenant.Footprints.Select(f => f.AppId).Distinct().Count());
            // A tenant has one Teams Chat account at most: 20 = 1 + 19 over the other five services.
            Assert.Equal([4, 4, 4, 4, 3, 1], Suffix.Keys.Select(s => tenant.Footprints.Count(f => f.Service == s)));
            foreach (var fp in tenant.Footprints)
            {
                // The service stays inferable from the name: strip " (n)", the rest ends with the service words.
                var bare = Regex.Replace(fp.DisplayName, @" \(\d+\)$", "");
                Assert.Equal(Vendor + Suffix[fp.Service], bare);
                Assert.Equal(fp.Number > 1, fp.DisplayName.EndsWith($" ({fp.Number})", StringComparison.Ordinal));
            }
            Assert.Equal(2, tenant.Footprints.Sum(f => f.Groups.Count)); // inline groups once per tenant
            var delegates = tenant.Footprints.Where(f => f.DelegateUser is not null).Select(f => f.DelegateUser!).Distinct().ToList();
            Assert.Equal(4 + 4, delegates.Count); // tmcas-exchange[-n] ×4, tmcas-sharepoint[-n] ×4 (shared with OneDrive n)
            Assert.Contains($"tmcas-sharepoint-3@{tenant.Domain}", delegates);
        }
        // A vendor app is multi-tenant: the same App Id in every tenant.
        Assert.Equal(host.Tenants[0].Footprints.Select(f => f.AppId), host.Tenants[2].Footprints.Select(f => f.AppId));

        var t = host.Tenants[1];
        var client = await ClientAsync(host, t);
        var vendor = await client.ServicePrincipals.GetAsync(r =>
        {
            r.QueryParameters.Filter = $"startswith(displayName,'{Vendor}')";
            r.QueryParameters.Top = 999;
        });
        Assert.Equal(20 + 11, vendor!.Value!.Count); // plus a Legacy principal for each SharePoint (4), OneDrive (4) and Teams (3) account
        var users = await client.Users.GetAsync(r =>
        {
            r.QueryParameters.Filter = "startswith(userPrincipalName,'tmcas')";
            r.QueryParameters.Top = 999;
        });
        Assert.Equal(8, users!.Value!.Count);

        var state = await host.Control.GetTenantStateAsync(t.Domain);
        Assert.Equal(31, state.ServicePrincipals.Count(s => s.DisplayName.StartsWith(Vendor, StringComparison.Ordinal)));
        Assert.Equal(2, state.Groups.Count(g => g.DisplayName.StartsWith("TMCAS Inline", StringComparison.Ordinal)));
        Assert.Equal(4, state.RoleAssignments.Count(r => r.RoleDefinitionId == "29232cdf-9323-42fd-ade2-1d097af3e4de"));
        Assert.Equal(50 + 8 + 8, state.UserCount);
    }

    [Fact]
    public async Task Generator_IsDeterministic()
    {
        await using var a = await SandboxHost.StartAsync(new SandboxOptions { Scenario = "generated:tenants=2,users=10,seed=9,accounts=8" });
        await using var b = await SandboxHost.StartAsync(new SandboxOptions { Scenario = "generated:tenants=2,users=10,seed=9,accounts=8" });
        Assert.Equal(a.Tenants.SelectMany(t => t.Footprints).Select(f => (f.ServicePrincipalId, f.DisplayName, f.DelegateUserId)),
            b.Tenants.SelectMany(t => t.Footprints).Select(f => (f.ServicePrincipalId, f.DisplayName, f.DelegateUserId)));
    }

    [Fact]
    public async Task State_AgreesWithGraph_AndUnknownTenantIs404()
    {
        await fixture.Host.Control.ResetAsync();
        var tenant = fixture.Contoso;
        var state = await fixture.Host.Control.GetTenantStateAsync(tenant.TenantId);
        Assert.Equal(tenant.TenantId, state.TenantId);
        Assert.Equal(["Sales Team", "TMCAS Inline Incoming O365 Virtual Group", "TMCAS Inline Outgoing O365 Virtual Group"], state.Groups.Select(g => g.DisplayName).Order());
        Assert.Empty(state.DeletedItems);
        Assert.Contains(state.Applications, a => a.AppId == tenant.AdminAppId && a.PasswordCredentials == 1);
        Assert.Contains(state.RoleAssignments, r => r.State == "Eligible" && r.RoleDefinitionId == "62e90394-69f5-4237-9190-012177145e10");

        var client = fixture.Graph(await fixture.AppTokenAsync(tenant));
        var first = await client.ServicePrincipals.GetAsync(r => { r.QueryParameters.Top = 5; r.QueryParameters.Select = ["id"]; });
        var ids = new List<string>();
        await PageIterator<ServicePrincipal, ServicePrincipalCollectionResponse>.CreatePageIterator(client, first!, s => { ids.Add(s.Id!); return true; }).IterateAsync();
        Assert.Equal(state.ServicePrincipals.Select(s => s.Id).Order(), ids.Order());

        var e = await Assert.ThrowsAsync<HttpRequestException>(() => fixture.Host.Control.GetTenantStateAsync("nowhere.onmicrosoft.com"));
        Assert.Equal(HttpStatusCode.NotFound, e.StatusCode);
    }

    private static async Task<GraphServiceClient> ClientAsync(SandboxHost host, SandboxTenantInfo tenant)
    {
        var http = new HttpClient(host.CreatePinnedHandler());
        var token = await Microsoft.Identity.Client.ConfidentialClientApplicationBuilder.Create(tenant.AdminAppId)
            .WithClientSecret(tenant.AdminAppSecret)
            .WithAuthority($"{host.Url}{tenant.TenantId}/", validateAuthority: false)
            .WithInstanceDiscovery(false)
            .WithHttpClientFactory(new Factory(http))
            .Build()
            .AcquireTokenForClient(["https://graph.microsoft.com/.default"]).ExecuteAsync();
        return new GraphServiceClient(new HttpClient(host.CreatePinnedHandler()),
            new Microsoft.Kiota.Abstractions.Authentication.BaseBearerTokenAuthenticationProvider(new Token(token.AccessToken, host.Url.Host)), $"{host.Url}v1.0");
    }

    private sealed class Factory(HttpClient http) : Microsoft.Identity.Client.IMsalHttpClientFactory
    {
        public HttpClient GetHttpClient() => http;
    }

    private sealed class Token(string token, string host) : Microsoft.Kiota.Abstractions.Authentication.IAccessTokenProvider
    {
        public Microsoft.Kiota.Abstractions.Authentication.AllowedHostsValidator AllowedHostsValidator { get; } = new([host]);

        public Task<string> GetAuthorizationTokenAsync(Uri uri, Dictionary<string, object>? additionalAuthenticationContext = null, CancellationToken cancellationToken = default) =>
            Task.FromResult(token);
    }
}
