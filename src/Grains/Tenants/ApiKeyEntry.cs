namespace Gateway.Grains.Tenants;

/// <summary>A key of the tenant as stored: its id and hash, never the key.</summary>
[GenerateSerializer, Alias("gw.ApiKeyEntry")]
public sealed class ApiKeyEntry
{
    [Id(0)] public required string Id { get; init; }
    [Id(1)] public required string Hash { get; init; }
    [Id(2)] public DateTimeOffset CreatedAt { get; init; }
    [Id(3)] public DateTimeOffset? RevokedAt { get; set; }
}
