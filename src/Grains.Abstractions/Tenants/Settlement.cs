namespace Gateway.Grains.Abstractions.Tenants;

/// <summary>What a request actually used, as the provider reported it (or as counted when a stream ended early).</summary>
[GenerateSerializer, Immutable, Alias("gw.Settlement")]
public sealed record Settlement(
    [property: Id(0)] string RequestId,
    [property: Id(1)] string Model,
    [property: Id(2)] long InputTokens,
    [property: Id(3)] long OutputTokens,
    [property: Id(4)] string Outcome = Settlement.Completed)
{
    public const string Completed = "completed";
    public const string StreamInterrupted = "stream_interrupted";
    public const string ClientDisconnected = "client_disconnected";
}
