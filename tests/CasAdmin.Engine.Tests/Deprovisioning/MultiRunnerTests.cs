using System.Diagnostics;
using System.Text.Json;
using CasAdmin.Engine.Accounts;
using CasAdmin.Engine.Connections;
using CasAdmin.Engine.Deprovisioning;
using CasAdmin.Engine.Operations;
using CasAdmin.Engine.Store;
using CasAdmin.Engine.Tests.Store;
using CasAdmin.Sandbox;
using CasAdmin.Testing;

namespace CasAdmin.Engine.Tests.Deprovisioning;

/// <summary>
/// Several automation workers sharing one PostgreSQL registry: four runner processes remove 1,000 accounts across 50
/// tenants; one of them is killed (SIGKILL) partway, and the PostgreSQL server is restarted once partway. Every
/// account must end removed exactly once, and the tenants exactly as an uninterrupted run leaves them. The moments of
/// the kill and the restart are counted in removed accounts, not in time.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class MultiRunnerTests(PostgresFixture postgres)
{
    private const int Tenants = 50;
    private const int AccountsPerTenant = 20;
    private const int Runners = 4;
    private static readonly TimeSpan RunnerTimeout = TimeSpan.FromMinutes(15);

    [Fact]
    public async Task FourRunners_OneKilled_ServerRestarted_EveryAccountRemovedExactlyOnce_TenantsAsAfterAnUninterruptedRun()
    {
        await using var sandbox = await SandboxHost.StartAsync(new SandboxOptions
        {
            Scenario = $"generated:tenants={Tenants},users=10,chats=10,accounts={AccountsPerTenant},seed=5",
        });
        using var folder = new TempFolder();

        // The uninterrupted reference: one engine, its own SQLite registry.
        var reference = await RegisterAsync(sandbox, folder.File("reference.db"));
        var referenceResults = await reference.Engine.Deprovisioning.RemoveAsync(
            await Footprint.TargetsAsync(reference.Engine, reference.Accounts, a => reference.Connections[a.TenantId]),
            new RemovalOptions { ThrottleLimit = 16, RemoveDelegateAccount = true }, NullOperationObserver.Instance, CancellationToken.None);
        Assert.All(referenceResults, r => Assert.True(r.Succeeded, r.Error?.Message ?? r.Job?.Error));
        var expected = await StateAsync(sandbox);

        // The same accounts, registered in a shared PostgreSQL registry, removed by four runner processes.
        await sandbox.Control.ResetAsync();
        var store = postgres.Cluster.ConnectionString(await postgres.Cluster.CreateDatabaseAsync());
        var shared = await RegisterAsync(sandbox, store);
        Assert.Equal(Tenants * AccountsPerTenant, shared.Accounts.Count);
        var plan = folder.File("plan.json");
        await File.WriteAllTextAsync(plan, JsonSerializer.Serialize(new RunnerPlan(sandbox.Url.AbsoluteUri, sandbox.Thumbprint, store,
            sandbox.Tenants.Select(t => new RunnerTenant(t.TenantId, t.AdminAppId, shared.Accounts.Where(a => a.TenantId == t.TenantId).Select(a => a.AccountId).ToList())).ToList(),
            ThrottleLimit: 8, Seed: 0)));

        var removedBy = new List<(int Runner, Guid Account)>();
        var done = new bool[Runners];
        var runners = new List<Process>();
        var killed = false;
        var restarted = new TaskCompletionSource();
        var said = new System.Text.StringBuilder();
        for (var n = 0; n < Runners; n++)
        {
            var runnerPlan = folder.File($"plan-{n}.json");
            await File.WriteAllTextAsync(runnerPlan, (await File.ReadAllTextAsync(plan)).Replace("\"Seed\":0", $"\"Seed\":{n + 1}", StringComparison.Ordinal));
            var start = CrashHost.StartInfo("--runner", runnerPlan);
            start.Environment[BulkRunner.SecretsVariable] = JsonSerializer.Serialize(sandbox.Tenants.ToDictionary(t => t.TenantId, t => t.AdminAppSecret));
            var process = Process.Start(start)!;
            runners.Add(process);
            var me = n;
            process.ErrorDataReceived += (_, e) =>
            {
                lock (said)
                {
                    said.AppendLine($"[{me}!] {e.Data}");
                }
            };
            process.BeginErrorReadLine();
            process.OutputDataReceived += (_, e) =>
            {
                if (e.Data is not { } line)
                {
                    return;
                }

                lock (removedBy)
                {
                    said.AppendLine($"[{me}] {line}");
                    if (line.StartsWith("REMOVED ", StringComparison.Ordinal))
                    {
                        removedBy.Add((me, Guid.Parse(line["REMOVED ".Length..])));
                    }
                    else if (line == "DONE")
                    {
                        done[me] = true;
                    }

                    // Partway, by count: runner 0 dies once it has removed some accounts of its own...
                    if (!killed && removedBy.Count(r => r.Runner == 0) >= 20)
                    {
                        killed = true;
                        runners[0].Kill(entireProcessTree: true);
                    }

                    // ...and the server restarts once a third of all accounts are gone.
                    if (killed && removedBy.Count >= Tenants * AccountsPerTenant / 3 && !restarted.Task.IsCompleted)
                    {
                        restarted.TrySetResult();
                    }
                }
            };
            process.BeginOutputReadLine();
        }

        try
        {
            await restarted.Task.WaitAsync(RunnerTimeout);
            await postgres.Cluster.RestartAsync();
            foreach (var process in runners.Skip(1))
            {
                await process.WaitForExitAsync().WaitAsync(RunnerTimeout);
            }
        }
        catch (TimeoutException)
        {
            Assert.Fail("The runners did not finish:\n" + said);
        }
        finally
        {
            foreach (var process in runners)
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                }

                process.Dispose();
            }
        }

        Assert.True(killed);
        Assert.All(Enumerable.Range(1, Runners - 1), n => Assert.True(done[n], $"runner {n} did not finish:\n{said}"));
        Assert.DoesNotContain("FAILED", said.ToString(), StringComparison.Ordinal);

        // Exactly once: every account reported removed by one runner only, one job each, all succeeded.
        Assert.Equal(shared.Accounts.Select(a => a.AccountId).Order(), removedBy.Select(r => r.Account).Order());
        RegistryStore.Forget(store);
        var jobs = await shared.Engine.Deprovisioning.GetJobsAsync(store, null, null, null, null, CancellationToken.None);
        Assert.Equal(shared.Accounts.Count, jobs.Count);
        Assert.Equal(shared.Accounts.Count, jobs.Select(j => j.AccountId).Distinct().Count());
        Assert.All(jobs, j => Assert.Equal(RemovalJobStatus.Succeeded, j.Status));
        Assert.All(await shared.Engine.Accounts.GetAsync(store, null, null, null, true, CancellationToken.None), a => Assert.Equal(ServiceAccountStatus.Removed, a.Status));
        // Exactly once in the tenants too: no step ran twice, despite the kill and the restart (a delete of an object
        // already gone, or the same write again, is what a step run twice leaves; the end state alone cannot show it).
        var stats = await sandbox.Control.GetStatsAsync();
        Assert.Empty(Footprint.Repeats(stats));
        Assert.Equal(0, stats.Totals.DuplicateCreates);

        // The tenants exactly as the uninterrupted run left them.
        Assert.Equal(expected, await StateAsync(sandbox));
    }

    private sealed record Registered(CasEngine Engine, Dictionary<string, CasConnection> Connections, List<CasServiceAccount> Accounts);

    /// <summary>Connects to every tenant and registers its seeded service accounts (those with an app) in <paramref name="store"/>.</summary>
    private static async Task<Registered> RegisterAsync(SandboxHost sandbox, string store)
    {
        var engine = new CasEngine(new InMemorySecretVault());
        var connections = new Dictionary<string, CasConnection>();
        var accounts = new List<CasServiceAccount>();
        foreach (var tenant in sandbox.Tenants)
        {
            var connection = await engine.Connections.ConnectAsync(SandboxFixture.WithStore(SandboxFixture.Wrap(sandbox).Request(tenant, SignInMode.ClientSecret), store),
                NullOperationObserver.Instance, CancellationToken.None);
            connections[tenant.TenantId] = connection;
            foreach (var c in (await engine.Accounts.FindAsync(connection, null, NullOperationObserver.Instance, CancellationToken.None)).Where(c => c.AppId is not null && c.Service is not null).Take(AccountsPerTenant))
            {
                accounts.Add(await engine.Accounts.RegisterAsync(connection, new RegisterAccountRequest
                {
                    Service = c.Service!.Value, Kind = c.Kind, AppId = c.AppId, DelegateAccount = c.DelegateAccount, DisplayName = c.DisplayName, IsLegacy = c.IsLegacy,
                }, NullOperationObserver.Instance, CancellationToken.None));
            }
        }

        return new Registered(engine, connections, accounts);
    }

    /// <summary>Every tenant's directory as JSON, in a stable order.</summary>
    private static async Task<string> StateAsync(SandboxHost sandbox)
    {
        var states = new List<string>();
        foreach (var tenant in sandbox.Tenants)
        {
            var s = await sandbox.Control.GetTenantStateAsync(tenant.TenantId);
            states.Add(JsonSerializer.Serialize(new
            {
                s.TenantId,
                Users = s.Users.OrderBy(u => u.Id, StringComparer.Ordinal),
                Applications = s.Applications.OrderBy(a => a.Id, StringComparer.Ordinal),
                ServicePrincipals = s.ServicePrincipals.OrderBy(p => p.Id, StringComparer.Ordinal),
                AppRoleAssignments = s.AppRoleAssignments.OrderBy(a => a.Id, StringComparer.Ordinal),
                Grants = s.Oauth2PermissionGrants.OrderBy(g => g.Id, StringComparer.Ordinal),
                Groups = s.Groups.OrderBy(g => g.Id, StringComparer.Ordinal),
                Roles = s.RoleAssignments.OrderBy(r => r.Id, StringComparer.Ordinal),
                Deleted = s.DeletedItems.OrderBy(d => d.Id, StringComparer.Ordinal),
            }));
        }

        return string.Join('\n', states);
    }
}
