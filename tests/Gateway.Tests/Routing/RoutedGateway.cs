using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Routing;

/// <summary>
/// Configures a <see cref="GatewayFactory"/> whose models are served by named deployments of its mock (provider
/// <c>x</c> is the mock's <c>/d/x/</c>), and the requests routing tests send through it.
/// </summary>
public static class RoutedGateway
{
    /// <summary>One deployment of a model: the mock deployment (and provider) name, its weight and concurrency limit.</summary>
    public sealed record Upstream(string Name, int Weight = 1, int? MaxConcurrent = null);

    /// <summary>Adds model <paramref name="id"/> served by <paramref name="deployments"/> (in order: ids <c>id#0</c>, <c>id#1</c>, …).</summary>
    public static void AddModel(
        this GatewayFactory gateway, string id, Upstream[] deployments, string routing = "weighted",
        decimal inputPrice = 2.00m, decimal outputPrice = 8.00m, string[]? fallbacks = null)
    {
        var settings = gateway.Settings;
        var at = $"Gateway:Models:{id}";
        settings[$"{at}:Routing"] = routing;
        settings[$"{at}:InputPricePerMillionUsd"] = inputPrice.ToString(CultureInfo.InvariantCulture);
        settings[$"{at}:OutputPricePerMillionUsd"] = outputPrice.ToString(CultureInfo.InvariantCulture);
        for (var i = 0; i < deployments.Length; i++)
        {
            var deployment = deployments[i];
            settings[$"Providers:{deployment.Name}:BaseUrl"] = "{mock}/d/" + deployment.Name + "/v1";
            settings[$"{at}:Deployments:{i}:Provider"] = deployment.Name;
            settings[$"{at}:Deployments:{i}:UpstreamModel"] = deployment.Name + "-model";
            settings[$"{at}:Deployments:{i}:Weight"] = deployment.Weight.ToString(CultureInfo.InvariantCulture);
            if (deployment.MaxConcurrent is { } max)
            {
                settings[$"{at}:Deployments:{i}:MaxConcurrent"] = max.ToString(CultureInfo.InvariantCulture);
            }
        }

        for (var i = 0; i < (fallbacks ?? []).Length; i++)
        {
            settings[$"{at}:Fallbacks:{i}"] = fallbacks![i];
        }
    }

    /// <summary>A gold tenant whose own limits never get in the way of thousands of requests on a frozen clock.</summary>
    public static Task<(string TenantId, string Key)> CreateRoomyTenantAsync(this GatewayFactory gateway, string[]? allowedModels = null) =>
        gateway.CreateTenantWithKeyAsync(new
        {
            tier = "gold",
            allowedModels,
            monthlyTokenQuota = 1_000_000_000L,
            limits = new { requestsPerMinute = 1_000_000, tokensPerMinute = 1_000_000_000L, maxConcurrent = 500 },
        });

    /// <summary>A small non-streaming chat completion for <paramref name="model"/>.</summary>
    public static Task<HttpResponseMessage> ChatAsync(this HttpClient client, string model, int maxTokens = 1, CancellationToken cancellationToken = default) =>
        client.PostAsJsonAsync("/v1/chat/completions", new { model, messages = ChatBodies.Messages("hi"), max_tokens = maxTokens }, cancellationToken);

    /// <summary><c>GET /admin/deployments</c>, by deployment id.</summary>
    public static async Task<Dictionary<string, JsonObject>> GetDeploymentsAsync(this GatewayFactory gateway)
    {
        using var admin = gateway.CreateAdminClient();
        using var response = await admin.GetAsync("/admin/deployments");
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET /admin/deployments answered {(int)response.StatusCode}: {text}");
        var list = JsonNode.Parse(text)!.AsObject();
        return list["data"]!.AsArray().Select(d => d!.AsObject()).ToDictionary(d => d["id"]!.GetValue<string>());
    }
}
