namespace Gateway.Grains.Abstractions.Tenants;

[GenerateSerializer, Immutable, Alias("gw.ModelUsage")]
public sealed record ModelUsage(
    [property: Id(0)] string Model,
    [property: Id(1)] long Requests,
    [property: Id(2)] long InputTokens,
    [property: Id(3)] long OutputTokens,
    [property: Id(4)] decimal CostUsd);
