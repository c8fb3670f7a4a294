using System.Collections.Concurrent;

namespace Gateway.MockProvider;

/// <summary>
/// What the mock served, so tests and benchmarks can compare it with what the gateway charged. Only successful
/// chat completions count: failures injected by directives or faults do not, nor a reset, a stall the caller left,
/// a garbage body or a body cut short, nor a request whose caller went away before its answer was written; a stream
/// counts once it started, with the content chunks actually flushed. Counted per model and per OpenAI <c>user</c>
/// field, so a test that tags each tenant's requests can compare tenant by tenant. The singleton counts every
/// deployment; each <see cref="MockDeployment"/> also has its own. Thread-safe; a <see cref="Reset"/> racing with
/// requests in flight may leave those requests half counted.
/// </summary>
public sealed class MockProviderStats
{
    private readonly ConcurrentDictionary<string, MockUsageCounters> _byModel = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, MockUsageCounters> _byUser = new(StringComparer.Ordinal);
    private readonly Lock _busyGate = new();
    private long _inFlight;
    private long _peakInFlight;

    // The integral of the chat completions in flight over time (Stopwatch ticks), up to _busyAt: the upstream's busy
    // slot-time, from which a benchmark reads its utilisation without assuming each answer took exactly its latency.
    private long _busyTicks;
    private long _busyAt = System.Diagnostics.Stopwatch.GetTimestamp();

    /// <summary>Counters over all models.</summary>
    public MockUsageCounters Total { get; } = new();

    /// <summary>Counters per requested model name.</summary>
    public IReadOnlyDictionary<string, MockUsageCounters> ByModel => _byModel;

    /// <summary>Counters per <c>user</c> field of the request (requests without one are only in the totals).</summary>
    public IReadOnlyDictionary<string, MockUsageCounters> ByUser => _byUser;

    /// <summary>Requests served over all models.</summary>
    public long Requests => Total.Requests;

    /// <summary>Prompt tokens over all models.</summary>
    public long PromptTokens => Total.PromptTokens;

    /// <summary>Completion tokens sent over all models.</summary>
    public long CompletionTokens => Total.CompletionTokens;

    /// <summary>Chat completions being answered now (from the hold and the latency to the answer's end).</summary>
    public long InFlight => Interlocked.Read(ref _inFlight);

    /// <summary>
    /// The most chat completions answered at once since the start or the last <see cref="Reset"/>: what a gateway's
    /// concurrency limit on this upstream is checked against (the fairness benchmark's highest upstream concurrency).
    /// </summary>
    public long PeakInFlight => Interlocked.Read(ref _peakInFlight);

    /// <summary>
    /// The slot-time the answers in flight have taken since the start, in seconds: the sum over every chat completion of
    /// the time from its start being answered to its end (those still running counted up to now). Its growth over an
    /// interval, divided by the interval and the upstream's slots, is the share of the slots' time in use.
    /// </summary>
    public double BusySeconds
    {
        get
        {
            lock (_busyGate)
            {
                AccrueLocked();
                return (double)_busyTicks / System.Diagnostics.Stopwatch.Frequency;
            }
        }
    }

    /// <summary>A chat completion starts being answered; <see cref="Leave"/> when it ends, whatever the outcome.</summary>
    internal void Enter()
    {
        long now;
        lock (_busyGate)
        {
            AccrueLocked();
            now = Interlocked.Increment(ref _inFlight);
        }

        var peak = Interlocked.Read(ref _peakInFlight);
        while (now > peak)
        {
            var seen = Interlocked.CompareExchange(ref _peakInFlight, now, peak);
            if (seen == peak)
            {
                return;
            }

            peak = seen;
        }
    }

    internal void Leave()
    {
        lock (_busyGate)
        {
            AccrueLocked();
            Interlocked.Decrement(ref _inFlight);
        }
    }

    // Adds the slot-time since the last change at the count then in flight (changed under the same lock, after this).
    private void AccrueLocked()
    {
        var now = System.Diagnostics.Stopwatch.GetTimestamp();
        _busyTicks += Interlocked.Read(ref _inFlight) * (now - _busyAt);
        _busyAt = now;
    }

    /// <summary>Counts one served request.</summary>
    public void Record(string model, int promptTokens, int completionTokens, string? user = null) =>
        Count(1, model, promptTokens, completionTokens, user);

    /// <summary>Takes back a request counted by <see cref="Record"/> with the same figures that was not delivered after all.</summary>
    public void Retract(string model, int promptTokens, int completionTokens, string? user = null) =>
        Count(-1, model, promptTokens, completionTokens, user);

    private void Count(int sign, string model, int promptTokens, int completionTokens, string? user)
    {
        ArgumentNullException.ThrowIfNull(model);
        Total.Add(sign, promptTokens, completionTokens);
        _byModel.GetOrAdd(model, static _ => new MockUsageCounters()).Add(sign, promptTokens, completionTokens);
        if (user is not null)
        {
            _byUser.GetOrAdd(user, static _ => new MockUsageCounters()).Add(sign, promptTokens, completionTokens);
        }
    }

    /// <summary>Sets every counter back to zero and forgets the models and users.</summary>
    public void Reset()
    {
        _byModel.Clear();
        _byUser.Clear();
        Total.Reset();
        Interlocked.Exchange(ref _peakInFlight, InFlight);
    }
}
