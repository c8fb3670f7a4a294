namespace Gateway.Catalog.Models;

/// <summary>How one model is served: its deployments, how to choose among them, and the models that stand in for it.</summary>
public sealed record ModelRoute(string ModelId, IReadOnlyList<Deployment> Deployments, bool LeastLatency, IReadOnlyList<string> Fallbacks);
