using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Http;

/// <summary>
/// A tenant key reaches only its own tenant: its usage, its models and its charges are its own, the admin API refuses
/// it on every path, and no answer it gets names another tenant.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class IsolationTests(GatewayFactory gateway)
{
    [Fact]
    public async Task UsageShowsOnlyTheKeysOwnTenant()
    {
        var (a, keyA) = await gateway.CreateTenantWithKeyAsync(new { tier = "gold", monthlyBudgetUsd = 7 });
        var (b, keyB) = await gateway.CreateTenantWithKeyAsync(new { tier = "silver", monthlyBudgetUsd = 3 });
        using var clientA = gateway.CreateTenantClient(keyA);
        using var clientB = gateway.CreateTenantClient(keyB);
        for (var i = 0; i < 2; i++)
        {
            (await clientB.PostAsJsonAsync("/v1/chat/completions", new { model = "gpt-4.1", messages = ChatBodies.Messages(), max_tokens = 3 })).EnsureSuccessStatusCode();
        }

        (await clientA.PostAsJsonAsync("/v1/chat/completions", new { model = "gpt-4.1", messages = ChatBodies.Messages(), max_tokens = 3 })).EnsureSuccessStatusCode();

        var usageA = await clientA.GetFromJsonAsync<JsonObject>("/v1/usage");
        var usageB = await clientB.GetFromJsonAsync<JsonObject>("/v1/usage");
        Assert.Equal(1, usageA!["requests"]!.GetValue<long>());
        Assert.Equal(7m, usageA["monthlyBudgetUsd"]!.GetValue<decimal>());
        Assert.Equal(2, usageB!["requests"]!.GetValue<long>());
        Assert.Equal(3m, usageB["monthlyBudgetUsd"]!.GetValue<decimal>());
        Assert.Equal((await gateway.GetUsageAsync(a)).ToJsonString(), usageA.ToJsonString());
        Assert.Equal((await gateway.GetUsageAsync(b)).ToJsonString(), usageB.ToJsonString());
        Assert.DoesNotContain(b, usageA.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ModelsShowOnlyTheKeysOwnAllowList()
    {
        var (_, keyA) = await gateway.CreateTenantWithKeyAsync(new { tier = "gold", allowedModels = new[] { "gpt-4.1" } });
        var (_, keyB) = await gateway.CreateTenantWithKeyAsync(new { tier = "gold", allowedModels = new[] { "deepseek-v3.2" } });
        using var clientA = gateway.CreateTenantClient(keyA);
        using var clientB = gateway.CreateTenantClient(keyB);

        var modelsA = (await clientA.GetFromJsonAsync<JsonObject>("/v1/models"))!["data"]!.AsArray().Select(m => m!["id"]!.GetValue<string>()).ToArray();
        var modelsB = (await clientB.GetFromJsonAsync<JsonObject>("/v1/models"))!["data"]!.AsArray().Select(m => m!["id"]!.GetValue<string>()).ToArray();

        Assert.Equal(["gpt-4.1"], modelsA);
        Assert.Equal(["deepseek-v3.2"], modelsB);
    }

    [Fact]
    public async Task ARequestChargesOnlyTheKeysOwnTenant()
    {
        var (a, keyA) = await gateway.CreateTenantWithKeyAsync();
        var (b, _) = await gateway.CreateTenantWithKeyAsync();
        var before = (await gateway.GetUsageAsync(b)).ToJsonString();
        using var clientA = gateway.CreateTenantClient(keyA);

        (await clientA.PostAsJsonAsync("/v1/chat/completions", new { model = "gpt-4.1", messages = ChatBodies.Messages(), max_tokens = 3 })).EnsureSuccessStatusCode();

        Assert.Equal(1, (await gateway.GetUsageAsync(a))["requests"]!.GetValue<long>());
        Assert.Equal(before, (await gateway.GetUsageAsync(b)).ToJsonString());
    }

    public static TheoryData<string, string> AdminPaths() => new()
    {
        { "POST", "/admin/tenants" },
        { "GET", "/admin/tenants/{b}" },
        { "PATCH", "/admin/tenants/{b}" },
        { "POST", "/admin/tenants/{b}/keys" },
        { "DELETE", "/admin/tenants/{b}/keys/{keyB}" },
        { "GET", "/admin/tenants/{b}/usage" },
        { "GET", "/admin/tenants/{b}/ledger" },
        { "GET", "/admin/tenants/{a}" },
        { "GET", "/admin/tenants/{a}/usage" },
        { "POST", "/admin/tenants/{a}/keys" },
        { "GET", "/admin/deployments" },
    };

    [Theory]
    [MemberData(nameof(AdminPaths))]
    public async Task TheAdminApiRefusesATenantKey(string method, string path)
    {
        var (a, keyA) = await gateway.CreateTenantWithKeyAsync();
        var (b, _) = await gateway.CreateTenantWithKeyAsync();
        using var admin = gateway.CreateAdminClient();
        var tenantB = await admin.GetFromJsonAsync<JsonObject>($"/admin/tenants/{b}");
        var keyIdB = tenantB!["keys"]!.AsArray().Single()!["id"]!.GetValue<string>();
        using var clientA = gateway.CreateTenantClient(keyA);
        var target = path.Replace("{a}", a).Replace("{b}", b).Replace("{keyB}", keyIdB);
        using var request = new HttpRequestMessage(new HttpMethod(method), target);
        if (method is "POST" or "PATCH")
        {
            request.Content = JsonContent.Create(new { id = "x-" + Guid.NewGuid().ToString("N")[..8], tier = "platinum" });
        }

        using var response = await clientA.SendAsync(request);

        var error = await OpenAiErrorAssertions.AssertOpenAiErrorAsync(response, HttpStatusCode.Unauthorized, "invalid_request_error", null, "invalid_admin_key", $"{method} {path}");
        Assert.DoesNotContain(b, error.ToJsonString(), StringComparison.Ordinal);
        var after = await admin.GetFromJsonAsync<JsonObject>($"/admin/tenants/{b}");
        Assert.Equal(tenantB.ToJsonString(), after!.ToJsonString());
    }

    [Fact]
    public async Task ErrorsATenantGetsNeverNameAnotherTenant()
    {
        var (_, keyA) = await gateway.CreateTenantWithKeyAsync(new { tier = "gold", allowedModels = new[] { "gpt-4.1" }, monthlyTokenQuota = 50 });
        var (b, keyB) = await gateway.CreateTenantWithKeyAsync();
        using var clientA = gateway.CreateTenantClient(keyA);
        var bodies = new object[]
        {
            new { model = "deepseek-v3.2", messages = ChatBodies.Messages(), max_tokens = 3 },
            new { model = b, messages = ChatBodies.Messages(), max_tokens = 3 },
            new { model = "gpt-4.1", messages = ChatBodies.Messages(), max_tokens = 3000 },
            new { model = "gpt-4.1", messages = ChatBodies.Messages(b), max_tokens = 3, mock = new { fail_status = 500 } },
            new { model = "gpt-4.1", messages = "x", user = b },
        };

        foreach (var body in bodies)
        {
            using var response = await clientA.PostAsJsonAsync("/v1/chat/completions", body);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True((int)response.StatusCode >= 400, $"Each of these is refused, got {(int)response.StatusCode}: {text}");
            Assert.False(text.Contains(b, StringComparison.Ordinal) && !text.Contains("does not exist", StringComparison.Ordinal),
                $"An error names tenant {b}: {text}");
        }

        // Another tenant's key presented with a final character, or as x-api-key beside A's: neither reaches B.
        using var mixed = gateway.CreateTenantClient(keyA);
        mixed.DefaultRequestHeaders.Add("x-api-key", keyB);
        var usage = await mixed.GetFromJsonAsync<JsonObject>("/v1/usage");
        Assert.Equal(50, usage!["monthlyTokenQuota"]!.GetValue<long>());
    }
}
