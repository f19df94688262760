using Microsoft.Graph;
using Microsoft.Graph.Models;
using Microsoft.Graph.Models.ODataErrors;

namespace CasAdmin.Sandbox.Tests;

/// <summary>
/// "Exactly once" made visible: a step run twice deletes something already gone (404) or sends the same write again,
/// and ends in the same state, so only the sandbox's counts can tell. A resend of the very request whose answer was
/// lost (the same client-request-id) is the transport's business and is not counted.
/// </summary>
public sealed class ExactlyOnceStatsTests(SandboxFixture fixture) : SandboxTest(fixture)
{
    private async Task<GraphServiceClient> AdminAsync(SandboxTenantInfo tenant) => F.Graph(await F.AppTokenAsync(tenant));

    [Fact]
    public async Task ASecondDelete_AsANewRequest_IsCountedPerObject_ButAResendOfTheSameRequestIsNot()
    {
        var client = await AdminAsync(F.Contoso);
        var groups = F.Contoso.Footprints.Single(f => f.Service == "ExchangeOnlineInline").Groups;
        await F.Host.Control.ResetAsync();

        var once = "6f1c1b7e-0000-4000-8000-000000000001";
        await client.Groups[groups[0].Id].DeleteAsync(r => r.Headers.Add("client-request-id", once));
        var resend = await Assert.ThrowsAsync<ODataError>(() => client.Groups[groups[0].Id].DeleteAsync(r => r.Headers.Add("client-request-id", once)));
        Assert.Equal(404, resend.ResponseStatusCode);
        Assert.Equal(0, (await F.Host.Control.GetStatsAsync()).Totals.RepeatedDeletes);

        var twice = await Assert.ThrowsAsync<ODataError>(() => client.Groups[groups[0].Id].DeleteAsync());
        Assert.Equal(404, twice.ResponseStatusCode);
        var stats = await F.Host.Control.GetStatsAsync();
        Assert.Equal(1, stats.Totals.RepeatedDeletes);
        Assert.Equal(1, stats.Endpoints["DELETE /v1.0/groups/{id}"].RepeatedDeletes);
        var repeated = Assert.Single(stats.Repeated);
        Assert.Equal(("DELETE", $"/v1.0/groups/{groups[0].Id}", 1L), (repeated.Method, repeated.Path, repeated.Repeats));
        Assert.Equal(F.Contoso.TenantId, repeated.TenantId, ignoreCase: true);
    }

    [Fact]
    public async Task TheSameWriteToTheSameObject_AsANewRequest_IsARepeatedWrite_AnotherBodyIsNot()
    {
        var client = await AdminAsync(F.Contoso);
        var user = F.Contoso.Footprints.Single(f => f.Service == "ExchangeOnline").DelegateUser!;
        await F.Host.Control.ResetAsync();

        await client.Users[user].PatchAsync(new User { JobTitle = "Service account" });
        await client.Users[user].PatchAsync(new User { JobTitle = "Another title" });
        Assert.Equal(0, (await F.Host.Control.GetStatsAsync()).Totals.RepeatedWrites);

        await client.Users[user].PatchAsync(new User { JobTitle = "Service account" });
        var stats = await F.Host.Control.GetStatsAsync();
        Assert.Equal(1, stats.Totals.RepeatedWrites);
        Assert.Equal(0, stats.Totals.RepeatedDeletes);
        Assert.Equal("PATCH", Assert.Single(stats.Repeated).Method);
    }
}
