namespace Gateway.Grains.Routing;

/// <summary>What a <see cref="CapacityTicket"/> took from its pool: only the kinds the deployment limits.</summary>
[Flags]
internal enum CapacityHolds : byte
{
    None = 0,
    Slot = 1,
    Request = 2,
    Tokens = 4,
}
