using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gateway.Hosting;

/// <summary>
/// Runs Orleans' own silo hosted service without holding up the host, so that the web server answers
/// <c>/health/live</c> and <c>/health/ready</c> while the silo joins; <paramref name="dependents"/>, the hosted services
/// registered after the silo's (the dashboard's, the ledger writer), start after it and stop before it, as they would
/// in the host. A silo whose start fails is reported on <c>/health/ready</c> and in the log, and after
/// <paramref name="exitDelay"/> the process stops with exit code 1 so that its orchestrator starts a fresh one.
/// </summary>
/// <remarks>
/// Exiting is the only sound answer to a failed start: Orleans cannot start a silo twice (its lifecycle runs once, and
/// <c>Silo.StartAsync</c> refuses a silo that has left the Created state), and the silo's services are the host's,
/// so a new attempt needs a new process. The failure that is worth waiting out in-process, an unreachable membership
/// store, does not fail the start at all: <see cref="RedisMembershipConnector"/> retries it.
/// </remarks>
internal sealed partial class SiloStartSupervisor(
    IHostedService orleansSilo,
    IReadOnlyList<IHostedService> dependents,
    SiloJoinState joinState,
    IConfiguration configuration,
    IHostApplicationLifetime lifetime,
    ILogger<SiloStartSupervisor> logger,
    TimeSpan exitDelay) : IHostedService, IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private Task _start = Task.CompletedTask;
    private int _started;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _start = Task.Run(StartSiloAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    private async Task StartSiloAsync()
    {
        try
        {
            foreach (var service in dependents.Prepend(orleansSilo))
            {
                await service.StartAsync(_stopping.Token);
                _started++;
            }
        }
        catch (Exception) when (_stopping.IsCancellationRequested || lifetime.ApplicationStopping.IsCancellationRequested)
        {
            // Asked to stop while joining: nothing failed.
        }
        catch (Exception exception)
        {
            var seconds = exitDelay.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture);
            var failure = SecretRedaction.Redact(Describe(exception), configuration);
            joinState.Report($"cannot join the cluster: the silo failed to start ({failure}); the process exits in {seconds} s to be restarted");
            LogStartFailed(logger, failure, seconds);
            Environment.ExitCode = 1;
            await Task.Delay(exitDelay, _stopping.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            lifetime.StopApplication();
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        try
        {
            await _start.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        foreach (var service in dependents.Prepend(orleansSilo).Take(_started).Reverse())
        {
            await service.StopAsync(cancellationToken);
        }
    }

    public void Dispose() => _stopping.Dispose();

    private static string Describe(Exception exception) => exception.InnerException is { } inner
        ? $"{exception.GetType().Name}: {exception.Message} ({inner.GetType().Name}: {inner.Message})"
        : $"{exception.GetType().Name}: {exception.Message}";

    [LoggerMessage(Level = LogLevel.Critical, Message = "Cannot join the cluster: the silo failed to start ({Failure}); the process exits with code 1 in {Seconds} s to be restarted")]
    private static partial void LogStartFailed(ILogger logger, string failure, string seconds);
}
