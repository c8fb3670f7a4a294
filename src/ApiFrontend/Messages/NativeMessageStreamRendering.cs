using System.Net.ServerSentEvents;
using System.Text.Json;
using Gateway.ApiFrontend.Chat;
using Gateway.Grains.Abstractions.Upstream;

namespace Gateway.ApiFrontend.Messages;

/// <summary>
/// A stream an Anthropic provider answered natively: each of its events relayed as it came, named by its own <c>type</c>
/// (as Anthropic names them), <c>message_stop</c> included, so nothing is added at the end; a <c>ping</c> while the
/// upstream is silent and the gateway's <c>error</c> event when the stream fails after it began, as for a translated one.
/// </summary>
internal sealed class NativeMessageStreamRendering : ChatStreamRendering
{
    // The names of nearly every event, so that relaying one allocates no string for its name.
    private static readonly string[] KnownTypes =
        ["content_block_delta", "ping", "content_block_start", "content_block_stop", "message_start", "message_delta", "message_stop", "error"];

    public override TimeSpan? PingInterval => MessageStreamRendering.SilencePing;

    public override SseItem<byte[]> Ping() => MessageStreamRendering.PingEvent();

    public override void Chunk(byte[] data, List<SseItem<byte[]>> events) => events.Add(new SseItem<byte[]>(data, EventType(data)));

    public override void End(List<SseItem<byte[]>> events)
    {
        // The provider's message_stop was the last event relayed.
    }

    public override SseItem<byte[]> Failure(UpstreamFailure failure) => MessageStreamRendering.ErrorEvent(failure);

    /// <summary>The event's top-level <c>type</c>, which is its SSE event name; null (no name) when it has none.</summary>
    internal static string? EventType(byte[] data)
    {
        var reader = new Utf8JsonReader(data);
        if (!TopLevelString.Seek(ref reader, "type"u8))
        {
            return null;
        }

        foreach (var known in KnownTypes)
        {
            if (reader.ValueTextEquals(known))
            {
                return known;
            }
        }

        return reader.GetString();
    }
}
