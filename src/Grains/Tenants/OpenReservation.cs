namespace Gateway.Grains.Tenants;

/// <summary>
/// An open reservation as saved with the tenant's state checkpoint, so that a reactivation after a crash still holds
/// what requests in flight reserved (their budget, quota and concurrency slot) until they settle or expire.
/// Plain settable properties: the JSON grain-storage serializer restores it as stored.
/// </summary>
[GenerateSerializer, Alias("gw.OpenReservation")]
public sealed class OpenReservation
{
    [Id(0)] public string RequestId { get; set; } = "";
    [Id(1)] public string ModelId { get; set; } = "";
    [Id(2)] public string Provider { get; set; } = "";
    [Id(3)] public decimal InputPricePerMillionUsd { get; set; }
    [Id(4)] public decimal OutputPricePerMillionUsd { get; set; }
    [Id(5)] public long Tokens { get; set; }
    [Id(6)] public decimal CostUsd { get; set; }
    [Id(7)] public DateTimeOffset ExpiresAt { get; set; }

    /// <summary>Null in a checkpoint saved before cache prices existed: the input price, as it was then.</summary>
    [Id(8)] public decimal? CacheReadPricePerMillionUsd { get; set; }

    /// <summary>Null in a checkpoint saved before cache prices existed: the input price, as it was then.</summary>
    [Id(9)] public decimal? CacheWritePricePerMillionUsd { get; set; }

    /// <summary>Null in a checkpoint saved before one-hour cache writes were priced apart: the cache-write price, as it was then.</summary>
    [Id(10)] public decimal? CacheWrite1hPricePerMillionUsd { get; set; }

    internal static OpenReservation From(Reservation reservation) => new()
    {
        RequestId = reservation.RequestId,
        ModelId = reservation.Pricing.ModelId,
        Provider = reservation.Pricing.Provider,
        InputPricePerMillionUsd = reservation.Pricing.InputPricePerMillionUsd,
        OutputPricePerMillionUsd = reservation.Pricing.OutputPricePerMillionUsd,
        Tokens = reservation.Tokens,
        CostUsd = reservation.CostUsd,
        ExpiresAt = reservation.ExpiresAt,
        CacheReadPricePerMillionUsd = reservation.Pricing.CacheReadPricePerMillionUsd,
        CacheWritePricePerMillionUsd = reservation.Pricing.CacheWritePricePerMillionUsd,
        CacheWrite1hPricePerMillionUsd = reservation.Pricing.CacheWrite1hPricePerMillionUsd,
    };

    internal Reservation ToReservation()
    {
        var write = CacheWritePricePerMillionUsd ?? InputPricePerMillionUsd;
        return new(RequestId, new Pricing(ModelId, Provider, InputPricePerMillionUsd, OutputPricePerMillionUsd,
            CacheReadPricePerMillionUsd ?? InputPricePerMillionUsd, write, CacheWrite1hPricePerMillionUsd ?? write), Tokens, CostUsd, ExpiresAt);
    }
}
