using CasAdmin.Engine.Accounts;
using CasAdmin.Engine.Deprovisioning;
using CasAdmin.Engine.Domain;
using CasAdmin.Engine.Errors;
using CasAdmin.Engine.Store;
using CasAdmin.Testing;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace CasAdmin.Engine.Tests.Store;

/// <summary>One real PostgreSQL server (a throwaway cluster on 127.0.0.1) for every test of the collection; never skipped.</summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    public PostgresCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() => Cluster = await PostgresCluster.StartAsync();

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresFixture>
{
    public const string Name = "PostgreSQL";
}

/// <summary>The repositories' behaviour on both stores, and the PostgreSQL store's own errors and migrations.</summary>
[Collection(PostgresCollection.Name)]
public sealed class SharedRegistryTests(PostgresFixture postgres) : IDisposable
{
    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    public static TheoryData<string> Stores => new() { "sqlite", "postgres" };

    private async Task<RegistryStore> NewStoreAsync(string kind) =>
        RegistryStore.Open(kind == "sqlite" ? folder.File(Guid.NewGuid().ToString("N") + ".db") : postgres.Cluster.ConnectionString(await postgres.Cluster.CreateDatabaseAsync()));

    private static CasServiceAccount Account(string tenant, CasService service = CasService.Teams, string? appId = null) => new()
    {
        AccountId = Guid.NewGuid(), TenantId = tenant, Service = service, AppId = appId ?? Guid.NewGuid().ToString(),
        Status = ServiceAccountStatus.Active, CreatedOn = DateTimeOffset.UtcNow, UpdatedOn = DateTimeOffset.UtcNow,
    };

    /// <summary>The account's job, opened and leased by <paramref name="holder"/>.</summary>
    private static async Task<Guid> LeasedJobAsync(RegistryStore store, CasServiceAccount account, string holder, TimeSpan lease)
    {
        await store.WriteAsync((c, t, ct) => AccountRepository.InsertAsync(c, t, account, ct), CancellationToken.None);
        var (jobId, outcome) = await new RemovalLeaseRepository(store).OpenAndLeaseAsync(account, RemovalPlan.For(account).Select(k => RemovalPlan.Names[k]).ToArray(),
            holder, lease, CancellationToken.None);
        Assert.True(outcome.IsAcquired);
        return jobId;
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Account_InsertListGet_RoundTrips(string kind)
    {
        var store = await NewStoreAsync(kind);
        var tenant = Guid.NewGuid().ToString();
        var account = Account(tenant) with { };
        await store.WriteAsync(async (c, t, ct) =>
        {
            await AccountRepository.TouchTenantAsync(c, t, new KnownTenant(tenant, "Contoso.onmicrosoft.com", "Contoso", "Sandbox"), ct);
            await AccountRepository.InsertAsync(c, t, account, ct);
        }, CancellationToken.None);
        var repository = new AccountRepository(store);

        var byDomain = Assert.Single(await repository.ListAsync("contoso.onmicrosoft.com", null, null, false, CancellationToken.None));
        var got = await repository.GetAsync(account.AccountId, CancellationToken.None);

        Assert.Equal(account.AccountId, byDomain.AccountId);
        Assert.Equal("Contoso.onmicrosoft.com", got!.TenantDomain);
        Assert.Equal(account.AppId, got.AppId);
        Assert.Empty(await repository.ListAsync(tenant, CasService.OneDrive, null, false, CancellationToken.None));
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task NaturalKey_IsUnique_AndFoundInsideTheWriteTransaction(string kind)
    {
        var store = await NewStoreAsync(kind);
        var first = Account(Guid.NewGuid().ToString(), CasService.ExchangeOnline);
        await store.WriteAsync((c, t, ct) => AccountRepository.InsertAsync(c, t, first, ct), CancellationToken.None);
        var twin = Account(first.TenantId, CasService.ExchangeOnline, first.AppId!.ToUpperInvariant());

        var found = await store.WriteAsync((c, t, ct) => AccountRepository.FindLiveAsync(c, t, twin.TenantId, twin.Service, twin.AppId, null, ct), CancellationToken.None);
        var error = await Assert.ThrowsAsync<CasException>(() => store.WriteAsync((c, t, ct) => AccountRepository.InsertAsync(c, t, twin, ct), CancellationToken.None));

        Assert.Equal(first.AccountId, found);
        Assert.Equal(ErrorIds.StoreUnavailable, error.ErrorId);
        Assert.Single(await new AccountRepository(store).ListAsync(first.TenantId, null, null, false, CancellationToken.None));
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Lease_OneHolderAtATime_AndAStepWriteByALoserChangesNothing(string kind)
    {
        var store = await NewStoreAsync(kind);
        const string A = "host-a/pid 1/00000000000000000000000000000001/00000001";
        const string B = "host-a/pid 2/00000000000000000000000000000002/00000002";
        var lease = TimeSpan.FromMinutes(2);
        var jobId = await LeasedJobAsync(store, Account(Guid.NewGuid().ToString()), A, lease);
        var jobs = new RemovalJobRepository(store);
        var leases = new RemovalLeaseRepository(store);

        var refused = await leases.TryLeaseAsync(jobId, B, lease, CancellationToken.None);
        Assert.False(refused.IsAcquired);
        Assert.Equal(A, refused.Holder);
        Assert.True(await leases.RenewAsync(jobId, A, lease, CancellationToken.None));
        Assert.False(await leases.RenewAsync(jobId, B, lease, CancellationToken.None));

        var lost = await Assert.ThrowsAsync<CasException>(() => new RemovalJournal(store, jobId, B).FinishStepAsync(0, RemovalStepStatus.Succeeded, "by the loser", [], CancellationToken.None, nextOrdinal: 1));
        Assert.Equal(ErrorIds.LeaseLost, lost.ErrorId);
        var untouched = (await jobs.GetAsync(jobId, CancellationToken.None))!;
        Assert.All(untouched.Steps, s => Assert.Equal(RemovalStepStatus.Pending, s.Status));

        await new RemovalJournal(store, jobId, A).StartStepAsync(0, CancellationToken.None);
        await leases.ReleaseAsync(jobId, A, CancellationToken.None);
        Assert.True((await leases.TryLeaseAsync(jobId, B, lease, CancellationToken.None)).IsAcquired);
        var late = await Assert.ThrowsAsync<CasException>(() => new RemovalJournal(store, jobId, A).FinishStepAsync(0, RemovalStepStatus.Succeeded, "too late", [], CancellationToken.None));
        Assert.Equal(ErrorIds.LeaseLost, late.ErrorId);
        Assert.Equal(RemovalStepStatus.Running, (await jobs.GetAsync(jobId, CancellationToken.None))!.Steps[0].Status);
        Assert.Equal(B, (await jobs.GetAsync(jobId, CancellationToken.None))!.LeaseOwner);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task AuditLog_NewestFirst_FilteredByTenantAccountActionAndTime(string kind)
    {
        var store = await NewStoreAsync(kind);
        var repository = new AccountRepository(store);
        var tenant = Guid.NewGuid().ToString();
        var other = Guid.NewGuid().ToString();
        var account = Guid.NewGuid();
        await store.WriteAsync((c, t, ct) => AccountRepository.TouchTenantAsync(c, t, new KnownTenant(tenant, "fabrikam.example", null, "Sandbox"), ct), CancellationToken.None);
        await repository.AuditAsync(new AuditEntry("admin@fabrikam.example", tenant, account, "RegisterServiceAccount", "app-1", "Succeeded"), CancellationToken.None);
        var between = DateTimeOffset.UtcNow;
        await Task.Delay(20);
        await repository.AuditAsync(new AuditEntry("admin@fabrikam.example", tenant, account, "RemoveServiceAccount", "app-1", "LocalDataRemoved"), CancellationToken.None);
        await repository.AuditAsync(new AuditEntry("someone", other, Guid.NewGuid(), "RemoveServiceAccount", "app_2", "Succeeded"), CancellationToken.None);

        var all = await repository.AuditLogAsync(null, null, null, null, null, null, CancellationToken.None);
        var byDomain = await repository.AuditLogAsync("FABRIKAM.example", null, null, null, null, null, CancellationToken.None);
        var removals = await repository.AuditLogAsync(null, null, "remove*", null, null, null, CancellationToken.None);
        var ofAccount = await repository.AuditLogAsync(null, account, null, between, null, null, CancellationToken.None);
        var before = await repository.AuditLogAsync(null, null, null, null, between, null, CancellationToken.None);
        var literal = await repository.AuditLogAsync(null, null, "Remove_ServiceAccount", null, null, null, CancellationToken.None);

        Assert.Equal(["RemoveServiceAccount", "RemoveServiceAccount", "RegisterServiceAccount"], all.Select(e => e.Action));
        Assert.True(all[0].AuditId > all[1].AuditId);
        Assert.Equal(2, byDomain.Count);
        Assert.All(byDomain, e => Assert.Equal("fabrikam.example", e.TenantDomain));
        Assert.Equal(2, removals.Count);
        Assert.Equal("LocalDataRemoved", Assert.Single(ofAccount).Result);
        Assert.Equal("RegisterServiceAccount", Assert.Single(before).Action);
        Assert.Empty(literal); // "_" is a literal underscore, not LIKE's any-character.
    }

    [Fact]
    public async Task Postgres_FromEmpty_MigratesToTheCurrentSchema()
    {
        var database = await postgres.Cluster.CreateDatabaseAsync();
        RegistryStore.Open(postgres.Cluster.ConnectionString(database));

        Assert.Equal((long)Schema.CurrentVersion, await ScalarAsync(database, "SELECT version FROM casadmin_schema"));
        Assert.Equal(1L, await ScalarAsync(database, "SELECT COUNT(*) FROM pg_indexes WHERE indexname = 'ux_accounts_natural'"));
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task FromThePreviousSchema_Migrates_OrReportsDuplicatesAndWritesNothing(string kind)
    {
        foreach (var duplicates in new[] { false, true })
        {
            var (name, setVersion, execute) = kind == "sqlite" ? Sqlite() : await PostgresAsync();
            // The registry as it was before the migration that made the natural key unique.
            var unique = Schema.Migrations.Single(m => m.DuplicatesQuery is not null);
            foreach (var m in Schema.Migrations.Where(m => m.Version < unique.Version))
            {
                await execute(kind == "sqlite" ? m.Sql : Schema.ForPostgres(m.Sql));
            }

            await setVersion(unique.Version - 1);
            var tenant = Guid.NewGuid().ToString();
            var app = Guid.NewGuid().ToString();
            foreach (var copy in duplicates ? new[] { app, app.ToUpperInvariant() } : [app])
            {
                await execute($"INSERT INTO service_accounts (account_id, tenant_id, service, kind, app_id, status, created, updated) VALUES ('{Guid.NewGuid()}', '{tenant}', 'ExchangeOnline', 'AuthorizedAccount', '{copy}', 'Active', '2026-01-01', '2026-01-01')");
            }

            if (duplicates)
            {
                var error = Assert.Throws<CasException>(() => RegistryStore.Open(name));
                Assert.Equal(ErrorIds.StoreDuplicateAccounts, error.ErrorId);
                Assert.Contains(tenant, error.Message, StringComparison.Ordinal);
                Assert.NotNull(error.RecommendedAction);
                Assert.Equal(unique.Version - 1, await VersionAsync(kind, name));
            }
            else
            {
                var store = RegistryStore.Open(name);
                Assert.Single(await new AccountRepository(store).ListAsync(tenant, null, null, false, CancellationToken.None));
                Assert.Equal(Schema.CurrentVersion, await VersionAsync(kind, name));
            }
        }
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task NewerSchema_IsRefused_AndNothingIsWritten(string kind)
    {
        var (name, setVersion, _) = kind == "sqlite" ? Sqlite() : await PostgresAsync();
        RegistryStore.Open(name);
        RegistryStore.Forget(name);
        await setVersion(Schema.CurrentVersion + 7);

        var error = Assert.Throws<CasException>(() => RegistryStore.Open(name));

        Assert.Equal(ErrorIds.StoreSchemaTooNew, error.ErrorId);
        Assert.Equal(Schema.CurrentVersion + 7, await VersionAsync(kind, name));
    }

    [Fact]
    public async Task Postgres_WrongCredentials_MissingDatabase_UnreachableServer_PasswordInTheString_AreClearErrors()
    {
        var database = await postgres.Cluster.CreateDatabaseAsync();
        var cs = postgres.Cluster.ConnectionString(database);
        using var closed = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        closed.Start();
        var closedPort = ((System.Net.IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();

        var wrongUser = Assert.Throws<CasException>(() => RegistryStore.Open(cs.Replace("Username=casadmin", "Username=nobody", StringComparison.Ordinal)));
        var missing = Assert.Throws<CasException>(() => RegistryStore.Open(postgres.Cluster.ConnectionString("no_such_registry")));
        var unreachable = Assert.Throws<CasException>(() => RegistryStore.Open($"Host=127.0.0.1;Port={closedPort};Database=x;Username=casadmin;Timeout=3"));
        var inline = Assert.Throws<CasException>(() => RegistryStore.Open(cs + ";Password=" + postgres.Cluster.Password));

        Assert.Equal(ErrorIds.StoreAccessDenied, wrongUser.ErrorId);
        Assert.Equal(ErrorIds.StoreDatabaseMissing, missing.ErrorId);
        Assert.Equal(ErrorIds.StoreUnavailable, unreachable.ErrorId);
        Assert.Equal(ErrorIds.InvalidArgument, inline.ErrorId);
        foreach (var e in new[] { wrongUser, missing, unreachable, inline })
        {
            Assert.NotNull(e.RecommendedAction);
            Assert.DoesNotContain(postgres.Cluster.Password, e.ToString(), StringComparison.Ordinal);
        }

        Assert.Equal(0L, await ScalarAsync(database, "SELECT COUNT(*) FROM pg_tables WHERE schemaname = 'public'"));
        Assert.Equal(0L, await ScalarAsync("postgres", "SELECT COUNT(*) FROM pg_database WHERE datname = 'no_such_registry'"));
    }

    [Fact]
    public void Read_OfARegistryInAMissingFolder_FailsWithStoreUnavailable_AndCreatesNothing()
    {
        var path = Path.Combine(folder.Path, "typo", "registry.db");

        var error = Assert.Throws<CasException>(() => RegistryStore.Open(path, create: false));

        Assert.Equal(ErrorIds.StoreUnavailable, error.ErrorId);
        Assert.NotNull(error.RecommendedAction);
        Assert.False(Directory.Exists(Path.GetDirectoryName(path)));
    }

    [Fact]
    public async Task Reads_OfARegistryNotCreatedYet_AnswerNothing_AndCreateNothing()
    {
        var path = folder.File("not-yet.db");
        var engine = new CasEngine(new InMemorySecretVault());

        Assert.Empty(await engine.Accounts.GetAsync(path, null, null, null, true, CancellationToken.None));
        Assert.Empty(await engine.Accounts.GetNotificationsAsync(path, null, null, CancellationToken.None));
        Assert.Empty(await engine.Accounts.GetAuditLogAsync(path, null, null, null, null, null, null, CancellationToken.None));
        Assert.Empty(await engine.Deprovisioning.GetJobsAsync(path, null, null, null, null, CancellationToken.None));
        Assert.Empty(await engine.Deprovisioning.GetCleanupItemsAsync(path, null, null, null, CancellationToken.None));
        var error = await Assert.ThrowsAsync<CasException>(() => engine.Accounts.GetAsync(path, Guid.NewGuid(), CancellationToken.None));
        Assert.Equal(ErrorIds.ServiceAccountNotFound, error.ErrorId);

        Assert.False(File.Exists(path));
    }

    private (string Name, Func<int, Task> SetVersion, Func<string, Task> Execute) Sqlite()
    {
        var path = folder.File(Guid.NewGuid().ToString("N") + ".db");
        async Task Execute(string sql)
        {
            await using var c = new SqliteConnection($"Data Source={path};Pooling=False");
            await c.OpenAsync();
            await using var command = c.CreateCommand();
            command.CommandText = sql;
            await command.ExecuteNonQueryAsync();
        }

        return (path, v => Execute($"PRAGMA user_version = {v}"), Execute);
    }

    private async Task<(string Name, Func<int, Task> SetVersion, Func<string, Task> Execute)> PostgresAsync()
    {
        var database = await postgres.Cluster.CreateDatabaseAsync();
        async Task Execute(string sql)
        {
            await using var c = new NpgsqlConnection(postgres.Cluster.ConnectionString(database));
            await c.OpenAsync();
            await using var command = new NpgsqlCommand(sql, c);
            await command.ExecuteNonQueryAsync();
        }

        return (postgres.Cluster.ConnectionString(database),
            v => Execute($"CREATE TABLE IF NOT EXISTS casadmin_schema (version BIGINT NOT NULL); DELETE FROM casadmin_schema; INSERT INTO casadmin_schema VALUES ({v})"), Execute);
    }

    private async Task<int> VersionAsync(string kind, string name)
    {
        if (kind == "sqlite")
        {
            await using var c = new SqliteConnection($"Data Source={name};Pooling=False");
            await c.OpenAsync();
            await using var command = c.CreateCommand();
            command.CommandText = "PRAGMA user_version";
            return Convert.ToInt32(await command.ExecuteScalarAsync());
        }

        return Convert.ToInt32(await ScalarAsync(new NpgsqlConnectionStringBuilder(name).Database!, "SELECT version FROM casadmin_schema"));
    }

    private async Task<object?> ScalarAsync(string database, string sql)
    {
        await using var c = new NpgsqlConnection(postgres.Cluster.ConnectionString(database));
        await c.OpenAsync();
        await using var command = new NpgsqlCommand(sql, c);
        return await command.ExecuteScalarAsync();
    }
}
