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
    private static readonly ConcurrentDictionary<UsageKey, UsageTotal> Usage = new();
    private static readonly SeriesCounts<string> Reservations = new();
    private static readonly SeriesCounts<AdmissionKey> Admissions = new();

    /// <summary>
    /// The parts of <c>gateway.tokens</c> priced apart, which the GenAI conventions (v1.41.0) have no token type for:
    /// within input, cache reads and cache writes kept five minutes or an hour; within output, reasoning. A separate
    /// instrument, so that summing <c>gateway_tokens_total</c> over its types counts every token once.
    /// </summary>
    private static readonly Counter<long> TokenDetails = Meter.CreateCounter<long>(
        "gateway.tokens.detail", "{token}",
        "Tokens within gateway.tokens priced apart, by model, tier and type: cache_read, cache_write_5m and cache_write_1h (within input), reasoning (within output)");

    private static readonly UpDownCounter<long> BudgetNearlySpent = Meter.CreateUpDownCounter<long>(
        "gateway.tenants.budget_nearly_spent", "{tenant}", "Active tenants that have spent at least 90% of their monthly budget, by tier");

    /// <summary>
    /// Tokens and cost are totals kept per model, tier (and labelled tenant) and read when exported, admissions and open
    /// reservations counts per label set (<see cref="SeriesCounts{TKey}"/>): five recordings fewer for every request than
    /// counters would make (the admission, the reservation's up and down, the charge's tokens and cost), each of which
    /// OpenTelemetry would look up by its tags.
    /// </summary>
    static AccountingMetrics()
    {
        Meter.CreateObservableCounter("gateway.tokens", ObserveTokens, "{token}", "Tokens charged to tenants, by model, tier and token type (input, output)");
        Meter.CreateObservableCounter("gateway.cost.usd", ObserveCosts, "{USD}", "Cost charged to tenants in US dollars, by model and tier");
        Meter.CreateObservableCounter(
            "gateway.admissions", () => Admissions.Observe(AdmissionTags), "{request}", "Admission decisions by tier and outcome (admitted, or the refusal's reason)");
        Meter.CreateObservableUpDownCounter(
            "gateway.reservations.open", () => Reservations.Observe(tier => new TagList { { TelemetryNames.Tier, tier } }), "{reservation}",
            "Admitted requests whose worst case is still reserved, by tier");
    }

    /// <summary>The share of a budget from which a tenant counts as nearly spent.</summary>
    public const decimal NearlySpentFraction = 0.9m;

    /// <summary>
    /// A ledger entry's charge: tokens and cost under its model (its label) and the tenant's tier. The detail kinds are
    /// counted only when the entry has them, so a model without caching or reasoning adds no series for them.
    /// </summary>
    public static void RecordCharge(string model, string tier, string? tenant, LedgerEntry entry)
    {
        var key = new UsageKey(model, tier, tenant);
        AddDetail(key, "cache_read", entry.CachedInputTokens);
        AddDetail(key, "cache_write_5m", entry.CacheWriteTokens - entry.CacheWrite1hTokens);
        AddDetail(key, "cache_write_1h", entry.CacheWrite1hTokens);
        AddDetail(key, "reasoning", entry.ReasoningTokens);
        var total = Usage.GetOrAdd(key, static _ => new UsageTotal());
        lock (total)
        {
            total.InputTokens += entry.InputTokens;
            total.OutputTokens += entry.OutputTokens;
            total.Usd += entry.CostUsd;
        }
    }

    public static void RecordAdmission(string tier, string? tenant, string outcome) => Admissions.Add(new AdmissionKey(tier, tenant, outcome), 1);

    /// <summary>A tenant activation's open reservations changed by <paramref name="delta"/>.</summary>
    public static void ReservationsChanged(string tier, long delta)
    {
        if (delta != 0)
        {
            Reservations.Add(tier, delta);
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
        var tags = Tags(key);
        tags.Add(typeLabel, tokenType);
        return tags;
    }

    /// <summary>A usage key's labels: model, tier and, for a labelled tenant, the tenant.</summary>
    private static TagList Tags(UsageKey key) =>
        WithTenant(new TagList { { TelemetryNames.Model, key.Model }, { TelemetryNames.Tier, key.Tier } }, key.Tenant);

    private static IEnumerable<Measurement<long>> ObserveTokens()
    {
        foreach (var (key, total) in Usage)
        {
            long input, output;
            lock (total)
            {
                (input, output) = (total.InputTokens, total.OutputTokens);
            }

            yield return new Measurement<long>(input, Tags(key, TelemetryNames.TokenType, "input"));
            yield return new Measurement<long>(output, Tags(key, TelemetryNames.TokenType, "output"));
        }
    }

    private static IEnumerable<Measurement<double>> ObserveCosts()
    {
        foreach (var (key, total) in Usage)
        {
            decimal usd;
            lock (total)
            {
                usd = total.Usd;
            }

            yield return new Measurement<double>((double)usd, Tags(key));
        }
    }

    private static TagList AdmissionTags(AdmissionKey key) =>
        WithTenant(new TagList { { TelemetryNames.Tier, key.Tier }, { TelemetryNames.Outcome, key.Outcome } }, key.Tenant);

    /// <summary>The labels, and the tenant's last for a tenant labelled individually.</summary>
    private static TagList WithTenant(TagList tags, string? tenant)
    {
        if (tenant is not null)
        {
            tags.Add(TelemetryNames.Tenant, tenant);
        }

        return tags;
    }

    private readonly record struct UsageKey(string Model, string Tier, string? Tenant);

    private readonly record struct AdmissionKey(string Tier, string? Tenant, string Outcome);

    /// <summary>What one model, tier and (labelled) tenant has been charged; read and written under its lock.</summary>
    private sealed class UsageTotal
    {
        public long InputTokens;
        public long OutputTokens;
        public decimal Usd;
    }
}
