using Gateway.Grains.Upstream;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Upstream;

/// <summary>
/// A stopping silo's drain on its own clock: it refuses calls from its start, waits for the running ones, and stays a
/// moment after the last one ended, so that its answer leaves before the gateway closes and application messages are
/// blocked (without that moment, answers sent just after the count dropped were dropped in rolling updates).
/// </summary>
public sealed class UpstreamDrainTests
{
    private readonly FakeTimeProvider _time = new();
    private readonly UpstreamDrain _drain;

    public UpstreamDrainTests() =>
        _drain = new UpstreamDrain(Options.Create(new UpstreamOptions { DrainTimeout = TimeSpan.FromSeconds(20) }), NullLogger<UpstreamDrain>.Instance, _time);

    [Fact]
    public async Task ASiloThatRanNoCallStopsAtOnce()
    {
        await _drain.DrainAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.False(_drain.TryEnter());
    }

    [Fact]
    public void ACallIsRefusedOnceTheDrainBeganAndNotCounted()
    {
        var draining = _drain.DrainAsync(CancellationToken.None);

        Assert.False(_drain.TryEnter());
        Assert.True(draining.IsCompleted, "a refused call was counted as running");
    }

    [Fact]
    public void TheDrainWaitsForTheRunningCallAndThenForItsAnswerToLeave()
    {
        Assert.True(_drain.TryEnter());
        var draining = _drain.DrainAsync(CancellationToken.None);
        _time.Advance(TimeSpan.FromSeconds(3));
        Assert.False(draining.IsCompleted);

        _drain.Exit();
        _time.Advance(TimeSpan.FromMilliseconds(50));
        Assert.False(draining.IsCompleted, "the silo stopped as soon as its last call stopped counting, before its answer left");
        _time.Advance(UpstreamDrain.AnswerGrace - TimeSpan.FromMilliseconds(50) - TimeSpan.FromTicks(1));
        Assert.False(draining.IsCompleted);
        _time.Advance(TimeSpan.FromTicks(1));
        Assert.True(draining.IsCompleted);
    }

    [Fact]
    public void ACallThatEndedJustBeforeTheDrainStillGetsItsMoment()
    {
        Assert.True(_drain.TryEnter());
        _drain.Exit();
        _time.Advance(TimeSpan.FromMilliseconds(400));

        var draining = _drain.DrainAsync(CancellationToken.None);
        Assert.False(draining.IsCompleted);
        _time.Advance(UpstreamDrain.AnswerGrace - TimeSpan.FromMilliseconds(400));
        Assert.True(draining.IsCompleted);
    }

    [Fact]
    public void ACallStillRunningAtTheDrainTimeoutIsLeftAndTheSiloStops()
    {
        Assert.True(_drain.TryEnter());
        var draining = _drain.DrainAsync(CancellationToken.None);
        for (var i = 0; i < 20 * 20 && !draining.IsCompleted; i++)
        {
            _time.Advance(TimeSpan.FromMilliseconds(50));
        }

        Assert.True(draining.IsCompleted);
    }
}
