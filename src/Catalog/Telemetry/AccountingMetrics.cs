using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Gateway.Grains.Abstractions.Ledger;

namespace Gateway.Catalog.Telemetry;

/// <summary>
/// What tenants are charged and refused, by model and tier (and by tenant only for tenants opted in), counted from the
/// ledger entries themselves: the scraped totals are the ledger's. Cost is summed as <see cref="decimal"/> and turned
/// into a double only when exported, so no rounding accumulates.
/// </summary>
public static class AccountingMetrics
{
    public const string MeterName = "Gateway.Accounting";

    private static readonly Meter Meter = new(MeterName);
    private static readonly ConcurrentDictionary<UsageKey, CostTotal> Costs = new();

    private static readonly Counter<long> Tokens = Meter.CreateCounter<long>(
        "gateway.tokens", "{token}", "Tokens charged to tenants, by model, tier and token type (input, output)");

    /// <summary>
    /// The parts of <see cref="Tokens"/> priced apart, which the GenAI conventions (v1.41.0) have no token type for:
    /// within input, cache reads and cache writes kept five minutes or an hour; within output, reasoning. A separate
    /// instrument, so that summing <c>gateway_tokens_total</c> over its types counts every token once.
    /// </summary>
    private static readonly Counter<long> TokenDetails = Meter.CreateCounter<long>(
        "gateway.tokens.detail", "{token}",
        "Tokens within gateway.tokens priced apart, by model, tier and type: cache_read, cache_write_5m and cache_write_1h (within input), reasoning (within output)");

    private static readonly Counter<long> Admissions = Meter.CreateCounter<long>(
        "gateway.admissions", "{request}", "Admission decisions by tier and outcome (admitted, or the refusal's reason)");

    private static readonly UpDownCounter<long> OpenReservations = Meter.CreateUpDownCounter<long>(
        "gateway.reservations.open", "{reservation}", "Admitted requests whose worst case is still reserved, by tier");

    private static readonly UpDownCounter<long> BudgetNearlySpent = Meter.CreateUpDownCounter<long>(
        "gateway.tenants.budget_nearly_spent", "{tenant}", "Active tenants that have spent at least 90% of their monthly budget, by tier");

    static AccountingMetrics() =>
        Meter.CreateObservableCounter("gateway.cost.usd", ObserveCosts, "{USD}", "Cost charged to tenants in US dollars, by model and tier");

    /// <summary>The share of a budget from which a tenant counts as nearly spent.</summary>
    public const decimal NearlySpentFraction = 0.9m;

    /// <summary>
    /// A ledger entry's charge: tokens and cost under its model (its label) and the tenant's tier. The detail kinds are
    /// counted only when the entry has them, so a model without caching or reasoning adds no series for them.
    /// </summary>
    public static void RecordCharge(string model, string tier, string? tenant, LedgerEntry entry)
    {
        var key = new UsageKey(model, tier, tenant);
        Tokens.Add(entry.InputTokens, Tags(key, TelemetryNames.TokenType, "input"));
        Tokens.Add(entry.OutputTokens, Tags(key, TelemetryNames.TokenType, "output"));
        AddDetail(key, "cache_read", entry.CachedInputTokens);
        AddDetail(key, "cache_write_5m", entry.CacheWriteTokens - entry.CacheWrite1hTokens);
        AddDetail(key, "cache_write_1h", entry.CacheWrite1hTokens);
        AddDetail(key, "reasoning", entry.ReasoningTokens);
        var total = Costs.GetOrAdd(key, static _ => new CostTotal());
        lock (total)
        {
            total.Usd += entry.CostUsd;
        }
    }

    public static void RecordAdmission(string tier, string? tenant, string outcome)
    {
        var tags = new TagList { { TelemetryNames.Tier, tier }, { TelemetryNames.Outcome, outcome } };
        if (tenant is not null)
        {
            tags.Add(TelemetryNames.Tenant, tenant);
        }

        Admissions.Add(1, tags);
    }

    /// <summary>A tenant activation's open reservations changed by <paramref name="delta"/>.</summary>
    public static void ReservationsChanged(string tier, long delta)
    {
        if (delta != 0)
        {
            OpenReservations.Add(delta, new KeyValuePair<string, object?>(TelemetryNames.Tier, tier));
        }
    }

    /// <summary>A tenant activation entered (+1) or left (-1) the nearly-spent state.</summary>
    public static void BudgetNearlySpentChanged(string tier, long delta)
    {
        if (delta != 0)
        {
            BudgetNearlySpent.Add(delta, new KeyValuePair<string, object?>(TelemetryNames.Tier, tier));
        }
    }

    private static void AddDetail(UsageKey key, string type, long tokens)
    {
        if (tokens > 0)
        {
            TokenDetails.Add(tokens, Tags(key, TelemetryNames.GatewayTokenType, type));
        }
    }

    private static TagList Tags(UsageKey key, string typeLabel, string tokenType)
    {
        var tags = new TagList { { TelemetryNames.Model, key.Model }, { TelemetryNames.Tier, key.Tier }, { typeLabel, tokenType } };
        if (key.Tenant is not null)
        {
            tags.Add(TelemetryNames.Tenant, key.Tenant);
        }

        return tags;
    }

    private static IEnumerable<Measurement<double>> ObserveCosts()
    {
        foreach (var (key, total) in Costs)
        {
            decimal usd;
            lock (total)
            {
                usd = total.Usd;
            }

            var tags = new TagList { { TelemetryNames.Model, key.Model }, { TelemetryNames.Tier, key.Tier } };
            if (key.Tenant is not null)
            {
                tags.Add(TelemetryNames.Tenant, key.Tenant);
            }

            yield return new Measurement<double>((double)usd, tags);
        }
    }

    private readonly record struct UsageKey(string Model, string Tier, string? Tenant);

    private sealed class CostTotal
    {
        public decimal Usd;
    }
}
