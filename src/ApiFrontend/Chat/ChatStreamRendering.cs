using System.Net.ServerSentEvents;
using Gateway.Grains.Abstractions.Upstream;

namespace Gateway.ApiFrontend.Chat;

/// <summary>
/// Turns the OpenAI chunks of one upstream stream into the server-sent events a dialect's client reads, in order: its
/// opening events, each chunk's events, then either the closing events or one failure event.
/// </summary>
public abstract class ChatStreamRendering : IDisposable
{
    /// <summary>When set, a <see cref="Ping"/> is sent after this long without a chunk, so that clients and proxies see the stream alive.</summary>
    public virtual TimeSpan? PingInterval => null;

    /// <summary>
    /// The events that open the stream, before the events of its first chunk, which is given (null when the stream ended at
    /// once): it names the model that served, which an opening event may carry.
    /// </summary>
    public virtual void Start(byte[]? firstChunk, List<SseItem<byte[]>> events)
    {
    }

    /// <summary>The events for one chunk (an OpenAI chat completion chunk's JSON).</summary>
    public abstract void Chunk(byte[] data, List<SseItem<byte[]>> events);

    /// <summary>The events that close a stream that completed.</summary>
    public abstract void End(List<SseItem<byte[]>> events);

    /// <summary>The last event of a stream that failed after it began.</summary>
    public abstract SseItem<byte[]> Failure(UpstreamFailure failure);

    /// <summary>The event that keeps a silent stream alive.</summary>
    public virtual SseItem<byte[]> Ping() => throw new NotSupportedException("This dialect sends no pings.");

    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
    }
}
