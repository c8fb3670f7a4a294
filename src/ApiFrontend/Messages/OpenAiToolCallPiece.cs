using System.Buffers;
using System.Text.Json;

namespace Gateway.ApiFrontend.Messages;

/// <summary>
/// One piece of a streamed OpenAI tool call (an entry of <c>delta.tool_calls</c>): its <c>index</c> (-1 when absent),
/// <c>id</c> and <c>function.name</c> (null when absent, as they are after a call's first piece) and the piece of its
/// arguments' text, unescaped. Reused for every piece of a stream.
/// </summary>
internal sealed class OpenAiToolCallPiece
{
    private readonly UnescapedUtf8 _unescaped = new();
    private readonly ArrayBufferWriter<byte> _arguments = new(64);

    public long Index { get; private set; } = -1;

    public string? Id { get; private set; }

    public string? Name { get; private set; }

    /// <summary>The piece's argument text (empty when it has none).</summary>
    public ReadOnlySpan<byte> Arguments => _arguments.WrittenSpan;

    /// <summary>Reads the tool call object the reader is on, replacing the previous piece.</summary>
    public void Read(ref Utf8JsonReader reader)
    {
        Index = -1;
        Id = null;
        Name = null;
        _arguments.ResetWrittenCount();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("index"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var i))
                {
                    Index = i;
                }
            }
            else if (reader.ValueTextEquals("id"u8))
            {
                reader.Read();
                Id = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
            }
            else if (reader.ValueTextEquals("function"u8))
            {
                reader.Read();
                ReadFunction(ref reader);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
    }

    private void ReadFunction(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("name"u8))
            {
                reader.Read();
                Name = reader.TokenType == JsonTokenType.String ? reader.GetString() : Name;
            }
            else if (reader.ValueTextEquals("arguments"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.String)
                {
                    _arguments.Write(_unescaped.Of(ref reader));
                }
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
    }
}
