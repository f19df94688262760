using System.Globalization;
using System.Net;
using CasAdmin.Engine.Errors;
using CasAdmin.Engine.Operations;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace CasAdmin.Engine.Resilience;

/// <summary>
/// Every Microsoft Graph request goes through this handler, and Polly owns every retry: 429, 503 and 504
/// honour Retry-After (seconds or date), otherwise exponential backoff with jitter; one time budget for the
/// whole call; a request that may have changed something (a POST, unless marked idempotent) is retried only
/// when the answer proves it was not applied. A 429 pauses the whole connection through the
/// <see cref="TenantPacer"/>.
/// </summary>
internal sealed class ResilienceHandler : DelegatingHandler
{
    private const string ClientRequestIdHeader = "client-request-id";
    private const string LimitPercentageHeader = "x-ms-throttle-limit-percentage";
    private const string ResourceUnitHeader = "x-ms-resource-unit";

    private static readonly ResiliencePropertyKey<bool> IdempotentKey = new("cas.idempotent");
    private static readonly ResiliencePropertyKey<int> LastStatusKey = new("cas.lastStatus");

    // Absorbs the one-second resolution of Retry-After so a retry never lands a hair early.
    private static readonly TimeSpan RetryAfterMargin = TimeSpan.FromMilliseconds(50);

    private readonly ResiliencePipeline<HttpResponseMessage> pipeline;
    private readonly ResiliencePipeline attemptPipeline;
    private readonly TenantPacer pacer;
    private readonly TimeProvider time;
    private readonly GraphTrafficCounters counters;

    public ResilienceHandler(ResilienceOptions options, TenantPacer pacer, GraphTrafficCounters counters, TimeProvider? timeProvider = null)
    {
        this.pacer = pacer;
        this.counters = counters;
        time = timeProvider ?? TimeProvider.System;
        pipeline = new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = time }
            .AddTimeout(new TimeoutStrategyOptions { Timeout = options.TotalBudget })
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = options.MaxRetryAttempts,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.BaseDelay,
                MaxDelay = options.MaxDelay,
                ShouldHandle = args => ValueTask.FromResult(ShouldRetry(args.Outcome, args.Context, args.AttemptNumber, options.MaxConnectRetryAttempts)),
                DelayGenerator = args => ValueTask.FromResult(ServiceDelay(args.Outcome)),
                OnRetry = args =>
                {
                    OnRetry(args.Outcome, args.RetryDelay, args.AttemptNumber);
                    return default;
                },
            })
            .Build();
        attemptPipeline = new ResiliencePipelineBuilder { TimeProvider = time }
            .AddTimeout(options.AttemptTimeout)
            .Build();
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        // One id for the call and all its retries, as Graph's own SDK middleware sends: it is what Microsoft support
        // asks for, and how the service (and the sandbox) tell a retry from a new request.
        if (!request.Headers.Contains(ClientRequestIdHeader))
        {
            request.Headers.TryAddWithoutValidation(ClientRequestIdHeader, Guid.NewGuid().ToString());
        }

        // Buffer the body once so every attempt sends the same bytes.
        var body = request.Content is null ? null : await request.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(IdempotentKey, IsIdempotent(request));
        try
        {
            return await pipeline.ExecuteAsync(
                static async (ctx, state) =>
                {
                    await state.Handler.pacer.WaitAsync(ctx.CancellationToken).ConfigureAwait(false);
                    var attempt = Clone(state.Request, state.Body);
                    Interlocked.Increment(ref state.Handler.counters.Requests);
                    var response = await state.Handler.attemptPipeline.ExecuteAsync(
                        static (s, token) => new ValueTask<HttpResponseMessage>(s.Handler.SendOnceAsync(s.Attempt, token)),
                        (Handler: state.Handler, Attempt: attempt),
                        ctx.CancellationToken).ConfigureAwait(false);
                    ctx.Properties.Set(LastStatusKey, (int)response.StatusCode);
                    state.Handler.ReadQuotaWarning(response);
                    return response;
                },
                context,
                (Handler: this, Request: request, Body: body)).ConfigureAwait(false);
        }
        catch (TimeoutRejectedException ex) when (!cancellationToken.IsCancellationRequested)
        {
            context.Properties.TryGetValue(LastStatusKey, out var last);
            throw BudgetExhausted(request, last, ex);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    /// <summary>Hands Graph's early warning (or its absence on an answer charged to the quota) to the pacer.</summary>
    private void ReadQuotaWarning(HttpResponseMessage response)
    {
        if (response.StatusCode == HttpStatusCode.TooManyRequests)
        {
            return;
        }

        if (response.Headers.TryGetValues(LimitPercentageHeader, out var values)
            && double.TryParse(values.FirstOrDefault(), NumberStyles.Float, CultureInfo.InvariantCulture, out var used))
        {
            pacer.NearLimit(used);
        }
        else if (response.Headers.Contains(ResourceUnitHeader))
        {
            pacer.Unhindered();
        }
    }

    private Task<HttpResponseMessage> SendOnceAsync(HttpRequestMessage attempt, CancellationToken token) => base.SendAsync(attempt, token);

    private static bool IsIdempotent(HttpRequestMessage request) =>
        request.Method != HttpMethod.Post || CasRequestOption.From(request)?.Idempotent == true;

    private static bool ShouldRetry(Outcome<HttpResponseMessage> outcome, ResilienceContext context, int attempt, int maxConnectRetries)
    {
        context.Properties.TryGetValue(IdempotentKey, out var idempotent);
        if (outcome.Exception is { } exception)
        {
            return exception switch
            {
                OperationCanceledException when context.CancellationToken.IsCancellationRequested => false,

                // Nothing reached the service: safe to send again whatever the method.
                HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError } => attempt < maxConnectRetries,

                // The connection dropped or the attempt timed out after sending: the service may have applied it.
                HttpRequestException or TimeoutRejectedException or IOException => idempotent,
                _ => false,
            };
        }

        return outcome.Result?.StatusCode switch
        {
            // A throttled request is never applied.
            HttpStatusCode.TooManyRequests => true,
            HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout => idempotent,
            _ => false,
        };
    }

    private TimeSpan? ServiceDelay(Outcome<HttpResponseMessage> outcome) =>
        outcome.Result is { } response && RetryAfter.Read(response.Headers, time.GetUtcNow()) is TimeSpan wait
            ? wait + RetryAfterMargin
            : null;

    private void OnRetry(Outcome<HttpResponseMessage> outcome, TimeSpan delay, int attemptNumber)
    {
        Interlocked.Increment(ref counters.Retries);
        var status = outcome.Result?.StatusCode;
        if (status == HttpStatusCode.TooManyRequests)
        {
            Interlocked.Increment(ref counters.Throttled);

            // Every request of this connection waits for the same moment, then goes at the learnt rate.
            pacer.Throttled(delay);
        }

        var what = status is { } s ? ((int)s).ToString(CultureInfo.InvariantCulture) : outcome.Exception?.GetType().Name ?? "an error";
        OperationScope.Observer.Verbose(string.Create(CultureInfo.InvariantCulture,
            $"Microsoft Graph answered {what}; retrying in {delay.TotalSeconds:0.#} s (retry {attemptNumber + 1})."));
    }

    private static CasException BudgetExhausted(HttpRequestMessage request, int lastStatus, Exception inner)
    {
        var target = request.RequestUri?.AbsolutePath;
        return lastStatus == 429
            ? new CasException(ErrorIds.ThrottledTooLong, CasErrorCategory.LimitsExceeded,
                "Microsoft Graph kept throttling the requests beyond CasAdmin's retry budget.",
                "Run the command again later, lower -ThrottleLimit, or raise the retry budget.", target, inner) { StatusCode = 429 }
            : new CasException(ErrorIds.ServiceUnavailable, CasErrorCategory.ResourceUnavailable,
                "Microsoft Graph did not answer within CasAdmin's retry budget.",
                "Run the command again; completed work is not repeated.", target, inner) { StatusCode = lastStatus == 0 ? null : lastStatus };
    }

    private static HttpRequestMessage Clone(HttpRequestMessage request, byte[]? body)
    {
        var copy = new HttpRequestMessage(request.Method, request.RequestUri)
        {
            Version = request.Version,
            VersionPolicy = request.VersionPolicy,
        };
        foreach (var header in request.Headers)
        {
            copy.Headers.TryAddWithoutValidation(header.Key, header.Value);
        }

        if (body is not null)
        {
            copy.Content = new ByteArrayContent(body);
            foreach (var header in request.Content!.Headers)
            {
                if (!header.Key.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
                {
                    copy.Content.Headers.TryAddWithoutValidation(header.Key, header.Value);
                }
            }
        }

        foreach (var option in request.Options)
        {
            ((IDictionary<string, object?>)copy.Options)[option.Key] = option.Value;
        }

        return copy;
    }
}

/// <summary>What one connection sent, for diagnostics and benchmarks.</summary>
internal sealed class GraphTrafficCounters
{
    public long Requests;
    public long Retries;
    public long Throttled;
}
