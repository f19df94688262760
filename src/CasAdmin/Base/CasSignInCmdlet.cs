using System.Management.Automation;
using CasAdmin.Engine.Connections;

namespace CasAdmin.Base;

/// <summary>
/// The base of the cmdlets that sign a person or an app in to a tenant (Connect-CasTenant, Register-CasAdminApp): the
/// cloud the tenant lives in, and for the sandbox where it listens and which certificate to trust, declared once.
/// </summary>
public abstract class CasSignInCmdlet : CasCmdlet
{
    #region Parameters

    /// <summary>The Microsoft cloud of the tenant: Global (default), USGov, USGovDoD, China, or Sandbox (the embedded emulator).</summary>
    [Parameter]
    public CasCloud Environment { get; set; } = CasCloud.Global;

    /// <summary>With -Environment Sandbox: the https URL the sandbox listens on (Start-CasSandbox returns it).</summary>
    [Parameter]
    [ValidateNotNull]
    public Uri? SandboxUrl { get; set; }

    /// <summary>With -Environment Sandbox: the SHA-256 thumbprint of the sandbox's certificate, the only certificate the connection trusts.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? SandboxThumbprint { get; set; }

    #endregion
}
