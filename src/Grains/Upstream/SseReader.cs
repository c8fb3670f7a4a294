using System.Buffers;
using System.IO.Pipelines;

namespace Gateway.Grains.Upstream;

/// <summary>
/// Reads Server-Sent Events off a response stream and returns each event's data (data lines joined by a line
/// feed), without the <c>data:</c> prefix. Comments, ids and event names are skipped.
/// </summary>
internal sealed class SseReader(Stream stream) : IAsyncDisposable
{
    private readonly PipeReader _reader = PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: false));
    private readonly ArrayBufferWriter<byte> _data = new();
    private bool _hasData;

    /// <summary>The next event's data, or null at the end of the stream.</summary>
    public async ValueTask<byte[]?> ReadAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await _reader.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            try
            {
                while (TryReadLine(ref buffer, out var line))
                {
                    if (Accept(line) is { } data)
                    {
                        return data;
                    }
                }

                if (result.IsCompleted)
                {
                    // A last event without its blank line still counts.
                    return Dispatch();
                }
            }
            finally
            {
                _reader.AdvanceTo(buffer.Start, buffer.End);
            }
        }
    }

    private byte[]? Accept(ReadOnlySequence<byte> line)
    {
        if (line.IsEmpty)
        {
            return Dispatch();
        }

        var span = line.IsSingleSegment ? line.FirstSpan : line.ToArray();
        if (!span.StartsWith("data:"u8))
        {
            return null;
        }

        span = span[5..];
        if (!span.IsEmpty && span[0] == (byte)' ')
        {
            span = span[1..];
        }

        if (_hasData)
        {
            _data.Write("\n"u8);
        }

        _data.Write(span);
        _hasData = true;
        return null;
    }

    private byte[]? Dispatch()
    {
        if (!_hasData)
        {
            return null;
        }

        var data = _data.WrittenSpan.ToArray();
        _data.ResetWrittenCount();
        _hasData = false;
        return data;
    }

    private static bool TryReadLine(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> line)
    {
        var position = buffer.PositionOf((byte)'\n');
        if (position is null)
        {
            line = default;
            return false;
        }

        line = buffer.Slice(0, position.Value);
        buffer = buffer.Slice(buffer.GetPosition(1, position.Value));
        if (!line.IsEmpty && line.Slice(line.Length - 1).FirstSpan[0] == (byte)'\r')
        {
            line = line.Slice(0, line.Length - 1);
        }

        return true;
    }

    public ValueTask DisposeAsync() => _reader.CompleteAsync();
}
