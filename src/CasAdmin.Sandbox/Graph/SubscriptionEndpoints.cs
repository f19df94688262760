using System.Text.Json.Nodes;
using CasAdmin.Sandbox.Tenants;
using CasAdmin.Sandbox.Throttling;

namespace CasAdmin.Sandbox.Graph;

/// <summary>
/// Change-notification subscriptions on /chats/getAllMessages[?model=A|B]: POST (validation handshake on the
/// notification and lifecycle URLs, expiry limits, clientState ≤ 128), GET list (the caller app's), GET/PATCH/DELETE by id
/// (only the creating app), POST /subscriptions/{id}/reauthorize (204). Chat-message subscriptions live at most 4,320
/// minutes, 60 without a lifecycleNotificationUrl (learn.microsoft.com/graph/api/resources/subscription, "Subscription
/// lifetime"); they expire on the sandbox's clock, which POST /_sandbox/clock moves ahead (<see cref="SubscriptionLifecycle"/>).
/// They are a protected API: an app without Microsoft's approval gets 403. Created and deleted times are kept for
/// GET /_sandbox/tenants/{t}/subscriptions.
/// </summary>
internal static class SubscriptionEndpoints
{
    public static readonly GraphPermission Create = new(["Chat.Read.All", "Chat.ReadWrite.All"], []);

    private static readonly TimeSpan ShortMax = TimeSpan.FromMinutes(60);
    private static readonly TimeSpan LongMax = TimeSpan.FromMinutes(4320);
    private static readonly HashSet<string> ChangeTypes = new(StringComparer.Ordinal) { "created", "updated", "deleted" };

    public static void Map(GraphRouter r)
    {
        r.Map("POST", "/subscriptions", RequestCost.TeamsRead(), Create, CreateAsync);
        r.MapGet("/subscriptions", RequestCost.TeamsRead(), null, List);
        r.MapGet("/subscriptions/{id}", RequestCost.TeamsRead(), null, call =>
        {
            JsonObject json;
            lock (call.Tenant.Sync)
            {
                json = Json(Owned(call));
            }

            return GraphCall.Ok(ODataPaging.Entity(call.Request, "subscriptions", json, "subscription"));
        });
        r.Map("PATCH", "/subscriptions/{id}", RequestCost.TeamsRead(), null, call => Task.FromResult(Update(call)));
        r.Map("POST", "/subscriptions/{id}/reauthorize", RequestCost.TeamsRead(), null, call =>
        {
            // learn.microsoft.com/graph/api/subscription-reauthorize: no body, 204; the expiry stays as it is.
            lock (call.Tenant.Sync)
            {
                Owned(call).ReauthorizationRequired = false;
            }

            return Task.FromResult(GraphBodies.NoContent());
        });
        r.Map("DELETE", "/subscriptions/{id}", RequestCost.TeamsRead(), null, call =>
        {
            lock (call.Tenant.Sync)
            {
                var s = Owned(call);
                s.DeletedAt = call.Runtime.Time.GetUtcNow();
                s.DeletedByAppId = call.Principal.AppId;
            }
            return Task.FromResult(GraphBodies.NoContent());
        });
    }

    private static async Task<GraphResponse> CreateAsync(GraphCall call)
    {
        var body = GraphBodies.Body(call);
        var now = call.Runtime.Time.GetUtcNow();
        var resource = GraphBodies.String(body, "resource") ?? throw Invalid("Property 'resource' is required.");
        if (!IsChatMessagesResource(resource))
        {
            throw Invalid($"Resource '{resource}' is not supported for subscriptions by this service.");
        }

        ChatEndpoints.RequireProtectedApiApproval(call);
        var changeType = GraphBodies.String(body, "changeType") ?? throw Invalid("Property 'changeType' is required.");
        var types = changeType.Split(',', StringSplitOptions.TrimEntries);
        if (types.Length == 0 || types.Any(t => !ChangeTypes.Contains(t)))
        {
            throw Invalid($"Invalid changeType '{changeType}'. Supported values: created, updated, deleted.");
        }

        var notificationUrl = Url(GraphBodies.String(body, "notificationUrl") ?? throw Invalid("Property 'notificationUrl' is required."), "notificationUrl");
        var lifecycleUrl = GraphBodies.String(body, "lifecycleNotificationUrl") is { } l ? Url(l, "lifecycleNotificationUrl") : null;
        var expiration = GraphBodies.Date(body, "expirationDateTime") ?? throw Invalid("Property 'expirationDateTime' is required.");
        CheckExpiration(expiration, now, lifecycleUrl is not null);
        var clientState = GraphBodies.String(body, "clientState");
        if (clientState is { Length: > 128 })
        {
            throw Invalid("The clientState value exceeds the maximum length of 128 characters.");
        }

        // The handshake: every URL must echo its validation token within 10 seconds.
        foreach (var url in new[] { notificationUrl, lifecycleUrl }.OfType<string>().Distinct(StringComparer.Ordinal))
        {
            if (await call.Runtime.Handshake.ValidateAsync(url, call.Request.Aborted).ConfigureAwait(false) is { } failure)
            {
                throw Invalid(failure);
            }
        }

        var subscription = new ChatSubscription
        {
            Id = Guid.NewGuid().ToString(),
            Resource = resource,
            ChangeType = string.Join(',', types),
            NotificationUrl = notificationUrl,
            LifecycleNotificationUrl = lifecycleUrl,
            ExpirationDateTime = expiration,
            ClientState = clientState,
            ApplicationId = call.Principal.AppId,
            CreatorId = call.Principal.ObjectId,
            CreatedAt = call.Runtime.Time.GetUtcNow(),
        };
        JsonObject json;
        lock (call.Tenant.Sync)
        {
            call.Tenant.Teams.Subscriptions[subscription.Id] = subscription;
            json = Json(subscription);
        }
        return GraphBodies.Created(call, "subscriptions", json);
    }

    private static GraphResponse List(GraphCall call)
    {
        var now = call.Runtime.Time.GetUtcNow();
        List<JsonObject> items;
        lock (call.Tenant.Sync)
        {
            items = call.Tenant.Teams.Subscriptions.Values
                .Where(s => s.IsLive(now) && s.ApplicationId.Equals(call.Principal.AppId, StringComparison.OrdinalIgnoreCase))
                .OrderBy(s => s.CreatedAt).Select(Json).ToList();
        }
        return GraphCall.Ok(ODataPaging.Page(call.Request, "subscriptions", "subscription", offset => items.Skip(offset)));
    }

    private static GraphResponse Update(GraphCall call)
    {
        var body = GraphBodies.Body(call);
        JsonObject json;
        lock (call.Tenant.Sync)
        {
            var s = Owned(call);
            if (GraphBodies.Has(body, "resource") && GraphBodies.String(body, "resource") != s.Resource)
            {
                throw Invalid("Property 'resource' cannot be updated.");
            }

            if (GraphBodies.Has(body, "lifecycleNotificationUrl") && GraphBodies.String(body, "lifecycleNotificationUrl") != s.LifecycleNotificationUrl)
            {
                throw Invalid("Property 'lifecycleNotificationUrl' cannot be updated.");
            }
            if (GraphBodies.Date(body, "expirationDateTime") is { } expiration)
            {
                CheckExpiration(expiration, call.Runtime.Time.GetUtcNow(), s.LifecycleNotificationUrl is not null);
                s.ExpirationDateTime = expiration;

                // Renewing also reauthorizes (change-notifications-lifecycle-events, "Responding to reauthorizationRequired").
                s.ReauthorizationRequired = false;
            }
            json = Json(s);
        }
        return GraphCall.Ok(ODataPaging.Entity(call.Request, "subscriptions", json, "subscription"));
    }

    /// <summary>A live subscription of this tenant; 404 when unknown, deleted or expired, 403 when another app made it.</summary>
    private static ChatSubscription Owned(GraphCall call)
    {
        var id = call.Values["id"];
        if (!call.Tenant.Teams.Subscriptions.TryGetValue(id, out var s) || !s.IsLive(call.Runtime.Time.GetUtcNow()))
        {
            throw new GraphException(404, "ResourceNotFound", $"The object was not found. Subscription '{id}' does not exist.");
        }
        if (!s.ApplicationId.Equals(call.Principal.AppId, StringComparison.OrdinalIgnoreCase))
        {
            throw new GraphException(403, "ExtensionError", $"Operation: {call.Request.Method}; Exception: [Status Code: Forbidden; Reason: The subscription '{id}' belongs to another application.]");
        }
        return s;
    }

    private static bool IsChatMessagesResource(string resource)
    {
        var r = resource.TrimStart('/');
        return r.Equals("chats/getAllMessages", StringComparison.OrdinalIgnoreCase)
            || r.Equals("chats/getAllMessages?model=A", StringComparison.OrdinalIgnoreCase)
            || r.Equals("chats/getAllMessages?model=B", StringComparison.OrdinalIgnoreCase);
    }

    private static void CheckExpiration(DateTimeOffset expiration, DateTimeOffset now, bool hasLifecycleUrl)
    {
        if (expiration <= now)
        {
            throw Invalid("Subscription expiration must be in the future.");
        }

        if (!hasLifecycleUrl && expiration - now > ShortMax)
        {
            throw Invalid("lifecycleNotificationUrl is a required property for subscription creation on this resource when the expirationDateTime value is set to greater than 1 hour.");
        }
        if (expiration - now > LongMax)
        {
            throw Invalid($"Subscription expiration can only be {LongMax.TotalMinutes:0} minutes in the future.");
        }
    }

    /// <summary>HTTPS only (plain http is accepted for loopback receivers, which the sandbox's own are).</summary>
    private static string Url(string value, string name)
    {
        if (!Uri.TryCreate(value, UriKind.Absolute, out var u) || (u.Scheme != Uri.UriSchemeHttps && !(u.Scheme == Uri.UriSchemeHttp && u.IsLoopback)))
        {
            throw Invalid($"The {name} '{value}' is invalid: it must be an absolute HTTPS URL.");
        }
        return value;
    }

    private static GraphException Invalid(string message) => new(400, "ValidationError", message);

    public static JsonObject Json(ChatSubscription s) => new()
    {
        ["id"] = s.Id,
        ["resource"] = s.Resource,
        ["applicationId"] = s.ApplicationId,
        ["changeType"] = s.ChangeType,
        ["clientState"] = s.ClientState,
        ["notificationUrl"] = s.NotificationUrl,
        ["notificationQueryOptions"] = null,
        ["lifecycleNotificationUrl"] = s.LifecycleNotificationUrl,
        ["expirationDateTime"] = s.ExpirationDateTime.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", System.Globalization.CultureInfo.InvariantCulture),
        ["creatorId"] = s.CreatorId,
        ["includeResourceData"] = false,
        ["latestSupportedTlsVersion"] = s.LatestSupportedTlsVersion,
        ["encryptionCertificate"] = null,
        ["encryptionCertificateId"] = null,
        ["notificationUrlAppId"] = null,
    };
}
