using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Gateway.Grains.Providers.Translation;

namespace Gateway.Grains.Providers.Gemini;

/// <summary>
/// OpenAI media parts as Gemini data: a base64 <c>data:</c> URI becomes <c>inlineData</c> with its media type (Gemini
/// takes images, PDFs, audio and video this way and checks the type itself); an http(s) URL becomes <c>fileData</c>
/// with the URL as <c>fileUri</c> and the media type its extension tells, when it tells one; <c>input_audio</c> becomes
/// <c>inlineData</c> of <c>audio/wav</c> or <c>audio/mp3</c>. The base64 data is copied from the request's bytes
/// without decoding the string, as media can be megabytes.
/// </summary>
internal static class GeminiMedia
{
    private static readonly (string Extension, string MediaType)[] Extensions =
    [
        (".png", "image/png"), (".jpg", "image/jpeg"), (".jpeg", "image/jpeg"), (".webp", "image/webp"), (".gif", "image/gif"),
        (".heic", "image/heic"), (".heif", "image/heif"), (".pdf", "application/pdf"),
        (".mp3", "audio/mp3"), (".wav", "audio/wav"), (".mp4", "video/mp4"),
    ];

    /// <summary>Reads a data URI or an http(s) URL (a JSON string) as a part, or refuses it.</summary>
    public static TranslationRefusal? Read(JsonElement url, string param, List<GeminiPart> target)
    {
        if (url.ValueKind != JsonValueKind.String)
        {
            return new TranslationRefusal($"'{param}' is required and must be a string.", param, "invalid_value");
        }

        var text = Utf8Of(url);
        if (text.StartsWith("data:"u8))
        {
            var comma = text.IndexOf((byte)',');
            if (comma > 5 && text[..comma].EndsWith(";base64"u8) && comma - 7 > 5)
            {
                target.Add(new GeminiPart(GeminiPartKind.InlineData, url, Encoding.ASCII.GetString(text[5..(comma - 7)]).ToLowerInvariant()));
                return null;
            }
        }
        else if (url.GetString() is { } uri && Uri.TryCreate(uri, UriKind.Absolute, out var parsed) && (parsed.Scheme == Uri.UriSchemeHttps || parsed.Scheme == Uri.UriSchemeHttp))
        {
            target.Add(new GeminiPart(GeminiPartKind.FileData, url, MediaTypeOf(parsed.AbsolutePath)));
            return null;
        }

        return TranslationRefusal.UnsupportedValue($"'{param}' must be an http(s) URL or a base64 data URI ('data:<media type>;base64,...').", param);
    }

    /// <summary>Reads an <c>input_audio</c> part (<c>{"data","format"}</c>, base64 of wav or mp3).</summary>
    public static TranslationRefusal? ReadAudio(JsonElement part, string param, List<GeminiPart> target)
    {
        var audio = part.TryGetProperty("input_audio", out var a) && a.ValueKind == JsonValueKind.Object ? a : default;
        var format = audio.ValueKind == JsonValueKind.Object && audio.TryGetProperty("format", out var f) && f.ValueKind == JsonValueKind.String ? f.GetString() : null;
        if (audio.ValueKind != JsonValueKind.Object || !audio.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.String || format is not ("wav" or "mp3"))
        {
            return TranslationRefusal.UnsupportedValue($"'{param}.input_audio' must have base64 'data' and a 'format' of wav or mp3.", $"{param}.input_audio");
        }

        target.Add(new GeminiPart(GeminiPartKind.Audio, data, "audio/" + format));
        return null;
    }

    public static void Write(Utf8JsonWriter writer, GeminiPart part)
    {
        writer.WriteStartObject();
        if (part.Kind == GeminiPartKind.FileData)
        {
            writer.WriteStartObject("fileData"u8);
            if (part.Detail is { } mediaType)
            {
                writer.WriteString("mimeType"u8, mediaType);
            }

            writer.WritePropertyName("fileUri"u8);
            part.Source.WriteTo(writer);
        }
        else
        {
            writer.WriteStartObject("inlineData"u8);
            writer.WriteString("mimeType"u8, part.Detail);
            if (part.Kind == GeminiPartKind.Audio)
            {
                writer.WritePropertyName("data"u8);
                part.Source.WriteTo(writer);
            }
            else
            {
                var text = Utf8Of(part.Source);
                writer.WriteString("data"u8, text[(text.IndexOf((byte)',') + 1)..]);
            }
        }

        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private static string? MediaTypeOf(string path)
    {
        foreach (var (extension, mediaType) in Extensions)
        {
            if (path.EndsWith(extension, StringComparison.OrdinalIgnoreCase))
            {
                return mediaType;
            }
        }

        return null;
    }

    // The string's UTF-8 bytes: a view of the request when it has no escapes (the usual case), else a decoded copy.
    private static ReadOnlySpan<byte> Utf8Of(JsonElement value)
    {
        var raw = JsonMarshal.GetRawUtf8Value(value)[1..^1];
        return raw.IndexOf((byte)'\\') < 0 ? raw : Encoding.UTF8.GetBytes(value.GetString()!);
    }
}
