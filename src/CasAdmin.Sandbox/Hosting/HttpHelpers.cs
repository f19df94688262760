using System.Text.Json;
using System.Text.Json.Nodes;

namespace CasAdmin.Sandbox.Hosting;

internal static class HttpHelpers
{
    public const string GraphContentType = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";
    public const string JsonContentType = "application/json; charset=utf-8";

    private static readonly JsonSerializerOptions Compact = new() { WriteIndented = false };

    // Graph and Entra write '&', '\'' and '+' literally (nextLink, error text); the default encoder would escape them.
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The absolute base the client used to reach us ("https://127.0.0.1:port/"), for links and issuers.</summary>
    public static string BaseUrl(HttpContext ctx) => $"https://{ctx.Request.Host.Value}/";

    public static async Task WriteJsonAsync(HttpContext ctx, int status, JsonNode? body, string contentType = JsonContentType)
    {
        ctx.Response.StatusCode = status;
        if (body is null)
        {
            return;
        }

        ctx.Response.ContentType = contentType;
        await using var writer = new Utf8JsonWriter(ctx.Response.Body, WriterOptions);
        body.WriteTo(writer, Compact);
        await writer.FlushAsync(ctx.RequestAborted);
    }

    public static string? ClientRequestId(HttpContext ctx) =>
        ctx.Request.Headers.TryGetValue("client-request-id", out var v) && !string.IsNullOrEmpty(v) ? v.ToString() : null;
}
