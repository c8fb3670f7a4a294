using System.Reflection;
using Gateway.ApiFrontend.Cluster;
using Gateway.Grains.Abstractions.Tenants;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Cluster;

/// <summary>
/// A lost call's reservation is given back even when its tenant cannot answer at first (its silo died with the call
/// and the cluster has not yet declared it dead): the release is retried until the tenant answers, within the
/// reservation's lifetime, and never beyond.
/// </summary>
public sealed class LostCallReleasesTests
{
    [Fact]
    public async Task AReleaseTheTenantCannotTakeYetIsRetriedUntilItDoes()
    {
        var time = new FakeTimeProvider();
        using var releases = new LostCallReleases(time);
        var tenant = FakeTenant.Failing(times: 3, new TimeoutException("silo not declared dead yet"));

        await releases.ReleaseAsync(tenant.Grain, "req-1");
        Assert.Equal(1, tenant.Attempts);
        Assert.Equal(1, releases.Pending);

        await AdvanceUntil(time, () => tenant.Released.Count == 1);

        Assert.Equal(["req-1"], tenant.Released);
        Assert.Equal(4, tenant.Attempts);
        await WaitFor(() => releases.Pending == 0);
    }

    [Fact]
    public async Task AReleaseTheTenantTakesAtOnceLeavesNothingPending()
    {
        var time = new FakeTimeProvider();
        using var releases = new LostCallReleases(time);
        var tenant = FakeTenant.Failing(times: 0, new TimeoutException());

        await releases.ReleaseAsync(tenant.Grain, "req-1");

        Assert.Equal(["req-1"], tenant.Released);
        Assert.Equal(0, releases.Pending);
    }

    [Fact]
    public async Task RetriesStopOnceTheReservationWouldHaveExpired()
    {
        var time = new FakeTimeProvider();
        using var releases = new LostCallReleases(time);
        var tenant = FakeTenant.Failing(times: int.MaxValue, new OrleansException("unreachable"));

        await releases.ReleaseAsync(tenant.Grain, "req-1");
        for (var waited = TimeSpan.Zero; waited <= LostCallReleases.RetryWindow + TimeSpan.FromMinutes(1); waited += TimeSpan.FromSeconds(5))
        {
            time.Advance(TimeSpan.FromSeconds(5));
            await Task.Yield();
        }

        await WaitFor(() => releases.Pending == 0);
        var attempts = tenant.Attempts;
        Assert.InRange(attempts, 10, 200);
        time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(attempts, tenant.Attempts);
        Assert.Empty(tenant.Released);
    }

    [Fact]
    public async Task AnErrorThatIsNotTheClustersPropagates()
    {
        using var releases = new LostCallReleases(new FakeTimeProvider());
        var tenant = FakeTenant.Failing(times: 1, new InvalidOperationException("a bug"));

        await Assert.ThrowsAsync<InvalidOperationException>(() => releases.ReleaseAsync(tenant.Grain, "req-1"));
        Assert.Equal(0, releases.Pending);
    }

    [Fact]
    public async Task StoppingTheHostEndsTheRetries()
    {
        var time = new FakeTimeProvider();
        var releases = new LostCallReleases(time);
        var tenant = FakeTenant.Failing(times: int.MaxValue, new TimeoutException());
        await releases.ReleaseAsync(tenant.Grain, "req-1");
        Assert.Equal(1, releases.Pending);

        releases.Dispose();

        await WaitFor(() => releases.Pending == 0);
        var attempts = tenant.Attempts;
        time.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(attempts, tenant.Attempts);
    }

    /// <summary>Advances the fake clock a second at a time until <paramref name="done"/> holds (at most ten minutes).</summary>
    private static async Task AdvanceUntil(FakeTimeProvider time, Func<bool> done)
    {
        for (var i = 0; i < 600 && !done(); i++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(1);
        }

        Assert.True(done(), "the release was not retried to success within ten fake minutes");
    }

    private static async Task WaitFor(Func<bool> done)
    {
        for (var i = 0; i < 500 && !done(); i++)
        {
            await Task.Delay(10);
        }

        Assert.True(done());
    }

    /// <summary>An <see cref="ITenantGrain"/> whose release fails a number of times, then records the request id.</summary>
    public class FakeTenant : DispatchProxy
    {
        private int _failures;
        private Exception _error = null!;

        public ITenantGrain Grain { get; private set; } = null!;

        public List<string> Released { get; } = [];

        public int Attempts { get; private set; }

        public static FakeTenant Failing(int times, Exception error)
        {
            var grain = Create<ITenantGrain, FakeTenant>();
            var fake = (FakeTenant)(object)grain;
            (fake._failures, fake._error, fake.Grain) = (times, error, grain);
            return fake;
        }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            Assert.Equal(nameof(ITenantGrain.ReleaseAsync), targetMethod!.Name);
            lock (Released)
            {
                Attempts++;
                if (_failures > 0)
                {
                    _failures--;
                    return Task.FromException(_error);
                }

                Released.Add((string)args![0]!);
                return Task.CompletedTask;
            }
        }
    }
}
