using System.Net.Sockets;
using System.Text;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// One HTTP/1.1 exchange of arbitrary bytes over a bare socket (<c>Connection: close</c>), so that a test can send what no
/// client library would (bad chunk sizes, invalid UTF-8 in a path, repeated or oversized headers) and read the answer.
/// A server that does not answer within the timeout fails the test: never a hang.
/// </summary>
public static class RawExchange
{
    public sealed record Answer(int Status, string? ContentType, string Body, string Head);

    public static async Task<Answer> SendAsync(Uri server, byte[] request, TimeSpan? timeout = null)
    {
        using var socket = new TcpClient();
        await socket.ConnectAsync(server.Host, server.Port);
        var stream = socket.GetStream();
        using var deadline = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        try
        {
            await stream.WriteAsync(request, deadline.Token);
        }
        catch (IOException)
        {
            // The server may answer and close before it has read everything (a body it refuses): read what it said.
        }

        var received = new MemoryStream();
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var read = await stream.ReadAsync(buffer, deadline.Token);
                if (read == 0)
                {
                    break;
                }

                received.Write(buffer, 0, read);
            }
        }
        catch (IOException) when (received.Length > 0)
        {
            // A reset after the answer arrived.
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"No complete answer within the timeout; received so far: {Encoding.UTF8.GetString(received.ToArray())}");
        }

        var text = Encoding.UTF8.GetString(received.ToArray());
        var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        Assert.True(end > 0, $"Not an HTTP answer: '{text}'");
        var head = text[..end];
        var status = int.Parse(head.Split(' ', 3)[1], System.Globalization.CultureInfo.InvariantCulture);
        string? contentType = null;
        foreach (var line in head.Split("\r\n").Skip(1))
        {
            if (line.StartsWith("Content-Type:", StringComparison.OrdinalIgnoreCase))
            {
                contentType = line["Content-Type:".Length..].Trim();
            }
        }

        return new Answer(status, contentType, text[(end + 4)..], head);
    }

    /// <summary>A request: <paramref name="headers"/> are whole lines without CRLF; Content-Length is added for a body unless a header sets the framing.</summary>
    public static byte[] Build(Uri server, string method, string target, IEnumerable<string> headers, byte[]? body = null)
    {
        var head = new StringBuilder($"{method} {target} HTTP/1.1\r\nHost: {server.Authority}\r\nConnection: close\r\n");
        var lines = headers.ToList();
        foreach (var line in lines)
        {
            head.Append(line).Append("\r\n");
        }

        if (body is not null && !lines.Any(l => l.StartsWith("Transfer-Encoding", StringComparison.OrdinalIgnoreCase) || l.StartsWith("Content-Length", StringComparison.OrdinalIgnoreCase)))
        {
            head.Append("Content-Length: ").Append(body.Length).Append("\r\n");
        }

        head.Append("\r\n");
        return [.. Encoding.Latin1.GetBytes(head.ToString()), .. body ?? []];
    }
}
