using System.Text;
using System.Text.Json;
using Gateway.Catalog.Tokenization;

namespace Gateway.Grains.Upstream;

/// <summary>
/// Follows a stream's chunks: takes the provider's usage chunk when it comes, and otherwise keeps the generated
/// text so that a stream cut short (client gone, upstream cut) is charged for what was streamed. A translated stream's
/// <see cref="IStreamUsageSource"/> knows more than its chunks: its final usage is charged, and a stream cut short is
/// charged the input its provider reported at the start and the output streamed (the source's own text: a stream relayed
/// in the provider's format has no OpenAI chunks, a translated one wrote its chunks and need not have them read back).
/// </summary>
internal sealed class StreamMeter(int promptEstimate, IStreamUsageSource? source = null)
{
    private readonly StringBuilder _generated = new();
    private CompletionUsage.Figures? _reported;

    /// <summary>True once anything has been streamed to the client.</summary>
    public bool Streamed { get; private set; }

    /// <summary>
    /// Reads one chunk; false when it is not a JSON object (a bad response). <paramref name="usageOnly"/>: it is the
    /// usage-only chunk (no choices), which the client may not have asked for. A translated stream's chunks are the
    /// gateway's own and the stream keeps their usage and text: they are not read again.
    /// </summary>
    public bool TryObserve(byte[] data, out bool usageOnly)
    {
        if (source is TranslatedEventStream translated)
        {
            usageOnly = translated.IsUsageChunk(data);
            return true;
        }

        usageOnly = false;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(data);
        }
        catch (JsonException)
        {
            return false;
        }

        using var owned = document;
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            return false;
        }

        if (CompletionUsage.TryReadUsage(root, out var reported))
        {
            _reported = reported;
        }

        if (!root.TryGetProperty("choices", out var choices) || choices.ValueKind != JsonValueKind.Array)
        {
            return true;
        }

        var any = false;
        foreach (var choice in choices.EnumerateArray())
        {
            any = true;
            if (choice.ValueKind == JsonValueKind.Object && choice.TryGetProperty("delta", out var delta))
            {
                CompletionUsage.AppendGeneratedText(delta, _generated);
            }
        }

        usageOnly = !any && _reported is not null;
        return true;
    }

    public void MarkStreamed() => Streamed = true;

    /// <summary>What to charge: the provider's figures when it sent them, else the prompt estimate and the text streamed.</summary>
    public CompletionUsage.Figures Usage => source?.Final is { } final ? final
        : _reported is { } reported ? reported
        : source?.Started is { } started ? CountedAfter(started)
        : new CompletionUsage.Figures(promptEstimate, ChatTokenCounter.CountText(Generated), Counted: true);

    private string Generated => source?.GeneratedText ?? _generated.ToString();

    /// <summary>The input a translated stream reported at its start, and the output streamed (its reasoning no more than that).</summary>
    private CompletionUsage.Figures CountedAfter(CompletionUsage.Figures started)
    {
        var output = ChatTokenCounter.CountText(Generated);
        return started with { Output = output, Reasoning = Math.Min(started.Reasoning, output), Counted = true };
    }

    public bool HasReportedUsage => _reported is not null || source?.Final is not null;
}
