using Gateway.Grains.Routing.Scheduling;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Routing.Scheduling;

/// <summary>
/// A request put back in a fair queue after its attempt failed (<see cref="FairQueue.Requeue"/>): it keeps its place
/// ahead of the requests that arrived after it, its tenant pays for it when it leaves again, and it still has a deadline
/// and a bound. Time is a fake clock's timestamps; dispatching is driven by the test.
/// </summary>
public sealed class FairQueueRequeueTests
{
    private readonly FakeTimeProvider _clock = new(ClusterFixture.Start);

    private long Now => _clock.GetTimestamp();

    [Fact]
    public void APutBackRequestLeavesBeforeTheRequestsThatArrivedAfterIt()
    {
        var (queue, failed) = FloodServedOnce();
        Enqueue(queue, "late", 1, 1_000);

        Assert.Equal(FairQueueOutcome.Queued, queue.Requeue(new FairQueueEntry("flood", 1, 1_000), failed.StartTag, Now).Outcome);

        Assert.Equal("flood", queue.Take().Tenant);
        Assert.Equal("late", queue.Take().Tenant);
    }

    [Fact]
    public void WithoutItsPlaceTheSameRequestWouldWaitBehindThem()
    {
        // The control for the test above: the flooding tenant's counter is ahead, so a request joining at the back of its
        // own requests leaves after the newcomer's.
        var (queue, _) = FloodServedOnce();
        Enqueue(queue, "late", 1, 1_000);

        Enqueue(queue, "flood", 1, 1_000);

        Assert.Equal("late", queue.Take().Tenant);
    }

    [Fact]
    public void ItsHeadStartIsTheTagItLeftWithAndItsTenantPaysWhenItLeavesAgain()
    {
        var (queue, failed) = FloodServedOnce();
        var counter = queue.CounterOf("flood")!.Value;

        queue.Requeue(new FairQueueEntry("flood", 1, 1_000), failed.StartTag, Now);

        Assert.Equal(failed.StartTag, queue.HeadStart);
        var again = queue.Take();
        Assert.Equal(counter + 1_000 * FairQueue.UnitsPerToken, queue.CounterOf("flood"));
        Assert.Equal(failed.StartTag, again.StartTag);
    }

    [Fact]
    public void PutBackOnAnotherDeploymentsQueueItStartsAtThatQueuesVirtualTime()
    {
        var queue = new FairQueue(new FairQueueOptions(), _clock);
        Enqueue(queue, "a", 1, 1_000);
        Enqueue(queue, "a", 1, 1_000);
        Enqueue(queue, "b", 1, 1_000);
        queue.Complete(queue.Take(), 1_000);
        Enqueue(queue, "c", 1, 1_000);

        queue.Requeue(new FairQueueEntry("elsewhere", 1, 1_000), startTag: null, Now);

        Assert.Equal(queue.VirtualTime, queue.HeadStart);
        Assert.Equal("elsewhere", queue.Take().Tenant);
    }

    [Fact]
    public void APutBackRequestTimesOutAtTheQueueTimeoutAfterItCameBack()
    {
        var queue = new FairQueue(new FairQueueOptions { QueueTimeout = TimeSpan.FromSeconds(5) }, _clock);
        Enqueue(queue, "waiting", 1, 100);
        _clock.Advance(TimeSpan.FromSeconds(2));
        var back = new FairQueueEntry("back", 1, 100);
        queue.Requeue(back, startTag: 0, Now);

        _clock.Advance(TimeSpan.FromSeconds(3));
        Assert.Equal("waiting", queue.TakeExpired(Now)!.Tenant);
        Assert.Null(queue.TakeExpired(Now));
        Assert.Equal(Now + _clock.TimestampFrequency * 2, queue.NextDeadline);

        _clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Same(back, queue.TakeExpired(Now));
        Assert.Equal((0, 0, FairQueueEntryState.Expired), (queue.Count, queue.Tenants, back.State));
    }

    [Fact]
    public void TheTenantsBoundDoesNotPushItOutTheDeploymentsDoes()
    {
        var queue = new FairQueue(new FairQueueOptions { MaxQueuedPerTenant = 1, MaxQueuedPerDeployment = 2 }, _clock);
        Enqueue(queue, "flood", 1, 100);

        Assert.Equal(FairQueueOutcome.Queued, queue.Requeue(new FairQueueEntry("flood", 1, 100), 0, Now).Outcome);
        Assert.Equal(FairQueueOutcome.DeploymentFull, queue.Requeue(new FairQueueEntry("other", 1, 100), 0, Now).Outcome);
    }

    [Fact]
    public void ACancelledPutBackRequestLeavesAndAnIdleQueueForgetsItsTenant()
    {
        var queue = new FairQueue(new FairQueueOptions(), _clock);
        var back = new FairQueueEntry("back", 1, 100);
        queue.Requeue(back, 0, Now);

        Assert.True(queue.Remove(back));

        Assert.Equal((0, 0, (FairQueueEntry?)null), (queue.Count, queue.Tenants, queue.Peek()));
    }

    /// <summary>
    /// A flooding tenant and a quiet one: the flood's first request leaves (and, its attempt failing, is completed at
    /// nothing), the quiet one comes, and its request leaves, then the flood's next; the flood's counter is now ahead of
    /// the virtual time.
    /// </summary>
    private (FairQueue Queue, FairQueueEntry Failed) FloodServedOnce()
    {
        var queue = new FairQueue(new FairQueueOptions(), _clock);
        for (var i = 0; i < 5; i++)
        {
            Enqueue(queue, "flood", 1, 1_000);
        }

        var failed = queue.Take();
        queue.Complete(failed, 0);
        Enqueue(queue, "quiet", 1, 1_000);
        for (var i = 0; i < 2; i++)
        {
            queue.Complete(queue.Take(), 1_000);
        }

        return (queue, failed);
    }

    private FairQueueEntry Enqueue(FairQueue queue, string tenant, int weight, long cost)
    {
        var entry = new FairQueueEntry(tenant, weight, cost);
        Assert.Equal(FairQueueOutcome.Queued, queue.Enqueue(entry, Now).Outcome);
        return entry;
    }
}
