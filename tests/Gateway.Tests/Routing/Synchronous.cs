using Gateway.Grains.Routing;

namespace Gateway.Tests.Routing;

/// <summary>The fast path's promise: an acquisition that completed before it was awaited.</summary>
internal static class Synchronous
{
    /// <summary>The ticket of an acquisition that must have completed synchronously.</summary>
    public static CapacityTicket Ticket(ValueTask<CapacityTicket> acquisition, string because)
    {
        Assert.True(acquisition.IsCompletedSuccessfully, because);
        return acquisition.GetAwaiter().GetResult();
    }
}
