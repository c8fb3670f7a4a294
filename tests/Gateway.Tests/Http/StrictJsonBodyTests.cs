using System.Buffers;
using System.Text;
using System.Text.Json.Nodes;
using Gateway.ApiFrontend.Apis;
using Gateway.ApiFrontend.Contracts;
using Gateway.ApiFrontend.Errors;
using Microsoft.AspNetCore.Http;

namespace Gateway.Tests.Http;

/// <summary>
/// Reading a request body into the admin API's request types, without a server: absent and null told apart at every
/// level, and each way the body can fail turned into an error (the field's path for a binding failure), never an exception.
/// </summary>
public sealed class StrictJsonBodyTests
{
    public static TheoryData<string, string, bool> Paths() => new()
    {
        // serializer path, field, whether the request type has it
        { "$.tier", "tier", true },
        { "$.colour", "colour", false },
        { "$.Tier", "Tier", false },
        { "$.limits", "limits", true },
        { "$.limits.requestsPerMinute", "limits.requestsPerMinute", true },
        { "$.limits.burst", "limits.burst", false },
        { "$.cache.enabled", "cache.enabled", true },
        { "$.allowedModels[3]", "allowedModels[]", true },
        { "$.allowedOrigins[0]", "allowedOrigins[]", true },
        { "$['a.b']", "a.b", false },
        { "$['cache.enabled']", "cache.enabled", false },
        { "$.limits['x y']", "limits.x y", false },
        { "$['x']['y']", "x']['y", false },
        { "$.", "", false },
        { "$.id", "id", false },
    };

    [Theory]
    [MemberData(nameof(Paths))]
    public void ASerializerPathIsTheFieldItPointsAt(string path, string field, bool known)
    {
        var located = StrictJsonBody.Locate(path, typeof(UpdateTenantRequest));

        Assert.Equal<(string, bool)?>((field, known), located);
    }

    [Theory]
    [InlineData("$")]
    [InlineData(null)]
    public void APathToTheBodyItselfIsNoField(string? path) => Assert.Null(StrictJsonBody.Locate(path, typeof(CreateTenantRequest)));

    [Fact]
    public void TheIdIsAFieldOfACreateButNotOfAPatch()
    {
        Assert.Equal<(string, bool)?>(("id", true), StrictJsonBody.Locate("$.id", typeof(CreateTenantRequest)));
        Assert.Equal<(string, bool)?>(("id", false), StrictJsonBody.Locate("$.id", typeof(UpdateTenantRequest)));
    }

    [Fact]
    public async Task AbsentFieldsAreNotSetAndNullFieldsAreSetToNull()
    {
        var read = await ReadAsync<UpdateTenantRequest>("""{"monthlyBudgetUsd":null,"limits":{"maxConcurrent":null,"tokensPerMinute":7},"cache":null}""");

        var request = Assert.IsType<UpdateTenantRequest>(read.Value);
        Assert.Equal(Optional<string?>.Absent, request.Tier);
        Assert.Equal(Optional<decimal?>.Of(null), request.MonthlyBudgetUsd);
        Assert.Equal(Optional<long?>.Absent, request.MonthlyTokenQuota);
        Assert.Equal(Optional<TenantCacheRequest?>.Of(null), request.Cache);
        var limits = Assert.IsType<TenantLimitsRequest>(request.Limits.Value);
        Assert.Equal(Optional<long?>.Absent, limits.RequestsPerMinute);
        Assert.Equal(Optional<long?>.Of(7), limits.TokensPerMinute);
        Assert.Equal(Optional<long?>.Of(null), limits.MaxConcurrent);
    }

    [Fact]
    public async Task ListsAreReadWithTheirNullElementsForTheValidatorToRefuse()
    {
        var read = await ReadAsync<CreateTenantRequest>("""{"id":"t-1","allowedModels":["gpt-4.1",null]}""");

        Assert.Equal(Optional<string?>.Of("t-1"), read.Value!.Id);
        Assert.Equal(new string?[] { "gpt-4.1", null }, read.Value.AllowedModels.Value!);
    }

    [Theory]
    [InlineData("""{"tier":3}""", "tier|True")]
    [InlineData("""{"monthlyBudgetUsd":"10"}""", "monthlyBudgetUsd|True")]
    [InlineData("""{"monthlyTokenQuota":1.5}""", "monthlyTokenQuota|True")]
    [InlineData("""{"monthlyTokenQuota":1e400}""", "monthlyTokenQuota|True")]
    [InlineData("""{"limits":[]}""", "limits|True")]
    [InlineData("""{"limits":{"requestsPerMinute":"10"}}""", "limits.requestsPerMinute|True")]
    [InlineData("""{"limits":{"burst":1}}""", "limits.burst|False")]
    [InlineData("""{"cache":{"enabled":"yes"}}""", "cache.enabled|True")]
    [InlineData("""{"allowedModels":"gpt-4.1"}""", "allowedModels|True")]
    [InlineData("""{"allowedModels":["gpt-4.1",["x"]]}""", "allowedModels[]|True")]
    [InlineData("""{"Tier":"gold"}""", "Tier|False")]
    [InlineData("""{"tier":"gold","a.b":1}""", "a.b|False")]
    [InlineData("""{"id":"t-1"}""", "id|False")]
    public async Task ABodyThatCannotBeBoundIsAnsweredByTheCallerNamingTheField(string body, string expected)
    {
        var read = await ReadAsync<UpdateTenantRequest>(body);

        Assert.Null(read.Value);
        Assert.Equal(Error(400, expected, expected.Split('|')[0]), Json(read.Error));
    }

    [Theory]
    [InlineData("[]", "The request body must be a JSON object.")]
    [InlineData("null", "The request body must be a JSON object.")]
    [InlineData("5", "The request body must be a JSON object.")]
    [InlineData("", "We could not parse the JSON body of your request.")]
    [InlineData("""{"tier":""", "We could not parse the JSON body of your request.")]
    [InlineData("""{"tier":"gold","tier":"silver"}""", "We could not parse the JSON body of your request.")]
    [InlineData("""{"limits":{"maxConcurrent":1,"maxConcurrent":2}}""", "We could not parse the JSON body of your request.")]
    [InlineData("""{"tier":"\ud800"}""", "The request body contains a \\u escape of a lone surrogate, which is not text.")]
    public async Task ABodyThatIsNotAJsonObjectIsA400WithoutAField(string body, string message)
    {
        var read = await ReadAsync<CreateTenantRequest>(body);

        Assert.Null(read.Value);
        Assert.Equal(Error(400, message, null), Json(read.Error));
    }

    [Fact]
    public async Task ABodyOverTheLimitIsA413()
    {
        var read = await ReadAsync<CreateTenantRequest>("""{"tier":"gold"}""", limit: 10);

        Assert.Null(read.Value);
        Assert.Equal(Error(413, "The request body is larger than 10 bytes.", null, "request_too_large"), Json(read.Error));
    }

    private static async Task<StrictJsonBody.Outcome<T>> ReadAsync<T>(string body, long limit = 64 * 1024) where T : class
    {
        var context = new DefaultHttpContext();
        context.Request.Body = new MemoryStream(Encoding.UTF8.GetBytes(body));
        return await StrictJsonBody.ReadAsync<T>(context, limit, (field, known) => OpenAiError.InvalidRequest($"{field}|{known}", field));
    }

    private static string Error(int status, string message, string? param, string? code = null) =>
        $"{status} " + new JsonObject { ["error"] = new JsonObject { ["message"] = message, ["type"] = "invalid_request_error", ["param"] = param, ["code"] = code } }.ToJsonString();

    private static string Json(OpenAiError? error)
    {
        Assert.NotNull(error);
        var buffer = new ArrayBufferWriter<byte>();
        error.WriteTo(buffer);
        return $"{error.StatusCode} " + JsonNode.Parse(buffer.WrittenSpan)!.ToJsonString();
    }
}
