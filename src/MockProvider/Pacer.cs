namespace Gateway.MockProvider;

/// <summary>Spaces stream events by the chunk delay: nothing before the first, the delay before each later one.</summary>
internal struct Pacer(TimeSpan delay)
{
    private bool _started;

    public Task WaitAsync(CancellationToken aborted)
    {
        if (!_started)
        {
            _started = true;
            return Task.CompletedTask;
        }

        return delay > TimeSpan.Zero ? Task.Delay(delay, aborted) : Task.CompletedTask;
    }
}
