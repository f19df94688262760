using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace CasAdmin.Completers;

/// <summary>
/// Completes -AppId from the App Ids the registry knows (offline, like <see cref="AccountIdCompleter"/>, whose
/// registry lookup it shares): the app behind each account, with its service and tenant as the tooltip.
/// </summary>
public sealed class AppIdCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(
        string commandName,
        string parameterName,
        string wordToComplete,
        CommandAst commandAst,
        IDictionary fakeBoundParameters)
    {
        var typed = (wordToComplete ?? string.Empty).Trim('\'', '"');
        return AccountIdCompleter.ReadAccounts(fakeBoundParameters)
            .Where(a => a.AppId is not null && a.AppId.StartsWith(typed, StringComparison.OrdinalIgnoreCase))
            .GroupBy(a => a.AppId!, StringComparer.OrdinalIgnoreCase)
            .OrderBy(g => g.Key, StringComparer.OrdinalIgnoreCase)
            .Select(g => new CompletionResult(g.Key, g.Key, CompletionResultType.ParameterValue,
                string.Join("; ", g.Select(a => $"{a.Service} {a.TenantDomain ?? a.TenantId}"))))
            .ToArray();
    }
}
