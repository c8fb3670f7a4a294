using System.Text.Json;

namespace Gateway.ApiFrontend.Messages;

/// <summary>What writing a turn's content blocks as OpenAI chat messages needs for every role: block types, text, images.</summary>
internal static class MessageBlocks
{
    internal static void WriteText(Utf8JsonWriter writer, string role, JsonElement text)
    {
        writer.WriteStartObject();
        writer.WriteString("role", role);
        writer.WritePropertyName("content");
        text.WriteTo(writer);
        writer.WriteEndObject();
    }

    internal static void WriteImagePart(Utf8JsonWriter writer, string url)
    {
        writer.WriteStartObject();
        writer.WriteString("type", "image_url");
        writer.WriteStartObject("image_url");
        writer.WriteString("url", url);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    /// <summary>The text blocks of a list, joined by blank lines.</summary>
    internal static string JoinText(JsonElement blocks)
    {
        string? single = null;
        System.Text.StringBuilder? joined = null;
        foreach (var block in blocks.EnumerateArray())
        {
            if (!TryType(block, out var type) || type != "text")
            {
                continue;
            }

            var text = block.GetProperty("text").GetString()!;
            if (single is null)
            {
                single = text;
            }
            else
            {
                (joined ??= new System.Text.StringBuilder(single)).Append("\n\n").Append(text);
            }
        }

        return joined?.ToString() ?? single ?? "";
    }

    /// <summary>An image block's source as an OpenAI image URL: a data URI for base64 data, the URL itself for a url source.</summary>
    internal static string? ImageUrl(JsonElement block)
    {
        if (!block.TryGetProperty("source", out var source) || source.ValueKind != JsonValueKind.Object
            || !source.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
        {
            return null;
        }

        if (type.ValueEquals("base64") && source.TryGetProperty("media_type", out var media) && media.ValueKind == JsonValueKind.String
            && source.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.String)
        {
            return $"data:{media.GetString()};base64,{data.GetString()}";
        }

        return type.ValueEquals("url") && source.TryGetProperty("url", out var url) && url.ValueKind == JsonValueKind.String ? url.GetString() : null;
    }

    /// <summary>The media types Anthropic takes in a base64 image source.</summary>
    private static readonly string[] ImageMediaTypes = ["image/jpeg", "image/png", "image/gif", "image/webp"];

    /// <summary>
    /// Why an image block at <paramref name="at"/> cannot be sent, as Anthropic would refuse it (null when it can): a
    /// source that is neither base64 nor a url, a media type Anthropic does not take (it also becomes part of a data URI,
    /// which a <c>;</c> or <c>,</c> in it would change), or data that is not base64.
    /// </summary>
    internal static AnthropicError? CheckImage(JsonElement block, string at)
    {
        if (ImageUrl(block) is null)
        {
            return MessagesRequestTranslator.Invalid($"{at}.source: an image needs a base64 source (media_type, data) or a url source");
        }

        var source = block.GetProperty("source");
        if (!source.GetProperty("type").ValueEquals("base64"))
        {
            return null;
        }

        if (!Array.Exists(ImageMediaTypes, source.GetProperty("media_type").ValueEquals))
        {
            return MessagesRequestTranslator.Invalid($"{at}.source.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'");
        }

        return System.Buffers.Text.Base64.IsValid(source.GetProperty("data").GetString()) ? null
            : MessagesRequestTranslator.Invalid($"{at}.source.data: Input should be base64-encoded image data");
    }

    internal static bool TryType(JsonElement block, out string? type)
    {
        type = block.ValueKind == JsonValueKind.Object && block.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
        return type is not null;
    }

    internal static string Unsupported(string at, string? type) =>
        $"{at}.type: the block type '{type}' can only be sent to a model served by Anthropic";
}
