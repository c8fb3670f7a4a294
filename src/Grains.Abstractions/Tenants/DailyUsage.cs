namespace Gateway.Grains.Abstractions.Tenants;

[GenerateSerializer, Immutable, Alias("gw.DailyUsage")]
public sealed record DailyUsage(
    [property: Id(0)] DateOnly Day,
    [property: Id(1)] string Model,
    [property: Id(2)] long Requests,
    [property: Id(3)] long InputTokens,
    [property: Id(4)] long OutputTokens,
    [property: Id(5)] decimal CostUsd);
