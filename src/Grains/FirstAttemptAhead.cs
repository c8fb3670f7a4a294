using Polly;

namespace Gateway.Grains;

/// <summary>
/// Runs a retry pipeline's first attempt ahead of the pipeline, and enters the pipeline only when that attempt failed.
/// Every request paid for a pipeline execution (a pooled context and the strategies' state machines, several microseconds
/// each, four times a request) though nearly every first attempt succeeds, and a retry strategy does nothing with an
/// outcome it does not handle. When the first attempt failed, the pipeline's first call of the callback answers with that
/// attempt's outcome, so the strategy judges it, waits and retries exactly as if it had made the attempt itself.
/// </summary>
/// <remarks>
/// The pipeline must hold a retry strategy and nothing else, and <c>mayRetry</c> must be true for every outcome its
/// predicate could handle. As in the pipeline, no attempt starts once the context's token is cancelled, and an attempt's
/// outcome stands when the token was cancelled during it.
/// </remarks>
public static class FirstAttemptAhead
{
    /// <summary>
    /// <paramref name="pipeline"/>'s outcome for <paramref name="callback"/>; <paramref name="mayRetry"/> tells which
    /// results of the first attempt the pipeline must see (an exception always goes to it).
    /// </summary>
    public static async ValueTask<Outcome<TResult>> ExecuteFirstAttemptAheadAsync<TResult, TState>(
        this ResiliencePipeline<TResult> pipeline,
        Func<ResilienceContext, TState, ValueTask<Outcome<TResult>>> callback,
        ResilienceContext context,
        TState state,
        Func<TResult, bool> mayRetry)
    {
        var (started, first, final) = await FirstAsync(callback, context, state, mayRetry).ConfigureAwait(context.ContinueOnCapturedContext);
        return !started ? await pipeline.ExecuteOutcomeAsync(callback, context, state).ConfigureAwait(context.ContinueOnCapturedContext)
            : final ? first
            : await pipeline.ExecuteOutcomeAsync(static (context, replay) => replay.NextAsync(context), context, new Replay<TResult, TState>(first, callback, state))
                .ConfigureAwait(context.ContinueOnCapturedContext);
    }

    /// <inheritdoc cref="ExecuteFirstAttemptAheadAsync{TResult, TState}(ResiliencePipeline{TResult}, Func{ResilienceContext, TState, ValueTask{Outcome{TResult}}}, ResilienceContext, TState, Func{TResult, bool})"/>
    public static async ValueTask<Outcome<TResult>> ExecuteFirstAttemptAheadAsync<TResult, TState>(
        this ResiliencePipeline pipeline,
        Func<ResilienceContext, TState, ValueTask<Outcome<TResult>>> callback,
        ResilienceContext context,
        TState state,
        Func<TResult, bool> mayRetry)
    {
        var (started, first, final) = await FirstAsync(callback, context, state, mayRetry).ConfigureAwait(context.ContinueOnCapturedContext);
        return !started ? await pipeline.ExecuteOutcomeAsync(callback, context, state).ConfigureAwait(context.ContinueOnCapturedContext)
            : final ? first
            : await pipeline.ExecuteOutcomeAsync(static (context, replay) => replay.NextAsync(context), context, new Replay<TResult, TState>(first, callback, state))
                .ConfigureAwait(context.ContinueOnCapturedContext);
    }

    /// <summary>
    /// The first attempt, unless the token is cancelled (not started: the pipeline answers that); final when the pipeline
    /// would return its outcome as it is: a retry strategy returns an outcome it does not handle, and any outcome once the
    /// token is cancelled.
    /// </summary>
    private static async ValueTask<(bool Started, Outcome<TResult> First, bool Final)> FirstAsync<TResult, TState>(
        Func<ResilienceContext, TState, ValueTask<Outcome<TResult>>> callback, ResilienceContext context, TState state, Func<TResult, bool> mayRetry)
    {
        if (context.CancellationToken.IsCancellationRequested)
        {
            return (false, default, false);
        }

        Outcome<TResult> first;
        try
        {
            first = await callback(context, state).ConfigureAwait(context.ContinueOnCapturedContext);
        }
        catch (Exception exception)
        {
            first = Outcome.FromException<TResult>(exception);
        }

        return (true, first, first.Exception is null && !mayRetry(first.Result!) || context.CancellationToken.IsCancellationRequested);
    }

    /// <summary>The pipeline's callback after a failed first attempt: that attempt's outcome first, then new attempts.</summary>
    private sealed class Replay<TResult, TState>(Outcome<TResult> first, Func<ResilienceContext, TState, ValueTask<Outcome<TResult>>> callback, TState state)
    {
        private bool _replayed;

        public ValueTask<Outcome<TResult>> NextAsync(ResilienceContext context)
        {
            if (_replayed)
            {
                return callback(context, state);
            }

            _replayed = true;
            return ValueTask.FromResult(first);
        }
    }
}
