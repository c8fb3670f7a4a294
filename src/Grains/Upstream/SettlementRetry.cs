using Gateway.Catalog;
using Gateway.Catalog.Resilience;
using Gateway.Grains.Abstractions.Tenants;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;

namespace Gateway.Grains.Upstream;

/// <summary>
/// Settles a served request with its tenant, retrying while the tenant's silo is unreachable (a silo killed or stopping:
/// the tenant reactivates on a survivor once the cluster notices), so that a request the provider served is charged,
/// once. Waits double from 100 ms up to 2 s, and no retry starts after <see cref="UpstreamOptions.SettlementRetryWindow"/>.
/// </summary>
public sealed partial class SettlementRetry
{
    private static readonly TimeSpan FirstDelay = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(2);
    private static readonly ResiliencePropertyKey<Settling> SettlingKey = new("gateway.settling");

    private readonly IOptions<UpstreamOptions> _options;
    private readonly TimeProvider _time;
    private readonly ILogger<SettlementRetry> _logger;
    private readonly ResiliencePipeline _pipeline;

    // Not a primary constructor: the pipeline's callbacks and the members both need the clock and the logger, which
    // would then be captured twice (CS9124).
    public SettlementRetry(IOptions<UpstreamOptions> options, [FromKeyedServices(GatewayClock.Key)] TimeProvider time, ILogger<SettlementRetry> logger)
    {
        (_options, _time, _logger) = (options, time, logger);
        _pipeline = new ResiliencePipelineBuilder { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions
            {
                // Bounded by the window, not by a count.
                MaxRetryAttempts = int.MaxValue,
                ShouldHandle = args => ValueTask.FromResult(ShouldRetry(args)),
                DelayGenerator = args => ValueTask.FromResult<TimeSpan?>(DelayAfter(args.AttemptNumber)),
                OnRetry = args =>
                {
                    LogSettlementRetry(_logger, args.Context.Properties.GetValue(SettlingKey, default).Settlement.RequestId, args.Outcome.Exception!.GetType().Name);
                    return ValueTask.CompletedTask;
                },
            })
            .Build();
    }

    /// <summary>True once the tenant took the settlement; false when it failed for good (logged).</summary>
    public async Task<bool> SettleAsync(ITenantGrain tenant, Settlement settlement)
    {
        // Called from grain code: every attempt and wait continues on the calling activation's scheduler, as an await there would.
        var context = ResilienceContextPool.Shared.Get(continueOnCapturedContext: true);
        context.Properties.Set(SettlingKey, new Settling(settlement, _time.GetTimestamp()));
        try
        {
            var outcome = await _pipeline.ExecuteFirstAttemptAheadAsync(
                static async (_, state) =>
                {
                    await state.tenant.SettleAsync(state.settlement);
                    return Outcome.FromResult(true);
                },
                context,
                (tenant, settlement),
                static _ => false);
            outcome.ThrowIfException();
            return true;
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            LogSettlementFailed(_logger, settlement.RequestId, exception);
            return false;
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private static TimeSpan DelayAfter(int failures) =>
        TimeSpan.FromTicks((long)Math.Min(MaxDelay.Ticks, FirstDelay.Ticks * Math.Pow(2, failures)));

    // Only while the next attempt would still start inside the window.
    private bool ShouldRetry(RetryPredicateArguments<object> args) =>
        args.Outcome.Exception is OrleansException or TimeoutException
        && _time.GetElapsedTime(args.Context.Properties.GetValue(SettlingKey, default).Started) + DelayAfter(args.AttemptNumber) < _options.Value.SettlementRetryWindow;

    private readonly record struct Settling(Settlement Settlement, long Started);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Settlement of request {RequestId} did not reach its tenant ({Reason}); retrying")]
    private static partial void LogSettlementRetry(ILogger logger, string requestId, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Settlement of request {RequestId} failed")]
    private static partial void LogSettlementFailed(ILogger logger, string requestId, Exception exception);
}
