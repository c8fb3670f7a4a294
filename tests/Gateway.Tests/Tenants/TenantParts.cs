using Gateway.Grains.Abstractions.Tenants;
using Gateway.Catalog.Models;
using Gateway.Grains.Tenants;

namespace Gateway.Tests.Tenants;

/// <summary>
/// What the tests of the tenant grain's parts share: a small model catalog with round prices and a fallback chain, and
/// accounts created at a fixed instant with explicit limits, without a cluster.
/// </summary>
/// <remarks>
/// Prices per one million tokens (so micro-dollars per token): alpha $2 in / $8 out, cap 1,000, falls back to beta,
/// gamma, itself and a model that does not exist; beta $1 / $1, cap 4,000; gamma $1 / $1, cap 500; delta $0.5 / $0.5.
/// </remarks>
internal sealed class TenantParts : IStateChanges
{
    /// <summary>A Sunday afternoon in the middle of a month, far from any month or day boundary.</summary>
    public static readonly DateTimeOffset T0 = new(2026, 11, 15, 12, 0, 0, TimeSpan.Zero);

    public static readonly TenantGrainOptions Options = new();

    public static readonly TenantConfig Unlimited = new("gold", null, null, null, TenantLimits.None);

    public static readonly EffectiveLimits Wide = new(1_000, 1_000_000, 100, null, null, 1);

    public static ModelCatalog TestCatalog(decimal alphaInput = 2m, decimal alphaOutput = 8m) => new(new ModelCatalogOptions
    {
        Models =
        {
            ["alpha"] = new()
            {
                Provider = "provider-a", InputPricePerMillionUsd = alphaInput, OutputPricePerMillionUsd = alphaOutput, MaxOutputTokens = 1_000,
                Fallbacks = ["beta", "gamma", "alpha", "missing"], Aliases = ["a"],
            },
            ["beta"] = new() { Provider = "provider-b", InputPricePerMillionUsd = 1m, OutputPricePerMillionUsd = 1m, MaxOutputTokens = 4_000 },
            ["gamma"] = new() { Provider = "provider-c", InputPricePerMillionUsd = 1m, OutputPricePerMillionUsd = 1m, MaxOutputTokens = 500 },
            ["delta"] = new() { Provider = "provider-d", InputPricePerMillionUsd = 0.5m, OutputPricePerMillionUsd = 0.5m, MaxOutputTokens = 2_000 },
        },
    });

    /// <summary>Times the account said its state changed (and should be written).</summary>
    public int Changes { get; private set; }

    /// <summary>A tenant created at <see cref="T0"/> with the given configuration and limits.</summary>
    public TenantAccount Account(TenantConfig? config = null, EffectiveLimits? limits = null, TenantState? state = null)
    {
        var account = new TenantAccount(state ?? new TenantState(), Options, this);
        account.Create(config ?? Unlimited, limits ?? Wide, T0);
        return account;
    }

    /// <summary>An account over state that exists already (a reactivation), not created again.</summary>
    public TenantAccount Reactivated(TenantState state) => new(state, Options, this);

    void IStateChanges.MarkDirty() => Changes++;

    public static AdmissionRequest Request(string requestId, string model = "delta", int prompt = 1_000, int output = 1_000) =>
        new(requestId, model, prompt, output);
}
