using System.Text.Json;
using Gateway.Catalog.Tokenization;

namespace Gateway.ApiFrontend.Messages;

/// <summary>
/// What a Messages request holds that only an Anthropic provider can take: server tools, and content blocks the OpenAI
/// format has no equivalent for (documents, search results, server tool calls and their results, ...). They are left out
/// of the translation, which must then never be sent: <see cref="Reason"/> is why a provider of another kind cannot serve
/// the request. Their JSON text is counted as prompt tokens (<see cref="Tokens"/>), so the reservation covers them; so is
/// that of the thinking blocks the translation drops (<see cref="Count"/>), which do not stop another provider serving it.
/// </summary>
internal sealed class NativeOnlyParts
{
    /// <summary>Why the request cannot go to a provider of another kind (the first such part's); null when it can.</summary>
    public string? Reason { get; private set; }

    /// <summary>The tokens of the parts' JSON text: more than the provider counts, never less.</summary>
    public long Tokens { get; private set; }

    public void Add(string reason, JsonElement part)
    {
        Reason ??= reason;
        Count(part);
    }

    /// <summary>
    /// Counts a part the translation drops although any provider may serve the request (a replayed <c>thinking</c> or
    /// <c>redacted_thinking</c> block): an Anthropic provider gets it, so the reservation and a count cover it.
    /// </summary>
    public void Count(JsonElement part) => Tokens += ChatTokenCounter.CountText(part.GetRawText());
}
