using System.Text.Json.Nodes;
using CasAdmin.Sandbox.Throttling;

namespace CasAdmin.Sandbox.Graph;

/// <summary>
/// POST /$batch: at most 20 requests with unique ids and relative urls; each runs through the full pipeline on its
/// own (so each can be throttled or faulted: a 429 inside a 200 envelope); dependsOn failures give 424.
/// Independent requests run concurrently, so responses come back in completion order, as Graph does not promise order.
/// </summary>
internal static class BatchEndpoint
{
    public const int MaxRequests = 20;

    public static void Map(GraphRouter r) => r.Map("POST", "/$batch", RequestCost.Free, null, ExecuteAsync);

    private static async Task<GraphResponse> ExecuteAsync(GraphCall call)
    {
        if (call.Request.IsBatchInner)
        {
            throw GraphException.BadRequest("Nested batch requests are not supported.");
        }

        if (call.Request.Body is not JsonObject body || body["requests"] is not JsonArray requests)
        {
            throw GraphException.BadRequest("Invalid batch payload format.");
        }
        if (requests.Count > MaxRequests)
        {
            throw GraphException.BadRequest($"The number of requests in the batch exceeds the limit of {MaxRequests}.");
        }

        var steps = new List<Step>();
        foreach (var node in requests)
        {
            if (node is not JsonObject o || o["id"]?.ToString() is not { Length: > 0 } id || o["method"]?.ToString() is not { Length: > 0 } method
                || o["url"]?.ToString() is not { Length: > 0 } url)
            {
                throw GraphException.BadRequest("Invalid batch payload format: every request needs id, method and url.");
            }
            if (steps.Any(s => s.Id == id))
            {
                throw GraphException.BadRequest($"Batch request contains duplicate request id(s): '{id}'.");
            }

            var dependsOn = o["dependsOn"] is JsonArray d ? d.Select(x => x?.ToString() ?? "").ToList() : [];
            steps.Add(new Step(id, method.ToUpperInvariant(), url, o["headers"] as JsonObject, o["body"]?.DeepClone(), dependsOn));
        }
        foreach (var s in steps)
        {
            var unknown = s.DependsOn.FirstOrDefault(d => steps.All(x => x.Id != d));
            if (unknown is not null)
            {
                throw GraphException.BadRequest($"Request '{s.Id}' depends on unknown request id '{unknown}'.");
            }
        }

        var pipeline = new GraphPipeline(call.Runtime);
        var results = new Dictionary<string, GraphResponse>(StringComparer.Ordinal);
        var order = new List<string>();
        var pending = steps.ToList();
        while (pending.Count > 0)
        {
            var ready = pending.Where(s => s.DependsOn.All(results.ContainsKey)).ToList();
            if (ready.Count == 0)
            {
                throw GraphException.BadRequest("The dependsOn graph of the batch has a cycle.");
            }

            var running = ready.Select(async s =>
            {
                var failed = s.DependsOn.FirstOrDefault(d => results[d].Status is < 200 or > 299);
                var response = failed is not null
                    ? GraphErrors.Create(call.Request, 424, "FailedDependency", $"The request with id '{s.Id}' was not executed because the request it depends on ('{failed}') failed.", call.Runtime.Time.GetUtcNow())
                    : await RunAsync(pipeline, call.Request, s).ConfigureAwait(false);
                lock (order)
                {
                    order.Add(s.Id);
                }

                return (s.Id, response);
            }).ToList();
            foreach (var (id, response) in await Task.WhenAll(running).ConfigureAwait(false))
            {
                results[id] = response;
            }

            pending.RemoveAll(ready.Contains);
        }

        var envelope = new JsonArray();
        var lost = false;
        foreach (var id in order)
        {
            var r = results[id];
            lost |= r.Fate != ConnectionFate.Respond;
            var headers = new JsonObject();
            if (r.Body is not null)
            {
                headers["Content-Type"] = "application/json";
            }

            foreach (var (k, v) in r.Headers)
            {
                headers[k] = v;
            }

            var item = new JsonObject { ["id"] = id, ["status"] = r.Status, ["headers"] = headers };
            if (r.Body is not null)
            {
                item["body"] = r.Body;
            }

            envelope.Add(item);
        }
        // A reset or lost response on an inner request takes the whole batch connection down with it.
        return new GraphResponse { Status = 200, Body = new JsonObject { ["responses"] = envelope }, Fate = lost ? ConnectionFate.AbortAfterExecute : ConnectionFate.Respond };
    }

    private static Task<GraphResponse> RunAsync(GraphPipeline pipeline, GraphRequest outer, Step s)
    {
        if (Uri.TryCreate(s.Url, UriKind.Absolute, out var abs) && abs.Scheme.StartsWith("http", StringComparison.OrdinalIgnoreCase))
        {
            return Task.FromResult(GraphErrors.Create(outer, 400, "BadRequest", "Invalid request URL: batch request urls must be relative.", DateTimeOffset.UtcNow));
        }
        var url = s.Url.StartsWith('/') ? s.Url : "/" + s.Url;
        var q = url.IndexOf('?', StringComparison.Ordinal);
        var path = Uri.UnescapeDataString(q < 0 ? url : url[..q]);
        var query = q < 0 ? "" : url[(q + 1)..];
        var inner = new GraphRequest
        {
            Method = s.Method,
            Path = "/v1.0" + path,
            Query = GraphRequest.ParseQueryString(query),
            Body = s.Body,
            Authorization = outer.Authorization,
            BaseUrl = outer.BaseUrl,
            RequestId = Guid.NewGuid().ToString(),
            ClientRequestId = s.Headers?["client-request-id"]?.ToString() ?? outer.ClientRequestId,
            IsBatchInner = true,
            Aborted = outer.Aborted,
        };
        return pipeline.ExecuteAsync(inner);
    }

    private sealed record Step(string Id, string Method, string Url, JsonObject? Headers, JsonNode? Body, List<string> DependsOn);
}
