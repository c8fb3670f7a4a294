using System.Globalization;

namespace Gateway.ApiFrontend.Scheduling;

/// <summary>
/// <c>x-gateway-queue-ms</c>: how long, in whole milliseconds rounded up, the request waited in a full deployment's fair
/// queue before it was sent. Present only on a response whose request waited.
/// </summary>
public static class QueueHeader
{
    public const string Name = "x-gateway-queue-ms";

    public static void Apply(HttpResponse response, long? queuedMs)
    {
        if (queuedMs is { } ms)
        {
            response.Headers[Name] = ms.ToString(CultureInfo.InvariantCulture);
        }
    }
}
