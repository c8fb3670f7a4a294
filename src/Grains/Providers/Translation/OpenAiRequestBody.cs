using System.Diagnostics.CodeAnalysis;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Gateway.Grains.Providers.Translation;

/// <summary>
/// The OpenAI chat body as every request translation reads and writes it: parsed as one JSON object (nested no deeper
/// than the gateway's own limit), and the provider's body written without escaping what JSON allows as it is (a prompt's
/// non-ASCII text stays as the client sent it).
/// </summary>
internal static class OpenAiRequestBody
{
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 64 };

    /// <summary>The options of the writer of a provider's body.</summary>
    public static JsonWriterOptions WriterOptions { get; } = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The body as a JSON document whose root is an object (the caller disposes it), or why it is not one.</summary>
    public static bool TryParse(ReadOnlyMemory<byte> body, [NotNullWhen(true)] out JsonDocument? document, [NotNullWhen(false)] out TranslationRefusal? refusal)
    {
        try
        {
            document = JsonDocument.Parse(body, DocumentOptions);
        }
        catch (JsonException)
        {
            document = null;
            refusal = NotAnObject();
            return false;
        }

        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            document.Dispose();
            document = null;
            refusal = NotAnObject();
            return false;
        }

        refusal = null;
        return true;
    }

    private static TranslationRefusal NotAnObject() => new("The request body must be a JSON object.", null, "invalid_value");
}
