using System.Net;
using System.Net.Sockets;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// Loopback ports nothing listens on, so parallel test hosts never collide. Taken from 10000-19999: below the kernel's
/// ephemeral range (32768 and up), which the suite's own outgoing connections draw from at the same moment (a port the
/// kernel handed out and took back could be some connection's local port by the time a silo binds it), and below the
/// ports <c>scripts/deps.sh</c> picks for PostgreSQL and Redis (20000 up). Handed out in turn, each checked free.
/// </summary>
public static class FreePorts
{
    private const int Low = 10_000;
    private const int Count = 10_000;
    private static int _next = Random.Shared.Next(Count);

    public static int Next()
    {
        for (var tries = 0; tries < Count; tries++)
        {
            var port = Low + (int)((uint)Interlocked.Increment(ref _next) % Count);
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (SocketException)
            {
                // In use: the next one.
            }
        }

        throw new InvalidOperationException($"No free loopback port between {Low} and {Low + Count - 1}.");
    }
}
