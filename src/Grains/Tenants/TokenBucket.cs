namespace Gateway.Grains.Tenants;

/// <summary>
/// A token bucket that refills continuously at <c>capacity</c> tokens per minute, in exact integer arithmetic:
/// the level is kept in token-ticks (one token = <see cref="TimeSpan.TicksPerMinute"/> units), so a refill of
/// <c>elapsed ticks × capacity</c> units is exact and no fraction of a token is ever lost or invented.
/// Time is always passed in; the bucket never reads a clock.
/// </summary>
[GenerateSerializer, Alias("gw.TokenBucket")]
public sealed class TokenBucket
{
    private const long UnitsPerToken = TimeSpan.TicksPerMinute;

    /// <summary>Tokens added per minute, and the most the bucket holds.</summary>
    [Id(0), Newtonsoft.Json.JsonProperty] public long Capacity { get; private set; }

    /// <summary>Current level in token-ticks. May go below zero when actual usage exceeded what was taken.</summary>
    [Id(1), Newtonsoft.Json.JsonProperty] public long Level { get; private set; }

    /// <summary>When <see cref="Level"/> was last brought up to date.</summary>
    [Id(2), Newtonsoft.Json.JsonProperty] public DateTimeOffset UpdatedAt { get; private set; }

    /// <summary>
    /// For the JSON grain-storage serializer, which must restore every member as stored: through the public
    /// constructor it would refill the bucket and lose <see cref="UpdatedAt"/> (and a level of 0 is not even written).
    /// </summary>
    [Newtonsoft.Json.JsonConstructor]
    private TokenBucket()
    {
    }

    public TokenBucket(long capacity, DateTimeOffset now)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacity, long.MaxValue / UnitsPerToken);
        Capacity = capacity;
        Level = capacity * UnitsPerToken;
        UpdatedAt = now;
    }

    /// <summary>Whole tokens available now.</summary>
    public long Available(DateTimeOffset now)
    {
        Refill(now);
        return Level <= 0 ? 0 : Level / UnitsPerToken;
    }

    /// <summary>Time until the bucket is full again.</summary>
    public TimeSpan TimeUntilFull(DateTimeOffset now)
    {
        Refill(now);
        return TicksToGain(Capacity * UnitsPerToken - Level);
    }

    /// <summary>
    /// Time until <paramref name="tokens"/> are in the bucket (zero when they are), taking none. More than
    /// <see cref="Capacity"/> is never there, so asking for it is an error.
    /// </summary>
    public TimeSpan TimeUntilAvailable(long tokens, DateTimeOffset now)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(tokens);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(tokens, Capacity);
        Refill(now);
        return TicksToGain(tokens * UnitsPerToken - Level);
    }

    /// <summary>Takes <paramref name="tokens"/> if they are all there; otherwise takes nothing and says when they will be.</summary>
    public bool TryTake(long tokens, DateTimeOffset now, out TimeSpan retryAfter)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(tokens);
        Refill(now);
        var needed = tokens * UnitsPerToken;
        if (Level >= needed)
        {
            Level -= needed;
            retryAfter = TimeSpan.Zero;
            return true;
        }

        retryAfter = TicksToGain(needed - Level);
        return false;
    }

    /// <summary>
    /// Takes (positive) or returns (negative) tokens unconditionally: settling actual usage against what was
    /// reserved. Returned tokens never lift the bucket above its capacity.
    /// </summary>
    public void Adjust(long tokens, DateTimeOffset now)
    {
        Refill(now);
        Level = Math.Min(Capacity * UnitsPerToken, Level - tokens * UnitsPerToken);
    }

    /// <summary>Changes the capacity (a tier or limit change), keeping the fraction of the bucket that is full.</summary>
    public void Resize(long capacity, DateTimeOffset now)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        if (capacity == Capacity)
        {
            return;
        }

        Refill(now);
        var level = (Int128)Level * capacity / Capacity;
        Capacity = capacity;
        Level = (long)Int128.Min(level, capacity * UnitsPerToken);
    }

    private void Refill(DateTimeOffset now)
    {
        var elapsed = (now - UpdatedAt).Ticks;
        if (elapsed <= 0)
        {
            // A clock that steps back refills nothing; it never drains the bucket either.
            return;
        }

        UpdatedAt = now;
        var full = Capacity * UnitsPerToken;
        Level = elapsed >= TimeSpan.TicksPerMinute + (full - Level) / Capacity
            ? full
            : Math.Min(full, Level + elapsed * Capacity);
    }

    // Refill adds Capacity units per tick, so a deficit of d units takes ceil(d / Capacity) ticks.
    private TimeSpan TicksToGain(long units) =>
        units <= 0 ? TimeSpan.Zero : TimeSpan.FromTicks((units + Capacity - 1) / Capacity);
}
