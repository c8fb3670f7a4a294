using Gateway.Catalog;
using Gateway.Grains.Abstractions.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gateway.Grains.Routing;

/// <summary>
/// Sends this silo's view of every deployment it has routed to (<see cref="DeploymentHealth"/>) to that deployment's
/// <see cref="IDeploymentStatusGrain"/> every <see cref="Interval"/> (a timer on the gateway clock), so that
/// <c>GET /admin/deployments</c> shows every silo's view from any frontend, one that is only an Orleans client included.
/// Best effort: a report that fails is replaced by the next round's; a round still running when the timer fires again
/// makes the silo skip that round. Costs one small grain call per deployment this silo knows, per second; nothing on the
/// request path.
/// </summary>
public sealed partial class DeploymentStatusPublisher(
    DeploymentHealth health,
    IGrainFactory grains,
    ILocalSiloDetails silo,
    [FromKeyedServices(GatewayClock.Key)] TimeProvider time,
    ILogger<DeploymentStatusPublisher> logger) : ILifecycleParticipant<ISiloLifecycle>, IDisposable
{
    /// <summary>How often the silo reports; a tenth of <see cref="DeploymentStatusBook.DefaultSilence"/>.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private readonly string _silo = silo.SiloAddress.ToParsableString();
    private ITimer? _timer;
    private int _publishing;

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(DeploymentStatusPublisher), ServiceLifecycleStage.Active, Start, Stop);

    /// <summary>One round: this silo's view of each deployment it knows, sent to the deployments' grains.</summary>
    public async Task PublishAsync()
    {
        var reports = new List<Task>();
        foreach (var state in health.Known)
        {
            reports.Add(grains.GetGrain<IDeploymentStatusGrain>(state.Id).ReportAsync(state.Report(_silo)));
        }

        try
        {
            await Task.WhenAll(reports);
        }
        catch (Exception exception) when (exception is OrleansException or TimeoutException or ObjectDisposedException)
        {
            LogReportFailed(logger, exception.GetType().Name);
        }
    }

    private Task Start(CancellationToken cancellationToken)
    {
        // Not the starting lifecycle's execution context: the timer outlives it.
        using (ExecutionContext.SuppressFlow())
        {
            _timer = time.CreateTimer(static state => ((DeploymentStatusPublisher)state!).OnTimer(), this, Interval, Interval);
        }

        return Task.CompletedTask;
    }

    private Task Stop(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    private void OnTimer()
    {
        if (Interlocked.Exchange(ref _publishing, 1) != 0)
        {
            return;
        }

        _ = RoundAsync();

        async Task RoundAsync()
        {
            try
            {
                await PublishAsync();
            }
            finally
            {
                Volatile.Write(ref _publishing, 0);
            }
        }
    }

    public void Dispose() => _timer?.Dispose();

    [LoggerMessage(Level = LogLevel.Debug, Message = "Deployment health reports of this round failed ({Reason}); the next round restates them")]
    private static partial void LogReportFailed(ILogger logger, string reason);
}
