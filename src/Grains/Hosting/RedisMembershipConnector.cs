using System.Globalization;
using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Clustering.Redis;
using StackExchange.Redis;

namespace Gateway.Grains.Hosting;

/// <summary>
/// Opens the silo's connection to its Redis membership store (<see cref="RedisClusteringOptions.CreateMultiplexer"/>),
/// retrying with backoff from 1 s up to <paramref name="maxDelay"/> while Redis cannot be reached, and saying so in the
/// log and in <c>/health/ready</c>; once Redis answers, Orleans goes on joining the cluster as usual.
/// </summary>
/// <remarks>
/// Orleans itself tries once and fails the silo's start, and a failed start cannot be retried in-process (see
/// <see cref="SiloStartSupervisor"/>); waiting here, the silo's start simply lasts until Redis is back.
/// </remarks>
internal sealed partial class RedisMembershipConnector(
    SiloJoinState joinState,
    IConfiguration configuration,
    IHostApplicationLifetime lifetime,
    ILogger<RedisMembershipConnector> logger,
    TimeSpan maxDelay)
{
    public async Task<(IConnectionMultiplexer Multiplexer, bool IsShared)> ConnectAsync(RedisClusteringOptions options)
    {
        // The first connection must succeed whatever the connection string says; reconnecting later is the multiplexer's own.
        var redis = options.ConfigurationOptions!.Clone();
        redis.AbortOnConnectFail = true;
        var endpoints = string.Join(", ", redis.EndPoints.Select(e => e is DnsEndPoint dns ? $"{dns.Host}:{dns.Port}" : e.ToString()));
        var delay = TimeSpan.FromSeconds(1);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var multiplexer = await ConnectionMultiplexer.ConnectAsync(redis);
                if (attempt > 1)
                {
                    LogReached(logger, endpoints, attempt);
                }

                joinState.Report("joining the cluster: membership store reached");
                return (multiplexer, false);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                var failure = SecretRedaction.Redact(Describe(exception), configuration);
                var retry = delay.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture);
                joinState.Report($"cannot join the cluster: membership store unreachable (Redis at {endpoints}: {failure}); retrying in {retry} s, attempt {attempt}");
                LogUnreachable(logger, endpoints, failure, attempt, retry);
            }

            await Task.Delay(delay, lifetime.ApplicationStopping);
            delay = TimeSpan.FromTicks(Math.Min(maxDelay.Ticks, delay.Ticks * 2));
        }
    }

    // StackExchange.Redis's message mostly advises abortConnect=false, which is not the fix here: its failure type and cause are.
    private static string Describe(Exception exception) => exception switch
    {
        RedisConnectionException { InnerException: { } inner } redis => $"{redis.FailureType}: {inner.Message}",
        RedisConnectionException redis => redis.FailureType.ToString(),
        _ => $"{exception.GetType().Name}: {exception.Message}",
    };

    [LoggerMessage(Level = LogLevel.Error, Message = "Cannot join the cluster: the membership store (Redis at {Endpoints}) is unreachable ({Failure}); attempt {Attempt}, retrying in {Retry} s")]
    private static partial void LogUnreachable(ILogger logger, string endpoints, string failure, int attempt, string retry);

    [LoggerMessage(Level = LogLevel.Information, Message = "Reached the membership store (Redis at {Endpoints}) at attempt {Attempt}; joining the cluster")]
    private static partial void LogReached(ILogger logger, string endpoints, int attempt);
}
