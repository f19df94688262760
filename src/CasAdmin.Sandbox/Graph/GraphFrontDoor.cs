using System.Text.Json;
using System.Text.Json.Nodes;
using CasAdmin.Sandbox.Hosting;

namespace CasAdmin.Sandbox.Graph;

/// <summary>Maps /v1.0/** onto the Graph pipeline and writes its answer with Graph's headers.</summary>
internal static class GraphFrontDoor
{
    public static void Map(WebApplication app, SandboxRuntime rt)
    {
        var pipeline = new GraphPipeline(rt);
        app.Map("/v1.0/{**rest}", ctx => HandleAsync(ctx, pipeline, rt));
    }

    private static async Task HandleAsync(HttpContext ctx, GraphPipeline pipeline, SandboxRuntime rt)
    {
        var requestId = Guid.NewGuid().ToString();
        var clientRequestId = HttpHelpers.ClientRequestId(ctx) ?? requestId;
        var request = new GraphRequest
        {
            Method = ctx.Request.Method.ToUpperInvariant(),
            Path = ctx.Request.Path.Value ?? "/v1.0",
            Query = GraphRequest.ParseQuery(ctx.Request.Query.Select(kv => new KeyValuePair<string, string>(kv.Key, kv.Value.ToString()))),
            Body = null,
            Authorization = ctx.Request.Headers.Authorization.ToString(),
            BaseUrl = HttpHelpers.BaseUrl(ctx),
            RequestId = requestId,
            ClientRequestId = clientRequestId,
            Aborted = ctx.RequestAborted,
        };
        GraphResponse response;
        if (ctx.Request.ContentLength is > 0 || ctx.Request.Headers.TransferEncoding.Count > 0)
        {
            try
            {
                var body = await JsonNode.ParseAsync(ctx.Request.Body, cancellationToken: ctx.RequestAborted);
                response = await pipeline.ExecuteAsync(new GraphRequest
                {
                    Method = request.Method, Path = request.Path, Query = request.Query, Body = body, Authorization = request.Authorization,
                    BaseUrl = request.BaseUrl, RequestId = requestId, ClientRequestId = clientRequestId, Aborted = ctx.RequestAborted,
                });
            }
            catch (JsonException)
            {
                response = GraphErrors.Create(request, 400, "BadRequest", "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.", rt.Time.GetUtcNow());
            }
        }
        else
        {
            response = await pipeline.ExecuteAsync(request);
        }

        if (response.Fate != ConnectionFate.Respond)
        {
            ctx.Abort(); // "reset" and "applied but lost": the client sees the connection drop
            return;
        }
        var headers = ctx.Response.Headers;
        headers["request-id"] = requestId;
        headers["client-request-id"] = clientRequestId;
        headers["x-ms-ags-diagnostic"] = "{\"ServerInfo\":{\"DataCenter\":\"Sandbox\",\"Slice\":\"E\",\"Ring\":\"0\",\"ScaleUnit\":\"000\",\"RoleInstance\":\"sandbox\"}}";
        headers.CacheControl = "no-cache";
        foreach (var (k, v) in response.Headers)
        {
            headers[k] = v;
        }

        await HttpHelpers.WriteJsonAsync(ctx, response.Status, response.Body, HttpHelpers.GraphContentType);
    }
}
