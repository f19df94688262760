using CasAdmin.Engine.Accounts;
using CasAdmin.Engine.Connections;
using CasAdmin.Engine.Errors;
using CasAdmin.Engine.Tenancy;

namespace CasAdmin.Engine.Tests.Tenancy;

/// <summary>
/// The one tenant resolution of every cmdlet, against real connections to the sandbox's two tenants and a real
/// registry: each input kind (-TenantId as an id or a domain in any spelling, -Connection, -AdminConnection, the
/// account acted on, the registry's tenants), and each conflict refused with TenantMismatch.
/// </summary>
public sealed class TenantResolverTests(SandboxFixture sandbox) : IClassFixture<SandboxFixture>, IDisposable
{
    private readonly EngineHarness h = new(sandbox);

    public void Dispose() => h.Dispose();

    private TenantResolver Tenants => h.Engine.Tenants;

    [Fact]
    public async Task Resolve_NamesNoTenant_UsesTheDefault_AndWithoutADefault_IsNotConnectedWithNoTarget()
    {
        var contoso = await h.AdminAsync(sandbox.Contoso);
        await h.AdminAsync(sandbox.Fabrikam);

        var scope = Tenants.Resolve(null, null);
        Assert.Same(contoso, scope.Connection);
        Assert.False(scope.Named);

        h.Engine.Connections.Disconnect(contoso);
        var error = Assert.Throws<CasException>(() => Tenants.Resolve(null, null));
        Assert.Equal((ErrorIds.NotConnected, null), (error.ErrorId, error.Target));
    }

    [Theory]
    [InlineData("domain")]
    [InlineData("DOMAIN")]
    [InlineData("id")]
    [InlineData("ID")]
    [InlineData("{id}")]
    public async Task Resolve_TenantIdInAnySpelling_PicksThatTenantsConnection(string spelling)
    {
        await h.AdminAsync(sandbox.Contoso);
        var fabrikam = await h.AdminAsync(sandbox.Fabrikam);

        var scope = Tenants.Resolve(Spell(sandbox.Fabrikam, spelling), null);

        Assert.Same(fabrikam, scope.Connection);
        Assert.True(scope.Named);
    }

    [Fact]
    public async Task Resolve_TenantIdNotConnected_IsNotConnected_NamingTheTenant()
    {
        await h.AdminAsync(sandbox.Contoso);

        var error = Assert.Throws<CasException>(() => Tenants.Resolve("nosuch.onmicrosoft.com", null));

        Assert.Equal((ErrorIds.NotConnected, "nosuch.onmicrosoft.com"), (error.ErrorId, error.Target));
    }

    [Fact]
    public async Task Resolve_TenantIdAndConnectionOfOneTenant_Agree_OfTwoTenants_IsTenantMismatch()
    {
        var contoso = await h.AdminAsync(sandbox.Contoso);
        await h.AdminAsync(sandbox.Fabrikam);

        Assert.Same(contoso, Tenants.Resolve(sandbox.Contoso.Domain.ToUpperInvariant(), contoso).Connection);

        // A piped object's TenantId binds -TenantId just like a typed one: a fabrikam object with -Connection to contoso.
        var error = Assert.Throws<CasException>(() => Tenants.Resolve(sandbox.Fabrikam.TenantId, contoso));
        Assert.Equal((ErrorIds.TenantMismatch, CasErrorCategory.InvalidArgument), (error.ErrorId, error.Category));
        Assert.Contains("-Connection is to tenant " + sandbox.Contoso.Domain, error.Message, StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(error.RecommendedAction));
    }

    [Fact]
    public async Task Resolve_AdminConnectionOfAnotherTenant_IsTenantMismatch()
    {
        var contoso = await h.AdminAsync(sandbox.Contoso);
        var fabrikam = await h.AdminAsync(sandbox.Fabrikam);

        Assert.Same(contoso, Tenants.Resolve(null, null, contoso).AdminConnection);
        var error = Assert.Throws<CasException>(() => Tenants.Resolve(null, null, fabrikam));

        Assert.Equal(ErrorIds.TenantMismatch, error.ErrorId);
        Assert.Contains("-AdminConnection", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ResolveAccount_NamingNoTenant_UsesTheAccountsOwnTenant_NotTheDefaultOne()
    {
        var contoso = await h.AdminAsync(sandbox.Contoso);
        var fabrikam = await h.AdminAsync(sandbox.Fabrikam);
        var account = await RegisterOneAsync(fabrikam);

        var scope = await Tenants.ResolveAccountAsync(Tenants.Resolve(null, null), account.AccountId, null, CancellationToken.None);

        Assert.True(contoso.IsDefault);
        Assert.Same(fabrikam, scope.Connection);
        Assert.Equal(account.AccountId, scope.Account.AccountId);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ResolveAccount_TenantIdOrConnectionOfAnotherTenant_IsTenantMismatch_AboutTheAccount(bool byConnection)
    {
        var contoso = await h.AdminAsync(sandbox.Contoso);
        var fabrikam = await h.AdminAsync(sandbox.Fabrikam);
        var account = await RegisterOneAsync(fabrikam);
        var named = byConnection ? Tenants.Resolve(null, contoso) : Tenants.Resolve(sandbox.Contoso.Domain, null);

        var error = await Assert.ThrowsAsync<CasException>(() => Tenants.ResolveAccountAsync(named, account.AccountId, null, CancellationToken.None));

        Assert.Equal((ErrorIds.TenantMismatch, account.AccountId.ToString()), (error.ErrorId, error.Target));
        Assert.Contains(byConnection ? "-Connection is to tenant" : "-TenantId names tenant", error.Message, StringComparison.Ordinal);
        Assert.Contains(sandbox.Fabrikam.Domain, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ResolveAccount_AdminConnectionOfAnotherTenantThanTheAccount_IsTenantMismatch()
    {
        var contoso = await h.AdminAsync(sandbox.Contoso);
        var fabrikam = await h.AdminAsync(sandbox.Fabrikam);
        var account = await RegisterOneAsync(fabrikam);

        var error = await Assert.ThrowsAsync<CasException>(() => Tenants.ResolveAccountAsync(Tenants.Resolve(null, null), account.AccountId, contoso, CancellationToken.None));

        Assert.Equal(ErrorIds.TenantMismatch, error.ErrorId);
        Assert.Same(contoso, (await Tenants.ResolveAccountAsync(Tenants.Resolve(null, null), (await RegisterOneAsync(contoso)).AccountId, contoso, CancellationToken.None)).AdminConnection);
    }

    [Fact]
    public async Task ResolveAccount_UnknownAccount_IsServiceAccountNotFound()
    {
        await h.AdminAsync(sandbox.Contoso);

        var error = await Assert.ThrowsAsync<CasException>(() => Tenants.ResolveAccountAsync(Tenants.Resolve(null, null), Guid.NewGuid(), null, CancellationToken.None));

        Assert.Equal(ErrorIds.ServiceAccountNotFound, error.ErrorId);
    }

    [Fact]
    public async Task ResolveAccountTenant_LeavesAnUnknownAccountToTheOperation_ButStillPicksAKnownAccountsTenant()
    {
        await h.AdminAsync(sandbox.Contoso);
        var fabrikam = await h.AdminAsync(sandbox.Fabrikam);
        var account = await RegisterOneAsync(fabrikam);
        var named = Tenants.Resolve(null, null);

        Assert.Same(named, await Tenants.ResolveAccountTenantAsync(named, Guid.NewGuid(), null, CancellationToken.None));
        Assert.Same(fabrikam, (await Tenants.ResolveAccountTenantAsync(named, account.AccountId, null, CancellationToken.None)).Connection);
        var error = await Assert.ThrowsAsync<CasException>(() => Tenants.ResolveAccountTenantAsync(Tenants.Resolve(null, named.Connection), account.AccountId, null, CancellationToken.None));
        Assert.Equal(ErrorIds.TenantMismatch, error.ErrorId);
    }

    [Fact]
    public async Task ResolveAccount_OwnTenantNotConnected_IsNotConnected_NamingTheAccountsTenant()
    {
        await h.AdminAsync(sandbox.Contoso);
        var fabrikam = await h.AdminAsync(sandbox.Fabrikam);
        var account = await RegisterOneAsync(fabrikam);
        h.Engine.Connections.Disconnect(fabrikam);

        var error = await Assert.ThrowsAsync<CasException>(() => Tenants.ResolveAccountAsync(Tenants.Resolve(null, null), account.AccountId, null, CancellationToken.None));

        Assert.Equal((ErrorIds.NotConnected, sandbox.Fabrikam.Domain), (error.ErrorId, error.Target));
    }

    [Fact]
    public async Task ResolveFilter_NoTenant_ListsEveryTenant()
    {
        var filter = await Tenants.ResolveFilterAsync(h.StorePath, null, null, CancellationToken.None);

        Assert.Same(TenantFilter.Any, filter);
        Assert.False(filter.IsUnknown);
    }

    [Theory]
    [InlineData("ID")]
    [InlineData("{id}")]
    [InlineData("DOMAIN")]
    public async Task ResolveFilter_ConnectedTenantInAnySpelling_IsItsId(string spelling)
    {
        await h.AdminAsync(sandbox.Fabrikam);

        var filter = await Tenants.ResolveFilterAsync(h.StorePath, Spell(sandbox.Fabrikam, spelling), null, CancellationToken.None);

        Assert.Equal(sandbox.Fabrikam.TenantId, filter.TenantId);
    }

    [Fact]
    public async Task ResolveFilter_DomainOfADisconnectedTenant_IsFoundInTheRegistry_AnUnknownOneMatchesNothing()
    {
        var fabrikam = await h.AdminAsync(sandbox.Fabrikam);
        await RegisterOneAsync(fabrikam);
        h.Engine.Connections.Disconnect(fabrikam);

        var recorded = await Tenants.ResolveFilterAsync(h.StorePath, sandbox.Fabrikam.Domain.ToUpperInvariant(), null, CancellationToken.None);
        var unknown = await Tenants.ResolveFilterAsync(h.StorePath, "nosuch.onmicrosoft.com", null, CancellationToken.None);

        Assert.Equal(sandbox.Fabrikam.TenantId, recorded.TenantId);
        Assert.True(unknown.IsUnknown);
        Assert.Null(unknown.TenantId);
    }

    [Fact]
    public async Task ResolveFilter_Connection_IsItsTenant_AndATenantIdOfAnotherOne_IsTenantMismatch()
    {
        var contoso = await h.AdminAsync(sandbox.Contoso);

        Assert.Equal(sandbox.Contoso.TenantId, (await Tenants.ResolveFilterAsync(h.StorePath, null, contoso, CancellationToken.None)).TenantId);
        var error = await Assert.ThrowsAsync<CasException>(() => Tenants.ResolveFilterAsync(h.StorePath, sandbox.Fabrikam.Domain, contoso, CancellationToken.None));

        Assert.Equal(ErrorIds.TenantMismatch, error.ErrorId);
    }

    [Fact]
    public async Task RequireAccountOf_AnAccountOfAnotherTenantThanTheFilter_IsTenantMismatch()
    {
        var contoso = await h.AdminAsync(sandbox.Contoso);
        var fabrikam = await h.AdminAsync(sandbox.Fabrikam);
        var account = await RegisterOneAsync(fabrikam);

        TenantResolver.RequireAccountOf(TenantFilter.Any, account);
        TenantResolver.RequireAccountOf(await Tenants.ResolveFilterAsync(h.StorePath, null, fabrikam, CancellationToken.None), account);
        var ofContoso = await Tenants.ResolveFilterAsync(h.StorePath, null, contoso, CancellationToken.None);
        var error = Assert.Throws<CasException>(() => TenantResolver.RequireAccountOf(ofContoso, account));

        Assert.Equal(ErrorIds.TenantMismatch, error.ErrorId);
        Assert.Contains("-Connection is to tenant " + sandbox.Contoso.Domain, error.Message, StringComparison.Ordinal);
    }

    private static string Spell(CasAdmin.Sandbox.SandboxTenantInfo tenant, string spelling) => spelling switch
    {
        "domain" => tenant.Domain,
        "DOMAIN" => tenant.Domain.ToUpperInvariant(),
        "id" => tenant.TenantId,
        "ID" => tenant.TenantId.ToUpperInvariant(),
        "{id}" => "{" + tenant.TenantId + "}",
        _ => throw new ArgumentOutOfRangeException(nameof(spelling)),
    };

    /// <summary>Records one account that exists in the connection's tenant (not Teams Chat: that one is provisioned, not found).</summary>
    private async Task<CasServiceAccount> RegisterOneAsync(CasConnection connection)
    {
        var candidate = (await h.Engine.Accounts.FindAsync(connection, null, h.Observer, CancellationToken.None))
            .First(c => c.Service is not null and not CasService.TeamsChat && !c.Registered);
        return await h.Engine.Accounts.RegisterAsync(connection, new RegisterAccountRequest
        {
            Service = candidate.Service!.Value, Kind = candidate.Kind, AppId = candidate.AppId, DelegateAccount = candidate.DelegateAccount, DisplayName = candidate.DisplayName,
        }, h.Observer, CancellationToken.None);
    }
}
