namespace Gateway.Grains.Upstream;

/// <summary>
/// Usage a translated stream knows from its provider's own events, which the OpenAI chunks it produces cannot carry whole
/// (cache reads and writes): the <see cref="StreamMeter"/> charges it instead of what it reads from the chunks.
/// </summary>
internal interface IStreamUsageSource
{
    /// <summary>The final usage, once the stream completed and its provider reported one; else null.</summary>
    CompletionUsage.Figures? Final { get; }

    /// <summary>The usage the provider reported as the stream began (its input exact), for a stream that ends early; else null.</summary>
    CompletionUsage.Figures? Started { get; }

    /// <summary>What the stream generated so far, when its events are not OpenAI chunks the meter can read; else null.</summary>
    string? GeneratedText { get; }
}
