using Gateway.Catalog.Telemetry;
using Gateway.Grains.Abstractions.Tenants;
using Gateway.Grains.Abstractions.Upstream;
using Gateway.Grains.Caching;

namespace Gateway.Grains.Upstream;

/// <summary>The worker's side of the response cache: a request's stored answer or the fill it leads, and the answer stored.</summary>
internal static class CachedAnswers
{
    /// <summary>
    /// The tenant's stored answer to this request, or else, when the request may store its answer, the fill it leads
    /// (identical requests on this silo meanwhile wait for it rather than call the provider too). A stream is never
    /// answered from a native entry, which is a whole message and not the events a stream replays: for it that is a miss.
    /// </summary>
    public static async Task<(CachedCompletion? Hit, ResponseCache.Fill? Fill)> LookUpAsync(ResponseCache cache, ITenantGrain tenant, UpstreamRequest request, bool stream, CancellationToken cancellationToken)
    {
        if (request.Cache is not { } directive)
        {
            return (null, null);
        }

        try
        {
            if (directive.Read)
            {
                var stored = await cache.GetAsync(request.TenantId, directive.Key, cancellationToken);
                if (stored is { Native: true } && stream)
                {
                    stored = null;
                }

                UpstreamMetrics.RecordCacheLookup(hit: stored is not null);
                if (stored is not null)
                {
                    return (stored, null);
                }
            }

            if (!directive.Write)
            {
                return (null, null);
            }

            if (!cache.TryJoin(directive.Key, out var pending, out var fill))
            {
                return (null, fill);
            }

            // Another identical request is on its way to the provider: its answer, once stored, is this one's too.
            var filled = directive.Read ? await cache.WaitAsync(pending, cancellationToken) : null;
            return (filled is { Native: true } && stream ? null : filled, null);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await tenant.ReleaseAsync(request.RequestId);
            throw;
        }
    }

    /// <summary>Stores a served answer for the tenant and hands it to the identical requests waiting on <paramref name="fill"/>.</summary>
    public static async Task StoreAsync(ResponseCache cache, TimeProvider time, UpstreamRequest request, ResponseCache.Fill fill, string modelId, string provider, CompletionUsage.Figures usage, byte[] body, bool native = false)
    {
        var directive = request.Cache!;
        var entry = new CachedCompletion(modelId, provider, usage with { Counted = false }, body, time.GetUtcNow() + directive.Ttl, native);
        await cache.SetAsync(request.TenantId, directive.Key, entry, directive.Ttl, directive.MaxEntries);
        fill.Complete(entry);
    }
}
