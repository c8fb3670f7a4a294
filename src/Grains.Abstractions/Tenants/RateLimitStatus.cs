namespace Gateway.Grains.Abstractions.Tenants;

/// <summary>The buckets as OpenAI's <c>x-ratelimit-*</c> headers report them: limit, what remains, time until full.</summary>
[GenerateSerializer, Immutable, Alias("gw.RateLimitStatus")]
public sealed record RateLimitStatus(
    [property: Id(0)] long RequestLimit,
    [property: Id(1)] long RemainingRequests,
    [property: Id(2)] TimeSpan RequestsReset,
    [property: Id(3)] long TokenLimit,
    [property: Id(4)] long RemainingTokens,
    [property: Id(5)] TimeSpan TokensReset)
{
    public static RateLimitStatus Empty { get; } = new(0, 0, TimeSpan.Zero, 0, 0, TimeSpan.Zero);
}
