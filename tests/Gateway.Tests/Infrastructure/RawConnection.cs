using System.Net.Sockets;
using System.Text;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// A chat request over a bare socket, so that hanging up is exactly a closed connection, with no client
/// library draining the rest of the response first. Disposing it hangs up.
/// </summary>
public sealed class RawConnection : IDisposable
{
    private readonly TcpClient _socket = new();
    private readonly StringBuilder _received = new();

    private RawConnection()
    {
    }

    /// <summary>Posts <paramref name="jsonBody"/> to <paramref name="path"/> with the key and any <paramref name="headers"/> (each line ending in CRLF).</summary>
    public static async Task<RawConnection> OpenAsync(Uri gateway, string key, string jsonBody, string path = "/v1/chat/completions", string headers = "")
    {
        var connection = new RawConnection();
        await connection._socket.ConnectAsync(gateway.Host, gateway.Port);
        var head = $"POST {path} HTTP/1.1\r\nHost: {gateway.Authority}\r\nAuthorization: Bearer {key}\r\n{headers}" +
            $"Content-Type: application/json\r\nContent-Length: {Encoding.UTF8.GetByteCount(jsonBody)}\r\n\r\n";
        await connection._socket.GetStream().WriteAsync(Encoding.UTF8.GetBytes(head + jsonBody));
        return connection;
    }

    /// <summary>Reads until what has arrived so far satisfies <paramref name="enough"/>; returns it.</summary>
    public async Task<string> ReadUntilAsync(Func<string, bool> enough)
    {
        var buffer = new byte[16 * 1024];
        while (!enough(_received.ToString()))
        {
            var read = await _socket.GetStream().ReadAsync(buffer);
            Assert.True(read > 0, $"The connection closed before the expected data arrived: {_received}");
            _received.Append(Encoding.UTF8.GetString(buffer, 0, read));
        }

        return _received.ToString();
    }

    public void Dispose() => _socket.Dispose();
}
