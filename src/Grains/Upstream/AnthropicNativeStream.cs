using System.Text;
using System.Text.Json;
using Gateway.Grains.Abstractions.Upstream;
using Gateway.Grains.Providers.Anthropic;

namespace Gateway.Grains.Upstream;

/// <summary>
/// An Anthropic Messages stream relayed to a Messages client as it is: every event's data passes untouched (only
/// <c>message_start</c>'s model becomes the catalog's name), and <c>[DONE]</c> follows <c>message_stop</c>, so the worker
/// knows it completed. Read on the way for what the stream is charged: the usage of <c>message_start</c>, overwritten by
/// each cumulative <c>message_delta</c> (cache reads and writes included), and the text, thinking and tool input of its
/// deltas, which a stream cut short is charged as output. An <c>error</c> event ends it with <see cref="Failure"/>, which
/// the frontend writes as the client's <c>error</c> event. One per stream; not thread-safe.
/// </summary>
internal sealed class AnthropicNativeStream(string provider, byte[] modelJson) : ITranslatedStream
{
    private static readonly byte[] Done = "[DONE]"u8.ToArray();

    private readonly StringBuilder _generated = new();
    private AnthropicUsage? _usage;
    private bool _completed;
    private bool _ended;

    public UpstreamFailure? Failure { get; private set; }

    public CompletionUsage.Figures? Final => _completed ? Started : null;

    public CompletionUsage.Figures? Started => _usage is { } usage ? AnthropicUpstream.Figures(usage) : null;

    public string? GeneratedText => _generated.ToString();

    public async ValueTask<byte[]?> NextAsync(Func<ValueTask<byte[]?>> readEvent)
    {
        if (_completed)
        {
            return Done;
        }

        if (_ended)
        {
            return null;
        }

        var data = await readEvent();
        if (data is null)
        {
            return End(null);
        }

        if (!AnthropicEventScan.TryScan(data, out var scan))
        {
            return End(new UpstreamFailure(UpstreamFailureKind.BadResponse, provider));
        }

        var type = data.AsSpan()[scan.Type];
        if (type.SequenceEqual("content_block_delta"u8))
        {
            Generated(data, scan);
            return data;
        }

        if (type.SequenceEqual("message_stop"u8))
        {
            _completed = true;
            return data;
        }

        var isStart = type.SequenceEqual("message_start"u8);
        if (!isStart && !type.SequenceEqual("message_delta"u8) && !type.SequenceEqual("error"u8))
        {
            return data;
        }

        using (var document = JsonDocument.Parse(data))
        {
            var root = document.RootElement;
            if (type.SequenceEqual("error"u8))
            {
                var error = AnthropicError.Read(root.TryGetProperty("error", out var e) ? e : default);
                return End(new UpstreamFailure(error.Kind, provider, ProviderMessage: error.Kind == UpstreamFailureKind.Refused ? error.Message : null));
            }

            var usage = isStart
                ? root.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.Object && message.TryGetProperty("usage", out var u) ? u : default
                : root.TryGetProperty("usage", out var delta) ? delta : default;
            if (_usage is { } known)
            {
                _usage = known.Update(usage);
            }
            else if (AnthropicUsage.TryRead(usage, out var read))
            {
                _usage = read;
            }
        }

        return isStart ? ModelField.ReplaceIn(data, "message"u8, modelJson) : data;
    }

    private byte[]? End(UpstreamFailure? failure)
    {
        Failure = failure;
        _ended = true;
        return null;
    }

    /// <summary>What a delta generated (text, thinking, tool input; not a signature), kept to charge a stream cut short.</summary>
    private void Generated(byte[] data, AnthropicEventScan scan)
    {
        var value = data.AsSpan()[scan.DeltaValue];
        if (value.Length <= 2 || data.AsSpan()[scan.DeltaType].SequenceEqual("signature_delta"u8))
        {
            return;
        }

        var reader = new Utf8JsonReader(value);
        reader.Read();
        _generated.Append(reader.GetString());
    }
}
