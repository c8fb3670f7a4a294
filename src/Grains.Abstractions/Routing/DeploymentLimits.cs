namespace Gateway.Grains.Abstractions.Routing;

/// <summary>
/// A deployment's capacity at its upstream account: requests per minute, tokens per minute and concurrent requests.
/// A null member is not limited; enforced exactly across the cluster by <see cref="IDeploymentCapacityGrain"/>.
/// </summary>
[GenerateSerializer, Immutable, Alias("gw.DeploymentLimits")]
public sealed record DeploymentLimits(
    [property: Id(0)] int? RequestsPerMinute,
    [property: Id(1)] long? TokensPerMinute,
    [property: Id(2)] int? MaxConcurrent)
{
    public static DeploymentLimits Unlimited { get; } = new(null, null, null);

    /// <summary>No limit at all: requests on such a deployment never consult its capacity grain.</summary>
    public bool IsUnlimited => RequestsPerMinute is null && TokensPerMinute is null && MaxConcurrent is null;
}
