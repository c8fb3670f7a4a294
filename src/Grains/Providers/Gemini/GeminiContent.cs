using System.Text;
using System.Text.Json;
using Gateway.Grains.Providers.Translation;

namespace Gateway.Grains.Providers.Gemini;

/// <summary>
/// Writes the parts of a translated request from the OpenAI JSON they point at: text, media, <c>functionCall</c>
/// (arguments parsed into the object Gemini wants, with the call's thought signature when the client sent it back, see
/// <see cref="GoogleThoughtSignature"/>) and <c>functionResponse</c>. Gemini wants a function's response as an object:
/// a tool result that is a JSON object is sent as it is, any other JSON value or plain text as <c>{"result": ...}</c>.
/// </summary>
internal static class GeminiContent
{
    public static void WriteContents(Utf8JsonWriter writer, List<GeminiTurn> turns)
    {
        writer.WriteStartArray("contents"u8);
        foreach (var turn in turns)
        {
            writer.WriteStartObject();
            writer.WriteString("role"u8, turn.Role);
            writer.WriteStartArray("parts"u8);
            foreach (var part in turn.Leading)
            {
                WritePart(writer, part);
            }

            foreach (var part in turn.Parts)
            {
                WritePart(writer, part);
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }

    /// <summary>Writes <c>systemInstruction</c> with the text of the system and developer messages, when there is any.</summary>
    public static void WriteSystem(Utf8JsonWriter writer, List<GeminiPart> system)
    {
        if (system.Count == 0)
        {
            return;
        }

        writer.WriteStartObject("systemInstruction"u8);
        writer.WriteStartArray("parts"u8);
        foreach (var part in system)
        {
            WritePart(writer, part);
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private static void WritePart(Utf8JsonWriter writer, GeminiPart part)
    {
        switch (part.Kind)
        {
            case GeminiPartKind.Text:
                writer.WriteStartObject();
                writer.WritePropertyName("text"u8);
                part.Source.WriteTo(writer);
                writer.WriteEndObject();
                break;
            case GeminiPartKind.FunctionCall:
                WriteFunctionCall(writer, part.Source);
                break;
            case GeminiPartKind.FunctionResponse:
                WriteFunctionResponse(writer, part.Source, part.Detail!);
                break;
            default:
                GeminiMedia.Write(writer, part);
                break;
        }
    }

    private static void WriteFunctionCall(Utf8JsonWriter writer, JsonElement call)
    {
        var function = call.GetProperty("function");
        writer.WriteStartObject();
        writer.WriteStartObject("functionCall"u8);
        writer.WritePropertyName("name"u8);
        function.GetProperty("name").WriteTo(writer);
        writer.WritePropertyName("args"u8);
        OpenAiToolArguments.Write(writer, function.TryGetProperty("arguments", out var arguments) ? arguments : default);
        writer.WriteEndObject();
        if (GoogleThoughtSignature.Read(call) is { ValueKind: JsonValueKind.String } signature)
        {
            writer.WritePropertyName("thoughtSignature"u8);
            signature.WriteTo(writer);
        }

        writer.WriteEndObject();
    }

    private static void WriteFunctionResponse(Utf8JsonWriter writer, JsonElement message, string name)
    {
        writer.WriteStartObject();
        writer.WriteStartObject("functionResponse"u8);
        writer.WriteString("name"u8, name);
        writer.WritePropertyName("response"u8);
        var text = TextOf(message.TryGetProperty("content", out var content) ? content : default);
        JsonDocument? parsed = null;
        try
        {
            parsed = string.IsNullOrWhiteSpace(text) ? null : JsonDocument.Parse(text);
        }
        catch (JsonException)
        {
        }

        using (parsed)
        {
            if (parsed?.RootElement.ValueKind == JsonValueKind.Object)
            {
                parsed.RootElement.WriteTo(writer);
            }
            else
            {
                writer.WriteStartObject();
                writer.WritePropertyName("result"u8);
                if (parsed is not null)
                {
                    parsed.RootElement.WriteTo(writer);
                }
                else
                {
                    writer.WriteStringValue(text);
                }

                writer.WriteEndObject();
            }
        }

        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    // A tool message's content: a string, or the text of its parts one after another.
    private static string TextOf(JsonElement content)
    {
        if (content.ValueKind == JsonValueKind.String)
        {
            return content.GetString()!;
        }

        var text = new StringBuilder();
        if (content.ValueKind == JsonValueKind.Array)
        {
            foreach (var part in content.EnumerateArray())
            {
                if (part.ValueKind == JsonValueKind.Object && part.TryGetProperty("text", out var piece) && piece.ValueKind == JsonValueKind.String)
                {
                    text.Append(piece.GetString());
                }
            }
        }

        return text.ToString();
    }
}
