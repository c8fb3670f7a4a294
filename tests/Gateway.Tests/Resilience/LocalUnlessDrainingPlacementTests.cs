using System.Net;
using Gateway.Grains.Upstream;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Orleans.Runtime.Placement;

namespace Gateway.Tests.Resilience;

/// <summary>
/// Where a new upstream worker goes: beside the silo that asks (as Orleans' prefer-local placement), except once that silo
/// has begun draining on its way down, when it goes to another silo, so a call retried away from a stopping silo does not
/// land on it again.
/// </summary>
public sealed class LocalUnlessDrainingPlacementTests
{
    private static readonly SiloAddress Local = SiloAddress.New(new IPEndPoint(IPAddress.Loopback, 11111), 1);
    private static readonly SiloAddress Other = SiloAddress.New(new IPEndPoint(IPAddress.Loopback, 11112), 1);

    [Fact]
    public async Task AnActiveSiloThatIsNotDrainingPlacesTheWorkerOnItself()
    {
        var (director, _) = Director();

        Assert.Equal(Local, await director.OnAddActivation(LocalUnlessDrainingPlacement.Singleton, Target(), new Context([Local, Other])));
    }

    [Fact]
    public async Task ADrainingSiloPlacesTheWorkerOnAnotherSilo()
    {
        var (director, lifecycle) = Director();
        await lifecycle.StopAsync();

        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(Other, await director.OnAddActivation(LocalUnlessDrainingPlacement.Singleton, Target(), new Context([Local, Other])));
        }
    }

    [Fact]
    public async Task ADrainingSiloThatIsTheOnlyOneLeftStillPlacesTheWorker()
    {
        var (director, lifecycle) = Director();
        await lifecycle.StopAsync();

        Assert.Equal(Local, await director.OnAddActivation(LocalUnlessDrainingPlacement.Singleton, Target(), new Context([Local])));
    }

    [Fact]
    public async Task ASiloThatIsNoLongerActivePlacesTheWorkerElsewhere()
    {
        var (director, _) = Director();

        Assert.Equal(Other, await director.OnAddActivation(LocalUnlessDrainingPlacement.Singleton, Target(), new Context([Local, Other], SiloStatus.ShuttingDown)));
    }

    [Fact]
    public void TheDrainBeginsBeforeTheGatewayClosesSoRunningStreamsStillReachTheirClients()
    {
        var (_, lifecycle) = Director();

        Assert.True(lifecycle.Stage > ServiceLifecycleStage.Active, $"The drain stops at stage {lifecycle.Stage}, not before the gateway's ({ServiceLifecycleStage.Active}).");
    }

    private static (IPlacementDirector Director, Lifecycle Lifecycle) Director()
    {
        var drain = new UpstreamDrain(Options.Create(new UpstreamOptions()), NullLogger<UpstreamDrain>.Instance);
        var lifecycle = new Lifecycle();
        drain.Participate(lifecycle);
        return (new LocalUnlessDrainingPlacementDirector(drain), lifecycle);
    }

    private static PlacementTarget Target() =>
        new(GrainId.Create("upstream", "0"), [], GrainInterfaceType.Create("upstream"), 0);

    private sealed class Context(SiloAddress[] compatible, SiloStatus status = SiloStatus.Active) : IPlacementContext
    {
        public SiloAddress LocalSilo => Local;

        public SiloStatus LocalSiloStatus => status;

        public SiloAddress[] GetCompatibleSilos(PlacementTarget target) => compatible;

        public IReadOnlyDictionary<ushort, SiloAddress[]> GetCompatibleSilosWithVersions(PlacementTarget target) =>
            new Dictionary<ushort, SiloAddress[]> { [0] = compatible };
    }

    /// <summary>The one observer the drain subscribes, stopped as the silo stops it.</summary>
    private sealed class Lifecycle : ISiloLifecycle
    {
        private ILifecycleObserver? _observer;

        public int Stage { get; private set; }

        public int HighestCompletedStage => ServiceLifecycleStage.Active;

        public int LowestStoppedStage => ServiceLifecycleStage.Active;

        public IDisposable Subscribe(string observerName, int stage, ILifecycleObserver observer)
        {
            (Stage, _observer) = (stage, observer);
            return new NoUnsubscribe();
        }

        public Task StopAsync() => _observer!.OnStop(CancellationToken.None);

        private sealed class NoUnsubscribe : IDisposable
        {
            public void Dispose()
            {
            }
        }
    }
}
