using System.Runtime.CompilerServices;
using Gateway.Catalog;
using Gateway.Grains.Abstractions;
using Gateway.Grains.Abstractions.Tenants;
using Gateway.Grains.Abstractions.Upstream;
using Gateway.Grains.Caching;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Concurrency;

namespace Gateway.Grains.Upstream;

/// <summary>
/// Calls the provider for admitted requests and settles each with the tenant afterwards: actual usage on success (or what
/// was streamed when a stream ends early), a release on failure, so nothing is charged for a request that was not served.
/// Reentrant: calls interleave at every await; its one piece of state, <see cref="InFlightCalls"/>, is touched only inside
/// turns. An ordinary grain, not a stateless worker: one activation per key, a shard of tenants (a hash of the tenant id),
/// so a tenant's calls from every frontend meet on one silo, where identical ones share a provider call (the response
/// cache's single flight); placed beside its first caller unless that silo drains (<see cref="LocalUnlessDrainingPlacement"/>);
/// and <see cref="IsInFlightAsync"/> asks the very activation running a call. A stateless worker would have an activation
/// on every silo that calls it, placed there even while that silo drains.
/// </summary>
[Reentrant, LocalUnlessDrainingPlacement]
public sealed partial class UpstreamGrain(
    UpstreamCaller caller,
    SettlementRetry settlements,
    UpstreamDrain drain,
    ResponseCache cache,
    [FromKeyedServices(GatewayClock.Key)] TimeProvider time,
    GrainReferences references,
    ILogger<UpstreamGrain> logger) : Grain, IUpstreamGrain
{
    private readonly InFlightCalls _calls = new(drain);

    public Task<bool> IsInFlightAsync(string requestId) => Task.FromResult(_calls.Contains(requestId));

    public async Task<UpstreamResponse> CompleteAsync(UpstreamRequest request, CancellationToken cancellationToken)
    {
        if (!_calls.TryEnter(request.RequestId, out var running))
        {
            // Nothing sent, nothing released: the frontend retries on a worker elsewhere under the same reservation.
            return new UpstreamResponse(null, new UpstreamFailure(UpstreamFailureKind.Draining));
        }

        using (running)
        {
            return await CompleteCoreAsync(request, cancellationToken);
        }
    }

    // Not async: the pump holds the call's place among the running ones until the stream's last push, so the stream
    // costs no frame of its own here.
    public Task StreamToAsync(UpstreamRequest request, IUpstreamStreamObserver observer, CancellationToken cancellationToken) =>
        _calls.TryEnter(request.RequestId, out var running)
            ? UpstreamStreamPump.RunAsync(running, StreamCoreAsync(request, cancellationToken), observer, request.RequestId, logger, cancellationToken)
            : UpstreamStreamPump.SendAsync(observer, 1, [new UpstreamChunk(null, new UpstreamFailure(UpstreamFailureKind.Draining))]);

    private async Task<UpstreamResponse> CompleteCoreAsync(UpstreamRequest request, CancellationToken cancellationToken)
    {
        var tenant = references.Get<ITenantGrain>(request.TenantId);
        var (hit, fill) = await CachedAnswers.LookUpAsync(cache, tenant, request, stream: false, cancellationToken);
        if (hit is not null)
        {
            return await SettleHitAsync(tenant, request, hit)
                ? new UpstreamResponse(hit.Body, null, CacheHit: true, Native: hit.Native)
                : new UpstreamResponse(null, new UpstreamFailure(UpstreamFailureKind.NotRecorded, hit.Provider));
        }

        using var filling = fill;
        var result = await SendAsync(tenant, request, stream: false, cancellationToken);
        if (result.Exchange is not { } exchange)
        {
            await tenant.ReleaseAsync(request.RequestId);
            return new UpstreamResponse(null, result.Failure);
        }

        await using (exchange)
        {
            var usage = exchange.Usage;
            exchange.Complete(usage.Total);
            if (!await settlements.SettleAsync(tenant, WorkerSettlements.Of(request, exchange, usage, Settlement.Completed)))
            {
                return new UpstreamResponse(null, new UpstreamFailure(UpstreamFailureKind.NotRecorded, exchange.Deployment.Provider));
            }

            // A native answer is stored as it is, marked so: its request's key (the client's body, dialect and headers) is
            // never a chat completion's, and a hit is relayed to its client as it was.
            if (fill is not null && (exchange.Native ? CachePolicy.IsStorableMessage(exchange.Body) : CachePolicy.IsStorable(exchange.Body)))
            {
                await CachedAnswers.StoreAsync(cache, time, request, fill, exchange.Deployment.ModelId, exchange.Deployment.Provider, usage, exchange.Body!, exchange.Native);
            }

            return new UpstreamResponse(exchange.Body, null, QueuedMs: WorkerSettlements.QueuedMs(exchange), ProviderTime: exchange.ProviderTime, Native: exchange.Native);
        }
    }

    /// <summary>
    /// Charges a hit (the tenant's fraction of the stored answer's cost, its cache reads and writes priced as they were) and
    /// writes its ledger row, marked cached.
    /// </summary>
    private Task<bool> SettleHitAsync(ITenantGrain tenant, UpstreamRequest request, CachedCompletion hit) =>
        settlements.SettleAsync(tenant, WorkerSettlements.Hit(request, hit));

    private async IAsyncEnumerable<UpstreamChunk> StreamCoreAsync(
        UpstreamRequest request,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var tenant = references.Get<ITenantGrain>(request.TenantId);
        var (hit, fill) = await CachedAnswers.LookUpAsync(cache, tenant, request, stream: true, cancellationToken);
        if (hit is not null)
        {
            if (!await SettleHitAsync(tenant, request, hit))
            {
                yield return new UpstreamChunk(null, new UpstreamFailure(UpstreamFailureKind.NotRecorded, hit.Provider));
                yield break;
            }

            foreach (var chunk in CompletionReplay.Chunks(hit.Body, request.ClientWantsUsage))
            {
                yield return new UpstreamChunk(chunk, null, CacheHit: true);
            }

            yield break;
        }

        using var filling = fill;
        var result = await SendAsync(tenant, request, stream: true, cancellationToken);
        if (result.Exchange is not { } exchange)
        {
            await tenant.ReleaseAsync(request.RequestId);
            yield return new UpstreamChunk(null, result.Failure);
            yield break;
        }

        var meter = new StreamMeter(request.PromptTokens, exchange.UsageSource);
        var native = exchange.Native;
        var assembled = fill is null || native ? null : new StreamedCompletion();
        var model = exchange.Deployment.ModelIdJson;
        var settled = false;
        UpstreamFailure? cut = null;
        try
        {
            while (true)
            {
                var (data, failure) = await NextEventAsync(exchange, meter, cancellationToken);
                if (failure is not null)
                {
                    cut = failure;
                    break;
                }

                if (data is null)
                {
                    break;
                }

                // A native stream's events were read (and their usage taken) on the way; they pass as they are.
                var usageOnly = false;
                if (!native && !meter.TryObserve(data, out usageOnly))
                {
                    LogBadEvent(logger, exchange.Deployment.Id);
                    cut = new UpstreamFailure(UpstreamFailureKind.BadResponse, exchange.Deployment.Provider);
                    break;
                }

                assembled?.Observe(data);
                if (usageOnly && !request.ClientWantsUsage)
                {
                    continue;
                }

                var first = !meter.Streamed;
                meter.MarkStreamed();
                yield return new UpstreamChunk(native ? data : ModelField.Replace(request.ClientWantsUsage ? data : NullUsage.Remove(data), model), null,
                    QueuedMs: first ? WorkerSettlements.QueuedMs(exchange) : null, ProviderTime: first ? exchange.ProviderTime : default, Native: first && native);
            }

            // Settled before the stream's end reaches the client, so that a client that saw the end sees the charge too.
            settled = true;
            var recorded = await SettleStreamAsync(tenant, request, exchange, meter, cut is null ? Settlement.Completed : Settlement.StreamInterrupted);
            if (cut is null && recorded && fill is not null && assembled?.ToCompletion(model) is { } completion)
            {
                await CachedAnswers.StoreAsync(cache, time, request, fill, exchange.Deployment.ModelId, exchange.Deployment.Provider, meter.Usage, completion);
            }
            if (cut is not null)
            {
                yield return new UpstreamChunk(null, cut);
            }
        }
        finally
        {
            if (!settled)
            {
                // The client went away mid-stream: charged for what was streamed.
                await SettleStreamAsync(tenant, request, exchange, meter, Settlement.ClientDisconnected);
            }

            await exchange.DisposeAsync();
        }
    }

    /// <summary>
    /// The next event's data; null data at the stream's end (<c>[DONE]</c>, or a close after the provider reported usage);
    /// a failure when the stream was cut, stalled or closed early.
    /// </summary>
    private async Task<(byte[]? Data, UpstreamFailure? Failure)> NextEventAsync(UpstreamExchange exchange, StreamMeter meter, CancellationToken cancellationToken)
    {
        byte[]? data;
        try
        {
            data = await exchange.NextEventAsync();
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
        {
            var timedOut = exchange.TimedOut;
            LogStreamCut(logger, exchange.Deployment.Id, timedOut ? "stalled" : exception.GetType().Name);
            return (null, new UpstreamFailure(timedOut ? UpstreamFailureKind.TimedOut : UpstreamFailureKind.StreamCut, exchange.Deployment.Provider));
        }

        if (data is null)
        {
            // The connection closed without [DONE]: the provider cut the stream, unless it had already said everything.
            if (exchange.StreamFailure is { } failed)
            {
                LogStreamCut(logger, exchange.Deployment.Id, failed.Kind.ToString());
                return (null, failed);
            }

            return meter.HasReportedUsage ? (null, null) : (null, new UpstreamFailure(UpstreamFailureKind.StreamCut, exchange.Deployment.Provider));
        }

        return data.AsSpan().SequenceEqual("[DONE]"u8) ? (null, null) : (data, null);
    }

    private async Task<bool> SettleStreamAsync(ITenantGrain tenant, UpstreamRequest request, UpstreamExchange exchange, StreamMeter meter, string outcome)
    {
        if (meter.Streamed || meter.HasReportedUsage)
        {
            var usage = meter.Usage;
            exchange.Complete(usage.Total);
            return await settlements.SettleAsync(tenant, WorkerSettlements.Of(request, exchange, usage, outcome));
        }

        await tenant.ReleaseAsync(request.RequestId);
        return false;
    }

    /// <summary>Routes, retries and calls; when the client goes away before an answer, the reservation is released and the cancellation goes on.</summary>
    private async Task<AttemptResult> SendAsync(ITenantGrain tenant, UpstreamRequest request, bool stream, CancellationToken cancellationToken)
    {
        try
        {
            return await caller.SendAsync(request, stream, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Nothing was served, nothing is held.
            await tenant.ReleaseAsync(request.RequestId);
            throw;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deployment {Deployment} sent a stream event that is not JSON; the stream ends")]
    private static partial void LogBadEvent(ILogger logger, string deployment);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stream from deployment {Deployment} was cut ({Reason})")]
    private static partial void LogStreamCut(ILogger logger, string deployment, string reason);
}
