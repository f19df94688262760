using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using CasAdmin.Bench;
using CasAdmin.Engine;
using CasAdmin.Engine.Accounts;
using CasAdmin.Engine.Connections;
using CasAdmin.Engine.Operations;
using CasAdmin.Engine.Provisioning;
using CasAdmin.Sandbox;

// Benchmarks (not tests): `inventory` and `deprovision`, each printing its figures as ratios to what
// Graph's throttling limits allow (eta = the time a client that keeps the quota saturated would need, over the time taken), measured on the sandbox's own clock.
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
var mode = args.FirstOrDefault() ?? "inventory";
return mode switch
{
    "inventory" => await InventoryBench.RunAsync(args.Skip(1).ToArray()),
    "inventory-child" => await InventoryBench.ChildAsync(),
    "deprovision" => await DeprovisionBench.RunAsync(args.Skip(1).ToArray()),
    "deprovision-runner" => await DeprovisionBench.RunnerAsync(args.Skip(1).ToArray()),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: CasAdmin.Bench inventory|deprovision [--store sqlite|postgres] [--runners N]");
    return 2;
}

namespace CasAdmin.Bench
{
    internal static class Common
    {
        public static double Median(IEnumerable<double> values)
        {
            var sorted = values.Order().ToArray();
            return sorted.Length == 0 ? 0 : sorted[sorted.Length / 2];
        }

        /// <summary>T* = max(0, (W − C) / r): the least time a perfect client needs to push W through a bucket.</summary>
        public static double BucketTime(double work, double capacity, double refillPerSecond) =>
            Math.Max(0, (work - capacity) / refillPerSecond);
    }

    /// <summary>
    /// Inventory of a generated tenant at the Teams limit (30 requests/s per app per tenant, scaled). The engine runs in
    /// a child process so its peak memory is measured alone, one tenant size per child.
    /// </summary>
    internal static class InventoryBench
    {
        private const double Scale = 5;
        private const int LatencyMs = 5;
        private const int Workers = 16;

        public static async Task<int> RunAsync(string[] args)
        {
            int[] sizes = args.Length > 0 ? args.Select(int.Parse).ToArray() : [1000, 2500, 5000];
            foreach (var users in sizes)
            {
                var chats = users * 10;
                await using var sandbox = await SandboxHost.StartAsync(new SandboxOptions { Scenario = $"generated:tenants=1,users={users},chats={chats},seed=7", Scale = Scale });
                await sandbox.Control.SetLatencyAsync(LatencyMs);
                var tenant = sandbox.Tenants[0];
                var child = await RunChildAsync(sandbox, tenant);
                var timeline = await sandbox.Control.GetTimelineAsync();
                var stats = await sandbox.Control.GetStatsAsync();
                var scans = timeline.Where(t => t.Method == "GET" && t.Path.StartsWith("/v1.0/users/", StringComparison.Ordinal) && t.Path.EndsWith("/chats", StringComparison.Ordinal)).ToArray();
                var needed = scans.Count(t => t.Status == 200);
                var measured = (scans.Max(t => t.ArrivalMs) - scans.Min(t => t.ArrivalMs)) / 1000.0;
                var rate = 30 * Scale;
                var ideal = Math.Max(Common.BucketTime(needed, rate, rate), needed * (LatencyMs / 1000.0) / Workers);
                var eta = measured > 0 ? ideal / measured : 0;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"inventory eta={eta:0.00} users={child.Users} chats={child.Chats} peak_mb={child.PeakMb} premature_retries={stats.Totals.PrematureRetries} 429s={scans.Count(t => t.Status == 429)} requests={scans.Length}"));
                if (Environment.GetEnvironmentVariable("CASBENCH_DIAG") == "1")
                {
                    // Tenths of a second: requests, 429s and the Teams bucket's level, to see where the quota went unused.
                    var first = scans.Min(t => t.ArrivalMs);
                    foreach (var tenth in scans.GroupBy(t => (int)((t.ArrivalMs - first) / 100)).OrderBy(g => g.Key))
                    {
                        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                            $"  @{tenth.Key / 10.0,5:0.0}s requests={tenth.Count(),3} 429s={tenth.Count(t => t.Status == 429)} level {tenth.Min(t => t.BucketLevel),4:0}..{tenth.Max(t => t.BucketLevel),4:0}"));
                    }
                }

                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  detail: scans={scans.Length} needed={needed} 429s={scans.Count(t => t.Status == 429)} T_ideal={ideal:0.0}s T_measured={measured:0.0}s scale={Scale} latency={LatencyMs}ms"));
            }

            return 0;
        }

        private sealed record ChildResult(int Users, long Chats, long PeakMb);

        private static async Task<ChildResult> RunChildAsync(SandboxHost sandbox, SandboxTenantInfo tenant)
        {
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, UseShellExecute = false };
            start.ArgumentList.Add(typeof(InventoryBench).Assembly.Location);
            start.ArgumentList.Add("inventory-child");

            // Passed through the environment, never on a command line other processes can read.
            start.Environment["CASBENCH_URL"] = sandbox.Url.AbsoluteUri;
            start.Environment["CASBENCH_THUMBPRINT"] = sandbox.Thumbprint;
            start.Environment["CASBENCH_TENANT"] = tenant.TenantId;
            start.Environment["CASBENCH_APP"] = tenant.AdminAppId;
            start.Environment["CASBENCH_SECRET"] = tenant.AdminAppSecret;
            using var process = Process.Start(start)!;
            var output = await process.StandardOutput.ReadToEndAsync();
            await process.WaitForExitAsync();
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException("inventory child failed: " + output);
            }

            return JsonSerializer.Deserialize<ChildResult>(output.Trim().Split('\n')[^1], new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
        }

        public static async Task<int> ChildAsync()
        {
            var store = Path.Combine(Path.GetTempPath(), "casadmin-bench", Guid.NewGuid().ToString("N"), "registry.db");
            string Env(string name) => Environment.GetEnvironmentVariable(name) ?? throw new InvalidOperationException(name + " missing");
            var engine = CasEngine.Shared;
            var admin = await engine.Connections.ConnectAsync(new ConnectionRequest
            {
                Mode = SignInMode.ClientSecret, Tenant = Env("CASBENCH_TENANT"), ClientId = Env("CASBENCH_APP"), ClientSecret = CasAdmin.Engine.Store.SecureStrings.Protect(Env("CASBENCH_SECRET")),
                Environment = CasCloud.Sandbox, SandboxUrl = new Uri(Env("CASBENCH_URL")), SandboxThumbprint = Env("CASBENCH_THUMBPRINT"), StorePath = store,
            }, NullOperationObserver.Instance, CancellationToken.None);
            var app = await engine.TeamsChat.NewAppAsync(admin, new NewTeamsChatAppRequest
            {
                ConsoleUrl = new Uri("https://console.example.com"), GrantAdminConsent = true, SecretLifetime = TimeSpan.FromDays(90),
            }, NullOperationObserver.Instance, CancellationToken.None);
            var account = await engine.TeamsChat.NewAccountAsync(admin, new NewTeamsChatAccountRequest
            {
                AppId = app.AppId, ClientSecret = app.Secret, LicensingModel = LicensingModel.B, SkipInventory = true,
            }, NullOperationObserver.Instance, CancellationToken.None);
            var result = await engine.TeamsChat.UpdateInventoryAsync(admin, account.AccountId, app.Secret, Workers, NullOperationObserver.Instance, CancellationToken.None);
            var peak = Process.GetCurrentProcess().PeakWorkingSet64 / (1024 * 1024);
            Console.WriteLine(JsonSerializer.Serialize(new { users = result.Users, chats = result.Chats, peakMb = peak }));
            return 0;
        }
    }
}
