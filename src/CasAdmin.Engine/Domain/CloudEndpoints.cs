using CasAdmin.Engine.Connections;

namespace CasAdmin.Engine.Domain;

/// <summary>The sign-in and Graph hosts of a cloud.</summary>
public sealed record CloudEndpoints(CasCloud Cloud, Uri AuthorityHost, Uri GraphEndpoint, string GraphResource)
{
    /// <summary>The app-only and "all consented permissions" scope of Microsoft Graph.</summary>
    public string DefaultScope => GraphResource + "/.default";

    /// <summary>Graph's v1.0 root, with the trailing segment the Graph SDK expects.</summary>
    public Uri GraphV1 => new(GraphEndpoint, "v1.0");

    public static CloudEndpoints For(CasCloud cloud, Uri? sandboxUrl = null) => cloud switch
    {
        CasCloud.Global => new(cloud, new("https://login.microsoftonline.com/"), new("https://graph.microsoft.com/"), "https://graph.microsoft.com"),
        CasCloud.USGov => new(cloud, new("https://login.microsoftonline.us/"), new("https://graph.microsoft.us/"), "https://graph.microsoft.us"),
        CasCloud.USGovDoD => new(cloud, new("https://login.microsoftonline.us/"), new("https://dod-graph.microsoft.us/"), "https://dod-graph.microsoft.us"),
        CasCloud.China => new(cloud, new("https://login.chinacloudapi.cn/"), new("https://microsoftgraph.chinacloudapi.cn/"), "https://microsoftgraph.chinacloudapi.cn"),

        // The sandbox serves identity and Graph on one host and accepts Graph's public resource id as audience.
        CasCloud.Sandbox => new(cloud, WithSlash(sandboxUrl ?? throw new ArgumentNullException(nameof(sandboxUrl))), WithSlash(sandboxUrl), "https://graph.microsoft.com"),
        _ => throw new ArgumentOutOfRangeException(nameof(cloud)),
    };

    private static Uri WithSlash(Uri uri) => uri.AbsoluteUri.EndsWith('/') ? uri : new Uri(uri.AbsoluteUri + "/");
}
