using System.Net.ServerSentEvents;
using Gateway.Catalog.Models;
using Gateway.Grains.Abstractions.Upstream;
using Gateway.Grains.Routing;

namespace Gateway.Grains.Upstream;

/// <summary>
/// A successful attempt, still open: the deployment that answered, its capacity ticket, the response and the timers that
/// bound it. A completion's body has been read and checked; a stream's events are read through <see cref="NextEventAsync"/>,
/// each within the provider's idle timeout. Disposing it ends everything: the connection, the timers, the ticket.
/// </summary>
public sealed class UpstreamExchange : IAsyncDisposable
{
    private readonly DeploymentState _state;
    private readonly CapacityTicket _ticket;
    private readonly HttpResponseMessage _response;
    private readonly UpstreamTimeouts _timeouts;
    private IAsyncEnumerator<SseItem<byte[]>>? _events;
    private long? _actualTokens;
    private int _disposed;
    private ProviderCall? _call;
    private TimeSpan _earlierProviderTime;
    private string? _streamError;
    private bool _firstChunkSeen;

    internal UpstreamExchange(
        Deployment deployment, DeploymentState state, CapacityTicket ticket, HttpResponseMessage response,
        UpstreamTimeouts timeouts)
    {
        Deployment = deployment;
        _state = state;
        _ticket = ticket;
        _response = response;
        _timeouts = timeouts;
    }

    public Deployment Deployment { get; }

    /// <summary>Attempts this request took, this one included.</summary>
    public int Attempts { get; internal set; }

    /// <summary>How long the request waited in a full deployment's queue; null when it did not wait.</summary>
    public TimeSpan? QueuedFor { get; internal set; }

    /// <summary>A completion's body, read and checked (null for a stream).</summary>
    public byte[]? Body { get; internal set; }

    /// <summary>A completion's usage: the provider's figures, or the gateway's count when it reported none.</summary>
    public CompletionUsage.Figures Usage { get; internal set; }

    /// <summary>Cancelled when the caller goes away or a timeout of the provider's fires.</summary>
    public CancellationToken Token => _timeouts.Token;

    /// <summary>True when one of the provider's timeouts (not the caller) ended the exchange.</summary>
    public bool TimedOut => _timeouts.TimedOut;

    internal HttpResponseMessage Response => _response;

    /// <summary>
    /// An Anthropic or Gemini stream's translation into OpenAI chunks, or a native Anthropic stream's reader (its events
    /// relayed as they are); null for a provider that speaks OpenAI's API.
    /// </summary>
    internal ITranslatedStream? Translation { get; init; }

    /// <summary>
    /// The provider answered in the client's own dialect (a request's native body was sent): <see cref="Body"/> and the
    /// stream's events are its own, relayed as they are.
    /// </summary>
    public bool Native { get; init; }

    /// <summary>Why a translated stream ended early, when its provider said so in the stream itself.</summary>
    public UpstreamFailure? StreamFailure => Translation?.Failure;

    /// <summary>Usage the provider reported in a form the chunks cannot carry whole; null for a pass-through stream.</summary>
    internal IStreamUsageSource? UsageSource => Translation;

    /// <summary>
    /// Time the providers took for this request up to its answer: every attempt's, until a completion's body was read or
    /// a stream's first event arrived (the gateway's added time is the rest).
    /// </summary>
    public TimeSpan ProviderTime { get; private set; }

    /// <summary>Hands the attempt's telemetry over: a completion's call is over, a stream's lasts until this exchange ends.</summary>
    internal void Begin(ProviderCall call, TimeSpan providerTime)
    {
        ProviderTime = providerTime;
        if (Body is not null)
        {
            call.Usage(Usage);
            call.End(errorType: null);
            return;
        }

        (_call, _earlierProviderTime) = (call, providerTime - call.Elapsed);
    }

    /// <summary>Restarts the idle timer: another byte or event arrived.</summary>
    internal void Touch() => _timeouts.Touch();

    /// <summary>
    /// The next event of a stream as an OpenAI chunk (translated from Anthropic's or Gemini's events for such a provider; a
    /// native stream's own event, then <c>[DONE]</c> after its <c>message_stop</c>), or null at
    /// its end; throws on a cut connection or when the idle timer fires.
    /// </summary>
    public ValueTask<byte[]?> NextEventAsync() => Translation is { } translation ? translation.NextAsync(NextRawEventAsync) : NextRawEventAsync();

    private async ValueTask<byte[]?> NextRawEventAsync()
    {
        if (_events is null)
        {
            var body = await _response.Content.ReadAsStreamAsync(Token);
            _events = SseParser.Create(body, static (_, data) => data.ToArray()).EnumerateAsync(Token).GetAsyncEnumerator(Token);
        }

        Touch();
        bool more;
        try
        {
            more = await _events.MoveNextAsync();
        }
        catch (Exception) when (_call is not null)
        {
            _streamError ??= TimedOut ? "timed_out" : "stream_cut";
            throw;
        }

        if (more && _call is { } call && !_firstChunkSeen)
        {
            _firstChunkSeen = true;
            ProviderTime = _earlierProviderTime + call.Elapsed;
            call.FirstChunk();
        }

        return more ? _events.Current.Data : null;
    }

    /// <summary>The request is over and used <paramref name="tokens"/>: the deployment's capacity gets the rest back.</summary>
    public void Complete(long tokens) => _actualTokens = tokens;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (_events is not null)
        {
            try
            {
                await _events.DisposeAsync();
            }
            catch (Exception exception) when (exception is IOException or HttpRequestException or OperationCanceledException)
            {
                // The connection is going anyway.
            }
        }

        _call?.End(_streamError);
        _response.Dispose();
        _timeouts.Dispose();
        _state.Exit();
        if (_actualTokens is { } tokens)
        {
            _ticket.Complete(tokens);
        }
        else
        {
            _ticket.Dispose();
        }
    }
}
