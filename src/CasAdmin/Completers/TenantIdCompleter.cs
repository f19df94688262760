using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using CasAdmin.Engine;

namespace CasAdmin.Completers;

/// <summary>Completes -TenantId from the open connections: tenant ids and verified domains, default connection first.</summary>
public sealed class TenantIdCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(
        string commandName,
        string parameterName,
        string wordToComplete,
        CommandAst commandAst,
        IDictionary fakeBoundParameters)
    {
        var typed = (wordToComplete ?? string.Empty).Trim('\'', '"');
        var pattern = WildcardPattern.Get(typed + "*", WildcardOptions.IgnoreCase | WildcardOptions.CultureInvariant);
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var connections = CasEngine.Shared.Connections.GetConnections().OrderByDescending(c => c.IsDefault);
        foreach (var connection in connections)
        {
            foreach (var value in new[] { connection.TenantDomain, connection.TenantId })
            {
                if (!string.IsNullOrEmpty(value) && pattern.IsMatch(value) && seen.Add(value))
                {
                    var tip = $"{connection.TenantDisplayName ?? connection.TenantDomain ?? connection.TenantId} ({connection.Account ?? connection.AppId}, {connection.SignInMode})";
                    yield return new CompletionResult(value, value, CompletionResultType.ParameterValue, tip);
                }
            }
        }
    }
}
