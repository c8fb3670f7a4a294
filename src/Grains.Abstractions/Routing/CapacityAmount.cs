namespace Gateway.Grains.Abstractions.Routing;

/// <summary>An amount of each kind of deployment capacity: concurrency slots, request permits and tokens.</summary>
[GenerateSerializer, Immutable, Alias("gw.CapacityAmount")]
public sealed record CapacityAmount(
    [property: Id(0)] int Slots,
    [property: Id(1)] long Requests,
    [property: Id(2)] long Tokens)
{
    public static CapacityAmount None { get; } = new(0, 0, 0);

    public bool IsNone => Slots == 0 && Requests == 0 && Tokens == 0;
}
