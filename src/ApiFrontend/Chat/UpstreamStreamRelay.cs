using System.Threading.Channels;
using Gateway.Grains.Abstractions.Upstream;

namespace Gateway.ApiFrontend.Chat;

/// <summary>
/// Receives the chunks a worker pushes for one stream and hands them, in order, to the request that writes them to the
/// client. Bounded: when the client reads slowly the worker's next push waits, so nothing piles up here. Once the request
/// has stopped reading (the client left, or the stream ended), every further push fails, which ends the worker's stream.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "Its token source has no timer and its semaphore no wait handle, so nothing needs disposing; a push that arrives late must still find them usable.")]
internal sealed class UpstreamStreamRelay(Action pushed) : IUpstreamStreamObserver
{
    private readonly Channel<UpstreamChunk> _chunks = Channel.CreateBounded<UpstreamChunk>(new BoundedChannelOptions(16)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    private readonly CancellationTokenSource _closed = new();
    private int _received;
    private long _accepted;

    // One push's chunks go in before the next push's, even when a push sent again let the worker move on early.
    private readonly SemaphoreSlim _writing = new(1, 1);

    private readonly TaskCompletionSource _refusedAfterClose = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when a push arrives after <see cref="Close"/> (and fails): the worker now knows the client is gone.</summary>
    public Task RefusedAfterClose => _refusedAfterClose.Task;

    public async Task OnChunksAsync(long seq, UpstreamChunk[] chunks)
    {
        pushed();
        if (_closed.IsCancellationRequested)
        {
            _refusedAfterClose.TrySetResult();
            throw new OperationCanceledException("The client of this stream is gone.");
        }

        if (chunks.Length == 0)
        {
            return;
        }

        // A push sent again (its first answer was lost) is taken once; taking is decided before waiting for room, so the
        // copy returns at once while the first waits its turn, in order, among the writers the channel holds back.
        lock (_chunks)
        {
            if (seq <= _accepted)
            {
                return;
            }

            _accepted = seq;
        }

        Interlocked.Increment(ref _received);
        await _writing.WaitAsync(_closed.Token);
        try
        {
            foreach (var chunk in chunks)
            {
                await _chunks.Writer.WriteAsync(chunk, _closed.Token);
            }
        }
        catch (ChannelClosedException)
        {
            throw new OperationCanceledException("The client of this stream is gone.");
        }
        finally
        {
            _writing.Release();
        }
    }

    /// <summary>
    /// The stream's last chunk (its end, or a failure) was taken: the stream is whole without the worker's call's own
    /// answer, which a rolling update can lose on its way while the pushes get through.
    /// </summary>
    public bool Finished { get; private set; }

    /// <summary>The next chunk, or null when the worker's call has ended (normally or not: see the call's task).</summary>
    public ValueTask<UpstreamChunk?> NextAsync(CancellationToken cancellationToken) =>
        // Pushes bring several chunks at once: most are at hand, and taken without an async wait.
        !cancellationToken.IsCancellationRequested && _chunks.Reader.TryRead(out var chunk) ? ValueTask.FromResult<UpstreamChunk?>(Taken(chunk)) : WaitAsync(cancellationToken);

    private async ValueTask<UpstreamChunk?> WaitAsync(CancellationToken cancellationToken) =>
        await _chunks.Reader.WaitToReadAsync(cancellationToken) && _chunks.Reader.TryRead(out var chunk) ? Taken(chunk) : null;

    private UpstreamChunk Taken(UpstreamChunk chunk)
    {
        if (chunk.End || chunk.Failure is not null)
        {
            Finished = true;
        }

        return chunk;
    }

    /// <summary>
    /// The worker's call ended. Completed: every push, the end included, is here. Failed before anything arrived: the call
    /// never ran (refused, or lost with its silo); nothing more will come. Failed after pushes arrived: the answer may have
    /// been lost on its way while the worker goes on pushing, so the stream goes on until its end, a failure, or silence.
    /// </summary>
    public void CallEnded(Task call)
    {
        if (call.IsCompletedSuccessfully || Volatile.Read(ref _received) == 0)
        {
            _chunks.Writer.TryComplete();
        }
    }

    /// <summary>The request stopped reading: pushes from now on fail.</summary>
    public void Close()
    {
        _chunks.Writer.TryComplete();

        // Not disposed: a push may still arrive and must fail as cancelled, not as disposed.
        _closed.Cancel();
    }
}
