using Gateway.Grains.Abstractions.Tenants;
using Gateway.Grains.Upstream;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gateway.Tests.Resilience;

/// <summary>
/// <see cref="SettlementRetry"/> on a fake clock: which failures are retried, the waits between attempts, the window
/// after which no retry starts, and what is logged.
/// </summary>
public sealed class SettlementRetryTests
{
    private static readonly Settlement Served = new("req-settle-1", "gpt-4.1", 100, 10);

    private readonly WaitClock _clock = new();
    private readonly RecordingLogger<SettlementRetry> _log = new();

    [Fact]
    public async Task RetriesWhileTheTenantIsUnreachableThenSettles()
    {
        var tenant = new FlakyTenant(new OrleansException("silo gone"), new TimeoutException("no answer"), new SiloUnavailableException());
        var settling = Retry(TimeSpan.FromMinutes(2)).SettleAsync(tenant, Served);

        Assert.Equal(Ms(100), await _clock.CompleteNextWaitAsync());
        Assert.Equal(Ms(200), await _clock.CompleteNextWaitAsync());
        Assert.Equal(Ms(400), await _clock.CompleteNextWaitAsync());

        Assert.True(await settling.WaitAsync(TimeSpan.FromSeconds(10)), "The fourth attempt succeeded, so the settlement must be reported done.");
        Assert.Equal(4, tenant.Attempts);
        Assert.False(_clock.HasWaitPending);
        Assert.Equal(
            ["Settlement of request req-settle-1 did not reach its tenant (OrleansException); retrying",
             "Settlement of request req-settle-1 did not reach its tenant (TimeoutException); retrying",
             "Settlement of request req-settle-1 did not reach its tenant (SiloUnavailableException); retrying"],
            _log.Entries.Where(e => e.Level == LogLevel.Warning).Select(e => e.Message));
        Assert.Equal(0, _log.Count(LogLevel.Error));
    }

    [Fact]
    public async Task WaitsDoubleFrom100MsUpTo2SAndGiveUpAtTheEndOfTheWindow()
    {
        var unreachable = new OrleansException("silo gone");
        var tenant = new FlakyTenant { Always = unreachable };
        var settling = Retry(TimeSpan.FromSeconds(10)).SettleAsync(tenant, Served);

        // 3.1 s after the fifth wait; then 2 s waits while one more still ends inside 10 s.
        TimeSpan[] expected = [Ms(100), Ms(200), Ms(400), Ms(800), Ms(1600), Ms(2000), Ms(2000), Ms(2000)];
        foreach (var wait in expected)
        {
            Assert.Equal(wait, await _clock.CompleteNextWaitAsync());
        }

        Assert.False(await settling.WaitAsync(TimeSpan.FromSeconds(10)), "A settlement that never reached its tenant must be reported failed.");
        Assert.Equal(expected.Length + 1, tenant.Attempts);
        Assert.False(_clock.HasWaitPending);
        Assert.Equal(expected.Length, _log.Count(LogLevel.Warning));
        var failed = Assert.Single(_log.Entries, e => e.Level == LogLevel.Error);
        Assert.Equal("Settlement of request req-settle-1 failed", failed.Message);
        Assert.Same(unreachable, failed.Exception);
    }

    [Theory]
    [InlineData(1500, 4)] // after 100 + 200 + 400 ms, the next attempt would start 1500 ms in: not inside the window
    [InlineData(1501, 5)]
    public async Task NoRetryStartsAfterTheWindow(int windowMs, int attempts)
    {
        var tenant = new FlakyTenant { Always = new OrleansException("silo gone") };
        var settling = Retry(Ms(windowMs)).SettleAsync(tenant, Served);

        for (var i = 0; i < attempts - 1; i++)
        {
            await _clock.CompleteNextWaitAsync();
        }

        Assert.False(await settling.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(attempts, tenant.Attempts);
        Assert.False(_clock.HasWaitPending);
    }

    [Fact]
    public async Task AFailureOtherThanAnUnreachableTenantIsNotRetried()
    {
        var rejected = new InvalidOperationException("tenant refused the settlement");
        var tenant = new FlakyTenant { Always = rejected };

        Assert.False(await Retry(TimeSpan.FromMinutes(2)).SettleAsync(tenant, Served).WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(1, tenant.Attempts);
        Assert.False(_clock.HasWaitPending);
        Assert.Equal(0, _log.Count(LogLevel.Warning));
        Assert.Same(rejected, Assert.Single(_log.Entries, e => e.Level == LogLevel.Error).Exception);
    }

    [Fact]
    public async Task CancellationIsNeitherRetriedNorReportedAsAFailure()
    {
        var tenant = new FlakyTenant { Always = new OperationCanceledException() };

        await Assert.ThrowsAsync<OperationCanceledException>(() => Retry(TimeSpan.FromMinutes(2)).SettleAsync(tenant, Served));
        Assert.Equal(1, tenant.Attempts);
        Assert.Empty(_log.Entries);
    }

    private SettlementRetry Retry(TimeSpan window) =>
        new(Options.Create(new UpstreamOptions { SettlementRetryWindow = window }), _clock, _log);

    private static TimeSpan Ms(int milliseconds) => TimeSpan.FromMilliseconds(milliseconds);
}
