using Gateway.Grains.Abstractions.Routing;
using Gateway.Grains.Routing;

namespace Gateway.Hosting;

/// <summary>
/// The deployments' health as this process's own silo sees it, read in process: fresher than what the silo last pushed to
/// each deployment's <see cref="IDeploymentStatusGrain"/>. Registered only where a silo runs (embedded mode, the silo
/// process), so that a frontend reads it without depending on the grains' implementation.
/// </summary>
public sealed class LocalDeploymentHealth
{
    private readonly DeploymentHealth _health;

    internal LocalDeploymentHealth(DeploymentHealth health, ILocalSiloDetails silo)
    {
        _health = health;
        Silo = silo.SiloAddress.ToParsableString();
    }

    /// <summary>This silo's address, as its reports name it.</summary>
    public string Silo { get; }

    /// <summary>This silo's report of the deployment; null until it has routed a request of the deployment's model.</summary>
    public DeploymentHealthReport? Find(string deploymentId) => _health.Find(deploymentId)?.Report(Silo);
}
