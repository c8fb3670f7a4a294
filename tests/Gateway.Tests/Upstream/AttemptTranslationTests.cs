using System.Text.Json.Nodes;
using Gateway.Catalog.Models;
using Gateway.Grains.Abstractions.Upstream;
using Gateway.Grains.Providers;
using Gateway.Grains.Upstream;
using Refit;

namespace Gateway.Tests.Upstream;

/// <summary>
/// The body an attempt sends a provider of kind <c>anthropic</c> (<see cref="AttemptTranslation"/>): its output is bounded
/// by the ceiling admission carried with the request for the model that serves, not by a catalog lookup in the worker.
/// The catalog here says claude may write 64,000 tokens and haiku 8,000; the requests carry 300 and 200.
/// </summary>
public sealed class AttemptTranslationTests
{
    private const string Body = """{"messages":[{"role":"user","content":"Hi"}]}""";

    private static readonly ModelCatalog Catalog = new(new ModelCatalogOptions
    {
        Models =
        {
            ["claude"] = new ModelDefinition { Provider = "anthropic", MaxOutputTokens = 64_000, Fallbacks = ["haiku"] },
            ["haiku"] = new ModelDefinition { Provider = "anthropic", MaxOutputTokens = 8_000 },
        },
    });

    private static readonly ProviderClient Anthropic = new("anthropic", "anthropic", "key", new ProviderOptions())
    {
        Anthropic = RestService.For<IAnthropicMessagesApi>(new HttpClient { BaseAddress = new Uri("http://127.0.0.1:9") }),
    };

    [Fact]
    public void CapsTheOutputAtTheCeilingCarriedForTheServingModelNotTheCatalogs()
    {
        var request = Request(outputCaps: [300, 200]);

        Assert.Equal(300, MaxTokens(request, "claude"));
        Assert.Equal(200, MaxTokens(request, "haiku"));
    }

    [Fact]
    public void ARequestCarryingNoCeilingIsBoundedByItsReservationAlone()
    {
        // From a frontend that did not pass the ceilings on: what admission reserved for the output still bounds it.
        var request = Request(outputCaps: null);

        Assert.Equal(64_000, MaxTokens(request, "claude"));
        Assert.Equal(64_000, MaxTokens(request, "haiku"));
    }

    [Fact]
    public void FindsACeilingByTheModelsPlaceInTheChainWhateverItsCase()
    {
        var request = Request(outputCaps: [300, 200]);

        Assert.Equal(200, request.OutputCapOf("HAIKU"));
        Assert.Null(request.OutputCapOf("missing"));
        Assert.Null((request with { OutputCaps = [300] }).OutputCapOf("haiku"));
    }

    private static UpstreamRequest Request(int[]? outputCaps) =>
        new("tenant", "request", "claude", System.Text.Encoding.UTF8.GetBytes(Body), PromptTokens: 10, ClientWantsUsage: false,
            Chain: ["claude", "haiku"], ReservedTokens: 10 + 64_000, OutputCaps: outputCaps);

    private static int MaxTokens(UpstreamRequest request, string modelId)
    {
        var deployment = Catalog.Route(modelId)!.Deployments[0];
        Assert.True(AttemptTranslation.TryTranslate(request, deployment, Anthropic, out var translated, out var native, out var refusal), refusal?.ProviderMessage);
        Assert.False(native);
        return JsonNode.Parse(translated!)!["max_tokens"]!.GetValue<int>();
    }
}
