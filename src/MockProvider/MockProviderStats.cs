using System.Collections.Concurrent;

namespace Gateway.MockProvider;

/// <summary>
/// What the mock served, so tests and benchmarks can compare it with what the gateway charged. Only successful
/// chat completions count (failures injected by directives or faults do not). Thread-safe; a
/// <see cref="Reset"/> racing with requests in flight may leave those requests half counted.
/// </summary>
public sealed class MockProviderStats
{
    private readonly ConcurrentDictionary<string, MockUsageCounters> _byModel = new(StringComparer.Ordinal);

    /// <summary>Counters over all models.</summary>
    public MockUsageCounters Total { get; } = new();

    /// <summary>Counters per requested model name.</summary>
    public IReadOnlyDictionary<string, MockUsageCounters> ByModel => _byModel;

    /// <summary>Requests served over all models.</summary>
    public long Requests => Total.Requests;

    /// <summary>Prompt tokens over all models.</summary>
    public long PromptTokens => Total.PromptTokens;

    /// <summary>Completion tokens sent over all models.</summary>
    public long CompletionTokens => Total.CompletionTokens;

    /// <summary>Counts one served request.</summary>
    public void Record(string model, int promptTokens, int completionTokens)
    {
        ArgumentNullException.ThrowIfNull(model);
        Total.Add(promptTokens, completionTokens);
        _byModel.GetOrAdd(model, static _ => new MockUsageCounters()).Add(promptTokens, completionTokens);
    }

    /// <summary>Sets every counter back to zero and forgets the models.</summary>
    public void Reset()
    {
        _byModel.Clear();
        Total.Reset();
    }
}
