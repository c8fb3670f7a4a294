using System.Net.Sockets;
using System.Text;

namespace Gateway.Tests.Mock;

/// <summary>
/// One HTTP/1.1 request over a bare socket, so a test sees exactly what the mock put on the wire: every read, an
/// orderly end (a read of 0 bytes) or a reset (<see cref="SocketError.ConnectionReset"/>). Disposing hangs up.
/// </summary>
public sealed class RawHttp : IDisposable
{
    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(10);

    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly StringBuilder _received = new();
    private readonly byte[] _buffer = new byte[256 * 1024];

    private RawHttp()
    {
    }

    /// <summary>Everything received so far, as text.</summary>
    public string Received => _received.ToString();

    /// <summary>Posts <paramref name="jsonBody"/>; <paramref name="headers"/> are extra header lines, each ending in CRLF.</summary>
    public static async Task<RawHttp> PostAsync(Uri server, string path, string jsonBody, string headers = "")
    {
        var connection = new RawHttp();
        await connection._socket.ConnectAsync(server.Host, server.Port);
        var body = Encoding.UTF8.GetBytes(jsonBody);
        var head = Encoding.ASCII.GetBytes(
            $"POST {path} HTTP/1.1\r\nHost: {server.Authority}\r\nContent-Type: application/json\r\n{headers}Content-Length: {body.Length}\r\n\r\n");
        await connection._socket.SendAsync(head.Concat(body).ToArray());
        return connection;
    }

    /// <summary>Whether any byte (or the end of the connection) arrives within <paramref name="wait"/>.</summary>
    public bool AnythingArrivesWithin(TimeSpan wait) => _socket.Poll(wait, SelectMode.SelectRead);

    /// <summary>One receive call; returns what it got ("" for an orderly end). Throws on a reset.</summary>
    public async Task<string> ReadOnceAsync()
    {
        using var timeout = new CancellationTokenSource(ReadTimeout);
        var read = await _socket.ReceiveAsync(_buffer, SocketFlags.None, timeout.Token);
        var text = Encoding.UTF8.GetString(_buffer, 0, read);
        _received.Append(text);
        return text;
    }

    /// <summary>Reads until what arrived satisfies <paramref name="enough"/>; fails on an end before that.</summary>
    public async Task<string> ReadUntilAsync(Func<string, bool> enough)
    {
        while (!enough(Received))
        {
            var text = await ReadOnceAsync();
            Assert.True(text.Length > 0, $"The connection ended before the expected data arrived: {Received}");
        }

        return Received;
    }

    /// <summary>Reads until the connection ends; returns the error it ended with, or null for an orderly end.</summary>
    public async Task<SocketError?> ReadToEndAsync()
    {
        try
        {
            while ((await ReadOnceAsync()).Length > 0)
            {
            }

            return null;
        }
        catch (SocketException exception)
        {
            return exception.SocketErrorCode;
        }
    }

    /// <summary>Occurrences of <paramref name="text"/> in what arrived.</summary>
    public static int Count(string received, string text)
    {
        var count = 0;
        for (var at = received.IndexOf(text, StringComparison.Ordinal); at >= 0; at = received.IndexOf(text, at + text.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    public void Dispose() => _socket.Dispose();
}
