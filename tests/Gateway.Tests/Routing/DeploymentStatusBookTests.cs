using Gateway.Grains.Abstractions.Routing;
using Gateway.Grains.Routing;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Routing;

/// <summary>What a status grain keeps of the silos' reports (<see cref="DeploymentStatusBook"/>).</summary>
public sealed class DeploymentStatusBookTests
{
    private static readonly DateTimeOffset Now = ClusterFixture.Start;

    private readonly DeploymentStatusBook _book = new(DeploymentStatusBook.DefaultSilence);

    [Fact]
    public void ASilosLatestReportReplacesItsEarlierOne()
    {
        _book.Put(Report("s1", Now, calls: 1), Now);
        _book.Put(Report("s2", Now, calls: 2), Now);
        _book.Put(Report("s1", Now.AddSeconds(1), calls: 3), Now.AddSeconds(1));

        var current = _book.Current(Now.AddSeconds(1));

        Assert.Equal([("s1", 3), ("s2", 2)], current.Select(r => (r.Silo, r.RecentCalls)));
    }

    [Fact]
    public void AnOlderReportArrivingLateDoesNotReplaceANewerOne()
    {
        _book.Put(Report("s1", Now.AddSeconds(1), calls: 3), Now);
        _book.Put(Report("s1", Now, calls: 1), Now.AddSeconds(1));

        Assert.Equal(3, Assert.Single(_book.Current(Now.AddSeconds(1))).RecentCalls);
    }

    [Fact]
    public void ASiloNotHeardFromForTenSecondsIsLeftOutAndForgotten()
    {
        _book.Put(Report("gone", Now, calls: 1), Now);
        _book.Put(Report("alive", Now, calls: 1), Now);
        _book.Put(Report("alive", Now.AddSeconds(10), calls: 1), Now.AddSeconds(10));

        Assert.Equal(["alive", "gone"], _book.Current(Now.AddSeconds(10)).Select(r => r.Silo));
        Assert.Equal(["alive"], _book.Current(Now.AddSeconds(10.001)).Select(r => r.Silo));

        _book.Put(Report("alive", Now.AddSeconds(11), calls: 1), Now.AddSeconds(11));
        Assert.Equal(["alive"], _book.Current(Now).Select(r => r.Silo));
    }

    private static DeploymentHealthReport Report(string silo, DateTimeOffset at, int calls) =>
        new(silo, DeploymentCircuit.Closed, null, 0, null, calls, 0, null, at);
}
