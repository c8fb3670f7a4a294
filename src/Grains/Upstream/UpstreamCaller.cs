using Gateway.Catalog;
using Gateway.Catalog.Models;
using Gateway.Catalog.Resilience;
using Gateway.Grains.Abstractions.Routing;
using Gateway.Catalog.Telemetry;
using Gateway.Grains.Abstractions.Upstream;
using Gateway.Grains.Providers;
using Gateway.Grains.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;

namespace Gateway.Grains.Upstream;

/// <summary>
/// Gets one admitted request answered by some deployment of its model chain: balancing picks a deployment, its capacity is
/// taken, the call runs through the deployment's circuit breaker under the provider's timeouts, and a failure that is worth
/// it is retried (Polly, on the gateway's clock) on another deployment, then on the chain's fallback models. Everything up
/// to the response headers (and a completion's whole body) happens here, before anything reaches the client; so a retry
/// never repeats what a client saw, and one reservation covers every attempt. One per silo.
/// </summary>
public sealed partial class UpstreamCaller
{
    private readonly ModelCatalog _models;
    private readonly ProviderClients _providers;
    private readonly DeploymentHealth _health;
    private readonly DeploymentCapacity _capacity;
    private readonly IOptionsMonitor<UpstreamOptions> _options;
    private readonly TimeProvider _time;
    private readonly ILogger<UpstreamCaller> _logger;
    private readonly DeploymentSender _sender;
    private (UpstreamRetryOptions Options, ResiliencePipeline<AttemptResult> Pipeline)? _retry;

    public UpstreamCaller(
        ModelCatalog models,
        ProviderClients providers,
        DeploymentHealth health,
        DeploymentCapacity capacity,
        IOptionsMonitor<UpstreamOptions> options,
        [FromKeyedServices(GatewayClock.Key)] TimeProvider time,
        ILogger<UpstreamCaller> logger)
    {
        _models = models;
        _providers = providers;
        _health = health;
        _capacity = capacity;
        _options = options;
        _time = time;
        _logger = logger;
        _sender = new DeploymentSender(options, time, logger);
    }

    /// <summary>An open exchange with the deployment that answered, or why none did. Throws only when <paramref name="cancellationToken"/> fires.</summary>
    public async Task<AttemptResult> SendAsync(UpstreamRequest request, bool stream, CancellationToken cancellationToken)
    {
        var plan = new AttemptPlan(request, _models, _health, _time, _options.CurrentValue.Retry);
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        try
        {
            var outcome = await RetryPipeline().ExecuteFirstAttemptAheadAsync(
                static async (context, state) => Outcome.FromResult(await state.Caller.AttemptAsync(state.Plan, state.Stream, context.CancellationToken)),
                context,
                (Caller: this, Plan: plan, Stream: stream),
                static result => result.Retryable);
            outcome.ThrowIfException();
            var result = outcome.Result!;
            if (result.Exchange is { } exchange)
            {
                exchange.Attempts = plan.Attempts;
                exchange.QueuedFor = plan.QueuedFor;
                if (exchange.Deployment.ModelId != request.Model)
                {
                    UpstreamMetrics.RecordFallback(request.Model, exchange.Deployment.ModelId);
                }
            }

            UpstreamMetrics.RecordRetries(request.Model, plan.Attempts - 1);
            return result;
        }
        finally
        {
            plan.ReleaseHeld();
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private ResiliencePipeline<AttemptResult> RetryPipeline()
    {
        var options = _options.CurrentValue.Retry;
        if (_retry is { } cached && ReferenceEquals(cached.Options, options))
        {
            return cached.Pipeline;
        }

        var builder = new ResiliencePipelineBuilder<AttemptResult> { TimeProvider = _time };
        if (options.MaxAttempts > 1)
        {
            builder.AddRetry(new RetryStrategyOptions<AttemptResult>
            {
                MaxRetryAttempts = options.MaxAttempts - 1,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.BaseDelay,
                MaxDelay = options.MaxDelay,
                ShouldHandle = static args => ValueTask.FromResult(args.Outcome.Result is { Retryable: true }),
            });
        }

        var pipeline = builder.Build();
        _retry = (options, pipeline);
        return pipeline;
    }

    /// <summary>
    /// One attempt: the next deployment of the plan and its capacity, or, when every deployment of the chain is full, a wait
    /// in the first one's fair queue; then the call through its breaker.
    /// </summary>
    private async ValueTask<AttemptResult> AttemptAsync(AttemptPlan plan, bool stream, CancellationToken cancellationToken)
    {
        while (true)
        {
            Deployment deployment;
            CapacityTicket ticket;
            ProviderClient? client;
            byte[]? translated;
            bool native;
            if (plan.Next() is { } next)
            {
                deployment = next;
                if (!_providers.TryGet(deployment.Provider, out client))
                {
                    LogProviderMissing(_logger, deployment.Id, deployment.Provider);
                    plan.Exclude(deployment, new UpstreamFailure(UpstreamFailureKind.NotConfigured, deployment.Provider));
                    continue;
                }

                if (AttemptTranslation.NativeOnly(plan.Request, client) is { } nativeOnly)
                {
                    // Another deployment of the chain may speak the client's dialect; if none does, this is the answer.
                    plan.Exclude(deployment, nativeOnly);
                    continue;
                }

                if (!AttemptTranslation.TryTranslate(plan.Request, deployment, client, out translated, out native, out var refusal))
                {
                    return AttemptResult.Failed(refusal);
                }

                ticket = await _capacity.AcquireAsync(deployment.Id, deployment.Limits, plan.ReservedTokens, cancellationToken);
                if (!ticket.IsAcquired)
                {
                    ticket.Dispose();
                    plan.Full(deployment, ticket.RetryAfter, mayWait: ticket.Refusal is CapacityRefusal.Concurrency or CapacityRefusal.Requests or CapacityRefusal.Tokens);
                    continue;
                }

                plan.ReleaseHeld();
            }
            else if (plan.TakeQueue() is { } full && _providers.TryGet(full.Provider, out client))
            {
                deployment = full;
                if (!AttemptTranslation.TryTranslate(plan.Request, deployment, client, out translated, out native, out var refusal))
                {
                    return AttemptResult.Failed(refusal);
                }

                var request = plan.Request;
                var wait = _capacity.WaitAsync(
                    deployment.Id, deployment.Limits, plan.ReservedTokens, request.TenantId, request.FairShareWeight, plan.QueuePlace, cancellationToken).AsTask();

                // Back in the queue (WaitAsync joins it before it first awaits): what the failed attempt held may go now,
                // to this request first when it is that deployment's.
                plan.ReleaseHeld();
                ticket = await wait;
                if (!ticket.IsAcquired)
                {
                    ticket.Dispose();
                    plan.QueueRefused(ticket.Refusal, ticket.RetryAfter);
                    return AttemptResult.NothingToTry(plan.NothingUsable());
                }

                plan.QueuedFor = (plan.QueuedFor ?? TimeSpan.Zero) + ticket.QueuedFor;
                plan.QueuePlace = ticket.Place;
                UpstreamMetrics.RecordQueueWait(deployment.Id, ticket.QueuedFor);
            }
            else
            {
                return AttemptResult.NothingToTry(plan.NothingUsable());
            }

            var state = _health.Get(deployment.Id);
            var call = ProviderCall.Start(deployment, client.Name, plan.Request.Model);
            AttemptResult result;
            try
            {
                plan.Attempts++;
                var context = ResilienceContextPool.Shared.Get(cancellationToken);
                Outcome<AttemptResult> outcome;
                try
                {
                    outcome = await state.Breaker.ExecuteOutcomeAsync(
                        static async (context, args) => Outcome.FromResult(await args.Caller._sender.SendAsync(args.Plan, args.Deployment, args.State, args.Client, args.Ticket, args.Stream, args.Translated, args.Native, context.CancellationToken)),
                        context,
                        (Caller: this, Plan: plan, Deployment: deployment, State: state, Client: client, Ticket: ticket, Stream: stream, Translated: translated, Native: native));
                }
                finally
                {
                    ResilienceContextPool.Shared.Return(context);
                }

                if (outcome.Exception is BrokenCircuitException)
                {
                    // Opened by another request meanwhile, or a half-open probe is already out: not an attempt, try elsewhere.
                    plan.Attempts--;
                    ticket.Cancel();
                    call.End("circuit_open");
                    plan.Exclude(deployment, null);
                    continue;
                }

                outcome.ThrowIfException();
                result = outcome.Result!;
            }
            catch
            {
                ticket.Cancel();
                call.End("cancelled");
                throw;
            }

            plan.ProviderTime += call.Elapsed;
            if (result.Failure is { } failure)
            {
                call.End(failure);
                state.RecordOutcome(result.CountsAgainstDeployment);
                if (failure is { Kind: UpstreamFailureKind.RateLimited, RetryAfter: { } cooldown })
                {
                    state.CoolDown(cooldown);
                }

                plan.Failed(deployment, failure);
                result.Retryable = result.Retryable && plan.MayRetry();
                if (ticket.WasQueued && result.Retryable && plan.MayQueueAgain)
                {
                    // Its place in the queue is kept: the capacity waits for the next attempt to queue again or go elsewhere.
                    plan.Hold(ticket);
                }
                else
                {
                    // The provider saw the request (it counts in its requests per minute) but used no tokens of ours.
                    ticket.Complete(0);
                }

                return result;
            }

            state.RecordOutcome(failed: false);
            result.Exchange!.Begin(call, plan.ProviderTime);
            return result;
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Deployment {Deployment} names provider {Provider}, which is not configured")]
    private static partial void LogProviderMissing(ILogger logger, string deployment, string provider);
}
