namespace Gateway.Hosting;

/// <summary>
/// Whether this process's silo has joined its cluster, and if not, why: what <c>/health/ready</c> reports before a
/// grain call can mean anything.
/// </summary>
internal sealed class SiloJoinState : ILifecycleParticipant<ISiloLifecycle>
{
    private volatile string? _notJoinedReason = "joining the cluster";

    /// <summary>Null once the silo is active in the cluster; otherwise what keeps it out, free of secrets.</summary>
    public string? NotJoinedReason => _notJoinedReason;

    public void Report(string reason) => _notJoinedReason = reason;

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(SiloJoinState), ServiceLifecycleStage.Active, _ =>
        {
            _notJoinedReason = null;
            return Task.CompletedTask;
        });
}
