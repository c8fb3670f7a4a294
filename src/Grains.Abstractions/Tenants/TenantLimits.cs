namespace Gateway.Grains.Abstractions.Tenants;

/// <summary>Rate and concurrency limits; a null member means "the tier's default".</summary>
[GenerateSerializer, Immutable, Alias("gw.TenantLimits")]
public sealed record TenantLimits(
    [property: Id(0)] int? RequestsPerMinute,
    [property: Id(1)] long? TokensPerMinute,
    [property: Id(2)] int? MaxConcurrent)
{
    public static TenantLimits None { get; } = new(null, null, null);
}
