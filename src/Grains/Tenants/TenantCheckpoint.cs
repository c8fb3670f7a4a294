namespace Gateway.Grains.Tenants;

/// <summary>
/// When a tenant's state is written: a change marks it dirty, and it is written within the flush interval by a one-shot
/// timer that exists only while there is something to write (an idle tenant holds no timer); a write asked for while
/// one is running follows it, so there is one write in flight at a time. A failed write leaves the state dirty and the
/// timer set, so it is retried. The ledger, not this checkpoint, makes each settlement durable: the checkpoint only
/// bounds how much of the ledger a reactivation replays.
/// </summary>
/// <param name="write">Writes the state (grain storage); runs only after the previous write has ended.</param>
/// <param name="schedule">Starts the one-shot timer that calls the given flush once the interval has passed.</param>
internal sealed class TenantCheckpoint(Func<Task> write, Func<Func<Task>, IDisposable> schedule)
{
    private Task _writing = Task.CompletedTask;
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
        _timer ??= schedule(FlushDueAsync);
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
        return _writing = WriteAfterAsync(_writing);
    }

    private Task FlushDueAsync()
    {
        _timer?.Dispose();
        _timer = null;
        return FlushAsync(onlyIfDirty: true);
    }

    private async Task WriteAfterAsync(Task previous)
    {
        await previous.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing | ConfigureAwaitOptions.ContinueOnCapturedContext);
        if (!_dirty)
        {
            return;
        }

        _dirty = false;
        try
        {
            await write();
        }
        catch
        {
            MarkDirty();
            throw;
        }
    }
}
