using System.Globalization;
using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Clustering.Redis;
using Polly;
using Polly.Retry;
using StackExchange.Redis;

namespace Gateway.Hosting;

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
    TimeProvider time,
    ILogger<RedisMembershipConnector> logger,
    TimeSpan maxDelay)
{
    public async Task<(IConnectionMultiplexer Multiplexer, bool IsShared)> ConnectAsync(RedisClusteringOptions options)
    {
        // The first connection must succeed whatever the connection string says; reconnecting later is the multiplexer's own.
        var redis = options.ConfigurationOptions!.Clone();
        redis.AbortOnConnectFail = true;
        var endpoints = string.Join(", ", redis.EndPoints.Select(e => e is DnsEndPoint dns ? $"{dns.Host}:{dns.Port}" : e.ToString()));
        var multiplexer = await ConnectWithRetriesAsync(endpoints, () => ConnectionMultiplexer.ConnectAsync(redis));
        return (multiplexer, false);
    }

    /// <summary>
    /// Calls <paramref name="connect"/> until it succeeds or the application stops, reporting each failure; generic so
    /// that tests can stand in for Redis.
    /// </summary>
    internal async Task<TConnection> ConnectWithRetriesAsync<TConnection>(string endpoints, Func<Task<TConnection>> connect)
    {
        var attempts = 0;
        var connection = await Retry(endpoints).ExecuteAsync(
            async _ =>
            {
                attempts++;
                return await connect();
            },
            lifetime.ApplicationStopping);
        if (attempts > 1)
        {
            LogReached(logger, endpoints, attempts);
        }

        joinState.Report("joining the cluster: membership store reached");
        return connection;
    }

    // One per connection (once per silo start), so that its reports can name the endpoints.
    private ResiliencePipeline Retry(string endpoints) => new ResiliencePipelineBuilder { TimeProvider = time }
        .AddRetry(new RetryStrategyOptions
        {
            MaxRetryAttempts = int.MaxValue,
            ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is { } exception && exception is not OperationCanceledException),
            BackoffType = DelayBackoffType.Exponential,
            Delay = TimeSpan.FromSeconds(1),
            MaxDelay = maxDelay,
            OnRetry = args =>
            {
                var failure = SecretRedaction.Redact(Describe(args.Outcome.Exception!), configuration);
                var attempt = args.AttemptNumber + 1;
                var retry = args.RetryDelay.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture);
                // Logged before it is reported, so whoever sees the reason on /health/ready finds it in the log too.
                LogUnreachable(logger, endpoints, failure, attempt, retry);
                joinState.Report($"cannot join the cluster: membership store unreachable (Redis at {endpoints}: {failure}); retrying in {retry} s, attempt {attempt}");
                return ValueTask.CompletedTask;
            },
        })
        .Build();

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
