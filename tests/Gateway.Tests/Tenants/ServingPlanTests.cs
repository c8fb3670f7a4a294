using Gateway.Grains.Abstractions.Tenants;
using Gateway.Grains.Tenants;

namespace Gateway.Tests.Tenants;

/// <summary>
/// Which models may serve a request (<see cref="ServingPlan"/>) and the worst case reserved over them. Catalog in
/// <see cref="TenantParts"/>: alpha ($2 / $8, cap 1,000) falls back to beta ($1 / $1, cap 4,000), gamma ($1 / $1, cap
/// 500), itself and a missing model.
/// </summary>
public sealed class ServingPlanTests
{
    private static readonly Gateway.Catalog.Models.ModelCatalog Catalog = TenantParts.TestCatalog();

    [Fact]
    public void ChainsTheRequestedModelThenItsFallbacksThatExistOnceEach()
    {
        var plan = ServingPlan.For(new AdmissionRequest("r", "alpha", 10, 10), TenantParts.Unlimited, Catalog);

        Assert.NotNull(plan);
        Assert.Equal(["alpha", "beta", "gamma"], plan.Chain);
        Assert.Equal(new Pricing("alpha", "provider-a", 2m, 8m), plan.Requested);
    }

    [Fact]
    public void LeavesOutFallbacksTheTenantMayNotUse()
    {
        var config = TenantParts.Unlimited with { AllowedModels = ["ALPHA", "gamma"] };

        var plan = ServingPlan.For(new AdmissionRequest("r", "alpha", 10, 10), config, Catalog);

        Assert.NotNull(plan);
        Assert.Equal(["alpha", "gamma"], plan.Chain);
    }

    [Theory]
    [InlineData("no-such-model")]
    [InlineData("beta")]
    public void HasNoPlanForAModelOutsideTheCatalogOrTheAllowList(string model)
    {
        var config = TenantParts.Unlimited with { AllowedModels = ["alpha"] };

        Assert.Null(ServingPlan.For(new AdmissionRequest("r", model, 10, 10), config, Catalog));
    }

    [Fact]
    public void TakesTheCatalogIdTheFrontendResolvedAndDoesNotResolveAnAliasAgain()
    {
        // "a" is alpha's alias: the frontend resolved it once, and the tenant grain is given the id.
        Assert.Null(ServingPlan.For(new AdmissionRequest("r", "a", 10, 10), TenantParts.Unlimited, Catalog));

        var plan = ServingPlan.For(new AdmissionRequest("r", "ALPHA", 10, 10), TenantParts.Unlimited, Catalog);

        Assert.NotNull(plan);
        Assert.Equal(["alpha", "beta", "gamma"], plan.Chain);
    }

    [Fact]
    public void CarriesEachServingModelsOutputCapInChainOrder()
    {
        var plan = ServingPlan.For(new AdmissionRequest("r", "alpha", 10, 10), TenantParts.Unlimited, Catalog);

        Assert.NotNull(plan);
        Assert.Equal([1_000, 4_000, 500], plan.OutputCaps);
    }

    [Fact]
    public void TakesTheMostTokensAndTheMostCostOverTheChainEvenFromDifferentModels()
    {
        // Two choices without a client limit: beta may write 2 × 4,000 and gamma 2 × 500; alpha what the frontend computed.
        var plan = ServingPlan.For(new AdmissionRequest("r", "alpha", 1_000, 2_000, Choices: 2), TenantParts.Unlimited, Catalog);

        Assert.NotNull(plan);
        // Tokens: alpha 3,000, beta 9,000, gamma 2,000. Cost: alpha (2,000 + 16,000) µ$, beta (1,000 + 8,000) µ$, gamma 2,000 µ$.
        Assert.Equal((9_000L, 0.018m), plan.WorstCase(1_000));
        Assert.Equal((8_000L, 0.016m), plan.WorstCase(0));
    }

    [Fact]
    public void CapsEveryFallbacksOutputAtTheClientsLimitPerChoice()
    {
        var plan = ServingPlan.For(new AdmissionRequest("r", "alpha", 1_000, 200, RequestedOutputTokens: 100, Choices: 2), TenantParts.Unlimited, Catalog);

        Assert.NotNull(plan);
        // Every model writes at most 200 tokens: alpha is the dearest.
        Assert.Equal((1_200L, 0.0036m), plan.WorstCase(1_000));
    }

    [Fact]
    public void AModelWithoutFallbacksIsItsOwnWorstCase()
    {
        var plan = ServingPlan.For(TenantParts.Request("r", "delta", 1_000, 1_000), TenantParts.Unlimited, Catalog);

        Assert.NotNull(plan);
        Assert.Equal(["delta"], plan.Chain);
        Assert.Equal((2_000L, 0.001m), plan.WorstCase(1_000));
    }
}
