using Gateway.Catalog.Models;
using Gateway.Grains.Abstractions.Routing;
using Gateway.Grains.Abstractions.Upstream;
using Gateway.Grains.Routing;

namespace Gateway.Grains.Upstream;

/// <summary>
/// One request's way through its model chain: which deployment to try next (another one than those that failed, the
/// next model of the chain once every deployment of the current one has failed or is unusable), how many attempts were
/// made, and what to tell the client when nothing is left. Used by one request at a time.
/// </summary>
internal sealed class AttemptPlan
{
    /// <summary>Waits in a queue per request: the first, and one more after an attempt that failed.</summary>
    private const int MaxQueueWaits = 2;

    private readonly ModelCatalog _models;
    private readonly DeploymentHealth _health;
    private readonly TimeProvider _time;
    private readonly UpstreamRetryOptions _retry;
    private readonly IReadOnlyList<string> _chain;
    private readonly long _startedAt;
    // Allocated on the first failure: most requests succeed at once.
    private HashSet<string>? _excluded;
    private HashSet<string>? _failed;
    private int _link;
    private TimeSpan? _capacityWait;
    private TimeSpan? _unhealthyWait;
    private TimeSpan? _cooldownWait;
    private UpstreamFailure? _lastFailure;
    private UpstreamFailure? _notConfigured;
    private Deployment? _queueAt;
    private int _queueWaits;
    private CapacityTicket? _held;
    private bool _saturated;

    public AttemptPlan(UpstreamRequest request, ModelCatalog models, DeploymentHealth health, TimeProvider time, UpstreamRetryOptions retry)
    {
        Request = request;
        _models = models;
        _health = health;
        _time = time;
        _retry = retry;
        _chain = request.ServingChain;
        _startedAt = time.GetTimestamp();
    }

    public UpstreamRequest Request { get; }

    /// <summary>Tokens the deployment's capacity is asked for: the request's worst case.</summary>
    public long ReservedTokens => Request.ReservedTokens > 0 ? Request.ReservedTokens : Request.PromptTokens;

    public int Attempts { get; set; }

    /// <summary>How long the request waited in a full deployment's queue; null when it did not wait.</summary>
    public TimeSpan? QueuedFor { get; set; }

    /// <summary>Where the request stood in the last queue it left (null: it has not waited); the next wait keeps it.</summary>
    public QueuePlace? QueuePlace { get; set; }

    /// <summary>Time spent in provider calls so far (every attempt's, until its answer or its failure): the rest is the gateway's.</summary>
    public TimeSpan ProviderTime { get; set; }

    private HashSet<string> Excluded => _excluded ??= new(StringComparer.Ordinal);

    /// <summary>The deployment for the next attempt; null when no deployment of the chain is usable.</summary>
    public Deployment? Next()
    {
        var now = _time.GetUtcNow();
        for (; _link < _chain.Count; _link++)
        {
            if (Pick(_chain[_link], now, retrying: false) is { } fresh)
            {
                return fresh;
            }

            if (_link == _chain.Count - 1)
            {
                // The last model of the chain: a deployment that failed before may be tried again (the retry's backoff has passed).
                return Pick(_chain[_link], now, retrying: true);
            }
        }

        return null;
    }

    private Deployment? Pick(string modelId, DateTimeOffset now, bool retrying)
    {
        if (_models.Route(modelId) is not { } route)
        {
            return null;
        }

        List<Deployment>? candidates = null;
        foreach (var deployment in route.Deployments)
        {
            if (_excluded?.Contains(deployment.Id) == true && !(retrying && _failed?.Contains(deployment.Id) == true))
            {
                continue;
            }

            if (!_health.Get(deployment.Id).IsUsable(now, out var wait, out var coolingDown))
            {
                if (coolingDown)
                {
                    _cooldownWait = Min(_cooldownWait, wait);
                }
                else
                {
                    _unhealthyWait = Min(_unhealthyWait, wait);
                }

                continue;
            }

            (candidates ??= []).Add(deployment);
        }

        if (candidates is null)
        {
            return null;
        }

        return route.LeastLatency
            ? DeploymentBalancer.PickLeastLatency(candidates, _health.Get, Random.Shared)
            : DeploymentBalancer.PickWeighted(candidates, Random.Shared);
    }

    /// <summary>The deployment failed this request: other deployments are preferred from now on.</summary>
    public void Failed(Deployment deployment, UpstreamFailure failure)
    {
        Excluded.Add(deployment.Id);
        if (UpstreamFailureRules.IsRetryable(failure) && failure.Kind != UpstreamFailureKind.RateLimited)
        {
            (_failed ??= new(StringComparer.Ordinal)).Add(deployment.Id);
        }

        _lastFailure = failure;

        // The next attempt waits, if it must, in a queue of a deployment it finds full itself, not in the one that failed.
        _queueAt = null;
    }

    /// <summary>The deployment cannot take this request at all (not configured, circuit opened meanwhile).</summary>
    public void Exclude(Deployment deployment, UpstreamFailure? reason)
    {
        Excluded.Add(deployment.Id);
        _notConfigured ??= reason;
    }

    /// <summary>The deployment is at its capacity; when <paramref name="mayWait"/>, the request may wait in its queue.</summary>
    public void Full(Deployment deployment, TimeSpan retryAfter, bool mayWait)
    {
        Excluded.Add(deployment.Id);

        // A deployment that failed and is tried again is not picked again once found full: it is waited for, if at all.
        _failed?.Remove(deployment.Id);
        _capacityWait = Min(_capacityWait, retryAfter);
        if (mayWait)
        {
            _queueAt ??= deployment;
        }
    }

    /// <summary>
    /// The deployment whose queue to wait in once nothing of the chain has free capacity: the first found full, so the
    /// one routing preferred. Given at most twice per request: a request whose attempt failed after it waited may wait
    /// once more (keeping its place, <see cref="QueuePlace"/>), so that it cannot go round forever.
    /// </summary>
    public Deployment? TakeQueue()
    {
        if (_queueWaits >= MaxQueueWaits || _queueAt is null)
        {
            return null;
        }

        _queueWaits++;
        return _queueAt;
    }

    /// <summary>Whether the request may still wait in a queue once more (it has not waited twice).</summary>
    public bool MayQueueAgain => _queueWaits < MaxQueueWaits;

    /// <summary>
    /// Keeps the capacity of an attempt that waited in a queue and failed until the next attempt waits again or takes
    /// capacity elsewhere (<see cref="ReleaseHeld"/>): given back at once, it would go to requests that arrived after this
    /// one, before this one is back in the queue. Held at most for the retry's backoff.
    /// </summary>
    public void Hold(CapacityTicket ticket) => _held = ticket;

    /// <summary>Gives back the capacity held for the request (<see cref="Hold"/>), as the failed attempt that used it.</summary>
    public void ReleaseHeld()
    {
        var held = _held;
        _held = null;

        // The provider saw the failed attempt (it counts in its requests per minute) but it used no tokens of ours.
        held?.Complete(0);
    }

    /// <summary>Waiting in the deployment's queue got no capacity: timed out, or refused by a bound of the queue.</summary>
    public void QueueRefused(CapacityRefusal refusal, TimeSpan retryAfter)
    {
        _capacityWait = retryAfter;
        _saturated = refusal == CapacityRefusal.QueueFull;
    }

    /// <summary>Whether another attempt may start: attempts and the time budget left.</summary>
    public bool MayRetry() => Attempts < _retry.MaxAttempts && _time.GetElapsedTime(_startedAt) < _retry.Budget;

    /// <summary>What the client is told when no deployment of the chain could be tried (again).</summary>
    public UpstreamFailure NothingUsable()
    {
        if (_lastFailure is { } last)
        {
            return last.RetryAfter is null && (_unhealthyWait ?? _cooldownWait ?? _capacityWait) is { } wait && last.Kind is not UpstreamFailureKind.Refused
                ? last with { RetryAfter = wait }
                : last;
        }

        if (_capacityWait is { } capacity)
        {
            return new UpstreamFailure(_saturated ? UpstreamFailureKind.DeploymentSaturated : UpstreamFailureKind.CapacityExceeded, RetryAfter: capacity);
        }

        if (_cooldownWait is { } cooldown && (_unhealthyWait is not { } open || cooldown <= open))
        {
            // Every usable deployment is waiting out the provider's Retry-After: the client is told the same.
            return new UpstreamFailure(UpstreamFailureKind.RateLimited, RetryAfter: cooldown);
        }

        if (_unhealthyWait is { } unhealthy)
        {
            return new UpstreamFailure(UpstreamFailureKind.NoHealthyDeployment, RetryAfter: unhealthy);
        }

        return _notConfigured ?? new UpstreamFailure(UpstreamFailureKind.NotConfigured, Request.Model);
    }

    private static TimeSpan? Min(TimeSpan? current, TimeSpan candidate) =>
        current is { } c && c <= candidate ? c : candidate;
}
