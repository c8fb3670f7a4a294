namespace Gateway.Grains.Tenants;

/// <summary>The worst-case cost held for one admitted request until it settles or expires.</summary>
internal sealed record Reservation(string RequestId, Pricing Pricing, long Tokens, decimal CostUsd, DateTimeOffset ExpiresAt);
