using System.Diagnostics;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using Gateway.Grains.Abstractions.Tenants;
using Gateway.Grains.Abstractions.Upstream;
using Gateway.Grains.Models;
using Gateway.Grains.Providers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using Orleans.Placement;

namespace Gateway.Grains.Upstream;

/// <summary>
/// Calls the provider for admitted requests and settles each with the tenant afterwards: actual usage on
/// success (or what was streamed when a stream ends early), a release on failure, so nothing is charged for
/// a request that was not served. Reentrant: calls interleave at every await. Deliberately an ordinary grain (keyed
/// by shard, placed beside its first caller) and not a stateless worker: a stream's enumerator lives in the activation
/// that started it, and stateless workers are collected whenever momentarily idle, which ended streams mid-way.
/// </summary>
[Reentrant, PreferLocalPlacement]
public sealed partial class UpstreamGrain(
    ModelCatalog models,
    ProviderClients providers,
    IOptions<UpstreamOptions> options,
    UpstreamDrain drain,
    [FromKeyedServices(GatewayClock.Key)] TimeProvider time,
    ILogger<UpstreamGrain> logger) : Grain, IUpstreamGrain
{
    private static readonly MediaTypeHeaderValue Json = new("application/json");

    private readonly HashSet<string> _inFlight = new(StringComparer.Ordinal);

    public Task<bool> IsInFlightAsync(string requestId) => Task.FromResult(_inFlight.Contains(requestId));

    public async Task<UpstreamResponse> CompleteAsync(UpstreamRequest request, CancellationToken cancellationToken)
    {
        if (drain.IsDraining)
        {
            // Nothing sent, nothing released: the frontend retries on a worker elsewhere under the same reservation.
            return new UpstreamResponse(null, UpstreamFailures.Draining());
        }

        using var running = Run(request.RequestId);
        return await CompleteCoreAsync(request, cancellationToken);
    }

    public async IAsyncEnumerable<UpstreamChunk> StreamAsync(
        UpstreamRequest request,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (drain.IsDraining)
        {
            yield return new UpstreamChunk(null, UpstreamFailures.Draining());
            yield break;
        }

        using var running = Run(request.RequestId);
        await foreach (var chunk in StreamCoreAsync(request, cancellationToken))
        {
            yield return chunk;
        }
    }

    /// <summary>Counts a call as running (for <see cref="IsInFlightAsync"/> and the silo's drain) until disposed.</summary>
    private Running Run(string requestId)
    {
        _inFlight.Add(requestId);
        drain.Enter();
        return new Running(_inFlight, drain, requestId);
    }

    private readonly struct Running(HashSet<string> inFlight, UpstreamDrain drain, string requestId) : IDisposable
    {
        public void Dispose()
        {
            drain.Exit();
            inFlight.Remove(requestId);
        }
    }

    private async Task<UpstreamResponse> CompleteCoreAsync(UpstreamRequest request, CancellationToken cancellationToken)
    {
        var tenant = GrainFactory.GetGrain<ITenantGrain>(request.TenantId);
        var (response, failure, timeout) = await SendAsync(request, cancellationToken);
        if (failure is not null)
        {
            await tenant.ReleaseAsync(request.RequestId);
            return new UpstreamResponse(null, failure);
        }

        using (response)
        using (timeout)
        {
            byte[] body;
            try
            {
                body = await response!.Content.ReadAsByteArrayAsync(timeout!.Token);
            }
            catch (Exception exception) when (exception is HttpRequestException or IOException or OperationCanceledException)
            {
                await tenant.ReleaseAsync(request.RequestId);
                if (cancellationToken.IsCancellationRequested)
                {
                    throw;
                }

                var provider = ProviderOf(request);
                return new UpstreamResponse(null, exception is OperationCanceledException
                    ? UpstreamFailures.Timeout(provider)
                    : UpstreamFailures.Unreachable(provider));
            }

            var (input, output) = CompletionUsage.Read(body, request.PromptTokens);
            return await TrySettleAsync(tenant, new Settlement(request.RequestId, request.Model, input, output))
                ? new UpstreamResponse(body, null)
                : new UpstreamResponse(null, UpstreamFailures.NotRecorded());
        }
    }

    private async IAsyncEnumerable<UpstreamChunk> StreamCoreAsync(
        UpstreamRequest request,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var tenant = GrainFactory.GetGrain<ITenantGrain>(request.TenantId);
        var (response, failure, timeout) = await SendAsync(request, cancellationToken);
        if (failure is not null)
        {
            await tenant.ReleaseAsync(request.RequestId);
            yield return new UpstreamChunk(null, failure);
            yield break;
        }

        var meter = new StreamMeter(request.PromptTokens);
        var settled = false;
        UpstreamFailure? cut = null;
        try
        {
            await using var reader = new SseReader(await response!.Content.ReadAsStreamAsync(timeout!.Token));
            while (true)
            {
                byte[]? data;
                try
                {
                    data = await reader.ReadAsync(timeout.Token);
                }
                catch (Exception exception) when (!cancellationToken.IsCancellationRequested
                    && exception is HttpRequestException or IOException or OperationCanceledException)
                {
                    cut = exception is OperationCanceledException
                        ? UpstreamFailures.Timeout(ProviderOf(request))
                        : UpstreamFailures.StreamCut(ProviderOf(request));
                    break;
                }

                if (data is null)
                {
                    // The connection closed without [DONE]: the provider cut the stream.
                    cut = meter.HasReportedUsage ? null : UpstreamFailures.StreamCut(ProviderOf(request));
                    break;
                }

                if (data.AsSpan().SequenceEqual("[DONE]"u8))
                {
                    break;
                }

                if (meter.Observe(data) && !request.ClientWantsUsage)
                {
                    continue;
                }

                meter.MarkStreamed();
                yield return new UpstreamChunk(request.ClientWantsUsage ? data : NullUsage.Remove(data), null);
            }

            // Settled before the stream's end reaches the client, so that a client that saw the end sees the charge too.
            settled = true;
            await SettleStreamAsync(tenant, request, meter, cut is null ? Settlement.Completed : Settlement.StreamInterrupted);
            if (cut is not null)
            {
                yield return new UpstreamChunk(null, cut);
            }
        }
        finally
        {
            response!.Dispose();
            timeout!.Dispose();
            if (!settled)
            {
                // The client went away mid-stream: charged for what was streamed.
                await SettleStreamAsync(tenant, request, meter, Settlement.ClientDisconnected);
            }
        }
    }

    private async Task SettleStreamAsync(ITenantGrain tenant, UpstreamRequest request, StreamMeter meter, string outcome)
    {
        if (meter.Streamed || meter.HasReportedUsage)
        {
            var (input, output) = meter.Usage;
            await TrySettleAsync(tenant, new Settlement(request.RequestId, request.Model, input, output, outcome));
        }
        else
        {
            await tenant.ReleaseAsync(request.RequestId);
        }
    }

    /// <summary>Sends the request; on success the response and the call's timeout, which the caller disposes.</summary>
    private async Task<(HttpResponseMessage? Response, UpstreamFailure? Failure, CancellationTokenSource? Timeout)> SendAsync(
        UpstreamRequest request, CancellationToken cancellationToken)
    {
        ProviderClient client;
        try
        {
            client = providers.Get(models.Get(request.Model).Provider);
        }
        catch (Exception exception) when (exception is InvalidOperationException or KeyNotFoundException)
        {
            LogProviderMissing(logger, request.Model, exception);
            return (null, UpstreamFailures.Unreachable(request.Model), null);
        }

        var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(client.Timeout);
        HttpResponseMessage response;
        try
        {
            using var content = new ByteArrayContent(request.Body);
            content.Headers.ContentType = Json;
            response = await client.Api.ChatCompletionsAsync(content, client.Authorization, timeout.Token);
        }
        catch (Exception exception) when (exception is HttpRequestException or OperationCanceledException)
        {
            timeout.Dispose();
            if (cancellationToken.IsCancellationRequested)
            {
                // The client went away before the provider answered: nothing was served, nothing is held.
                await GrainFactory.GetGrain<ITenantGrain>(request.TenantId).ReleaseAsync(request.RequestId);
                throw new OperationCanceledException(cancellationToken);
            }

            LogUpstreamUnreachable(logger, client.Name, exception.GetType().Name);
            return (null, exception is OperationCanceledException ? UpstreamFailures.Timeout(client.Name) : UpstreamFailures.Unreachable(client.Name), null);
        }

        if (response.IsSuccessStatusCode)
        {
            return (response, null, timeout);
        }

        using (response)
        using (timeout)
        {
            byte[] body;
            try
            {
                body = await response.Content.ReadAsByteArrayAsync(timeout.Token);
            }
            catch (Exception exception) when (exception is HttpRequestException or IOException or OperationCanceledException)
            {
                body = [];
            }

            LogUpstreamStatus(logger, client.Name, (int)response.StatusCode);
            return (null, UpstreamFailures.FromResponse(response.StatusCode, body, response.Headers.RetryAfter, client.Name, time.GetUtcNow()), null);
        }
    }

    /// <summary>
    /// Settles, retrying while the tenant's silo is unreachable (a silo killed or stopping: the tenant reactivates
    /// on a survivor once the cluster notices), so that a request the provider served is charged, once.
    /// </summary>
    private async Task<bool> TrySettleAsync(ITenantGrain tenant, Settlement settlement)
    {
        var started = Stopwatch.GetTimestamp();
        var delay = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            try
            {
                await tenant.SettleAsync(settlement);
                return true;
            }
            catch (Exception exception) when (IsTransient(exception)
                && Stopwatch.GetElapsedTime(started) + delay < options.Value.SettlementRetryWindow)
            {
                LogSettlementRetry(logger, settlement.RequestId, exception.GetType().Name);
                await Task.Delay(delay);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(2).Ticks));
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                LogSettlementFailed(logger, settlement.RequestId, exception);
                return false;
            }
        }

        static bool IsTransient(Exception exception) => exception is OrleansException or TimeoutException;
    }

    private string ProviderOf(UpstreamRequest request) =>
        models.TryResolve(request.Model, out _, out var model) ? model.Provider : request.Model;

    [LoggerMessage(Level = LogLevel.Error, Message = "No provider for model {Model}")]
    private static partial void LogProviderMissing(ILogger logger, string model, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Provider {Provider} could not be reached ({Reason})")]
    private static partial void LogUpstreamUnreachable(ILogger logger, string provider, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Provider {Provider} answered {Status}")]
    private static partial void LogUpstreamStatus(ILogger logger, string provider, int status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Settlement of request {RequestId} did not reach its tenant ({Reason}); retrying")]
    private static partial void LogSettlementRetry(ILogger logger, string requestId, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Settlement of request {RequestId} failed")]
    private static partial void LogSettlementFailed(ILogger logger, string requestId, Exception exception);
}
