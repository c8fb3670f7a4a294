using Orleans.Placement;
using Orleans.Runtime.Placement;

namespace Gateway.Grains.Upstream;

/// <summary>
/// Places a new activation on the silo that asks for it (beside its caller, or at the gateway a client's call came in
/// through), as <see cref="PreferLocalPlacement"/> does, except while that silo drains its upstream calls on the way
/// down: then on another compatible silo. A stopping silo is still active in the cluster while it drains (it keeps its
/// gateway open so the streams it runs reach their clients), so without this a worker retried away from it would be
/// placed right back on it.
/// </summary>
[Serializable, GenerateSerializer, Immutable, SuppressReferenceTracking]
public sealed class LocalUnlessDrainingPlacement : PlacementStrategy
{
    public static LocalUnlessDrainingPlacement Singleton { get; } = new();
}

/// <summary>Marks a grain class for <see cref="LocalUnlessDrainingPlacement"/>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class LocalUnlessDrainingPlacementAttribute() : PlacementAttribute(LocalUnlessDrainingPlacement.Singleton);

/// <summary>Chooses the silo for <see cref="LocalUnlessDrainingPlacement"/>.</summary>
internal sealed class LocalUnlessDrainingPlacementDirector(UpstreamDrain drain) : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var compatible = context.GetCompatibleSilos(target);
        if (IPlacementDirector.GetPlacementHint(target.RequestContextData, compatible) is { } hint)
        {
            return Task.FromResult(hint);
        }

        var local = context.LocalSilo;
        var localUsable = context.LocalSiloStatus == SiloStatus.Active && compatible.Contains(local);
        if (localUsable && !drain.IsDraining)
        {
            return Task.FromResult(local);
        }

        var others = compatible.Where(silo => !silo.Equals(local)).ToArray();
        return Task.FromResult(others.Length > 0 ? others[Random.Shared.Next(others.Length)] : compatible[Random.Shared.Next(compatible.Length)]);
    }
}
