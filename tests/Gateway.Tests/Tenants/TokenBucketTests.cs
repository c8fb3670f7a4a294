using Gateway.Grains.Tenants;

namespace Gateway.Tests.Tenants;

/// <summary>
/// The token bucket on its own: continuous refill of <c>capacity</c> tokens per minute in exact integer
/// arithmetic. Time is passed in, so every expectation here is an exact number of ticks.
/// </summary>
public sealed class TokenBucketTests
{
    private const long UnitsPerToken = TimeSpan.TicksPerMinute;

    private static readonly DateTimeOffset T0 = new(2026, 11, 15, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void StartsFull()
    {
        var bucket = new TokenBucket(60, T0);

        Assert.Equal(60, bucket.Capacity);
        Assert.Equal(60 * UnitsPerToken, bucket.Level);
        Assert.Equal(T0, bucket.UpdatedAt);
        Assert.Equal(60, bucket.Available(T0));
        Assert.Equal(TimeSpan.Zero, bucket.TimeUntilFull(T0));
    }

    [Fact]
    public void TakesTokensUntilTheyAreGone()
    {
        var bucket = new TokenBucket(60, T0);

        Assert.True(bucket.TryTake(20, T0, out var first), "20 of 60 tokens must be taken from a full bucket.");
        Assert.Equal(TimeSpan.Zero, first);
        Assert.Equal(40, bucket.Available(T0));

        Assert.True(bucket.TryTake(40, T0, out var second), "The last 40 tokens must be taken.");
        Assert.Equal(TimeSpan.Zero, second);
        Assert.Equal(0, bucket.Available(T0));
        Assert.Equal(0, bucket.Level);
    }

    [Fact]
    public void TakingZeroTokensAlwaysSucceedsAndTakesNothing()
    {
        var bucket = new TokenBucket(60, T0);
        Assert.True(bucket.TryTake(60, T0, out _));

        Assert.True(bucket.TryTake(0, T0, out var retryAfter), "Zero tokens are always there, even in an empty bucket.");
        Assert.Equal(TimeSpan.Zero, retryAfter);
        Assert.Equal(0, bucket.Level);
    }

    [Fact]
    public void RefusesWhenShortAndTakesNothing()
    {
        var bucket = new TokenBucket(60, T0);
        Assert.True(bucket.TryTake(50, T0, out _));

        Assert.False(bucket.TryTake(11, T0, out var retryAfter), "11 tokens must be refused when only 10 are left.");
        Assert.Equal(TimeSpan.FromSeconds(1), retryAfter);
        Assert.Equal(10, bucket.Available(T0));
        Assert.Equal(10 * UnitsPerToken, bucket.Level);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(30, 30)]
    [InlineData(60, 60)]
    public void ReportsTheExactRetryAfterOfAnEmptyBucket(long tokens, int expectedSeconds)
    {
        // 60 tokens per minute: exactly one token per second.
        var bucket = new TokenBucket(60, T0);
        Assert.True(bucket.TryTake(60, T0, out _));

        Assert.False(bucket.TryTake(tokens, T0, out var retryAfter));

        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), retryAfter);
    }

    [Fact]
    public void GrantsAtTheRetryAfterButNotOneTickEarlier()
    {
        // 7 tokens per minute do not divide a second: the retry-after is a rounded-up tick count.
        var bucket = new TokenBucket(7, T0);
        Assert.True(bucket.TryTake(7, T0, out _));
        var t1 = T0.AddSeconds(10); // 10 s × 7/min = 7/6 of a token
        Assert.Equal(1, bucket.Available(t1));

        Assert.False(bucket.TryTake(2, t1, out var retryAfter));

        // Deficit: 2 tokens − 10 s of refill = 2 × 600,000,000 − 100,000,000 × 7 = 500,000,000 units at 7 units per tick.
        Assert.Equal(TimeSpan.FromTicks(71_428_572), retryAfter);
        Assert.False(bucket.TryTake(2, t1 + retryAfter - TimeSpan.FromTicks(1), out var lastTick),
            "One tick before the reported retry-after the 2 tokens must not be there yet.");
        Assert.Equal(TimeSpan.FromTicks(1), lastTick);
        Assert.True(bucket.TryTake(2, t1 + retryAfter, out _), "At the reported retry-after the 2 tokens must be there.");
        Assert.Equal(71_428_572L * 7 + 700_000_000 - 2 * UnitsPerToken, bucket.Level);
    }

    [Fact]
    public void RefillsExactlyForTheElapsedTime()
    {
        var bucket = new TokenBucket(60, T0);
        Assert.True(bucket.TryTake(60, T0, out _));

        var t1 = T0.AddMilliseconds(1_500);
        Assert.Equal(1, bucket.Available(t1));
        Assert.Equal(15_000_000L * 60, bucket.Level); // 1.5 tokens, kept exactly
        Assert.Equal(t1, bucket.UpdatedAt);

        Assert.False(bucket.TryTake(2, t1, out var retryAfter));
        Assert.Equal(TimeSpan.FromMilliseconds(500), retryAfter);
        Assert.Equal(TimeSpan.FromMilliseconds(58_500), bucket.TimeUntilFull(t1));
    }

    [Fact]
    public void RefillStopsAtCapacity()
    {
        var bucket = new TokenBucket(60, T0);
        Assert.True(bucket.TryTake(60, T0, out _));

        var later = T0.AddMinutes(10);
        Assert.Equal(60, bucket.Available(later));
        Assert.Equal(60 * UnitsPerToken, bucket.Level);
        Assert.Equal(TimeSpan.Zero, bucket.TimeUntilFull(later));

        Assert.False(bucket.TryTake(61, later, out var retryAfter), "A bucket never holds more than its capacity.");
        Assert.Equal(TimeSpan.FromSeconds(1), retryAfter);
    }

    [Fact]
    public void RefillsToExactlyFullAtTheMomentItShould()
    {
        var bucket = new TokenBucket(60, T0);
        Assert.True(bucket.TryTake(45, T0, out _));
        Assert.Equal(TimeSpan.FromSeconds(45), bucket.TimeUntilFull(T0));

        Assert.Equal(59, bucket.Available(T0.AddSeconds(45) - TimeSpan.FromTicks(1)));
        Assert.Equal(60 * UnitsPerToken - 60, bucket.Level);
        Assert.Equal(60, bucket.Available(T0.AddSeconds(45)));
        Assert.Equal(60 * UnitsPerToken, bucket.Level);
    }

    [Fact]
    public void AClockThatStepsBackNeitherRefillsNorDrains()
    {
        var bucket = new TokenBucket(60, T0);
        Assert.True(bucket.TryTake(30, T0, out _));

        Assert.Equal(30, bucket.Available(T0.AddMinutes(-5)));
        Assert.Equal(30 * UnitsPerToken, bucket.Level);
        Assert.Equal(T0, bucket.UpdatedAt);

        // Taking at an earlier time still takes, but what was lost is not refilled twice when time returns.
        Assert.True(bucket.TryTake(10, T0.AddMinutes(-1), out _));
        Assert.Equal(20, bucket.Available(T0));
        Assert.Equal(30, bucket.Available(T0.AddSeconds(10)));
    }

    [Fact]
    public void AFullBucketStaysFullWhenTheClockStepsBack()
    {
        var bucket = new TokenBucket(60, T0);

        Assert.Equal(60, bucket.Available(T0.AddHours(-1)));
        Assert.Equal(TimeSpan.Zero, bucket.TimeUntilFull(T0.AddHours(-1)));
        Assert.Equal(60 * UnitsPerToken, bucket.Level);
    }

    [Fact]
    public void AdjustWithNegativeTokensReturnsThemButNeverAboveCapacity()
    {
        var bucket = new TokenBucket(60, T0);
        Assert.True(bucket.TryTake(50, T0, out _));

        bucket.Adjust(-20, T0);
        Assert.Equal(30, bucket.Available(T0));

        bucket.Adjust(-1_000, T0);
        Assert.Equal(60, bucket.Available(T0));
        Assert.Equal(60 * UnitsPerToken, bucket.Level);
    }

    [Fact]
    public void AdjustRefillsUpToItsTimeFirst()
    {
        var bucket = new TokenBucket(60, T0);
        Assert.True(bucket.TryTake(60, T0, out _));

        bucket.Adjust(5, T0.AddSeconds(10)); // 10 refilled, then 5 taken

        Assert.Equal(5, bucket.Available(T0.AddSeconds(10)));
    }

    [Fact]
    public void AdjustWithPositiveTokensRunsIntoDebtThatDelaysTheNextGrant()
    {
        var bucket = new TokenBucket(60, T0);
        Assert.True(bucket.TryTake(60, T0, out _));

        bucket.Adjust(30, T0);

        Assert.Equal(-30 * UnitsPerToken, bucket.Level);
        Assert.Equal(0, bucket.Available(T0));
        Assert.False(bucket.TryTake(1, T0, out var retryAfter));
        Assert.Equal(TimeSpan.FromSeconds(31), retryAfter);
        Assert.Equal(TimeSpan.FromSeconds(90), bucket.TimeUntilFull(T0));
        Assert.Equal(0, bucket.Available(T0.AddSeconds(30)));
        Assert.False(bucket.TryTake(1, T0.AddSeconds(31) - TimeSpan.FromTicks(1), out _), "The debt must be paid off before a token is granted.");
        Assert.True(bucket.TryTake(1, T0.AddSeconds(31), out _), "After 31 s the debt of 30 is paid and 1 token is there.");
    }

    [Fact]
    public void ResizeKeepsTheFilledFraction()
    {
        var bucket = new TokenBucket(60, T0);
        Assert.True(bucket.TryTake(15, T0, out _)); // 3/4 full

        bucket.Resize(120, T0);
        Assert.Equal(120, bucket.Capacity);
        Assert.Equal(90, bucket.Available(T0));
        Assert.Equal(TimeSpan.FromSeconds(15), bucket.TimeUntilFull(T0)); // 30 tokens at 2 per second

        bucket.Resize(20, T0);
        Assert.Equal(20, bucket.Capacity);
        Assert.Equal(15, bucket.Available(T0));
        Assert.Equal(15 * UnitsPerToken, bucket.Level);
    }

    [Fact]
    public void ResizeRefillsAtTheOldRateUpToItsTime()
    {
        var bucket = new TokenBucket(60, T0);
        Assert.True(bucket.TryTake(60, T0, out _));

        bucket.Resize(120, T0.AddSeconds(30)); // half full at the old rate, so half of the new capacity

        Assert.Equal(60, bucket.Available(T0.AddSeconds(30)));
        Assert.Equal(TimeSpan.FromSeconds(30), bucket.TimeUntilFull(T0.AddSeconds(30)));
    }

    [Fact]
    public void ResizeKeepsAFullBucketFullAndDebtProportional()
    {
        var full = new TokenBucket(60, T0);
        full.Resize(600, T0);
        Assert.Equal(600, full.Available(T0));

        var indebted = new TokenBucket(60, T0);
        Assert.True(indebted.TryTake(60, T0, out _));
        indebted.Adjust(6, T0); // −6 of 60
        indebted.Resize(600, T0);
        Assert.Equal(-60 * UnitsPerToken, indebted.Level);
    }

    [Fact]
    public void ReportsTheTimeUntilFull()
    {
        var bucket = new TokenBucket(7, T0);
        Assert.True(bucket.TryTake(1, T0, out _));

        // One token at 7 per minute: ⌈600,000,000 / 7⌉ ticks.
        Assert.Equal(TimeSpan.FromTicks(85_714_286), bucket.TimeUntilFull(T0));
        Assert.Equal(TimeSpan.FromTicks(1), bucket.TimeUntilFull(T0 + TimeSpan.FromTicks(85_714_285)));
        Assert.Equal(TimeSpan.Zero, bucket.TimeUntilFull(T0 + TimeSpan.FromTicks(85_714_286)));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void RefusesACapacityThatIsNotPositive(long capacity)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new TokenBucket(capacity, T0));
        var bucket = new TokenBucket(60, T0);
        Assert.Throws<ArgumentOutOfRangeException>(() => bucket.Resize(capacity, T0));
        Assert.Equal(60, bucket.Capacity);
    }

    [Fact]
    public void RefusesACapacityWhoseLevelWouldOverflow()
    {
        const long largest = long.MaxValue / UnitsPerToken;

        Assert.Throws<ArgumentOutOfRangeException>(() => new TokenBucket(largest + 1, T0));
        Assert.Equal(largest, new TokenBucket(largest, T0).Available(T0));
    }

    [Fact]
    public void RefusesToTakeNegativeTokens()
    {
        var bucket = new TokenBucket(60, T0);

        Assert.Throws<ArgumentOutOfRangeException>(() => bucket.TryTake(-1, T0, out _));
        Assert.Equal(60, bucket.Available(T0));
    }

    [Fact]
    public void TellsWhenTokensWillBeThereWithoutTakingThem()
    {
        // 60 tokens per minute: one a second.
        var bucket = new TokenBucket(60, T0);
        Assert.True(bucket.TryTake(50, T0, out _));

        Assert.Equal(TimeSpan.Zero, bucket.TimeUntilAvailable(10, T0));
        Assert.Equal(TimeSpan.FromSeconds(5), bucket.TimeUntilAvailable(15, T0));
        Assert.Equal(TimeSpan.FromSeconds(50), bucket.TimeUntilAvailable(60, T0));
        Assert.Equal(10, bucket.Available(T0));
        Assert.Throws<ArgumentOutOfRangeException>(() => bucket.TimeUntilAvailable(61, T0));
    }
}
