using System.Management.Automation;
using CasAdmin.Base;
using CasAdmin.Completers;
using CasAdmin.Engine;
using CasAdmin.Engine.Connections;
using CasAdmin.Engine.Errors;

namespace CasAdmin.Commands.Connections;

/// <summary>Lists the open connections of this session, the default one first if asked with -Default.</summary>
[Cmdlet(VerbsCommon.Get, "CasConnection")]
[OutputType(typeof(CasConnection))]
public sealed class GetCasConnectionCommand : CasCmdlet
{
    #region Parameters

    /// <summary>
    /// Only connections to these tenants: tenant ids or verified domains; wildcards allowed. A name without
    /// wildcards that matches no connection is an error (NotConnected).
    /// </summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(TenantIdCompleter))]
    public string[]? TenantId { get; set; }

    /// <summary>Only the session's default connection (the one cmdlets use without -Connection).</summary>
    [Parameter]
    public SwitchParameter Default { get; set; }

    #endregion

    #region Overrides

    protected override void ProcessRecord()
    {
        var connections = CasEngine.Shared.Connections.GetConnections().Where(c => !Default || c.IsDefault).ToArray();
        if (TenantId is null)
        {
            WriteObject(connections, enumerateCollection: true);
            return;
        }

        var written = new HashSet<CasConnection>();
        foreach (var name in TenantId)
        {
            var pattern = WildcardPattern.Get(name, WildcardOptions.IgnoreCase | WildcardOptions.CultureInvariant);
            var matches = connections.Where(c => pattern.IsMatch(c.TenantId) || (c.TenantDomain is { } domain && pattern.IsMatch(domain))).ToArray();
            if (matches.Length == 0 && !WildcardPattern.ContainsWildcardCharacters(name))
            {
                WriteCasError(NotConnected(name), name);
                continue;
            }

            foreach (var connection in matches.Where(written.Add))
            {
                WriteObject(connection);
            }
        }
    }

    #endregion

    private CasException NotConnected(string tenant) => new(
        ErrorIds.NotConnected, CasErrorCategory.ConnectionError,
        Default ? $"The default connection is not to tenant {tenant}." : $"There is no connection to tenant {tenant}.",
        "Connect first with Connect-CasTenant (Get-CasConnection lists the open connections).", tenant);
}
