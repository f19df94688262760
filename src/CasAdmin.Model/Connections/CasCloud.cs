namespace CasAdmin.Engine.Connections;

/// <summary>The Microsoft cloud a tenant lives in, or the embedded sandbox.</summary>
public enum CasCloud
{
    Global = 1,
    USGov,
    USGovDoD,
    China,
    Sandbox,
}

/// <summary>How a connection signs in.</summary>
public enum SignInMode
{
    Interactive = 1,
    DeviceCode,
    ClientSecret,
    Certificate,
    ManagedIdentity,
    AccessToken,
}
