using Gateway.Grains.Abstractions.Ledger;
using Gateway.Grains.Abstractions.Tenants;
using Gateway.Grains.Tenants;
using static Gateway.Tests.Tenants.TenantParts;

namespace Gateway.Tests.Tenants;

/// <summary>
/// A tenant's settled usage on its own (<see cref="UsageBook"/>): the calendar month's totals and its rollover, per-model
/// and per-day rollups, and the retention window of the days. Instants are passed in, so every expectation is exact.
/// </summary>
public sealed class UsageBookTests
{
    private static readonly DateTimeOffset LastOfMonth = new(2026, 11, 30, 23, 59, 59, TimeSpan.Zero);
    private static readonly DateTimeOffset NextMonth = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly TenantState _state = new();
    private readonly UsageBook _book;

    public UsageBookTests() => _book = new UsageBook(_state, dailyRetentionDays: 3);

    [Fact]
    public void CountsASettlementInTheMonthItsModelAndItsDay()
    {
        _book.RollPeriod(T0);

        _book.Record(Entry("alpha", T0, 100, 10, 0.5m));
        _book.Record(Entry("beta", T0, 200, 20, 0.25m));
        _book.Record(Entry("alpha", T0.AddDays(1), 1, 1, 0.125m));

        Assert.Equal("2026-11", _state.Period);
        Assert.Equal((3L, 301L, 31L, 0.875m), (_book.Month.Requests, _book.Month.InputTokens, _book.Month.OutputTokens, _book.Month.CostUsd));
        Assert.Equal<ModelUsage>([new("alpha", 2, 101, 11, 0.625m), new("beta", 1, 200, 20, 0.25m)], _book.ByModelAt(T0));
        var (day, next) = (DateOnly.FromDateTime(T0.UtcDateTime), DateOnly.FromDateTime(T0.UtcDateTime).AddDays(1));
        Assert.Equal<DailyUsage>(
            [new(day, "alpha", 1, 100, 10, 0.5m), new(day, "beta", 1, 200, 20, 0.25m), new(next, "alpha", 1, 1, 1, 0.125m)],
            _book.ByDayAt(T0));
    }

    [Fact]
    public void StartsTheNextCalendarMonthEmptyAndKeepsItsDays()
    {
        _book.RollPeriod(LastOfMonth);
        _book.Record(Entry("alpha", LastOfMonth, 100, 10, 0.5m));

        Assert.Equal(1, _book.MonthAt(NextMonth - TimeSpan.FromTicks(1)).Requests);
        Assert.Equal(0, _book.MonthAt(NextMonth).Requests); // read before the book rolled over: nothing of the new month
        Assert.Empty(_book.ByModelAt(NextMonth));
        Assert.Empty(_book.ByDayAt(NextMonth)); // the last day of the old month is not in the new one

        _book.RollPeriod(NextMonth);

        Assert.Equal("2026-12", _state.Period);
        Assert.Equal(0, _book.Month.Requests);
        Assert.Empty(_state.MonthByModel);
        Assert.Single(_state.Daily);
    }

    [Fact]
    public void ARowOfAnotherMonthCountsInItsDayOnly()
    {
        _book.RollPeriod(NextMonth);

        _book.Record(Entry("alpha", LastOfMonth, 100, 10, 0.5m)); // a replayed row settled before the rollover

        Assert.Equal(0, _book.Month.Requests);
        Assert.Empty(_state.MonthByModel);
        Assert.Equal(1, _state.Daily[DateOnly.FromDateTime(LastOfMonth.UtcDateTime)]["alpha"].Requests);
    }

    [Fact]
    public void KeepsTheDaysOfTheRetentionWindowOnly()
    {
        _book.RollPeriod(T0);
        for (var day = 0; day < 4; day++)
        {
            _book.Record(Entry("alpha", T0.AddDays(day), 1, 1, 0m));
        }

        var first = DateOnly.FromDateTime(T0.UtcDateTime);
        Assert.Equal([first.AddDays(1), first.AddDays(2), first.AddDays(3)], _state.Daily.Keys.Order());
        Assert.Equal(4, _book.Month.Requests); // the month keeps counting what the days forgot
    }

    [Fact]
    public void CountsACacheHitsSavedTokensApartFromTheTokensUsed()
    {
        _book.RollPeriod(T0);

        _book.Record(Entry("alpha", T0, 100, 10, 0.5m) with { Outcome = Settlement.Cached });

        Assert.Equal((1L, 0L, 1L, 110L, 0.5m), (_book.Month.Requests, _book.Month.TotalTokens, _book.Month.CacheHits, _book.Month.CacheSavedTokens, _book.Month.CostUsd));
    }

    private static LedgerEntry Entry(string model, DateTimeOffset at, long input, long output, decimal cost) =>
        new("t1", 1, Guid.NewGuid().ToString("N"), at, model, "provider", input, output, cost, Settlement.Completed);
}
