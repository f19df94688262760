using System.Security.Cryptography;
using CasAdmin.Engine.Accounts;
using CasAdmin.Engine.Connections;
using CasAdmin.Engine.Errors;
using CasAdmin.Engine.Graph;
using CasAdmin.Engine.Store;
using Microsoft.Graph.Models;

namespace CasAdmin.Engine.Provisioning;

/// <summary>
/// Change notifications on <c>/chats/getAllMessages</c>, created as the customer's app. The model rides in the
/// resource (<c>?model=A|B</c>; none in Evaluation Mode), and a subscription's model cannot be updated, so a
/// model change creates new subscriptions first and deletes the old ones after — never a gap.
/// </summary>
internal static class ChatSubscriptions
{
    public const string ChangeTypes = "created,updated,deleted";

    // Graph keeps a chat-message subscription at most 4,320 minutes, and 60 without a lifecycle URL
    // (learn.microsoft.com/graph/api/resources/subscription, "Subscription lifetime"); a little under each, for clock skew.
    internal static readonly TimeSpan ShortLifetime = TimeSpan.FromMinutes(59);
    internal static readonly TimeSpan LongLifetime = TimeSpan.FromMinutes(4200);

    /// <summary>The application permissions that allow chat-message subscriptions; the app's token must hold one.</summary>
    internal static readonly string[] RequiredRoles = ["Chat.Read.All", "Chat.ReadWrite.All"];

    public static TimeSpan LifetimeFor(Uri? lifecycleUrl) => lifecycleUrl is null ? ShortLifetime : LongLifetime;

    public static string ResourceFor(LicensingModel model) => model switch
    {
        LicensingModel.A => "/chats/getAllMessages?model=A",
        LicensingModel.B => "/chats/getAllMessages?model=B",
        _ => "/chats/getAllMessages",
    };

    /// <summary>
    /// A subscription as the registry keeps it. <see cref="Expires"/> is on the clock that expires it (see
    /// <see cref="ClockOffsetAsync"/>), so that a subscription gone from Graph after it is known to have expired, not to
    /// have been removed; <see cref="GraphExpires"/> is what Graph reported.
    /// </summary>
    public sealed record Recorded(string SubscriptionId, string Resource, DateTimeOffset Expires)
    {
        public DateTimeOffset GraphExpires { get; init; } = Expires;

        public SubscriptionRow Row => new(SubscriptionId, Resource, Expires);

        /// <summary>The subscription to record, made for <paramref name="model"/> with the change types every chat-message subscription has.</summary>
        public NewSubscription For(LicensingModel model) => new(Row, ChangeTypes, model);
    }

    /// <summary>
    /// How far the clock that expires subscriptions is ahead of this machine's. Zero for Microsoft 365. The sandbox's
    /// subscription clock can be moved ahead (POST /_sandbox/clock) while every other clock keeps the machine's (tokens
    /// are cached by it): there Graph reports expiries that have aged by that much, and this adds it back.
    /// </summary>
    public static async Task<TimeSpan> ClockOffsetAsync(GraphGateway graph, CancellationToken ct)
    {
        if (graph.Endpoints.Cloud != CasCloud.Sandbox)
        {
            return TimeSpan.Zero;
        }

        try
        {
            using var response = await graph.RawClient.GetAsync(new Uri(graph.Endpoints.GraphEndpoint, "_sandbox/clock"), ct).ConfigureAwait(false);
            if (response.IsSuccessStatusCode)
            {
                using var json = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false));
                if (json.RootElement.TryGetProperty("advancedBy", out var by) && by.GetString() is { } iso)
                {
                    return System.Xml.XmlConvert.ToTimeSpan(iso);
                }
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or FormatException or System.Text.Json.JsonException or IOException)
        {
            // A sandbox without a clock: its subscriptions age with this machine's clock.
        }

        return TimeSpan.Zero;
    }

    public static async Task<Recorded> CreateAsync(GraphGateway appGraph, LicensingModel model, Uri notificationUrl, Uri? lifecycleUrl, CancellationToken ct,
        IReadOnlyCollection<string>? heldPermissions = null)
    {
        var resource = ResourceFor(model);
        var expires = DateTimeOffset.UtcNow + LifetimeFor(lifecycleUrl);
        var subscription = new Subscription
        {
            ChangeType = ChangeTypes,
            NotificationUrl = notificationUrl.AbsoluteUri,
            LifecycleNotificationUrl = lifecycleUrl?.AbsoluteUri,
            Resource = resource,
            ExpirationDateTime = expires,

            // Lets the receiver tell genuine notifications apart; not stored, not shown.
            ClientState = Convert.ToHexString(RandomNumberGenerator.GetBytes(32)),
        };
        try
        {
            // A protected API: without Microsoft's approval Graph answers 403 (ProtectedApiNotApproved).
            var created = await appGraph.CallAsync(async (g, c) => (await g.Subscriptions.PostAsync(subscription, cancellationToken: c).ConfigureAwait(false))!,
                resource, ct, RequiredRoles, heldPermissions, protectedApi: true).ConfigureAwait(false);
            var graphExpires = created.ExpirationDateTime ?? expires;
            return new Recorded(created.Id!, resource, graphExpires + await ClockOffsetAsync(appGraph, ct).ConfigureAwait(false)) { GraphExpires = graphExpires };
        }
        catch (CasException ex) when (ex.StatusCode == 400)
        {
            throw new CasException(ErrorIds.SubscriptionValidationFailed, CasErrorCategory.InvalidArgument,
                $"Microsoft Graph refused the chat-message subscription for {notificationUrl}: the endpoint did not pass validation.",
                "Make the notification URL reachable over HTTPS and have it echo the validationToken as text/plain within 10 seconds.",
                notificationUrl.AbsoluteUri, ex)
            { RequestId = ex.RequestId, StatusCode = 400 };
        }
    }

    /// <summary>Deletes a subscription; one already gone counts as deleted.</summary>
    public static async Task DeleteAsync(GraphGateway appGraph, string subscriptionId, CancellationToken ct)
    {
        try
        {
            await appGraph.CallAsync(async (g, c) =>
            {
                await g.Subscriptions[subscriptionId].DeleteAsync(cancellationToken: c).ConfigureAwait(false);
                return true;
            }, subscriptionId, ct).ConfigureAwait(false);
        }
        catch (CasException ex) when (ex.ErrorId == ErrorIds.ResourceNotFound)
        {
        }
    }

    /// <summary>The ids of the account's recorded subscriptions, oldest first.</summary>
    public static async Task<List<string>> ListAsync(RegistryStore store, Guid accountId, CancellationToken ct) =>
        (await new SubscriptionRepository(store).ListAsync(accountId, ct).ConfigureAwait(false)).ConvertAll(s => s.SubscriptionId);
}
