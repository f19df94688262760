using System.Security;

namespace CasAdmin.Engine.Sandbox;

/// <summary>One tenant of a running sandbox, with what it takes to connect to it.</summary>
public sealed record CasSandboxTenant(string TenantId, string Domain, string AdminAppId, SecureString AdminAppSecret, string AdminUser);

/// <summary>A sandbox process started by this session.</summary>
public sealed record CasSandbox(int ProcessId, Uri Url, string Thumbprint, string Scenario, double Scale, IReadOnlyList<CasSandboxTenant> Tenants);
