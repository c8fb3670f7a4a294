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

    // One request with its tokens counted (sign 1), or one counted so taken back (sign -1).
    internal void Add(int sign, int promptTokens, int completionTokens)
    {
        Interlocked.Add(ref _requests, sign);
        Interlocked.Add(ref _promptTokens, (long)sign * promptTokens);
        Interlocked.Add(ref _completionTokens, (long)sign * completionTokens);
    }

    internal void Reset()
    {
        Interlocked.Exchange(ref _requests, 0);
        Interlocked.Exchange(ref _promptTokens, 0);
        Interlocked.Exchange(ref _completionTokens, 0);
    }
}
