using System.Diagnostics;
using System.Text.Json;
using CasAdmin.Engine.Accounts;
using CasAdmin.Engine.Errors;

namespace CasAdmin.Engine.Tests.Store;

/// <summary>
/// Two processes registering the same accounts at the same moment (found by hand: eight records for six accounts):
/// each account ends registered once, and the loser of each race gets ServiceAccountExists. Real processes, on both
/// stores.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class RegistrationRaceTests(PostgresFixture postgres) : IDisposable
{
    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task TwoProcesses_RegisterTheSameAccountsAtOnce_EachIsRecordedOnce(string kind)
    {
        var sandbox = new SandboxFixture();
        await sandbox.InitializeAsync();
        try
        {
            var store = kind == "sqlite" ? folder.File("race.db") : postgres.Cluster.ConnectionString(await postgres.Cluster.CreateDatabaseAsync());
            using var h = new EngineHarness(sandbox);
            var admin = await h.AdminAsync(sandbox.Contoso);
            var requests = (await h.Engine.Accounts.FindAsync(admin, null, h.Observer, CancellationToken.None))
                .Where(c => c.Service is not null and not CasService.TeamsChat)
                .Select(c => new RegisterAccountRequest { Service = c.Service!.Value, Kind = c.Kind, AppId = c.AppId, DelegateAccount = c.DelegateAccount, DisplayName = c.DisplayName })
                .ToList();
            Assert.True(requests.Count >= 4, $"the seeded tenant has {requests.Count} accounts");
            var list = folder.File("accounts.json");
            await File.WriteAllTextAsync(list, JsonSerializer.Serialize(requests));

            var children = Enumerable.Range(0, 2).Select(_ =>
            {
                var start = CrashHost.StartInfo("--register", list, "--sandbox-url", sandbox.Host.Url.AbsoluteUri, "--thumbprint", sandbox.Host.Thumbprint,
                    "--tenant", sandbox.Contoso.TenantId, "--app-id", sandbox.Contoso.AdminAppId, "--store", store);
                start.Environment[CrashHost.SecretVariable] = sandbox.Contoso.AdminAppSecret;
                return Process.Start(start)!;
            }).ToList();
            try
            {
                // Both signed in and waiting: then "go" to both at once.
                foreach (var child in children)
                {
                    Assert.Equal("READY", await child.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromMinutes(3)));
                }

                foreach (var child in children)
                {
                    await child.StandardInput.WriteLineAsync("go");
                    await child.StandardInput.FlushAsync();
                }

                var said = await Task.WhenAll(children.Select(c => c.StandardOutput.ReadToEndAsync().WaitAsync(TimeSpan.FromMinutes(3))));
                var lines = said.SelectMany(s => s.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).Where(l => l != "DONE").ToList();

                Assert.Equal(requests.Count, lines.Count(l => l.StartsWith("REGISTERED ", StringComparison.Ordinal)));
                Assert.Equal(requests.Count, lines.Count(l => l.StartsWith(ErrorIds.ServiceAccountExists + " ", StringComparison.Ordinal)));
                var live = await h.Engine.Accounts.GetAsync(store, null, null, null, false, CancellationToken.None);
                Assert.Equal(requests.Count, live.Count);
                Assert.Equal(requests.Count, live.Select(a => (a.Service, a.AppId?.ToLowerInvariant(), a.DelegateAccount?.ToLowerInvariant())).Distinct().Count());
            }
            finally
            {
                foreach (var child in children)
                {
                    if (!child.HasExited)
                    {
                        child.Kill(entireProcessTree: true);
                    }

                    child.Dispose();
                }
            }
        }
        finally
        {
            await sandbox.DisposeAsync();
        }
    }
}
