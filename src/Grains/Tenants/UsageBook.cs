using System.Globalization;
using Gateway.Grains.Abstractions.Ledger;
using Gateway.Grains.Abstractions.Tenants;

namespace Gateway.Grains.Tenants;

/// <summary>
/// A tenant's settled usage as its state keeps it: the calendar month's totals (overall and per model) and per-day,
/// per-model rollups pruned past the retention window. Counted from ledger entries, alike on the live path and when
/// recovery replays the ledger. Reads and writes the members of <see cref="TenantState"/>, whose names are persisted.
/// A struct: it only names the state it works on, and each tenant activation holds one.
/// </summary>
internal readonly struct UsageBook(TenantState state, int dailyRetentionDays)
{
    /// <summary>The calendar month (UTC) of an instant, as <see cref="TenantState.Period"/> names it: <c>yyyy-MM</c>.</summary>
    public static string PeriodOf(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM", CultureInfo.InvariantCulture);

    /// <summary>The month's totals; those of an earlier month until <see cref="RollPeriod"/> has run (see <see cref="MonthAt"/>).</summary>
    public UsageCounters Month => state.Month;

    /// <summary>Starts the month of <paramref name="now"/> with empty totals, unless it is the one counted already.</summary>
    public void RollPeriod(DateTimeOffset now)
    {
        var period = PeriodOf(now);
        if (state.Period == period)
        {
            return;
        }

        state.Period = period;
        state.Month = new UsageCounters();
        state.MonthByModel = new Dictionary<string, UsageCounters>(StringComparer.Ordinal);
    }

    /// <summary>Counts a settled request in the month (when it is the one counted), its model and its day.</summary>
    public void Record(LedgerEntry entry)
    {
        var (at, modelId) = (entry.RecordedAt, entry.Model);
        if (PeriodOf(at) == state.Period)
        {
            state.Month.Add(entry);
            Counter(state.MonthByModel, modelId).Add(entry);
        }

        var day = DateOnly.FromDateTime(at.UtcDateTime);
        if (!state.Daily.TryGetValue(day, out var byModel))
        {
            state.Daily[day] = byModel = new Dictionary<string, UsageCounters>(StringComparer.Ordinal);
            var oldest = day.AddDays(1 - dailyRetentionDays);
            foreach (var expired in state.Daily.Keys.Where(d => d < oldest).ToList())
            {
                state.Daily.Remove(expired);
            }
        }

        Counter(byModel, modelId).Add(entry);
    }

    /// <summary>The totals of the month of <paramref name="now"/>: empty when the book still counts an earlier one.</summary>
    public UsageCounters MonthAt(DateTimeOffset now) => state.Period == PeriodOf(now) ? state.Month : new UsageCounters();

    /// <summary>Per-model totals of the month of <paramref name="now"/>, by model id.</summary>
    public ModelUsage[] ByModelAt(DateTimeOffset now) =>
        state.Period == PeriodOf(now)
            ? state.MonthByModel.OrderBy(m => m.Key, StringComparer.Ordinal)
                .Select(m => new ModelUsage(m.Key, m.Value.Requests, m.Value.InputTokens, m.Value.OutputTokens, m.Value.CostUsd,
                    m.Value.CachedInputTokens, m.Value.CacheWriteTokens, m.Value.CacheWrite1hTokens, m.Value.ReasoningTokens))
                .ToArray()
            : [];

    /// <summary>Per-day, per-model totals from the first of the month of <paramref name="now"/>, by day then model id.</summary>
    public DailyUsage[] ByDayAt(DateTimeOffset now)
    {
        var monthStart = new DateOnly(now.UtcDateTime.Year, now.UtcDateTime.Month, 1);
        return state.Daily.Where(d => d.Key >= monthStart)
            .OrderBy(d => d.Key)
            .SelectMany(d => d.Value.OrderBy(m => m.Key, StringComparer.Ordinal)
                .Select(m => new DailyUsage(d.Key, m.Key, m.Value.Requests, m.Value.InputTokens, m.Value.OutputTokens, m.Value.CostUsd,
                    m.Value.CachedInputTokens, m.Value.CacheWriteTokens, m.Value.CacheWrite1hTokens, m.Value.ReasoningTokens)))
            .ToArray();
    }

    private static UsageCounters Counter(Dictionary<string, UsageCounters> counters, string key)
    {
        if (!counters.TryGetValue(key, out var counter))
        {
            counters[key] = counter = new UsageCounters();
        }

        return counter;
    }
}
