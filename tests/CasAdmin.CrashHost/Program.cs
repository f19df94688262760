using System.Globalization;
using CasAdmin.Engine;
using CasAdmin.Engine.Connections;
using CasAdmin.Engine.Deprovisioning;
using CasAdmin.Engine.Operations;
using CasAdmin.Engine.Store;

// Runs one removal in a process of its own so that a test can kill it at a step boundary (ProcessKillTests):
//
//   dotnet CasAdmin.CrashHost.dll --sandbox-url URL --thumbprint SHA256 --tenant ID --app-id ID --store PATH
//       --account GUID --stop-after K [--lease-minutes N] [--remove-delegate-account] [--remove-app] [--purge]
//
// The admin app's secret comes from the CASADMIN_CRASHHOST_SECRET environment variable, never from the command line.
// Once the K-th step (from 0) is journaled, it prints "STEP K DONE" and waits to be killed. Should the parent go away
// first (its end of our stdin closes), it exits at once, still without finishing or releasing anything.
const string SecretVariable = "CASADMIN_CRASHHOST_SECRET";

var named = new Dictionary<string, string?>(StringComparer.Ordinal);
for (var i = 0; i < args.Length; i++)
{
    var isFlag = i + 1 == args.Length || args[i + 1].StartsWith("--", StringComparison.Ordinal);
    named[args[i]] = isFlag ? null : args[++i];
}

string Required(string name) => named.GetValueOrDefault(name) ?? throw new ArgumentException($"{name} is required.");

if (named.GetValueOrDefault("--runner") is { } plan)
{
    // One of several runners sharing a registry (MultiRunnerTests): see CasAdmin.Testing.BulkRunner.
    return await CasAdmin.Testing.BulkRunner.RunAsync(plan, Console.Out);
}

if (named.GetValueOrDefault("--register") is { } accountsFile)
{
    // Registers the accounts listed (JSON) once the parent says "go", so that two processes race (RegistrationRaceTests).
    var engine = new CasEngine(new InMemorySecretVault());
    var connection = await engine.Connections.ConnectAsync(new ConnectionRequest
    {
        Mode = SignInMode.ClientSecret, Tenant = named["--tenant"]!, ClientId = named["--app-id"]!,
        ClientSecret = SecureStrings.Protect(Environment.GetEnvironmentVariable(SecretVariable)!),
        Environment = CasCloud.Sandbox, SandboxUrl = new Uri(named["--sandbox-url"]!), SandboxThumbprint = named["--thumbprint"]!, StorePath = named["--store"]!,
    }, NullOperationObserver.Instance, CancellationToken.None);
    var requests = System.Text.Json.JsonSerializer.Deserialize<List<CasAdmin.Engine.Accounts.RegisterAccountRequest>>(await File.ReadAllTextAsync(accountsFile))!;
    Console.Out.WriteLine("READY");
    Console.Out.Flush();
    Console.In.ReadLine();
    foreach (var request in requests)
    {
        try
        {
            var account = await engine.Accounts.RegisterAsync(connection, request, NullOperationObserver.Instance, CancellationToken.None);
            Console.Out.WriteLine($"REGISTERED {account.AccountId}");
        }
        catch (CasAdmin.Engine.Errors.CasException ex)
        {
            Console.Out.WriteLine($"{ex.ErrorId} {ex.Target}");
        }
    }

    Console.Out.WriteLine("DONE");
    return 0;
}

if (named.ContainsKey("--print-owner"))
{
    // A runner that dies holding nothing but its identity: print it, then wait to be killed (LeaseTakeoverTests).
    Console.Out.WriteLine(LeaseHolder.NewOwner());
    Console.Out.Flush();
    Console.In.ReadToEnd();
    return 3;
}

try
{
    var secret = Environment.GetEnvironmentVariable(SecretVariable) ?? throw new ArgumentException($"The {SecretVariable} environment variable is required.");
    var stopAfter = int.Parse(Required("--stop-after"), CultureInfo.InvariantCulture);
    var engine = new CasEngine(new InMemorySecretVault());
    var connection = await engine.Connections.ConnectAsync(new ConnectionRequest
    {
        Mode = SignInMode.ClientSecret, Tenant = Required("--tenant"), ClientId = Required("--app-id"), ClientSecret = SecureStrings.Protect(secret),
        Environment = CasCloud.Sandbox, SandboxUrl = new Uri(Required("--sandbox-url")), SandboxThumbprint = Required("--thumbprint"), StorePath = Required("--store"),
    }, NullOperationObserver.Instance, CancellationToken.None);

    engine.Deprovisioning.Runner.Probe = new StopAfterStep(stopAfter);

    var options = new RemovalOptions
    {
        RemoveDelegateAccount = named.ContainsKey("--remove-delegate-account"), RemoveApp = named.ContainsKey("--remove-app"), Purge = named.ContainsKey("--purge"),
    };
    if (named.GetValueOrDefault("--lease-minutes") is { } minutes)
    {
        options = options with { LeaseDuration = TimeSpan.FromMinutes(int.Parse(minutes, CultureInfo.InvariantCulture)) };
    }

    var target = await RemovalTarget.ResolveAsync(engine.Tenants, connection, Guid.Parse(Required("--account")), confirmed: true);
    var result = (await engine.Deprovisioning.RemoveAsync([target],
        options, NullOperationObserver.Instance, CancellationToken.None))[0];

    // Only reached when the run ended before step K: say how, for the test's failure message.
    Console.Out.WriteLine($"ENDED before step {stopAfter}: {result.Job?.Status} {result.Error?.ErrorId ?? result.Job?.ErrorId} {result.Error?.Message ?? result.Job?.Error}");
    return 1;
}
catch (Exception ex) when (ex is ArgumentException or FormatException)
{
    Console.Error.WriteLine(ex.Message);
    return 2;
}

/// <summary>Once the K-th step (from 0) is journaled, says so and waits to be killed: the process dies at that step boundary.</summary>
internal sealed class StopAfterStep(int stopAfter) : IRemovalProbe
{
    private int steps;

    public void AfterStep(Guid jobId, StepKind kind)
    {
        if (steps++ == stopAfter)
        {
            Console.Out.WriteLine($"STEP {stopAfter} DONE ({kind})");
            Console.Out.Flush();
            Console.In.ReadToEnd();
            Environment.Exit(3);
        }
    }
}
