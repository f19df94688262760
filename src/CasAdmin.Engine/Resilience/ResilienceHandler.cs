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
    private static readonly ResiliencePropertyKey<DateTimeOffset> DeadlineKey = new("cas.deadline");

    // Absorbs the one-second resolution of Retry-After so a retry never lands a hair early.
    private static readonly TimeSpan RetryAfterMargin = TimeSpan.FromMilliseconds(50);

    private readonly ResiliencePipeline<HttpResponseMessage> pipeline;
    private readonly ResiliencePipeline attemptPipeline;
    private readonly ResilienceOptions options;
    private readonly TenantPacer pacer;
    private readonly TimeProvider time;
    private readonly GraphTrafficCounters counters;

    public ResilienceHandler(ResilienceOptions options, TenantPacer pacer, GraphTrafficCounters counters, TimeProvider? timeProvider = null)
    {
        this.pacer = pacer;
        this.counters = counters;
        this.options = options;
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
        context.Properties.Set(DeadlineKey, Later(time.GetUtcNow(), options.TotalBudget));
        try
        {
            return await pipeline.ExecuteAsync(
                static async (ctx, state) =>
                {
                    var handler = state.Handler;
                    var deadline = ctx.Properties.GetValue(DeadlineKey, DateTimeOffset.MaxValue);
                    try
                    {
                        await handler.pacer.WaitAsync(deadline, ctx.CancellationToken).ConfigureAwait(false);
                    }
                    catch (RetryBudgetExceededException wait)
                    {
                        // This connection was told to wait past this call's budget: waiting could only end in the timeout.
                        throw handler.TooLong(state.Request, 429, wait.Until, deadline);
                    }

                    HttpResponseMessage response;
                    try
                    {
                        var attempt = Clone(state.Request, state.Body);
                        Interlocked.Increment(ref handler.counters.Requests);
                        response = await handler.attemptPipeline.ExecuteAsync(
                            static (s, token) => new ValueTask<HttpResponseMessage>(s.Handler.SendOnceAsync(s.Attempt, token)),
                            (Handler: handler, Attempt: attempt),
                            ctx.CancellationToken).ConfigureAwait(false);
                    }
                    finally
                    {
                        handler.pacer.Completed();
                    }

                    ctx.Properties.Set(LastStatusKey, (int)response.StatusCode);
                    handler.ReadQuotaWarning(response);
                    handler.FailIfAskedToWaitPastTheBudget(state.Request, response, ctx, deadline);
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

        if (response.Headers.TryGetValues(LimitPercentageHeader, out var values))
        {
            // A share that is no share (NaN, Infinity, 1e308, text) is neither a warning nor the absence of one: ignored.
            if (TenantPacer.TryReadShare(values.FirstOrDefault(), out var used))
            {
                pacer.NearLimit(used);
            }
        }
        else if (response.Headers.Contains(ResourceUnitHeader))
        {
            pacer.Unhindered();
        }
    }

    /// <summary>
    /// A retryable answer whose Retry-After runs past this call's budget fails the call now: waiting it out could only end
    /// in the same error minutes later, and a hostile or mistaken value (a day, a date in the year 9999) must not hold the
    /// command. A 429 also tells the pacer, so the connection's other calls that cannot outlast it fail at once too.
    /// </summary>
    private void FailIfAskedToWaitPastTheBudget(HttpRequestMessage request, HttpResponseMessage response, ResilienceContext context, DateTimeOffset deadline)
    {
        var status = response.StatusCode;
        var retryable = status == HttpStatusCode.TooManyRequests
            || (status is HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout && context.Properties.GetValue(IdempotentKey, false));
        if (!retryable || RetryAfter.Read(response.Headers, time.GetUtcNow()) is not TimeSpan wait)
        {
            return;
        }

        var now = time.GetUtcNow();
        var until = Later(now, wait + RetryAfterMargin);
        if (until <= deadline)
        {
            return;
        }

        if (status == HttpStatusCode.TooManyRequests)
        {
            Interlocked.Increment(ref counters.Throttled);
            pacer.Refused(wait, options.TotalBudget);
        }

        response.Dispose();
        throw TooLong(request, (int)status, Later(now, wait), deadline);
    }

    private CasException TooLong(HttpRequestMessage request, int status, DateTimeOffset until, DateTimeOffset deadline)
    {
        var now = time.GetUtcNow();
        var asked = until - now;
        var left = deadline - now;
        var when = until.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        var what = string.Create(CultureInfo.InvariantCulture,
            $"Microsoft Graph asked CasAdmin to wait {Seconds(asked)} s (until {when}) before trying again, longer than the {Seconds(left)} s left of the retry budget; CasAdmin did not wait.");
        var action = string.Create(CultureInfo.InvariantCulture, $"Run the command again after {when}; completed work is not repeated.");
        var target = request.RequestUri?.AbsolutePath;
        return status == 429
            ? new CasException(ErrorIds.ThrottledTooLong, CasErrorCategory.LimitsExceeded, what, action, target) { StatusCode = 429 }
            : new CasException(ErrorIds.ServiceUnavailable, CasErrorCategory.ResourceUnavailable, what, action, target) { StatusCode = status };
    }

    private static long Seconds(TimeSpan span) => span <= TimeSpan.Zero ? 0 : (long)Math.Ceiling(span.TotalSeconds);

    /// <summary><paramref name="from"/> plus <paramref name="span"/>, or the last representable moment: a Retry-After may be absurd.</summary>
    internal static DateTimeOffset Later(DateTimeOffset from, TimeSpan span) =>
        span >= DateTimeOffset.MaxValue - from ? DateTimeOffset.MaxValue : from + span;

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
