using CasAdmin.Engine.Errors;
using Polly;
using Polly.Retry;

namespace CasAdmin.Engine.Graph;

/// <summary>
/// Right after a create, Entra reads may answer 404 for a few seconds while the directory replicates.
/// Only calls about an object CasAdmin just created go through this; elsewhere a 404 means "not there".
/// </summary>
internal static class Replication
{
    private static readonly ResiliencePipeline Pipeline = new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<CasException>(e => e.ErrorId == ErrorIds.ResourceNotFound),
            MaxRetryAttempts = 6,
            BackoffType = DelayBackoffType.Exponential,
            Delay = TimeSpan.FromMilliseconds(250),
            MaxDelay = TimeSpan.FromSeconds(4),
            UseJitter = true,
        })
        .Build();

    public static Task<T> AfterCreateAsync<T>(Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken) =>
        Pipeline.ExecuteAsync(static async (state, ct) => await state(ct).ConfigureAwait(false), call, cancellationToken).AsTask();
}
