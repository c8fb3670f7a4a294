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

        await AdvanceUntil(time, tenant, () => tenant.Released.Count == 1);

        Assert.Equal(["req-1"], tenant.Released);
        Assert.Equal(4, tenant.Attempts);
        WaitFor(() => releases.Pending == 0);
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
            await tenant.Attempted.WaitAsync(TimeSpan.FromMilliseconds(5));
        }

        WaitFor(() => releases.Pending == 0);
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

        WaitFor(() => releases.Pending == 0);
        var attempts = tenant.Attempts;
        time.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(attempts, tenant.Attempts);
    }

    /// <summary>
    /// Advances the fake clock a second at a time until <paramref name="done"/> holds (at most ten fake minutes),
    /// each step waiting for the tenant to be tried (a retry runs on the thread pool once its fake delay has passed).
    /// </summary>
    private static async Task AdvanceUntil(FakeTimeProvider time, FakeTenant tenant, Func<bool> done)
    {
        for (var i = 0; i < 600 && !done(); i++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await tenant.Attempted.WaitAsync(TimeSpan.FromMilliseconds(50));
        }

        Assert.True(done(), "the release was not retried to success within ten fake minutes");
    }

    /// <summary>Waits for a background retry to finish its bookkeeping (it ends on the thread pool after its last attempt).</summary>
    private static void WaitFor(Func<bool> done) => Assert.True(SpinWait.SpinUntil(done, TimeSpan.FromSeconds(5)));

    /// <summary>An <see cref="ITenantGrain"/> whose release fails a number of times, then records the request id.</summary>
    public class FakeTenant : DispatchProxy
    {
        private int _failures;
        private Exception _error = null!;

        public ITenantGrain Grain { get; private set; } = null!;

        public List<string> Released { get; } = [];

        public int Attempts { get; private set; }

        /// <summary>Released once per attempt.</summary>
        public SemaphoreSlim Attempted { get; } = new(0);

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
            Attempted.Release();
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
