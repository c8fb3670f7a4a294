namespace Gateway.Grains.Abstractions.Upstream;

/// <summary>
/// Calls a model's provider for one admitted request and settles (or releases) the tenant's reservation
/// afterwards. A stateless worker beside the tenant grain, so the tenant's turn is never held across the
/// upstream call.
/// </summary>
[Alias("gw.IUpstreamGrain")]
public interface IUpstreamGrain : IGrainWithStringKey
{
    /// <summary>A non-streaming completion.</summary>
    [Alias("CompleteAsync"), ResponseTimeout("00:10:00")]
    Task<UpstreamResponse> CompleteAsync(UpstreamRequest request, CancellationToken cancellationToken = default);

    /// <summary>
    /// A streaming completion: SSE data payloads as the upstream sends them. A failure before the first payload
    /// comes as a single <see cref="UpstreamChunk"/> carrying it.
    /// </summary>
    [Alias("StreamAsync")]
    IAsyncEnumerable<UpstreamChunk> StreamAsync(UpstreamRequest request, CancellationToken cancellationToken = default);
}
