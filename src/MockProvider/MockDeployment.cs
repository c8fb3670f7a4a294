namespace Gateway.MockProvider;

/// <summary>
/// One deployment the mock pretends to be, served under <c>/d/{name}/</c>: its own fault queue, stats and delays,
/// so a test can break one upstream of a gateway while the others stay healthy. Get one from
/// <see cref="MockDeployments.Get"/>. Thread-safe.
/// </summary>
public sealed class MockDeployment
{
    private const long NoOverride = -1;

    // The totals also count this deployment's requests; null for the top-level deployment, whose stats are the totals.
    private readonly MockProviderStats? _totals;
    private long _latencyTicks = NoOverride;
    private long _chunkDelayTicks = NoOverride;

    internal MockDeployment(string name, MockFaultQueue faults, MockProviderStats stats, MockProviderStats? totals)
    {
        Name = name;
        Faults = faults;
        Stats = stats;
        _totals = totals;
    }

    /// <summary>The name in the route, <c>/d/{name}/v1/chat/completions</c>.</summary>
    public string Name { get; }

    /// <summary>Faults for this deployment's next requests; other deployments and the top-level routes never see them.</summary>
    public MockFaultQueue Faults { get; }

    /// <summary>What this deployment served (also counted in the server's totals, <c>GET /mock/stats</c>).</summary>
    public MockProviderStats Stats { get; }

    /// <summary>The requests this deployment's <c>/v1/messages</c> route received lately, as they came.</summary>
    public MockReceivedRequests ReceivedMessages { get; } = new();

    /// <summary>Delay before each response of this deployment; null means <see cref="MockProviderOptions.Latency"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public TimeSpan? Latency
    {
        get => Read(ref _latencyTicks);
        set => Write(ref _latencyTicks, value);
    }

    /// <summary>Delay between this deployment's stream chunks; null means <see cref="MockProviderOptions.ChunkDelay"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public TimeSpan? ChunkDelay
    {
        get => Read(ref _chunkDelayTicks);
        set => Write(ref _chunkDelayTicks, value);
    }

    /// <summary>A chat completion of this deployment starts being answered (counted here and in the totals).</summary>
    internal void Enter()
    {
        Stats.Enter();
        _totals?.Enter();
    }

    internal void Leave()
    {
        Stats.Leave();
        _totals?.Leave();
    }

    internal void Record(string model, int promptTokens, int completionTokens, string? user)
    {
        Stats.Record(model, promptTokens, completionTokens, user);
        _totals?.Record(model, promptTokens, completionTokens, user);
    }

    internal void Retract(string model, int promptTokens, int completionTokens, string? user)
    {
        Stats.Retract(model, promptTokens, completionTokens, user);
        _totals?.Retract(model, promptTokens, completionTokens, user);
    }

    /// <summary>
    /// Writes a whole answer with its length and counts it as served. The count comes first, because a caller holding the
    /// whole body may read the counts at once (before this handler runs again); it is taken back when the caller turns
    /// out to be gone, so an answer that was not delivered is still not counted.
    /// </summary>
    internal async Task WriteServedAsync(
        HttpContext context, ReadOnlyMemory<byte> body, string contentType, string model, int promptTokens, int completionTokens, string? user)
    {
        var response = context.Response;
        response.ContentType = contentType;
        response.ContentLength = body.Length;
        Record(model, promptTokens, completionTokens, user);
        var flushed = await response.BodyWriter.WriteAsync(body, context.RequestAborted);
        if (flushed.IsCanceled || flushed.IsCompleted || context.RequestAborted.IsCancellationRequested)
        {
            Retract(model, promptTokens, completionTokens, user);
        }
    }

    // Ticks in one long, because a TimeSpan? is written in two halves that a concurrent request could read torn.
    private static TimeSpan? Read(ref long ticks)
    {
        var value = Interlocked.Read(ref ticks);
        return value == NoOverride ? null : TimeSpan.FromTicks(value);
    }

    private static void Write(ref long ticks, TimeSpan? value)
    {
        if (value < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(value), value, "A delay cannot be negative.");
        }

        Interlocked.Exchange(ref ticks, value?.Ticks ?? NoOverride);
    }
}
