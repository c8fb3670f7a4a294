using System.Runtime.CompilerServices;
using Gateway.Grains.Abstractions.Upstream;
using Gateway.Grains.Upstream;
using Gateway.Tests.Resilience;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Gateway.Tests.Upstream;

/// <summary>
/// The worker's side of a stream on its own: how chunks are batched into numbered pushes, the end marker, and what
/// happens to the stream (its settlement runs in its <c>finally</c>) when the frontend refuses a push.
/// </summary>
public sealed class UpstreamStreamPumpTests
{
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(10);

    private readonly InFlightCalls _calls = new(new UpstreamDrain(Options.Create(new UpstreamOptions()), NullLogger<UpstreamDrain>.Instance));

    [Fact]
    public async Task ChunksAtHandGoInOnePushAndTheEndFollowsTheLast()
    {
        var observer = new RecordingObserver();
        var second = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stream = Stream(["a", "b"], second.Task, ["c"], new StreamEnd());

        var pumping = Pump(stream, observer);
        await observer.Pushed(1).WaitAsync(Bounded);
        second.SetResult();
        await pumping.WaitAsync(Bounded);

        Assert.Equal(["1:a,b", "2:c,END"], observer.Pushes);
        Assert.False(_calls.Contains("r1"));
    }

    [Fact]
    public async Task AStreamAllAtHandGoesInBoundedPushesNotInOneAtItsEnd()
    {
        var observer = new RecordingObserver();
        var chunks = Enumerable.Range(0, (UpstreamStreamPump.MaxChunksPerPush * 2) + 1).Select(i => $"c{i}").ToArray();

        await Pump(Stream(chunks, Task.CompletedTask, [], new StreamEnd()), observer).WaitAsync(Bounded);

        var sizes = observer.Pushes.Select(p => p.Split(':')[1].Split(',').Length).ToArray();
        Assert.Equal([UpstreamStreamPump.MaxChunksPerPush, UpstreamStreamPump.MaxChunksPerPush, 2], sizes);
        Assert.EndsWith($"c{chunks.Length - 1},END", observer.Pushes[^1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task APushRefusedWhileTheNextEventIsAwaitedStillEndsTheStreamSoItSettles()
    {
        var observer = new RecordingObserver { FailFrom = 1 };
        var nextEvent = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var end = new StreamEnd();
        var stream = Stream(["a"], nextEvent.Task, ["b"], end);

        var pumping = Pump(stream, observer);
        await observer.Pushed(1).WaitAsync(Bounded);

        // The provider's next event arrives after the push was refused: only then can the stream be ended.
        Assert.False(pumping.IsCompleted);
        nextEvent.SetResult();
        var refused = await Assert.ThrowsAsync<OperationCanceledException>(() => pumping.WaitAsync(Bounded));

        Assert.Equal("The client of this stream is gone.", refused.Message);
        Assert.True(end.Ran, "The stream's finally (its settlement) did not run.");
        Assert.False(_calls.Contains("r1"));
    }

    [Fact]
    public async Task APushUnansweredAfterTheClientLeftIsNotSentAgain()
    {
        // The client leaves while a push is on its way, and the push goes unanswered (its observer deleted: Orleans times
        // it out). Sent again, each attempt would wait out its response timeout, a dozen times, the provider still
        // generating; the call's cancellation ends the stream after the one attempt.
        using var left = new CancellationTokenSource();
        var observer = new UnansweredObserver(left);
        var end = new StreamEnd();
        var neverMore = new TaskCompletionSource();
        var stream = Stream(["a"], neverMore.Task, ["b"], end, left.Token);

        var ended = await Record.ExceptionAsync(() => Pump(stream, observer, left.Token).WaitAsync(Bounded));

        Assert.True(ended is TimeoutException or OperationCanceledException, $"ended with {ended?.GetType().Name ?? "nothing"}");
        Assert.Equal(1, observer.Attempts);
        Assert.True(end.Ran, "The stream's finally (its settlement) did not run.");
        Assert.False(_calls.Contains("r1"));
    }

    [Fact]
    public async Task APushUnansweredOnItsWayIsSentAgainAndEachAttemptIsLogged()
    {
        // As in a rolling update: the push's answer is lost once (Orleans times the call out), the frontend is still there.
        var observer = new OnceUnansweredObserver();
        var logger = new RecordingLogger<UpstreamStreamPumpTests>();

        await Pump(Stream(["a"], Task.CompletedTask, [], new StreamEnd()), observer, logger).WaitAsync(Bounded);

        Assert.Equal(["1:a,END", "1:a,END"], observer.Attempts);
        var retried = Assert.Single(logger.Entries);
        Assert.Equal(LogLevel.Information, retried.Level);
        Assert.StartsWith("Push 1 of request r1 to its frontend failed (attempt 1, TimeoutException: Response did not arrive on time.)", retried.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AStreamItsCallerCancelsEndsAndSaysSo()
    {
        using var cancelled = new CancellationTokenSource();
        var observer = new RecordingObserver();
        var logger = new RecordingLogger<UpstreamStreamPumpTests>();
        var end = new StreamEnd();
        var pumping = Pump(Stream(["a"], new TaskCompletionSource().Task, ["b"], end, cancelled.Token), observer, logger, cancelled.Token);
        await observer.Pushed(1).WaitAsync(Bounded);

        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pumping.WaitAsync(Bounded));
        Assert.True(end.Ran, "The stream's finally (its settlement) did not run.");
        Assert.Equal("Stream of request r1 was cancelled by its caller after 1 pushes; it ends, charged what was streamed", Assert.Single(logger.Entries).Message);
    }

    [Fact]
    public async Task PushesAreMadeFromThePoolWhileThePumpGoesOnInTheActivationsTurns()
    {
        // An exclusive scheduler stands for the worker's activation: the pump's reads of the provider's stream run there,
        // its pushes do not (made from the activation, their answers were lost for seconds in rolling updates).
        var activation = new ConcurrentExclusiveSchedulerPair().ExclusiveScheduler;
        var observer = new SchedulerObserver();
        var readOn = new List<TaskScheduler>();

        await Task.Factory.StartNew(
            () => Pump(Recorded(Stream(["a"], observer.FirstPush, ["b"], new StreamEnd()), readOn), observer),
            CancellationToken.None, TaskCreationOptions.None, activation).Unwrap().WaitAsync(Bounded);

        Assert.Equal(2, observer.PushedOn.Count);
        Assert.All(observer.PushedOn, scheduler => Assert.Same(TaskScheduler.Default, scheduler));
        Assert.True(readOn.Count >= 3, $"the stream was read {readOn.Count} times");
        Assert.All(readOn, scheduler => Assert.Same(activation, scheduler));
    }

    /// <summary><paramref name="stream"/>, recording the scheduler each of its reads begins on.</summary>
    private static async IAsyncEnumerable<UpstreamChunk> Recorded(IAsyncEnumerable<UpstreamChunk> stream, List<TaskScheduler> readOn)
    {
        readOn.Add(TaskScheduler.Current);
        await foreach (var chunk in stream)
        {
            yield return chunk;
            readOn.Add(TaskScheduler.Current);
        }
    }

    /// <summary>Records the scheduler each push (heartbeats left out) is made on.</summary>
    private sealed class SchedulerObserver : IUpstreamStreamObserver
    {
        private readonly TaskCompletionSource _firstPush = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public List<TaskScheduler> PushedOn { get; } = [];

        /// <summary>Completes once the first push is made (elsewhere than on the stream's own flow).</summary>
        public Task FirstPush => _firstPush.Task;

        public Task OnChunksAsync(long seq, UpstreamChunk[] chunks)
        {
            if (seq != 0)
            {
                lock (PushedOn)
                {
                    PushedOn.Add(TaskScheduler.Current);
                }

                _firstPush.TrySetResult();
            }

            return Task.CompletedTask;
        }
    }

    private Task Pump(IAsyncEnumerable<UpstreamChunk> stream, IUpstreamStreamObserver observer, CancellationToken cancellationToken = default) =>
        Pump(stream, observer, NullLogger.Instance, cancellationToken);

    private Task Pump(IAsyncEnumerable<UpstreamChunk> stream, IUpstreamStreamObserver observer, ILogger logger, CancellationToken cancellationToken = default)
    {
        Assert.True(_calls.TryEnter("r1", out var running));
        return UpstreamStreamPump.RunAsync(running, stream, observer, "r1", logger, cancellationToken);
    }

    /// <summary>Every data push is received; the first one's answer is lost (a timeout, as Orleans reports it).</summary>
    private sealed class OnceUnansweredObserver : IUpstreamStreamObserver
    {
        public List<string> Attempts { get; } = [];

        public Task OnChunksAsync(long seq, UpstreamChunk[] chunks)
        {
            if (seq == 0)
            {
                return Task.CompletedTask;
            }

            lock (Attempts)
            {
                Attempts.Add($"{seq}:{string.Join(",", chunks.Select(c => c.End ? "END" : System.Text.Encoding.UTF8.GetString(c.Data!)))}");
                return Attempts.Count == 1 ? Task.FromException(new TimeoutException("Response did not arrive on time.")) : Task.CompletedTask;
            }
        }
    }

    /// <summary>Every data push goes unanswered (a timeout, as Orleans reports it); the first one also sees the client leave.</summary>
    private sealed class UnansweredObserver(CancellationTokenSource left) : IUpstreamStreamObserver
    {
        private int _attempts;

        public int Attempts => Volatile.Read(ref _attempts);

        public Task OnChunksAsync(long seq, UpstreamChunk[] chunks)
        {
            if (seq == 0)
            {
                return Task.CompletedTask;
            }

            Interlocked.Increment(ref _attempts);
            left.Cancel();
            return Task.FromException(new TimeoutException("Response did not arrive on time."));
        }
    }

    /// <summary>The first chunks at once, then the rest once <paramref name="between"/> completes; marks its end as the worker's stream settles in its finally.</summary>
    private static async IAsyncEnumerable<UpstreamChunk> Stream(
        string[] first, Task between, string[] rest, StreamEnd end, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        try
        {
            foreach (var data in first)
            {
                yield return Chunk(data);
            }

            await between.WaitAsync(cancellationToken);
            foreach (var data in rest)
            {
                yield return Chunk(data);
            }
        }
        finally
        {
            end.Ran = true;
        }
    }

    private static UpstreamChunk Chunk(string data) => new(System.Text.Encoding.UTF8.GetBytes(data), null);

    private sealed class StreamEnd
    {
        public bool Ran { get; set; }
    }

    /// <summary>Records pushes (heartbeats left out); from push number <see cref="FailFrom"/> on it refuses them as a closed relay does.</summary>
    private sealed class RecordingObserver : IUpstreamStreamObserver
    {
        private readonly List<TaskCompletionSource> _pushed = [];

        public long FailFrom { get; init; } = long.MaxValue;

        public List<string> Pushes { get; } = [];

        public Task Pushed(int count)
        {
            lock (_pushed)
            {
                while (_pushed.Count < count)
                {
                    _pushed.Add(new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
                }

                return _pushed[count - 1].Task;
            }
        }

        public Task OnChunksAsync(long seq, UpstreamChunk[] chunks)
        {
            if (seq == 0)
            {
                return Task.CompletedTask;
            }

            lock (_pushed)
            {
                Pushes.Add($"{seq}:{string.Join(",", chunks.Select(c => c.End ? "END" : System.Text.Encoding.UTF8.GetString(c.Data!)))}");
                _ = Pushed((int)seq);
                _pushed[(int)seq - 1].TrySetResult();
            }

            return seq >= FailFrom ? Task.FromException(new OperationCanceledException("The client of this stream is gone.")) : Task.CompletedTask;
        }
    }
}
