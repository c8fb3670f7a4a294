using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Gateway.Tests.Infrastructure;
using static Gateway.Tests.Infrastructure.OpenAiErrorAssertions;

namespace Gateway.Tests.Http;

/// <summary>
/// The admin API's answers to faulty tenant bodies: a value of the wrong JSON type gets the same message as a value out
/// of range (what the field must be), an unknown field is named as written, a field given twice or an id in a PATCH is
/// refused, and no message shows the serializer's own words.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class TenantBodyErrorTests(GatewayFactory gateway)
{
    public static TheoryData<string, string, string, string> FaultsOfBothKinds() => new()
    {
        // field (a path: the value goes there), a value of the wrong JSON type, a value of the right type out of range, the message
        { "tier", "3", "\"diamond\"", "'tier' must be one of bronze, silver, gold, platinum." },
        { "monthlyBudgetUsd", "\"10\"", "-1", "'monthlyBudgetUsd' must be a number of US dollars between 0 and 1000000000, or null." },
        { "monthlyTokenQuota", "1.5", "-1", "'monthlyTokenQuota' must be an integer between 0 and 9223372036854775807, or null." },
        { "limits.requestsPerMinute", "\"10\"", "0", "'limits.requestsPerMinute' must be an integer between 1 and 10000000, or null." },
        { "limits.tokensPerMinute", "[]", "1000000001", "'limits.tokensPerMinute' must be an integer between 1 and 1000000000, or null." },
        { "limits.maxConcurrent", "2147483648.5", "100001", "'limits.maxConcurrent' must be an integer between 1 and 100000, or null." },
        { "cache.enabled", "\"yes\"", "null", "'cache.enabled' is required: true or false." },
        { "cache.ttlSeconds", "true", "604801", "'cache.ttlSeconds' must be an integer between 1 and 604800, or null." },
        { "cache.maxEntries", "{}", "0", "'cache.maxEntries' must be an integer between 1 and 1000000, or null." },
        { "cache.deterministicOnly", "1", "null", "'cache.deterministicOnly' must be true (only requests with temperature 0 or a seed are cached) or false (every request)." },
        { "cache.hitCostFraction", "\"0\"", "1.5", "'cache.hitCostFraction' must be a number from 0 (a hit is free) to 1 (a hit costs what the stored answer cost)." },
        { "allowedOrigins", "\"https://app.example.com\"", "[" + string.Join(",", Enumerable.Range(0, 33).Select(i => $"\"https://a{i}.example.com\"")) + "]",
            "'allowedOrigins' must be an array of at most 32 origins, or null for none." },
    };

    [Theory]
    [MemberData(nameof(FaultsOfBothKinds))]
    public async Task AValueOfTheWrongTypeGetsTheMessageOfAValueOutOfRange(string field, string wrongType, string outOfRange, string message)
    {
        using var admin = gateway.CreateAdminClient();

        var wrong = await AssertRefusedAsync(await admin.PostAsync("/admin/tenants", Body(field, wrongType)), field, $"{field}: {wrongType}");
        var range = await AssertRefusedAsync(await admin.PostAsync("/admin/tenants", Body(field, outOfRange)), field, $"{field}: {outOfRange}");

        Assert.Equal(message, range);
        Assert.Equal(message, wrong);
    }

    [Theory]
    [InlineData("allowedModels", """[4]""", "'allowedModels' contains a value that is not a string.")]
    [InlineData("allowedModels", """["gpt-4.1",null]""", "'allowedModels' contains a value that is not a string.")]
    [InlineData("allowedModels", """[["gpt-4.1"]]""", "'allowedModels' contains a value that is not a string.")]
    [InlineData("allowedModels", """["gpt-4.1","gpt-9"]""", "'allowedModels' contains 'gpt-9', which is not in the model catalog.")]
    [InlineData("allowedOrigins", """[5]""", "'allowedOrigins' holds origins such as 'https://app.example.com' or 'http://localhost:3000': a scheme (http or https), a host and an optional port, no path.")]
    [InlineData("allowedOrigins", """[null]""", "'allowedOrigins' holds origins such as 'https://app.example.com' or 'http://localhost:3000': a scheme (http or https), a host and an optional port, no path.")]
    public async Task ABadElementOfAListNamesTheList(string field, string value, string message)
    {
        using var admin = gateway.CreateAdminClient();

        var answer = await AssertRefusedAsync(await admin.PostAsync("/admin/tenants", Body(field, value)), field, value);

        Assert.Equal(message, answer);
    }

    [Theory]
    [InlineData("""{"Tier":"gold"}""", "Tier")]
    [InlineData("""{"a.b":1}""", "a.b")]
    [InlineData("""{"x y":1}""", "x y")]
    [InlineData("""{"cache.enabled":true}""", "cache.enabled")]
    [InlineData("""{"requestsPerMinute":5}""", "requestsPerMinute")]
    [InlineData("""{"limits":{"a.b":1}}""", "limits.a.b")]
    [InlineData("""{"cache":{"enabled":true,"Enabled":true}}""", "cache.Enabled")]
    [InlineData("""{"":1}""", "")]
    public async Task AnUnknownFieldIsNamedAsWritten(string extra, string field)
    {
        var body = JsonNode.Parse(extra)!.AsObject();
        body["id"] = NewId();
        body["tier"] ??= "gold";
        using var admin = gateway.CreateAdminClient();

        var answer = await AssertRefusedAsync(await admin.PostAsync("/admin/tenants", Json(body.ToJsonString())), field, extra);

        Assert.Equal($"Unknown field '{field}'.", answer);
    }

    [Theory]
    [InlineData("""{"id":"other"}""")]
    [InlineData("""{"id":5}""")]
    [InlineData("""{"id":null}""")]
    [InlineData("""{"id":{"a":1},"tier":"gold"}""")]
    public async Task AnIdInAPatchCannotChangeItWhateverItsValue(string body)
    {
        var (tenantId, _) = await gateway.CreateTenantWithKeyAsync();
        using var admin = gateway.CreateAdminClient();

        var answer = await AssertRefusedAsync(await admin.PatchAsync($"/admin/tenants/{tenantId}", Json(body)), "id", body);

        Assert.Equal("'id' cannot be changed.", answer);
    }

    [Theory]
    [InlineData("""{"tier":"gold","tier":"bronze"}""")]
    [InlineData("""{"limits":{"maxConcurrent":1,"maxConcurrent":2}}""")]
    [InlineData("""{"cache":{"enabled":true},"cache":null}""")]
    public async Task AFieldGivenTwiceIsRefusedAndChangesNothing(string body)
    {
        var (tenantId, _) = await gateway.CreateTenantWithKeyAsync(new { tier = "silver" });
        using var admin = gateway.CreateAdminClient();
        var before = await admin.GetFromJsonAsync<JsonObject>($"/admin/tenants/{tenantId}");

        using var response = await admin.PatchAsync($"/admin/tenants/{tenantId}", Json(body));

        var error = await AssertOpenAiErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request_error", null, null, body);
        Assert.Equal("We could not parse the JSON body of your request.", error["message"]!.GetValue<string>());
        Assert.True(JsonNode.DeepEquals(before, await admin.GetFromJsonAsync<JsonObject>($"/admin/tenants/{tenantId}")), $"{body} changed the tenant.");
    }

    [Fact]
    public async Task PatchingLimitsToNullPutsEveryLimitBackToTheTiers()
    {
        var (tenantId, _) = await gateway.CreateTenantWithKeyAsync(new { tier = "silver", limits = new { requestsPerMinute = 5, tokensPerMinute = 600L, maxConcurrent = 4 } });
        using var admin = gateway.CreateAdminClient();

        using var response = await admin.PatchAsync($"/admin/tenants/{tenantId}", Json("""{"limits":null}"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var tenant = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal("""{"requestsPerMinute":300,"tokensPerMinute":500000,"maxConcurrent":20}""", tenant["limits"]!.ToJsonString());
        Assert.Equal("""{"monthlyTokenQuota":null,"requestsPerMinute":null,"tokensPerMinute":null,"maxConcurrent":null,"fairShareWeight":null}""", tenant["overrides"]!.ToJsonString());
    }

    [Fact]
    public async Task ATenantIsCreatedWithA201WithoutALocation()
    {
        using var admin = gateway.CreateAdminClient();

        using var response = await admin.PostAsync("/admin/tenants", Json($$"""{"id":"{{NewId()}}","tier":"gold"}"""));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Null(response.Headers.Location);
        Assert.Equal("application/json; charset=utf-8", response.Content.Headers.ContentType?.ToString());
    }

    /// <summary>Asserts a 400 naming <paramref name="field"/> (a list's name for its elements) and returns its message.</summary>
    private static async Task<string> AssertRefusedAsync(HttpResponseMessage response, string field, string because)
    {
        using (response)
        {
            var error = await AssertOpenAiErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request_error", field, null, because);
            var message = error["message"]!.GetValue<string>();
            foreach (var serializerWords in new[] { "System.", "Nullable", "could not be converted", "Path:", "LineNumber", "Request" })
            {
                Assert.False(message.Contains(serializerWords, StringComparison.Ordinal), $"{because}: the message shows '{serializerWords}': {message}");
            }

            return message;
        }
    }

    /// <summary>A valid create body with <paramref name="value"/> at <paramref name="field"/> (<c>limits.x</c> inside <c>limits</c>).</summary>
    private static StringContent Body(string field, string value)
    {
        var body = new JsonObject { ["id"] = NewId(), ["tier"] = "gold" };
        var parts = field.Split('.');
        var parent = parts.Length == 1 ? body : (JsonObject)(body[parts[0]] = parts[0] == "cache" ? new JsonObject { ["enabled"] = true } : new JsonObject());
        parent[parts[^1]] = JsonNode.Parse(value);
        return Json(body.ToJsonString());
    }

    private static string NewId() => "t-" + Guid.NewGuid().ToString("N")[..12];

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");
}
