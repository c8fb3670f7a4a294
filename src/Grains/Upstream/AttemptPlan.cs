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
    private bool _queueTaken;
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
        _capacityWait = Min(_capacityWait, retryAfter);
        if (mayWait)
        {
            _queueAt ??= deployment;
        }
    }

    /// <summary>
    /// The deployment whose queue to wait in once nothing of the chain has free capacity: the first found full, so the
    /// one routing preferred. Given once per request: a request waits in a queue at most once.
    /// </summary>
    public Deployment? TakeQueue()
    {
        if (_queueTaken || _queueAt is null)
        {
            return null;
        }

        _queueTaken = true;
        return _queueAt;
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
