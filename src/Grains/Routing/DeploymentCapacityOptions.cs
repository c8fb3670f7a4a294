namespace Gateway.Grains.Routing;

/// <summary>How deployment capacity is leased to silos (configuration <c>Gateway:Capacity</c>).</summary>
public sealed class DeploymentCapacityOptions
{
    public const string Section = "Gateway:Capacity";

    /// <summary>
    /// How long a deployment's capacity grain keeps a silo's lease without hearing from it. A silo that dies holding
    /// slots or leased tokens makes them unusable for at most this long (capacity is under-used, never over-used);
    /// a live silo renews every <see cref="RenewInterval"/> and uses its spare for only half of this after its last
    /// successful renewal, so the grain never expires a lease whose spare is still being drawn on.
    /// </summary>
    public TimeSpan LeaseTimeToLive { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How often a silo holding any of a deployment's capacity reports to its grain: renewing the lease, settling
    /// usage, and learning that other silos are short. At most a quarter of <see cref="LeaseTimeToLive"/>.
    /// </summary>
    public TimeSpan RenewInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a silo keeps spare capacity it does not use before giving it back.</summary>
    public TimeSpan IdleReturn { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The wait suggested when capacity is held rather than spent: all concurrency slots in use or leased, or
    /// per-minute capacity leased as spare to other silos that are being asked to give it back. Also how long a silo
    /// refuses locally after a refusal before asking the grain again, so a flood on a full deployment costs the grain
    /// about one call per silo per this interval, not one per request.
    /// </summary>
    public TimeSpan BusyRetryAfter { get; set; } = TimeSpan.FromSeconds(1);
}
