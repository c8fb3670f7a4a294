using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Gateway.Grains.Providers.Translation;

namespace Gateway.Grains.Providers.Anthropic;

/// <summary>
/// OpenAI <c>image_url</c> parts as Anthropic image blocks: a <c>data:</c> URI becomes a base64 source (of the four media
/// types Anthropic takes), any other URL a <c>url</c> source. The base64 data is copied from the request's bytes without
/// decoding the string, as images can be megabytes.
/// </summary>
internal static class AnthropicImages
{
    private static readonly string[] MediaTypes = ["image/jpeg", "image/png", "image/gif", "image/webp"];

    /// <summary>Checks an <c>image_url</c> part; <paramref name="mediaType"/> is set for a data URI and null for a URL.</summary>
    public static TranslationRefusal? Read(JsonElement part, string param, out string? mediaType)
    {
        mediaType = null;
        var url = UrlOf(part);
        if (url.ValueKind != JsonValueKind.String)
        {
            return new TranslationRefusal($"'{param}.image_url.url' is required and must be a string.", $"{param}.image_url", "invalid_value");
        }

        var text = Utf8Of(url);
        if (!text.StartsWith("data:"u8))
        {
            return null;
        }

        var comma = text.IndexOf((byte)',');
        if (comma > 0 && text[..comma].EndsWith(";base64"u8))
        {
            var declared = Encoding.ASCII.GetString(text[5..(comma - 7)]);
            foreach (var known in MediaTypes)
            {
                if (declared.Equals(known, StringComparison.OrdinalIgnoreCase))
                {
                    mediaType = known;
                    return null;
                }
            }
        }

        return TranslationRefusal.UnsupportedValue(
            $"'{param}' must be an http(s) URL or a base64 data URI of one of {string.Join(", ", MediaTypes)}.", $"{param}.image_url");
    }

    public static void Write(Utf8JsonWriter writer, AnthropicBlock block)
    {
        var url = UrlOf(block.Source);
        writer.WriteStartObject();
        writer.WriteString("type"u8, "image"u8);
        writer.WriteStartObject("source"u8);
        if (block.MediaType is { } mediaType)
        {
            var text = Utf8Of(url);
            writer.WriteString("type"u8, "base64"u8);
            writer.WriteString("media_type"u8, mediaType);
            writer.WriteString("data"u8, text[(text.IndexOf((byte)',') + 1)..]);
        }
        else
        {
            writer.WriteString("type"u8, "url"u8);
            writer.WritePropertyName("url"u8);
            url.WriteTo(writer);
        }

        writer.WriteEndObject();
        AnthropicContent.WriteCacheControl(writer, block.Source);
        writer.WriteEndObject();
    }

    // OpenAI's shape is {"image_url":{"url":...}}; some clients send {"image_url":"..."}.
    private static JsonElement UrlOf(JsonElement part) =>
        !part.TryGetProperty("image_url", out var image) ? default
        : image.ValueKind == JsonValueKind.Object ? (image.TryGetProperty("url", out var url) ? url : default)
        : image;

    // The string's UTF-8 bytes: a view of the request when it has no escapes (the usual case), else a decoded copy.
    private static ReadOnlySpan<byte> Utf8Of(JsonElement value)
    {
        var raw = JsonMarshal.GetRawUtf8Value(value)[1..^1];
        return raw.IndexOf((byte)'\\') < 0 ? raw : Encoding.UTF8.GetBytes(value.GetString()!);
    }
}
