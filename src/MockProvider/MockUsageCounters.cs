namespace Gateway.MockProvider;

/// <summary>Served requests and tokens, either in total or for one model. Thread-safe.</summary>
public sealed class MockUsageCounters
{
    private long _requests;
    private long _promptTokens;
    private long _completionTokens;

    /// <summary>Requests served (a stream cut short still counts: its prompt was consumed and tokens were sent).</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Prompt tokens of the served requests.</summary>
    public long PromptTokens => Interlocked.Read(ref _promptTokens);

    /// <summary>Completion tokens actually sent (for streams, the content chunks written).</summary>
    public long CompletionTokens => Interlocked.Read(ref _completionTokens);

    internal void Add(int promptTokens, int completionTokens)
    {
        Interlocked.Increment(ref _requests);
        Interlocked.Add(ref _promptTokens, promptTokens);
        Interlocked.Add(ref _completionTokens, completionTokens);
    }

    // Takes back one request counted by Add with the same figures.
    internal void Remove(int promptTokens, int completionTokens)
    {
        Interlocked.Decrement(ref _requests);
        Interlocked.Add(ref _promptTokens, -promptTokens);
        Interlocked.Add(ref _completionTokens, -completionTokens);
    }

    internal void Reset()
    {
        Interlocked.Exchange(ref _requests, 0);
        Interlocked.Exchange(ref _promptTokens, 0);
        Interlocked.Exchange(ref _completionTokens, 0);
    }
}
