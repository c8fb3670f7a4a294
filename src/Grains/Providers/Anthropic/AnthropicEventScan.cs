using System.Text.Json;

namespace Gateway.Grains.Providers.Anthropic;

/// <summary>
/// One pass of a <see cref="Utf8JsonReader"/> over an Anthropic stream event, without building a document: where its
/// <c>type</c> is and, for <c>content_block_delta</c> (nearly every event of a stream), the block <c>index</c>, the delta's
/// type and its string value as it is in the JSON, quotes and escapes included, so that it can be relayed as is.
/// </summary>
internal struct AnthropicEventScan
{
    public Range Type;
    public int Index;
    public Range DeltaType;
    public Range DeltaValue;

    /// <summary>False when the event is not a JSON object with a string <c>type</c>.</summary>
    public static bool TryScan(ReadOnlySpan<byte> json, out AnthropicEventScan scan)
    {
        scan = new AnthropicEventScan { Index = -1 };
        try
        {
            var reader = new Utf8JsonReader(json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            var hasType = false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("type"u8))
                {
                    reader.Read();
                    hasType = reader.TokenType == JsonTokenType.String;
                    scan.Type = hasType ? ValueRange(ref reader) : default;
                }
                else if (reader.ValueTextEquals("index"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out scan.Index))
                    {
                        scan.Index = -1;
                    }
                }
                else if (reader.ValueTextEquals("delta"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.StartObject)
                    {
                        ScanDelta(ref reader, ref scan);
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            return reader.TokenType == JsonTokenType.EndObject && hasType;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static void ScanDelta(ref Utf8JsonReader reader, ref AnthropicEventScan scan)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isType = reader.ValueTextEquals("type"u8);
            var isValue = !isType && (reader.ValueTextEquals("text"u8) || reader.ValueTextEquals("partial_json"u8)
                || reader.ValueTextEquals("thinking"u8) || reader.ValueTextEquals("signature"u8));
            reader.Read();
            if (reader.TokenType == JsonTokenType.String && isType)
            {
                scan.DeltaType = ValueRange(ref reader);
            }
            else if (reader.TokenType == JsonTokenType.String && isValue)
            {
                // The token with its quotes: ValueSpan is the escaped text between them.
                var start = (int)reader.TokenStartIndex;
                scan.DeltaValue = start..(start + reader.ValueSpan.Length + 2);
            }
            else
            {
                reader.Skip();
            }
        }
    }

    private static Range ValueRange(ref Utf8JsonReader reader)
    {
        var start = (int)reader.TokenStartIndex + 1;
        return start..(start + reader.ValueSpan.Length);
    }
}
