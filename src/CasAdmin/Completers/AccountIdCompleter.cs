using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using CasAdmin.Engine;
using CasAdmin.Engine.Accounts;
using CasAdmin.Engine.Connections;
using CasAdmin.Engine.Store;

namespace CasAdmin.Completers;

/// <summary>
/// Completes -AccountId from the registry (offline): the accounts of the registry named by -StorePath, else of
/// -Connection or the default connection, else of the default location. Matches the typed text against the id,
/// the tenant domain or id, and the service. Never creates a registry, never waits more than a moment, never fails.
/// </summary>
public sealed class AccountIdCompleter : IArgumentCompleter
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(1.5);

    public IEnumerable<CompletionResult> CompleteArgument(
        string commandName,
        string parameterName,
        string wordToComplete,
        CommandAst commandAst,
        IDictionary fakeBoundParameters)
    {
        var typed = (wordToComplete ?? string.Empty).Trim('\'', '"');
        var accounts = ReadAccounts(fakeBoundParameters);
        return accounts
            .Where(a => Matches(a, typed))
            .OrderBy(a => a.TenantDomain ?? a.TenantId, StringComparer.OrdinalIgnoreCase)
            .ThenBy(a => a.Service)
            .Select(a =>
            {
                var id = a.AccountId.ToString();
                var tip = $"{a.Service} {a.TenantDomain ?? a.TenantId} ({a.AppId ?? a.DelegateAccount}) {a.Status}";
                return new CompletionResult(id, $"{id} {a.Service} {a.TenantDomain ?? a.TenantId}", CompletionResultType.ParameterValue, tip);
            })
            .ToArray();
    }

    private static bool Matches(CasServiceAccount account, string typed) =>
        typed.Length == 0
        || account.AccountId.ToString().StartsWith(typed, StringComparison.OrdinalIgnoreCase)
        || account.TenantId.StartsWith(typed, StringComparison.OrdinalIgnoreCase)
        || (account.TenantDomain?.StartsWith(typed, StringComparison.OrdinalIgnoreCase) ?? false)
        || account.Service.ToString().StartsWith(typed, StringComparison.OrdinalIgnoreCase);

    internal static IReadOnlyList<CasServiceAccount> ReadAccounts(IDictionary? bound)
    {
        try
        {
            var storePath = StorePathOf(bound);
            if (!File.Exists(StoreLocator.Resolve(storePath)))
            {
                return [];
            }

            using var timeout = new CancellationTokenSource(Budget);
            var read = Task.Run(() => CasEngine.Shared.Accounts.GetAsync(storePath, null, null, null, false, timeout.Token), timeout.Token);
            return read.Wait(Budget) ? read.Result : [];
        }
        catch (Exception)
        {
            // A completer must never surface an error: no completion is the answer.
            return [];
        }
    }

    private static string? StorePathOf(IDictionary? bound)
    {
        if (bound?["StorePath"] is { } path)
        {
            return Unwrap(path) as string;
        }

        if (bound is not null && Unwrap(bound["Connection"]) is CasConnection connection)
        {
            return connection.StorePath;
        }

        return CasEngine.Shared.Connections.TryResolve(null, out var current) ? current?.StorePath : null;
    }

    private static object? Unwrap(object? value) => value is PSObject wrapped ? wrapped.BaseObject : value;
}
