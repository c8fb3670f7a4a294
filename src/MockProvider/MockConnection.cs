using System.Net.Sockets;
using Microsoft.AspNetCore.Connections.Features;

namespace Gateway.MockProvider;

/// <summary>Ends a connection the hard ways a real upstream does: a TCP reset, a stall, a body cut halfway.</summary>
internal static partial class MockConnection
{
    // Kestrel's socket transport answers an abort with an abortive close (an RST) unless this switch asks for a FIN.
    private const string FinOnErrorSwitch = "Microsoft.AspNetCore.Server.Kestrel.FinOnError";
    private static readonly bool _kestrelSendsFin = AppContext.TryGetSwitch(FinOnErrorSwitch, out var finOnError) && finOnError;

    // Long enough for a partial body to leave the socket before the reset discards what is still queued.
    private static readonly TimeSpan ResetGrace = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Resets the connection, so the peer's next read fails with ECONNRESET instead of seeing an orderly end.
    /// When the transport exposes no socket (not Kestrel's socket transport) the request is only aborted, and a
    /// warning says so, because a test expecting a reset may then see something milder.
    /// </summary>
    public static void Reset(HttpContext context, ILogger logger)
    {
        var socket = context.Features.Get<IConnectionSocketFeature>()?.Socket;
        if (socket is null)
        {
            NoSocketToReset(logger, context.Connection.Id);
        }
        else
        {
            try
            {
                // A zero linger makes the close abortive: an RST, and unsent bytes dropped. Kestrel's abort below
                // closes the socket that way by itself; the socket is closed here only when the FinOnError switch
                // would make Kestrel send a FIN ahead of the RST, because closing it under Kestrel makes Kestrel log
                // the connection as having ended abnormally.
                socket.LingerState = new LingerOption(true, 0);
                if (_kestrelSendsFin)
                {
                    socket.Close(0);
                }
            }
            catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
            {
                // Already gone: the peer hung up first, there is nothing left to reset.
            }
        }

        context.Abort();
    }

    /// <summary>
    /// Waits <paramref name="stall"/>, or until the client leaves when it is null; false when the client left.
    /// </summary>
    public static async ValueTask<bool> StallAsync(TimeSpan? stall, CancellationToken aborted)
    {
        try
        {
            await Task.Delay(stall ?? Timeout.InfiniteTimeSpan, aborted);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>
    /// Sends the headers, with the Content-Length of the whole <paramref name="body"/>, and its first half; then resets the
    /// connection (<see cref="MockFaultKind.ResetMidBody"/>), or stalls and sends the rest. True when the body arrived whole.
    /// </summary>
    public static async Task<bool> WriteInterruptedAsync(HttpContext context, ReadOnlyMemory<byte> body, MockFault fault, ILogger logger)
    {
        var response = context.Response;
        var aborted = context.RequestAborted;
        response.ContentType = "application/json";
        response.ContentLength = body.Length;
        var half = body.Length / 2;
        try
        {
            var first = await response.BodyWriter.WriteAsync(body[..half], aborted);
            if (first.IsCanceled || first.IsCompleted)
            {
                return false;
            }

            if (fault.Kind == MockFaultKind.ResetMidBody)
            {
                await Task.Delay(ResetGrace, CancellationToken.None);
                Reset(context, logger);
                return false;
            }

            if (!await StallAsync(fault.Stall, aborted))
            {
                return false;
            }

            var rest = await response.BodyWriter.WriteAsync(body[half..], aborted);
            return !rest.IsCanceled && !rest.IsCompleted && !aborted.IsCancellationRequested;
        }
        catch (Exception exception) when (exception is OperationCanceledException or IOException)
        {
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Connection {ConnectionId} has no socket to reset; it is aborted instead.")]
    private static partial void NoSocketToReset(ILogger logger, string connectionId);
}
