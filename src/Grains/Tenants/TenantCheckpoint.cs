namespace Gateway.Grains.Tenants;

/// <summary>
/// When a tenant's state is written: a change marks it dirty, and it is written within the flush interval by a one-shot
/// timer that exists only while there is something to write (an idle tenant holds no timer); a write asked for while
/// one is running follows it, so there is one write in flight at a time. A failed write leaves the state dirty and the
/// timer set, so it is retried. The ledger, not this checkpoint, makes each settlement durable: the checkpoint only
/// bounds how much of the ledger a reactivation replays. Once no write is queued, the last one's task is let go, so an
/// idle tenant holds none.
/// </summary>
/// <param name="host">Writes the state and starts the timer (the grain).</param>
internal sealed class TenantCheckpoint(ICheckpointHost host) : IStateChanges
{
    private Task _writing = Task.CompletedTask;
    private int _queued;
    private bool _dirty;
    private IDisposable? _timer;

    /// <summary>Whether the state changed since the last write began.</summary>
    public bool IsDirty => _dirty;

    /// <summary>Whether a flush is scheduled.</summary>
    public bool IsScheduled => _timer is not null;

    /// <summary>Notes that the state changed, and schedules a flush unless one is scheduled.</summary>
    public void MarkDirty()
    {
        _dirty = true;
        _timer ??= host.ScheduleFlush(this);
    }

    /// <summary>
    /// Writes the state after the write in flight (if any); with <paramref name="onlyIfDirty"/>, only when it changed
    /// since the last write began, else the task of the write in flight.
    /// </summary>
    public Task FlushAsync(bool onlyIfDirty = false)
    {
        if (onlyIfDirty && !_dirty)
        {
            return _writing;
        }

        _dirty = true;
        _queued++;
        var writing = WriteAfterAsync(_writing);
        _writing = writing.IsCompleted ? Task.CompletedTask : writing;
        return writing;
    }

    /// <summary>What the timer calls when the flush is due: lets go of the timer and writes the state if it changed.</summary>
    public Task FlushDueAsync()
    {
        _timer?.Dispose();
        _timer = null;
        return FlushAsync(onlyIfDirty: true);
    }

    private async Task WriteAfterAsync(Task previous)
    {
        try
        {
            await previous.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing | ConfigureAwaitOptions.ContinueOnCapturedContext);
            if (!_dirty)
            {
                return;
            }

            _dirty = false;
            try
            {
                await host.WriteCheckpointAsync();
            }
            catch
            {
                MarkDirty();
                throw;
            }
        }
        finally
        {
            // The last write queued has ended: nothing can follow it, so its task need not be kept.
            if (--_queued == 0)
            {
                _writing = Task.CompletedTask;
            }
        }
    }
}
