namespace Gateway.Catalog;

/// <summary>
/// The gateway's own clock: a keyed <see cref="TimeProvider"/>, so that tests can drive buckets, periods and
/// key caches with a fake clock without also freezing Orleans' internal timers, which use the unkeyed one.
/// </summary>
public static class GatewayClock
{
    public const string Key = "gateway";
}
