using CasAdmin.Engine.Domain;
using CasAdmin.Engine.Graph;

namespace CasAdmin.Engine.Connections;

/// <summary>The live parts behind a <see cref="CasConnection"/>: sockets, token source, Graph gateway.</summary>
internal sealed class ConnectionContext : IDisposable
{
    public ConnectionContext(CloudEndpoints endpoints, SignInMode mode, HttpStack http, ITokenSource tokens, GraphGateway graph)
    {
        Endpoints = endpoints;
        Mode = mode;
        Http = http;
        Tokens = tokens;
        Graph = graph;
    }

    public CloudEndpoints Endpoints { get; }

    public SignInMode Mode { get; }

    public HttpStack Http { get; }

    public ITokenSource Tokens { get; }

    public GraphGateway Graph { get; }

    public void Dispose()
    {
        Graph.Dispose();
        Http.Dispose();
    }
}
