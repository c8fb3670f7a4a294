using Gateway.Hosting;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace Gateway.Tests.Hosting;

/// <summary>Readiness turns false once the host starts stopping (a silo draining, a frontend finishing its requests), before any grain call is tried.</summary>
public sealed class ReadinessWhileStoppingTests
{
    [Fact]
    public async Task AStoppingHostIsNotReady()
    {
        using var lifetime = new StoppingLifetime();
        var check = new ClusterReadyHealthCheck(grains: null!, joinState: null, lifetime);

        var result = await check.CheckHealthAsync(new HealthCheckContext());

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Contains("stopping", result.Description, StringComparison.Ordinal);
    }

    private sealed class StoppingLifetime : IHostApplicationLifetime, IDisposable
    {
        private readonly CancellationTokenSource _stopping = new();

        public StoppingLifetime() => _stopping.Cancel();

        public CancellationToken ApplicationStarted => CancellationToken.None;

        public CancellationToken ApplicationStopping => _stopping.Token;

        public CancellationToken ApplicationStopped => CancellationToken.None;

        public void StopApplication() => _stopping.Cancel();

        public void Dispose() => _stopping.Dispose();
    }
}
