using System.Text.Json;
using CasAdmin.Engine;
using CasAdmin.Engine.Connections;
using CasAdmin.Engine.Deprovisioning;
using CasAdmin.Engine.Errors;
using CasAdmin.Engine.Operations;
using CasAdmin.Engine.Store;

namespace CasAdmin.Testing;

/// <summary>
/// What one runner process removes: every account of every tenant listed, against one shared registry. With WaitForGo it
/// connects first, prints "READY", then waits for a line on standard input before removing anything (a benchmark's start
/// line: it measures the removal, not each process's start and sign-ins).
/// </summary>
public sealed record RunnerPlan(string SandboxUrl, string Thumbprint, string Store, IReadOnlyList<RunnerTenant> Tenants, int ThrottleLimit, int Seed, bool WaitForGo = false);

public sealed record RunnerTenant(string TenantId, string AdminAppId, IReadOnlyList<Guid> Accounts);

/// <summary>
/// One of several runner processes sharing a registry, as automation workers do: it offers every account of the plan
/// to the engine, in its own order, and again later for each one another runner held (RemovalInProgress), lost
/// (LeaseLost) or could not record (a registry restarting), until every account is removed by someone. It prints
/// "REMOVED {account}" for each job it finished itself and "DONE" at the end. The admin apps' secrets come from the
/// environment (<see cref="SecretsVariable"/>, JSON tenant id → secret), never from the command line.
/// </summary>
public static class BulkRunner
{
    public const string SecretsVariable = "CASADMIN_RUNNER_SECRETS";

    private static readonly string[] TryAgain = [ErrorIds.RemovalInProgress, ErrorIds.LeaseLost, ErrorIds.StoreUnavailable, ErrorIds.RemovalFailed];

    public static async Task<int> RunAsync(string planFile, TextWriter output)
    {
        var plan = JsonSerializer.Deserialize<RunnerPlan>(await File.ReadAllTextAsync(planFile))!;
        var secrets = JsonSerializer.Deserialize<Dictionary<string, string>>(Environment.GetEnvironmentVariable(SecretsVariable)
            ?? throw new ArgumentException($"The {SecretsVariable} environment variable is required."))!;
        var engine = new CasEngine(new InMemorySecretVault());
        var targets = new List<RemovalTarget>();
        foreach (var tenant in plan.Tenants)
        {
            var connection = await engine.Connections.ConnectAsync(new ConnectionRequest
            {
                Mode = SignInMode.ClientSecret, Tenant = tenant.TenantId, ClientId = tenant.AdminAppId, ClientSecret = SecureStrings.Protect(secrets[tenant.TenantId]),
                Environment = CasCloud.Sandbox, SandboxUrl = new Uri(plan.SandboxUrl), SandboxThumbprint = plan.Thumbprint, StorePath = plan.Store,
            }, NullOperationObserver.Instance, CancellationToken.None);
            targets.AddRange(tenant.Accounts.Select(a => new RemovalTarget(a, connection, Confirmed: true)));
        }

        if (plan.WaitForGo)
        {
            output.WriteLine("READY");
            output.Flush();
            await Console.In.ReadLineAsync();
        }

        // Each runner its own order, so that the runners meet on some jobs and not on others.
        var random = new Random(plan.Seed);
        var pending = targets.OrderBy(_ => random.Next()).ToList();
        var options = new RemovalOptions { ThrottleLimit = plan.ThrottleLimit, RemoveDelegateAccount = true, LeaseDuration = TimeSpan.FromSeconds(30) };
        for (var round = 0; pending.Count > 0; round++)
        {
            var results = await engine.Deprovisioning.RemoveAsync(pending, options, NullOperationObserver.Instance, CancellationToken.None);
            var again = new List<RemovalTarget>();
            for (var i = 0; i < results.Count; i++)
            {
                var r = results[i];
                if (r.Succeeded)
                {
                    output.WriteLine($"REMOVED {r.AccountId}");
                }
                else if (r.Error?.ErrorId == ErrorIds.AlreadyRemoved)
                {
                    // Another runner finished it.
                }
                else if (TryAgain.Contains(r.Error?.ErrorId ?? r.Job?.ErrorId) || r.Job?.Status == RemovalJobStatus.Failed)
                {
                    again.Add(pending[i]);
                }
                else
                {
                    output.WriteLine($"FAILED {r.AccountId} {r.Error?.ErrorId ?? r.Job?.ErrorId} {r.Error?.Message ?? r.Job?.Error}");
                }
            }

            output.Flush();
            pending = again;
            if (pending.Count > 0)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(2_000, 200 * (round + 1))));
            }
        }

        output.WriteLine("DONE");
        output.Flush();
        return 0;
    }
}
