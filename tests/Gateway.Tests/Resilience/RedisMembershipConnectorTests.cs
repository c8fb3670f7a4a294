using Gateway.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace Gateway.Tests.Resilience;

/// <summary>
/// <see cref="RedisMembershipConnector"/>'s join retry on a fake clock, with Redis stood in for: waits doubling from
/// 1 s up to the configured most, each failure reported (without the password) until Redis answers or the host stops.
/// </summary>
public sealed class RedisMembershipConnectorTests
{
    private const string Endpoints = "127.0.0.1:6390";
    private const string Password = "redis-pw-not-for-logs";

    private readonly WaitClock _clock = new();
    private readonly RecordingLogger<RedisMembershipConnector> _log = new();
    private readonly SiloJoinState _joinState = new();
    private readonly ApplicationLifetime _lifetime = new(NullLogger<ApplicationLifetime>.Instance);
    private int _attempts;

    [Fact]
    public async Task WaitsDoublingUpToTheMostReportingEachFailureUntilRedisAnswers()
    {
        var connecting = Connector(maxDelay: TimeSpan.FromSeconds(4)).ConnectWithRetriesAsync(Endpoints, () => ConnectAsync(failures: 5));

        int[] expected = [1, 2, 4, 4, 4];
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.Equal(TimeSpan.FromSeconds(expected[i]), await _clock.NextWaitAsync());
            Assert.Equal(
                $"cannot join the cluster: membership store unreachable (Redis at {Endpoints}: UnableToConnect: refused with password=***); retrying in {expected[i]} s, attempt {i + 1}",
                _joinState.NotJoinedReason);
            _clock.Advance(TimeSpan.FromSeconds(expected[i]));
        }

        Assert.Equal("connected", await connecting.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(6, _attempts);
        Assert.Equal("joining the cluster: membership store reached", _joinState.NotJoinedReason);
        Assert.Equal(expected.Length, _log.Count(LogLevel.Error));
        Assert.Equal(
            $"Cannot join the cluster: the membership store (Redis at {Endpoints}) is unreachable (UnableToConnect: refused with password=***); attempt 1, retrying in 1 s",
            _log.Entries[0].Message);
        Assert.Equal($"Reached the membership store (Redis at {Endpoints}) at attempt 6; joining the cluster", _log.Entries[^1].Message);
        Assert.DoesNotContain(_log.Entries, e => e.Message.Contains(Password, StringComparison.Ordinal));
    }

    [Fact]
    public async Task AFirstAttemptThatSucceedsLogsNothing()
    {
        Assert.Equal("connected", await Connector(TimeSpan.FromSeconds(30)).ConnectWithRetriesAsync(Endpoints, () => ConnectAsync(failures: 0)));

        Assert.Empty(_log.Entries);
        Assert.Equal("joining the cluster: membership store reached", _joinState.NotJoinedReason);
    }

    [Fact]
    public async Task StoppingTheHostEndsTheWait()
    {
        var connecting = Connector(TimeSpan.FromSeconds(30)).ConnectWithRetriesAsync(Endpoints, () => ConnectAsync(failures: int.MaxValue));
        await _clock.NextWaitAsync();

        _lifetime.StopApplication();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => connecting.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(1, _attempts);
    }

    [Fact]
    public async Task ACancelledConnectIsNotRetried()
    {
        await Assert.ThrowsAsync<OperationCanceledException>(() =>
            Connector(TimeSpan.FromSeconds(30)).ConnectWithRetriesAsync<string>(Endpoints, () => throw new OperationCanceledException()));

        Assert.False(_clock.HasWaitPending);
        Assert.Empty(_log.Entries);
    }

    private RedisMembershipConnector Connector(TimeSpan maxDelay)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:Redis"] = $"{Endpoints},password={Password}" })
            .Build();
        return new RedisMembershipConnector(_joinState, configuration, _lifetime, _clock, _log, maxDelay);
    }

    private Task<string> ConnectAsync(int failures) =>
        Interlocked.Increment(ref _attempts) <= failures
            ? Task.FromException<string>(new RedisConnectionException(ConnectionFailureType.UnableToConnect, "It was not possible to connect", new IOException($"refused with password={Password}")))
            : Task.FromResult("connected");
}
