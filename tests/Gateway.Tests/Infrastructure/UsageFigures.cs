using System.Text.Json.Nodes;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// The figures of a usage answer (<c>GET /admin/tenants/{id}/usage</c>) as tuples, so that a test compares them with
/// <see cref="Assert.Equal{T}(T, T)"/> and a failure shows every figure at once.
/// </summary>
public static class UsageFigures
{
    /// <summary>What the tenant was charged this period.</summary>
    public static (long Requests, long InputTokens, long OutputTokens, decimal CostUsd) Charged(JsonObject usage) =>
        (usage["requests"]!.GetValue<long>(), usage["inputTokens"]!.GetValue<long>(), usage["outputTokens"]!.GetValue<long>(), usage["costUsd"]!.GetValue<decimal>());

    /// <summary>What open reservations hold.</summary>
    public static (int InFlight, long ReservedTokens, decimal ReservedUsd) Reserved(JsonObject usage) =>
        (usage["inFlight"]!.GetValue<int>(), usage["reservedTokens"]!.GetValue<long>(), usage["reservedUsd"]!.GetValue<decimal>());
}
