using System.Buffers;

namespace Gateway.Grains.Providers.Translation;

/// <summary>
/// Cuts a server-sent-events body into the <c>data</c> of its events while its bytes arrive, for a translator that is fed
/// bytes rather than read from a stream (where <c>System.Net.ServerSentEvents.SseParser</c> does the same). Follows the
/// WHATWG framing: a line ends with CRLF, LF or CR (Gemini frames with CRLF; a CR at the end of one piece and the LF at
/// the start of the next are one line end), an empty line ends an event, several <c>data</c> lines are joined with LF,
/// one space after the colon is dropped, comments and other fields (<c>event</c>, <c>id</c>, <c>retry</c>) are skipped.
/// Bytes are kept until their line is whole, so a piece may end anywhere, mid-line or mid-character. An event larger
/// than the limit is refused rather than buffered without end.
/// </summary>
internal sealed class SseEventFramer(int maxEventBytes)
{
    private readonly ArrayBufferWriter<byte> _line = new(256);
    private readonly ArrayBufferWriter<byte> _data = new(256);
    private bool _hasData;
    private bool _afterCr;

    /// <summary>Reads a piece of the body, adding the data of each event it completes; false when an event exceeds the limit.</summary>
    public bool Feed(ReadOnlySpan<byte> bytes, List<byte[]> events)
    {
        while (!bytes.IsEmpty)
        {
            if (_afterCr)
            {
                _afterCr = false;
                if (bytes[0] == (byte)'\n')
                {
                    bytes = bytes[1..];
                    continue;
                }
            }

            var end = bytes.IndexOfAny((byte)'\r', (byte)'\n');
            var piece = end < 0 ? bytes : bytes[..end];
            if (_line.WrittenCount + _data.WrittenCount + piece.Length > maxEventBytes)
            {
                return false;
            }

            _line.Write(piece);
            if (end < 0)
            {
                return true;
            }

            _afterCr = bytes[end] == (byte)'\r';
            bytes = bytes[(end + 1)..];
            ReadLine(events);
        }

        return true;
    }

    /// <summary>The body ended: a last line without its line end is read, and a last event without its empty line is dispatched.</summary>
    public void Complete(List<byte[]> events)
    {
        if (_line.WrittenCount > 0)
        {
            ReadLine(events);
        }

        Dispatch(events);
    }

    private void ReadLine(List<byte[]> events)
    {
        var line = _line.WrittenSpan;
        if (line.IsEmpty)
        {
            Dispatch(events);
        }
        else if (line[0] != (byte)':')
        {
            var colon = line.IndexOf((byte)':');
            var field = colon < 0 ? line : line[..colon];
            if (field.SequenceEqual("data"u8))
            {
                var value = colon < 0 ? [] : line[(colon + 1)..];
                if (!value.IsEmpty && value[0] == (byte)' ')
                {
                    value = value[1..];
                }

                if (_hasData)
                {
                    _data.Write("\n"u8);
                }

                _data.Write(value);
                _hasData = true;
            }
        }

        _line.ResetWrittenCount();
    }

    private void Dispatch(List<byte[]> events)
    {
        if (_hasData)
        {
            events.Add(_data.WrittenSpan.ToArray());
        }

        _data.ResetWrittenCount();
        _hasData = false;
    }
}
