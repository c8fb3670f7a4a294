using Polly;

namespace Gateway.Catalog.Resilience;

/// <summary>
/// Runs a retry pipeline's first attempt ahead of the pipeline, and enters the pipeline only when that attempt failed.
/// Every request paid for pipeline executions (a pooled context and the strategies' state machines, several microseconds
/// each: three a plain request, one a push of a stream) though nearly every first attempt succeeds, and a retry strategy
/// does nothing with an outcome it does not handle. When the first attempt failed, the pipeline's first call of the
/// callback answers with that attempt's outcome, so the strategy judges it, waits and retries exactly as if it had made
/// the attempt itself.
/// </summary>
/// <remarks>
/// The pipeline must hold a retry strategy (or nothing) and no other strategy, and <c>mayRetry</c> must be true for every
/// result its predicate could handle. As in the pipeline, no attempt starts once the context's token is cancelled, and an
/// attempt's outcome stands when the token was cancelled during it.
/// </remarks>
public static class FirstAttemptAhead
{
    /// <summary>
    /// <paramref name="pipeline"/>'s outcome for <paramref name="callback"/>; <paramref name="mayRetry"/> tells which
    /// results of the first attempt the pipeline must see (an exception always goes to it).
    /// </summary>
    public static ValueTask<Outcome<TResult>> ExecuteFirstAttemptAheadAsync<TResult, TState>(
        this ResiliencePipeline<TResult> pipeline,
        Func<ResilienceContext, TState, ValueTask<Outcome<TResult>>> callback,
        ResilienceContext context,
        TState state,
        Func<TResult, bool> mayRetry) =>
        ExecuteAsync(pipeline, null, callback, context, state, mayRetry);

    /// <inheritdoc cref="ExecuteFirstAttemptAheadAsync{TResult, TState}(ResiliencePipeline{TResult}, Func{ResilienceContext, TState, ValueTask{Outcome{TResult}}}, ResilienceContext, TState, Func{TResult, bool})"/>
    public static ValueTask<Outcome<TResult>> ExecuteFirstAttemptAheadAsync<TResult, TState>(
        this ResiliencePipeline pipeline,
        Func<ResilienceContext, TState, ValueTask<Outcome<TResult>>> callback,
        ResilienceContext context,
        TState state,
        Func<TResult, bool> mayRetry) =>
        ExecuteAsync(null, pipeline, callback, context, state, mayRetry);

    // One of the two pipelines (typed or not): one method, so that an execution costs one state machine, not two.
    private static async ValueTask<Outcome<TResult>> ExecuteAsync<TResult, TState>(
        ResiliencePipeline<TResult>? typed,
        ResiliencePipeline? untyped,
        Func<ResilienceContext, TState, ValueTask<Outcome<TResult>>> callback,
        ResilienceContext context,
        TState state,
        Func<TResult, bool> mayRetry)
    {
        if (!context.CancellationToken.IsCancellationRequested)
        {
            Outcome<TResult> first;
            try
            {
                first = await callback(context, state).ConfigureAwait(context.ContinueOnCapturedContext);
            }
            catch (Exception exception)
            {
                first = Outcome.FromException<TResult>(exception);
            }

            // A retry strategy returns an outcome it does not handle, and any outcome once the token is cancelled.
            if (first.Exception is null && !mayRetry(first.Result!) || context.CancellationToken.IsCancellationRequested)
            {
                return first;
            }

            var replay = new Replay<TResult, TState>(first, callback, state);
            return typed is not null
                ? await typed.ExecuteOutcomeAsync(static (context, replay) => replay.NextAsync(context), context, replay).ConfigureAwait(context.ContinueOnCapturedContext)
                : await untyped!.ExecuteOutcomeAsync(static (context, replay) => replay.NextAsync(context), context, replay).ConfigureAwait(context.ContinueOnCapturedContext);
        }

        // No attempt starts once the token is cancelled: the pipeline answers that, as it always did.
        return typed is not null
            ? await typed.ExecuteOutcomeAsync(callback, context, state).ConfigureAwait(context.ContinueOnCapturedContext)
            : await untyped!.ExecuteOutcomeAsync(callback, context, state).ConfigureAwait(context.ContinueOnCapturedContext);
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
