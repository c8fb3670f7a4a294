namespace Gateway.Grains.Abstractions.Tenants;

/// <summary>
/// What a request actually used, as the provider reported it (or as the gateway counted it: <see cref="UsageCounted"/>).
/// <see cref="Model"/> is the model that served; <see cref="RequestedModel"/> the one the client asked for, when a
/// fallback served instead.
/// </summary>
[GenerateSerializer, Immutable, Alias("gw.Settlement")]
public sealed record Settlement(
    [property: Id(0)] string RequestId,
    [property: Id(1)] string Model,
    [property: Id(2)] long InputTokens,
    [property: Id(3)] long OutputTokens,
    [property: Id(4)] string Outcome = Settlement.Completed,
    [property: Id(5)] string? RequestedModel = null,
    [property: Id(6)] int Attempts = 1,
    [property: Id(7)] bool UsageCounted = false)
{
    public const string Completed = "completed";
    public const string StreamInterrupted = "stream_interrupted";
    public const string ClientDisconnected = "client_disconnected";
}
