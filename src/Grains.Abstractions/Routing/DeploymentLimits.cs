namespace Gateway.Grains.Abstractions.Routing;

/// <summary>A deployment's own capacity; each limit optional (none: unlimited).</summary>
[GenerateSerializer, Immutable, Alias("gw.DeploymentLimits")]
public sealed record DeploymentLimits(
    [property: Id(0)] int? RequestsPerMinute,
    [property: Id(1)] long? TokensPerMinute,
    [property: Id(2)] int? MaxConcurrent)
{
    public static DeploymentLimits Unlimited { get; } = new(null, null, null);

    public bool IsUnlimited => RequestsPerMinute is null && TokensPerMinute is null && MaxConcurrent is null;
}
