using System.Collections.Concurrent;

namespace Gateway.MockProvider;

/// <summary>
/// The deployments one mock server acts as: the top-level routes (<c>/v1/...</c>, whose queue and stats are the
/// <see cref="MockFaultQueue"/> and <see cref="MockProviderStats"/> singletons) and any number of named ones under
/// <c>/d/{name}/</c>, created on first use. Registered as a singleton by <see cref="MockProviderEndpoints.AddMockProvider"/>.
/// </summary>
public sealed class MockDeployments
{
    /// <summary>The route parameter naming the deployment, as in <c>/d/{deployment}/v1/chat/completions</c>.</summary>
    internal const string RouteParameter = "deployment";

    private readonly ConcurrentDictionary<string, MockDeployment> _named = new(StringComparer.Ordinal);
    private readonly MockProviderStats _totals;

    public MockDeployments(MockFaultQueue defaultFaults, MockProviderStats totals)
    {
        ArgumentNullException.ThrowIfNull(defaultFaults);
        ArgumentNullException.ThrowIfNull(totals);
        _totals = totals;
        Default = new MockDeployment(string.Empty, defaultFaults, totals, totals: null);
    }

    /// <summary>The named deployments used so far, by name.</summary>
    public IReadOnlyDictionary<string, MockDeployment> Named => _named;

    /// <summary>The top-level routes; its stats are the totals over every deployment.</summary>
    public MockDeployment Default { get; }

    /// <summary>The deployment served under <c>/d/{name}/</c>, created if this is its first use.</summary>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty or contains '/'.</exception>
    public MockDeployment Get(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name.Contains('/', StringComparison.Ordinal))
        {
            throw new ArgumentException("A deployment name is one route segment and cannot contain '/'.", nameof(name));
        }

        return _named.GetOrAdd(
            name,
            static (key, totals) => new MockDeployment(key, new MockFaultQueue(), new MockProviderStats(), totals),
            _totals);
    }

    /// <summary>The deployment named by the request's route.</summary>
    internal MockDeployment FromRoute(HttpContext context) => Get((string)context.Request.RouteValues[RouteParameter]!);

    /// <summary>Zeroes the totals and every named deployment's stats, as <c>DELETE /mock/stats</c> does.</summary>
    public void ResetStats()
    {
        _totals.Reset();
        foreach (var deployment in _named.Values)
        {
            deployment.Stats.Reset();
        }
    }
}
