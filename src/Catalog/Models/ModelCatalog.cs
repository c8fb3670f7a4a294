using System.Collections.Frozen;
using Gateway.Grains.Abstractions.Routing;
using Microsoft.Extensions.Options;

namespace Gateway.Catalog.Models;

/// <summary>Looks models up by id or alias. Rebuilt when the configuration changes.</summary>
public sealed class ModelCatalog
{
    private volatile Snapshot _snapshot;

    public ModelCatalog(IOptionsMonitor<ModelCatalogOptions> options)
    {
        _snapshot = new Snapshot(options.CurrentValue);
        options.OnChange(o => _snapshot = new Snapshot(o));
    }

    /// <summary>Builds a catalog from fixed options (tests, tools).</summary>
    public ModelCatalog(ModelCatalogOptions options) => _snapshot = new Snapshot(options);

    /// <summary>Every model id, in a stable order.</summary>
    public IReadOnlyList<string> ModelIds => _snapshot.Ids;

    /// <summary>Resolves an id or alias to the catalog id and its definition.</summary>
    public bool TryResolve(string name, out string modelId, out ModelDefinition definition)
    {
        if (_snapshot.ByName.TryGetValue(name, out var entry))
        {
            (modelId, definition) = entry;
            return true;
        }

        modelId = "";
        definition = null!;
        return false;
    }

    /// <summary>
    /// The definition of a catalog id, in its catalog spelling; an alias is not looked up. A request's name is resolved
    /// once, where it enters (the frontend), and the hops after it carry the catalog id.
    /// </summary>
    public bool TryGet(string modelId, out string catalogId, out ModelDefinition definition)
    {
        if (_snapshot.ById.TryGetValue(modelId, out var entry))
        {
            (catalogId, definition) = entry;
            return true;
        }

        catalogId = "";
        definition = null!;
        return false;
    }

    /// <summary>The deployments, routing and fallbacks of a catalog id (or alias); null when it is not in the catalog.</summary>
    public ModelRoute? Route(string modelId) =>
        _snapshot.ByName.TryGetValue(modelId, out var entry) ? _snapshot.Routes[entry.Id] : null;

    /// <summary>Every deployment of every model, in catalog order.</summary>
    public IEnumerable<Deployment> Deployments => _snapshot.Ids.SelectMany(id => _snapshot.Routes[id].Deployments);

    /// <summary>The definition of a catalog id; throws for an id that is not in the catalog.</summary>
    public ModelDefinition Get(string modelId) =>
        TryResolve(modelId, out _, out var definition)
            ? definition
            : throw new KeyNotFoundException($"Model '{modelId}' is not in the catalog (Gateway:Models).");

    private sealed class Snapshot
    {
        public Snapshot(ModelCatalogOptions options)
        {
            var models = options.Models.Count > 0 ? options.Models : ModelCatalogOptions.Defaults;
            var byName = new Dictionary<string, (string, ModelDefinition)>(StringComparer.OrdinalIgnoreCase);
            foreach (var (id, definition) in models)
            {
                byName[id] = (id, definition);
            }

            // Aliases never shadow a real id.
            foreach (var (id, definition) in models)
            {
                foreach (var alias in definition.Aliases)
                {
                    byName.TryAdd(alias, (id, definition));
                }
            }

            ByName = byName.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
            ById = models.ToFrozenDictionary(m => m.Key, m => (m.Key, m.Value), StringComparer.OrdinalIgnoreCase);
            Ids = models.Keys.Order(StringComparer.Ordinal).ToArray();
            Routes = models.ToFrozenDictionary(m => m.Key, m => RouteOf(m.Key, m.Value), StringComparer.OrdinalIgnoreCase);
        }

        public FrozenDictionary<string, ModelRoute> Routes { get; }

        private static ModelRoute RouteOf(string id, ModelDefinition model)
        {
            var deployments = model.Deployments.Count == 0
                ? [new Deployment($"{id}#0", id, model.Provider, model.UpstreamModel ?? id, 1, DeploymentLimits.Unlimited)]
                : model.Deployments.Select((d, i) => new Deployment(
                    $"{id}#{i}", id, d.Provider, d.UpstreamModel ?? id, Math.Max(1, d.Weight),
                    new DeploymentLimits(d.RequestsPerMinute, d.TokensPerMinute, d.MaxConcurrent))).ToArray();
            return new ModelRoute(id, deployments,
                string.Equals(model.Routing, RoutingModes.LeastLatency, StringComparison.OrdinalIgnoreCase),
                model.Fallbacks.ToArray());
        }

        public FrozenDictionary<string, (string Id, ModelDefinition Definition)> ByName { get; }

        public FrozenDictionary<string, (string Id, ModelDefinition Definition)> ById { get; }

        public string[] Ids { get; }
    }
}
