using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Gateway.Tests.Infrastructure;
using static Gateway.Tests.Infrastructure.OpenAiErrorAssertions;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Gateway.Tests.Http;

/// <summary>The operator's API (tenants, keys, usage), health endpoints and the dashboard's protection.</summary>
[Collection(GatewayCollection.Name)]
public sealed class AdminApiTests(GatewayFactory gateway)
{
    private const string ChatBody = """{"model":"gpt-4.1","messages":[{"role":"user","content":"Hello there"}],"max_tokens":3}""";

    public static TheoryData<string, string, string> InvalidTenantBodies() => new()
    {
        // case name, body ({id} is replaced by a fresh id), expected param
        { "unknown tier", """{"id":"{id}","tier":"diamond"}""", "tier" },
        { "missing tier", """{"id":"{id}"}""", "tier" },
        { "tier is a number", """{"id":"{id}","tier":3}""", "tier" },
        { "tier is null", """{"id":"{id}","tier":null}""", "tier" },
        { "unknown field", """{"id":"{id}","tier":"gold","colour":"blue"}""", "colour" },
        { "unknown limits field", """{"id":"{id}","tier":"gold","limits":{"burst":5}}""", "limits.burst" },
        { "negative budget", """{"id":"{id}","tier":"gold","monthlyBudgetUsd":-1}""", "monthlyBudgetUsd" },
        { "budget is a string", """{"id":"{id}","tier":"gold","monthlyBudgetUsd":"10"}""", "monthlyBudgetUsd" },
        { "unknown model", """{"id":"{id}","tier":"gold","allowedModels":["gpt-4.1","gpt-9"]}""", "allowedModels" },
        { "allowedModels is a string", """{"id":"{id}","tier":"gold","allowedModels":"gpt-4.1"}""", "allowedModels" },
        { "allowedModels holds a number", """{"id":"{id}","tier":"gold","allowedModels":[4]}""", "allowedModels" },
        { "requestsPerMinute 0", """{"id":"{id}","tier":"gold","limits":{"requestsPerMinute":0}}""", "limits.requestsPerMinute" },
        { "requestsPerMinute negative", """{"id":"{id}","tier":"gold","limits":{"requestsPerMinute":-5}}""", "limits.requestsPerMinute" },
        { "requestsPerMinute is a string", """{"id":"{id}","tier":"gold","limits":{"requestsPerMinute":"10"}}""", "limits.requestsPerMinute" },
        { "requestsPerMinute fractional", """{"id":"{id}","tier":"gold","limits":{"requestsPerMinute":1.5}}""", "limits.requestsPerMinute" },
        { "tokensPerMinute 0", """{"id":"{id}","tier":"gold","limits":{"tokensPerMinute":0}}""", "limits.tokensPerMinute" },
        { "maxConcurrent 0", """{"id":"{id}","tier":"gold","limits":{"maxConcurrent":0}}""", "limits.maxConcurrent" },
        { "limits is a number", """{"id":"{id}","tier":"gold","limits":5}""", "limits" },
        { "negative token quota", """{"id":"{id}","tier":"gold","monthlyTokenQuota":-1}""", "monthlyTokenQuota" },
        { "token quota is a string", """{"id":"{id}","tier":"gold","monthlyTokenQuota":"many"}""", "monthlyTokenQuota" },
        { "fairShareWeight 0", """{"id":"{id}","tier":"gold","fairShareWeight":0}""", "fairShareWeight" },
        { "fairShareWeight over 100", """{"id":"{id}","tier":"gold","fairShareWeight":101}""", "fairShareWeight" },
        { "fairShareWeight is a string", """{"id":"{id}","tier":"gold","fairShareWeight":"8"}""", "fairShareWeight" },
    };

    public static TheoryData<string, string> InvalidTenantIds() => new()
    {
        { "has space", "\"has space\"" },
        { "empty", "\"\"" },
        { "starts with a dash", "\"-tenant\"" },
        { "slash", "\"a/b\"" },
        { "65 characters", "\"" + new string('a', 65) + "\"" },
        { "a number", "42" },
        { "null", "null" },
    };

    [Fact]
    public async Task ATenantHoldingItsMaximumOfKeysGetsA409NamingTheLimitAndNoKey()
    {
        var (tenantId, _) = await gateway.CreateTenantWithKeyAsync();
        using var admin = gateway.CreateAdminClient();
        for (var i = 1; i < 100; i++)
        {
            Assert.Equal(HttpStatusCode.Created, (await admin.PostAsync($"/admin/tenants/{tenantId}/keys", null)).StatusCode);
        }

        var refused = await admin.PostAsync($"/admin/tenants/{tenantId}/keys", null);

        await OpenAiErrorAssertions.AssertOpenAiErrorAsync(refused, HttpStatusCode.Conflict, "invalid_request_error", null, "too_many_keys", "the 101st key");
        Assert.Contains("100 keys", (await refused.Content.ReadAsStringAsync()), StringComparison.Ordinal);
        var tenant = await admin.GetFromJsonAsync<System.Text.Json.Nodes.JsonObject>($"/admin/tenants/{tenantId}");
        Assert.Equal(100, tenant!["keys"]!.AsArray().Count);
    }

    [Fact]
    public async Task TheAdminApiWithoutAKeyIsA401InvalidAdminKey()
    {
        using var client = gateway.CreateClient();

        using var response = await client.PostAsJsonAsync("/admin/tenants", new { id = NewId(), tier = "gold" });

        await AssertOpenAiErrorAsync(response, HttpStatusCode.Unauthorized, "invalid_request_error", null, "invalid_admin_key", "no admin key");
    }

    [Theory]
    [InlineData("Bearer adm-test-0123456789abcdeX")]
    [InlineData("Bearer adm-test-0123456789abcde")]
    [InlineData("Bearer sk-not-the-admin-key-at-all-0000000")]
    [InlineData("Basic YWRtaW46YWRtLXRlc3QtMDEyMzQ1Njc4OWFiY2RlZg==")]
    public async Task TheAdminApiWithAWrongKeyIsA401InvalidAdminKey(string authorization)
    {
        var id = NewId();
        using var client = gateway.CreateClient();
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", authorization);

        using var create = await client.PostAsJsonAsync("/admin/tenants", new { id, tier = "gold" });
        using var read = await client.GetAsync($"/admin/tenants/{id}");

        await AssertOpenAiErrorAsync(create, HttpStatusCode.Unauthorized, "invalid_request_error", null, "invalid_admin_key", $"create with '{authorization}'");
        await AssertOpenAiErrorAsync(read, HttpStatusCode.Unauthorized, "invalid_request_error", null, "invalid_admin_key", $"read with '{authorization}'");
        using var admin = gateway.CreateAdminClient();
        using var check = await admin.GetAsync($"/admin/tenants/{id}");
        Assert.Equal(HttpStatusCode.NotFound, check.StatusCode);
    }

    [Fact]
    public async Task ATenantKeyIsNotAnAdminKey()
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync();
        using var client = gateway.CreateTenantClient(key);

        using var response = await client.GetAsync($"/admin/tenants/{tenantId}");

        await AssertOpenAiErrorAsync(response, HttpStatusCode.Unauthorized, "invalid_request_error", null, "invalid_admin_key", "tenant key on the admin API");
    }

    [Fact]
    public async Task CreatingATenantIs201WithTheTenantAndItsTiersDefaults()
    {
        var id = NewId();
        using var admin = gateway.CreateAdminClient();

        using var response = await admin.PostAsJsonAsync("/admin/tenants", new { id, tier = "silver" });

        var text = await response.Content.ReadAsStringAsync();
        Expect.Equal(HttpStatusCode.Created, response.StatusCode, text);
        Assert.StartsWith("req_", response.Headers.GetValues("x-request-id").Single(), StringComparison.Ordinal);
        var tenant = JsonNode.Parse(text)!.AsObject();
        AssertJson(tenant, "id", id);
        AssertJson(tenant, "tier", "silver");
        Assert.True(tenant.ContainsKey("allowedModels") && tenant["allowedModels"] is null, $"No model list means every model: {text}");
        Assert.True(tenant.ContainsKey("monthlyBudgetUsd") && tenant["monthlyBudgetUsd"] is null, $"No budget by default: {text}");
        AssertJson(tenant, "monthlyTokenQuota", 10_000_000L);
        AssertJson(tenant["limits"]!, "requestsPerMinute", 300L);
        AssertJson(tenant["limits"]!, "tokensPerMinute", 500_000L);
        AssertJson(tenant["limits"]!, "maxConcurrent", 20L);
        AssertJson(tenant, "fairShareWeight", 2L);
        foreach (var field in new[] { "monthlyTokenQuota", "requestsPerMinute", "tokensPerMinute", "maxConcurrent", "fairShareWeight" })
        {
            Assert.True(tenant["overrides"]!.AsObject().ContainsKey(field) && tenant["overrides"]![field] is null, $"overrides.{field} should be null: {text}");
        }

        Assert.Equal(gateway.Clock.GetUtcNow(), tenant["createdAt"]!.GetValue<DateTimeOffset>());
        Expect.Equal("[]", tenant["keys"]?.ToJsonString(), $"A new tenant has no keys: {text}");
        var usage = tenant["usage"]!.AsObject();
        AssertJson(usage, "period", Period());
        AssertJson(usage, "requests", 0L);
        AssertJson(usage, "inputTokens", 0L);
        AssertJson(usage, "outputTokens", 0L);
        Expect.Equal(0m, usage["costUsd"]!.GetValue<decimal>(), $"A new tenant has spent nothing: {text}");
        AssertJson(usage, "remainingTokens", 10_000_000L);
    }

    [Fact]
    public async Task CreatingATenantWithEveryFieldKeepsThemAsGiven()
    {
        var id = NewId();
        using var admin = gateway.CreateAdminClient();

        using var response = await admin.PostAsJsonAsync("/admin/tenants", new
        {
            id,
            tier = "bronze",
            allowedModels = new[] { "gpt-4.1", "deepseek-chat", "gpt-4.1" },
            monthlyBudgetUsd = 12.5m,
            monthlyTokenQuota = 12345L,
            limits = new { requestsPerMinute = 7, tokensPerMinute = 7000L, maxConcurrent = 2 },
            fairShareWeight = 6,
        });

        var text = await response.Content.ReadAsStringAsync();
        Expect.Equal(HttpStatusCode.Created, response.StatusCode, text);
        var tenant = JsonNode.Parse(text)!.AsObject();
        AssertJson(tenant, "tier", "bronze");
        AssertJson(tenant, "fairShareWeight", 6L);
        AssertJson(tenant["overrides"]!, "fairShareWeight", 6L);
        Expect.Equal(["gpt-4.1", "deepseek-v3.2"], tenant["allowedModels"]!.AsArray().Select(m => m!.GetValue<string>()).ToArray(),
            $"Aliases resolve to catalog ids and duplicates collapse: {text}");
        Expect.Equal(12.5m, tenant["monthlyBudgetUsd"]!.GetValue<decimal>(), $"Budget as given: {text}");
        AssertJson(tenant, "monthlyTokenQuota", 12345L);
        AssertJson(tenant["limits"]!, "requestsPerMinute", 7L);
        AssertJson(tenant["limits"]!, "tokensPerMinute", 7000L);
        AssertJson(tenant["limits"]!, "maxConcurrent", 2L);
        AssertJson(tenant["overrides"]!, "requestsPerMinute", 7L);
        AssertJson(tenant["overrides"]!, "monthlyTokenQuota", 12345L);
        Expect.Equal(12.5m, tenant["usage"]!["remainingBudgetUsd"]!.GetValue<decimal>(), $"The whole budget remains: {text}");
    }

    [Theory]
    [InlineData("GOLD", "gold")]
    [InlineData("Silver", "silver")]
    [InlineData("platinum", "platinum")]
    public async Task TierNamesAreCaseInsensitiveAndStoredInLowerCase(string given, string stored)
    {
        var id = NewId();
        using var admin = gateway.CreateAdminClient();

        using var response = await admin.PostAsJsonAsync("/admin/tenants", new { id, tier = given });

        var text = await response.Content.ReadAsStringAsync();
        Expect.Equal(HttpStatusCode.Created, response.StatusCode, $"Tier '{given}' should be accepted: {text}");
        AssertJson(JsonNode.Parse(text)!, "tier", stored);
        using var patched = await admin.PatchAsync($"/admin/tenants/{id}", Json("{\"tier\":\"" + given.ToUpperInvariant() + "\"}"));
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
    }

    [Fact]
    public async Task CreatingATenantWhoseIdExistsIs409AndLeavesItAlone()
    {
        var id = NewId();
        using var admin = gateway.CreateAdminClient();
        using (var first = await admin.PostAsJsonAsync("/admin/tenants", new { id, tier = "gold" }))
        {
            Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        }

        using var second = await admin.PostAsJsonAsync("/admin/tenants", new { id, tier = "bronze" });

        await AssertOpenAiErrorAsync(second, HttpStatusCode.Conflict, "invalid_request_error", "id", "tenant_exists", "duplicate id");
        var tenant = await admin.GetFromJsonAsync<JsonObject>($"/admin/tenants/{id}");
        AssertJson(tenant!, "tier", "gold");
    }

    [Theory]
    [MemberData(nameof(InvalidTenantBodies))]
    public async Task CreatingATenantWithABadFieldIs400NamingIt(string caseName, string body, string param)
    {
        var id = NewId();
        using var admin = gateway.CreateAdminClient();

        using var response = await admin.PostAsync("/admin/tenants", Json(body.Replace("{id}", id, StringComparison.Ordinal)));

        await AssertOpenAiErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request_error", param, null, caseName);
        using var check = await admin.GetAsync($"/admin/tenants/{id}");
        Assert.Equal(HttpStatusCode.NotFound, check.StatusCode);
    }

    [Theory]
    [MemberData(nameof(InvalidTenantIds))]
    public async Task CreatingATenantWithABadIdIs400NamingTheId(string caseName, string idJson)
    {
        using var admin = gateway.CreateAdminClient();

        using var response = await admin.PostAsync("/admin/tenants", Json("{\"id\":" + idJson + ",\"tier\":\"gold\"}"));

        await AssertOpenAiErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request_error", "id", null, caseName);
    }

    [Theory]
    [InlineData("malformed", "{\"id\":")]
    [InlineData("an array", "[]")]
    [InlineData("a string", "\"tenant\"")]
    [InlineData("empty", "")]
    public async Task CreatingATenantFromABodyThatIsNotAJsonObjectIs400(string caseName, string body)
    {
        using var admin = gateway.CreateAdminClient();

        using var response = await admin.PostAsync("/admin/tenants", Json(body));

        await AssertOpenAiErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request_error", null, null, caseName);
    }

    [Fact]
    public async Task AnAdminBodyOver64KiBIs413()
    {
        using var admin = gateway.CreateAdminClient();
        var body = "{\"id\":\"" + NewId() + "\",\"tier\":\"gold\"" + new string(' ', 64 * 1024) + "}";

        using var response = await admin.PostAsync("/admin/tenants", Json(body));

        await AssertOpenAiErrorAsync(response, HttpStatusCode.RequestEntityTooLarge, "invalid_request_error", null, "request_too_large", "admin body over 64 KiB");
    }

    [Theory]
    [InlineData("GET", "/admin/tenants/{id}")]
    [InlineData("GET", "/admin/tenants/{id}/usage")]
    [InlineData("PATCH", "/admin/tenants/{id}")]
    [InlineData("POST", "/admin/tenants/{id}/keys")]
    public async Task AnUnknownTenantIs404TenantNotFound(string method, string path)
    {
        var id = NewId();
        using var admin = gateway.CreateAdminClient();
        using var request = new HttpRequestMessage(new HttpMethod(method), path.Replace("{id}", id, StringComparison.Ordinal));
        if (method == "PATCH")
        {
            request.Content = Json("""{"tier":"gold"}""");
        }

        using var response = await admin.SendAsync(request);

        var error = await AssertOpenAiErrorAsync(response, HttpStatusCode.NotFound, "invalid_request_error", "id", "tenant_not_found", $"{method} {path}");
        Assert.Contains(id, error["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PatchingATenantChangesTierLimitsModelsAndBudgetAndGetShowsIt()
    {
        var (tenantId, _) = await gateway.CreateTenantWithKeyAsync(new { tier = "bronze" });
        using var admin = gateway.CreateAdminClient();

        using var patched = await admin.PatchAsync($"/admin/tenants/{tenantId}", Json("""
            {"tier":"gold","limits":{"requestsPerMinute":42,"maxConcurrent":3},"allowedModels":["gemini-2.5-flash"],"monthlyBudgetUsd":99.99}
            """));

        var patchText = await patched.Content.ReadAsStringAsync();
        Expect.Equal(HttpStatusCode.OK, patched.StatusCode, $"PATCH should answer 200: {patchText}");
        var tenant = (await admin.GetFromJsonAsync<JsonObject>($"/admin/tenants/{tenantId}"))!;
        var text = tenant.ToJsonString();
        Expect.JsonEqual(JsonNode.Parse(patchText), tenant, "GET shows what PATCH answered");
        AssertJson(tenant, "tier", "gold");
        AssertJson(tenant["limits"]!, "requestsPerMinute", 42L);
        AssertJson(tenant["limits"]!, "tokensPerMinute", 2_000_000L);
        AssertJson(tenant["limits"]!, "maxConcurrent", 3L);
        AssertJson(tenant, "monthlyTokenQuota", 100_000_000L);
        AssertJson(tenant, "fairShareWeight", 4L);
        Expect.Equal(["gemini-2.5-flash"], tenant["allowedModels"]!.AsArray().Select(m => m!.GetValue<string>()).ToArray(), $"Models as patched: {text}");
        Expect.Equal(99.99m, tenant["monthlyBudgetUsd"]!.GetValue<decimal>(), $"Budget as patched: {text}");
        AssertJson(tenant["usage"]!, "monthlyTokenQuota", 100_000_000L);
        Expect.Equal(99.99m, tenant["usage"]!["monthlyBudgetUsd"]!.GetValue<decimal>(), $"Usage shows the new budget: {text}");
    }

    [Fact]
    public async Task PatchingOneFieldLeavesTheOthersAlone()
    {
        var (tenantId, _) = await gateway.CreateTenantWithKeyAsync(new
        {
            tier = "silver",
            allowedModels = new[] { "gpt-4.1" },
            monthlyBudgetUsd = 5m,
            limits = new { requestsPerMinute = 11 },
        });
        using var admin = gateway.CreateAdminClient();

        using var patched = await admin.PatchAsync($"/admin/tenants/{tenantId}", Json("""{"limits":{"tokensPerMinute":1234}}"""));

        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        var tenant = (await admin.GetFromJsonAsync<JsonObject>($"/admin/tenants/{tenantId}"))!;
        AssertJson(tenant, "tier", "silver");
        AssertJson(tenant["limits"]!, "requestsPerMinute", 11L);
        AssertJson(tenant["limits"]!, "tokensPerMinute", 1234L);
        AssertJson(tenant["limits"]!, "maxConcurrent", 20L);
        Assert.Equal(["gpt-4.1"], tenant["allowedModels"]!.AsArray().Select(m => m!.GetValue<string>())); // untouched
        Assert.Equal(5m, tenant["monthlyBudgetUsd"]!.GetValue<decimal>()); // untouched
    }

    [Fact]
    public async Task PatchingALimitToNullResetsItToTheTierDefault()
    {
        var (tenantId, _) = await gateway.CreateTenantWithKeyAsync(new
        {
            tier = "silver",
            limits = new { requestsPerMinute = 5, maxConcurrent = 4 },
            monthlyBudgetUsd = 3m,
            allowedModels = new[] { "gpt-4.1" },
        });
        using var admin = gateway.CreateAdminClient();

        using var patched = await admin.PatchAsync($"/admin/tenants/{tenantId}", Json("""
            {"limits":{"requestsPerMinute":null},"monthlyBudgetUsd":null,"allowedModels":null}
            """));

        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        var tenant = (await admin.GetFromJsonAsync<JsonObject>($"/admin/tenants/{tenantId}"))!;
        var text = tenant.ToJsonString();
        AssertJson(tenant["limits"]!, "requestsPerMinute", 300L);
        Assert.True(tenant["overrides"]!.AsObject().ContainsKey("requestsPerMinute") && tenant["overrides"]!["requestsPerMinute"] is null,
            $"The override is gone: {text}");
        AssertJson(tenant["limits"]!, "maxConcurrent", 4L);
        Assert.True(tenant.ContainsKey("monthlyBudgetUsd") && tenant["monthlyBudgetUsd"] is null, $"Budget null means none: {text}");
        Assert.True(tenant.ContainsKey("allowedModels") && tenant["allowedModels"] is null, $"Models null means every model: {text}");
    }

    [Theory]
    [InlineData("unknown tier", """{"tier":"diamond"}""", "tier")]
    [InlineData("tier null", """{"tier":null}""", "tier")]
    [InlineData("id change", """{"id":"other"}""", "id")]
    [InlineData("unknown field", """{"owner":"me"}""", "owner")]
    [InlineData("negative budget", """{"monthlyBudgetUsd":-0.01}""", "monthlyBudgetUsd")]
    [InlineData("requestsPerMinute 0", """{"limits":{"requestsPerMinute":0}}""", "limits.requestsPerMinute")]
    [InlineData("unknown model", """{"allowedModels":["nope"]}""", "allowedModels")]
    public async Task PatchingWithABadFieldIs400AndChangesNothing(string caseName, string body, string param)
    {
        var (tenantId, _) = await gateway.CreateTenantWithKeyAsync(new { tier = "silver" });
        using var admin = gateway.CreateAdminClient();
        var before = (await admin.GetFromJsonAsync<JsonObject>($"/admin/tenants/{tenantId}"))!;

        using var response = await admin.PatchAsync($"/admin/tenants/{tenantId}", Json(body));

        await AssertOpenAiErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request_error", param, null, caseName);
        var after = (await admin.GetFromJsonAsync<JsonObject>($"/admin/tenants/{tenantId}"))!;
        Expect.JsonEqual(before, after, $"{caseName}: the tenant must be unchanged");
    }

    [Fact]
    public async Task CreatingAKeyIs201WithA256BitSkKeyShownOnce()
    {
        var (tenantId, _) = await gateway.CreateTenantWithKeyAsync();
        using var admin = gateway.CreateAdminClient();

        using var first = await admin.PostAsync($"/admin/tenants/{tenantId}/keys", null);
        using var second = await admin.PostAsync($"/admin/tenants/{tenantId}/keys", null);

        var firstText = await first.Content.ReadAsStringAsync();
        Expect.Equal(HttpStatusCode.Created, first.StatusCode, firstText);
        Assert.Equal(HttpStatusCode.Created, second.StatusCode);
        var one = JsonNode.Parse(firstText)!.AsObject();
        var two = (await second.Content.ReadFromJsonAsync<JsonObject>())!;
        Expect.Equal(["createdAt", "id", "key"], one.Select(p => p.Key).Order(StringComparer.Ordinal).ToArray(), $"A created key is exactly {{id, key, createdAt}}: {firstText}");
        var key = one["key"]!.GetValue<string>();
        Assert.StartsWith("sk-", key, StringComparison.Ordinal);
        var secret = key["sk-".Length..];
        Assert.InRange(secret.Length, 43, int.MaxValue); // 256 bits of base64url
        Assert.True(secret.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'), $"The key is base64url: {key}");
        Assert.True(Base64UrlBytes(secret) >= 32, $"The key carries at least 32 random bytes: {key}");
        Assert.Equal(gateway.Clock.GetUtcNow(), one["createdAt"]!.GetValue<DateTimeOffset>());
        Assert.NotEqual(key, two["key"]!.GetValue<string>());
        Assert.NotEqual(one["id"]!.GetValue<string>(), two["id"]!.GetValue<string>());

        using var client = gateway.CreateTenantClient(key);
        using var models = await client.GetAsync("/v1/models");
        Assert.Equal(HttpStatusCode.OK, models.StatusCode);
    }

    [Fact]
    public async Task GettingATenantListsItsKeyIdsButNeverTheKeys()
    {
        var (tenantId, firstKey) = await gateway.CreateTenantWithKeyAsync();
        using var admin = gateway.CreateAdminClient();
        using var created = await admin.PostAsync($"/admin/tenants/{tenantId}/keys", null);
        var second = (await created.Content.ReadFromJsonAsync<JsonObject>())!;
        var secondKey = second["key"]!.GetValue<string>();

        using var response = await admin.GetAsync($"/admin/tenants/{tenantId}");

        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain(firstKey, text, StringComparison.Ordinal);
        Assert.DoesNotContain(secondKey, text, StringComparison.Ordinal);
        Assert.DoesNotContain(firstKey["sk-".Length..][..16], text, StringComparison.Ordinal); // not even part of a key
        var keys = JsonNode.Parse(text)!["keys"]!.AsArray();
        Expect.Equal(2, keys.Count, $"Both keys are listed: {text}");
        Expect.Equal(second["id"]!.GetValue<string>(), keys[1]!["id"]!.GetValue<string>(), $"The second key's id is listed: {text}");
        foreach (var listed in keys)
        {
            Expect.Equal(["createdAt", "id", "revokedAt"], listed!.AsObject().Select(p => p.Key).Order(StringComparer.Ordinal).ToArray(),
                $"A listed key is {{id, createdAt, revokedAt}}: {text}");
            Assert.True(listed["revokedAt"] is null, $"Neither key is revoked: {text}");
        }
    }

    [Fact]
    public async Task RevokingAKeyIs204AndTheKeyIsRefusedWithinOneSecond()
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync();
        using var admin = gateway.CreateAdminClient();
        using var created = await admin.PostAsync($"/admin/tenants/{tenantId}/keys", null);
        var otherKey = (await created.Content.ReadFromJsonAsync<JsonObject>())!["key"]!.GetValue<string>();
        using var client = gateway.CreateTenantClient(key);
        using var other = gateway.CreateTenantClient(otherKey);

        // Used once, so the frontend's key cache holds it as live.
        using (var served = await client.PostAsync("/v1/chat/completions", Json(ChatBody)))
        {
            Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        }

        var tenant = (await admin.GetFromJsonAsync<JsonObject>($"/admin/tenants/{tenantId}"))!;
        var keyId = tenant["keys"]![0]!["id"]!.GetValue<string>();
        var revokedAt = gateway.Clock.GetUtcNow();
        using var revoke = await admin.DeleteAsync($"/admin/tenants/{tenantId}/keys/{keyId}");

        Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        Assert.Empty(await revoke.Content.ReadAsByteArrayAsync());
        gateway.Clock.Advance(TimeSpan.FromSeconds(1));
        using var refused = await client.PostAsync("/v1/chat/completions", Json(ChatBody));
        await AssertOpenAiErrorAsync(refused, HttpStatusCode.Unauthorized, "invalid_request_error", null, "invalid_api_key", "revoked key after 1 s");
        using var refusedModels = await client.GetAsync("/v1/models");
        Assert.Equal(HttpStatusCode.Unauthorized, refusedModels.StatusCode);
        using var stillServed = await other.PostAsync("/v1/chat/completions", Json(ChatBody));
        Assert.Equal(HttpStatusCode.OK, stillServed.StatusCode);

        var after = (await admin.GetFromJsonAsync<JsonObject>($"/admin/tenants/{tenantId}"))!;
        var listed = after["keys"]!.AsArray().Single(k => k!["id"]!.GetValue<string>() == keyId)!;
        Assert.Equal(revokedAt, listed["revokedAt"]!.GetValue<DateTimeOffset>());
        AssertJson(after["usage"]!, "requests", 2L);
    }

    [Fact]
    public async Task RevokingAKeyTwiceIsStill204()
    {
        var (tenantId, _) = await gateway.CreateTenantWithKeyAsync();
        using var admin = gateway.CreateAdminClient();
        var keyId = (await admin.GetFromJsonAsync<JsonObject>($"/admin/tenants/{tenantId}"))!["keys"]![0]!["id"]!.GetValue<string>();

        using var first = await admin.DeleteAsync($"/admin/tenants/{tenantId}/keys/{keyId}");
        using var second = await admin.DeleteAsync($"/admin/tenants/{tenantId}/keys/{keyId}");

        Assert.Equal(HttpStatusCode.NoContent, first.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, second.StatusCode);
    }

    [Fact]
    public async Task RevokingAnUnknownKeyIs404KeyNotFound()
    {
        var (tenantId, _) = await gateway.CreateTenantWithKeyAsync();
        using var admin = gateway.CreateAdminClient();

        using var unknownKey = await admin.DeleteAsync($"/admin/tenants/{tenantId}/keys/key_0000000000000000");
        using var unknownTenant = await admin.DeleteAsync($"/admin/tenants/{NewId()}/keys/key_0000000000000000");

        await AssertOpenAiErrorAsync(unknownKey, HttpStatusCode.NotFound, "invalid_request_error", "keyId", "key_not_found", "unknown key");
        await AssertOpenAiErrorAsync(unknownTenant, HttpStatusCode.NotFound, "invalid_request_error", "keyId", "key_not_found", "unknown tenant's key");
    }

    [Fact]
    public async Task TheUsageEndpointReturnsTheDocumentedFields()
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync(new { tier = "bronze", monthlyBudgetUsd = 10m });
        using var client = gateway.CreateTenantClient(key);
        using var served = await client.PostAsync("/v1/chat/completions", Json(ChatBody));
        var completion = (await served.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        var input = completion["usage"]!["prompt_tokens"]!.GetValue<long>();
        var output = completion["usage"]!["completion_tokens"]!.GetValue<long>();
        var cost = (input * 2.00m + output * 8.00m) / 1_000_000m;
        using var admin = gateway.CreateAdminClient();

        using var response = await admin.GetAsync($"/admin/tenants/{tenantId}/usage");

        var text = await response.Content.ReadAsStringAsync();
        Expect.Equal(HttpStatusCode.OK, response.StatusCode, $"Usage should answer 200: {text}");
        var usage = JsonNode.Parse(text)!.AsObject();
        foreach (var field in new[] { "period", "requests", "inputTokens", "outputTokens", "costUsd", "monthlyBudgetUsd", "remainingBudgetUsd", "monthlyTokenQuota", "remainingTokens", "byModel" })
        {
            Assert.True(usage.ContainsKey(field), $"Usage lacks the documented field '{field}': {text}");
        }

        AssertJson(usage, "period", Period());
        AssertJson(usage, "requests", 1L);
        AssertJson(usage, "inputTokens", input);
        AssertJson(usage, "outputTokens", 3L);
        Expect.Equal(
            (cost, 10m, 10m - cost),
            (usage["costUsd"]!.GetValue<decimal>(), usage["monthlyBudgetUsd"]!.GetValue<decimal>(), usage["remainingBudgetUsd"]!.GetValue<decimal>()),
            $"costUsd, monthlyBudgetUsd, remainingBudgetUsd: {text}");
        AssertJson(usage, "monthlyTokenQuota", 1_000_000L);
        AssertJson(usage, "remainingTokens", 1_000_000L - input - 3);
        var byModel = usage["byModel"]!.AsArray();
        Expect.Equal(1, byModel.Count, $"One model was used: {text}");
        AssertJson(byModel[0]!, "model", "gpt-4.1");
        AssertJson(byModel[0]!, "requests", 1L);
        AssertJson(byModel[0]!, "inputTokens", input);
        AssertJson(byModel[0]!, "outputTokens", 3L);
        Expect.Equal(cost, byModel[0]!["costUsd"]!.GetValue<decimal>(), $"byModel cost: {text}");
    }

    [Theory]
    [InlineData("/health/live")]
    [InlineData("/health/ready")]
    public async Task HealthEndpointsAnswer200WithoutAKey(string path)
    {
        using var client = gateway.CreateClient();

        using var response = await client.GetAsync(path);

        var text = await response.Content.ReadAsStringAsync();
        Expect.Equal(HttpStatusCode.OK, response.StatusCode, $"{path} should answer 200: {text}");
        Assert.Equal("Healthy", text);
    }

    [Theory]
    [InlineData("/dashboard", null)]
    [InlineData("/dashboard/", null)]
    [InlineData("/dashboard/", "Bearer adm-wrong")]
    [InlineData("/dashboard/", "Basic dXNlcjp3cm9uZw==")]
    [InlineData("/dashboard/index.html", null)]
    public async Task TheDashboardOutsideDevelopmentRefusesRequestsWithoutTheAdminKey(string path, string? authorization)
    {
        using var client = gateway.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, BaseAddress = gateway.BaseAddress });
        if (authorization is not null)
        {
            client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", authorization);
        }

        using var response = await client.GetAsync(path);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.True(response.Headers.WwwAuthenticate.Any(h => h.Scheme == "Basic"), "The 401 invites Basic authentication so a browser can prompt.");
    }

    [Fact]
    public async Task TheDashboardWithTheAdminKeyAsBearerIsServedAtItsPathWithoutARedirect()
    {
        // Without auto-redirect, so a redirect shows; a client following one would drop Authorization.
        using var admin = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false }) { BaseAddress = gateway.BaseAddress };

        using var root = await admin.SendAsync(WithAdminKey("/dashboard"));
        using var counters = await admin.SendAsync(WithAdminKey("/dashboard/DashboardCounters"));

        var page = await root.Content.ReadAsStringAsync();
        Expect.Equal(HttpStatusCode.OK, root.StatusCode, $"/dashboard with the admin key: {root.Headers.Location} {page}");
        Assert.Equal("text/html", root.Content.Headers.ContentType?.MediaType);
        Assert.Contains("history.replaceState", page, StringComparison.Ordinal);
        Expect.Equal(HttpStatusCode.OK, counters.StatusCode, $"The dashboard's API: {await counters.Content.ReadAsStringAsync()}");
        Assert.Equal("application/json", counters.Content.Headers.ContentType?.MediaType);

        // The page's script moves its address to /dashboard/ before anything loads: what it references resolves there.
        var referenced = System.Text.RegularExpressions.Regex.Matches(page, "(?:src|href)=\"([^\"#]+)\"").Select(m => m.Groups[1].Value).ToList();
        Assert.Contains("./index.min.js", referenced);
        foreach (var reference in referenced)
        {
            var resolved = new Uri(new Uri(gateway.BaseAddress, "/dashboard/"), reference);
            using var asset = await admin.SendAsync(WithAdminKey(resolved.PathAndQuery));
            Expect.Equal(HttpStatusCode.OK, asset.StatusCode, $"{reference} from /dashboard/ ({resolved.PathAndQuery})");
        }
    }

    [Fact]
    public async Task TheDashboardUnderItsPathIsOrleansOwnPage()
    {
        using var admin = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false }) { BaseAddress = gateway.BaseAddress };

        using var page = await admin.SendAsync(WithAdminKey("/dashboard/"));

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain("history.replaceState", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheDashboardSwitchedOffIsNotServed()
    {
        var off = new GatewayFactory();
        off.Settings["Gateway:Dashboard:Enabled"] = "false";
        await off.InitializeAsync();
        try
        {
            using var admin = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false }) { BaseAddress = off.BaseAddress };

            using var root = await admin.SendAsync(WithAdminKey("/dashboard"));
            using var counters = await admin.SendAsync(WithAdminKey("/dashboard/DashboardCounters"));

            Assert.Equal((HttpStatusCode.NotFound, HttpStatusCode.NotFound), (root.StatusCode, counters.StatusCode));
        }
        finally
        {
            await off.DisposeAsync();
        }
    }

    [Fact]
    public async Task TheDashboardWithTheAdminKeyAsBasicPasswordIsServed()
    {
        using var client = gateway.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, BaseAddress = gateway.BaseAddress });
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(
            "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("operator:" + GatewayFactory.AdminKey)));

        using var response = await client.GetAsync("/dashboard/");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private static HttpRequestMessage WithAdminKey(string path) =>
        new(HttpMethod.Get, path) { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", GatewayFactory.AdminKey) } };

    private static string NewId() => "t-" + Guid.NewGuid().ToString("N")[..12];

    private string Period() => gateway.Clock.GetUtcNow().UtcDateTime.ToString("yyyy-MM", CultureInfo.InvariantCulture);

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static int Base64UrlBytes(string value) =>
        Convert.FromBase64String(value.Replace('-', '+').Replace('_', '/') + new string('=', (4 - value.Length % 4) % 4)).Length;

    // Compared as JSON, so a number where a string belongs (or the reverse) is a mismatch too.
    private static void AssertJson(JsonNode node, string name, string expected) =>
        Expect.Equal(JsonValue.Create(expected).ToJsonString(), node[name]?.ToJsonString(), $"'{name}' in {node.ToJsonString()}");

    private static void AssertJson(JsonNode node, string name, long expected) =>
        Expect.Equal(JsonValue.Create(expected).ToJsonString(), node[name]?.ToJsonString(), $"'{name}' in {node.ToJsonString()}");
}
