using System.Text;
using System.Text.Json.Nodes;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Http;

/// <summary>
/// A catalogue of hostile requests over every endpoint, sent as raw bytes through the real server: each is answered
/// with a 4xx in the API's error JSON (or, for header and request-line abuse that Kestrel refuses before the gateway
/// sees it, Kestrel's own bodiless 4xx), never a 500, never a hang, and the tenant's usage does not move.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class HostileInputTests(GatewayFactory gateway)
{
    private const string Chat = "/v1/chat/completions";
    private const string Tenants = "/admin/tenants";

    /// <summary>Bad byte sequences and escapes for a JSON string: each makes the string not text.</summary>
    public static readonly (string Name, byte[] Bytes)[] BadText =
    [
        ("invalid byte FF", [0xFF]),
        ("overlong slash C0 AF", [0xC0, 0xAF]),
        ("overlong NUL C0 80", [0xC0, 0x80]),
        ("truncated E2 82", [0xE2, 0x82]),
        ("truncated F0 9F 98", [0xF0, 0x9F, 0x98]),
        ("encoded surrogate ED A0 80", [0xED, 0xA0, 0x80]),
        ("beyond U+10FFFF F4 90 80 80", [0xF4, 0x90, 0x80, 0x80]),
        ("lone high surrogate escape", "\\ud800"u8.ToArray()),
        ("lone low surrogate escape", "\\udc00"u8.ToArray()),
        ("high surrogate then a letter", "\\ud83dx"u8.ToArray()),
        ("two high surrogates", "\\ud83d\\ud83d"u8.ToArray()),
    ];

    public static TheoryData<string> Cases() => [.. Catalogue().Keys];

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task AHostileRequestIsA4xxInTheErrorShapeAndChargesNothing(string caseName)
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync();
        var before = await UsageAsync(tenantId);
        var hostile = Catalogue()[caseName];

        var request = hostile(new Target(gateway.BaseAddress, tenantId, key));
        var answer = await RawExchange.SendAsync(gateway.BaseAddress, request);

        AssertRefused(answer, caseName);
        var after = await UsageAsync(tenantId);
        Assert.Equal(before, after);
    }

    [Fact]
    public async Task ATenantIdEndingInANewlineIsRefused()
    {
        using var admin = gateway.CreateAdminClient();
        var id = "nl-" + Guid.NewGuid().ToString("N")[..8];

        using var created = await admin.PostAsync(Tenants, Json($$"""{"id":"{{id}}\n","tier":"gold"}"""));
        using var lookup = await admin.GetAsync($"{Tenants}/{id}%0A");

        await OpenAiErrorAssertions.AssertOpenAiErrorAsync(created, System.Net.HttpStatusCode.BadRequest, "invalid_request_error", "id", null, "id with a final newline");
        await OpenAiErrorAssertions.AssertOpenAiErrorAsync(lookup, System.Net.HttpStatusCode.NotFound, "invalid_request_error", "id", "tenant_not_found", "lookup with a final newline");
    }

    [Fact]
    public async Task RequestLinesAndHeadersOverTheLimitsAreRefusedInTheErrorShapeAndFarOverThemByKestrel()
    {
        var kestrel = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions
            .GetRequiredService<Microsoft.Extensions.Options.IOptions<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>>(gateway.Services).Value;
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync();
        string[] auth = [$"Authorization: Bearer {key}"];
        Task<RawExchange.Answer> Send(string target, params string[] headers) =>
            RawExchange.SendAsync(gateway.BaseAddress, RawExchange.Build(gateway.BaseAddress, "GET", target, [.. auth, .. headers]));

        // Within Kestrel's default 32 KiB and the gateway's 4x margin, over the gateway's 16 KiB; then 70 headers (64 allowed).
        var headers = await Send("/v1/usage", "X-Filler: " + new string('a', 20 * 1024));
        var count = await Send("/v1/usage", [.. Enumerable.Range(0, 70).Select(i => $"X-Filler-{i}: a")]);
        var line = await Send("/v1/usage?pad=" + new string('a', 9 * 1024));
        var messages = await Send("/v1/messages?pad=" + new string('a', 9 * 1024), "anthropic-version: 2023-06-01");
        var withinLimits = await Send("/v1/usage", "X-Filler: " + new string('a', 15 * 1024));
        var farOver = await Send("/v1/usage", "X-Filler: " + new string('a', 70 * 1024));

        AssertError(headers, 431, "request_headers_too_large", "The request headers total more than the 16384 bytes the gateway accepts.");
        AssertError(count, 431, "request_headers_too_large", "The request has more than the 64 headers the gateway accepts.");
        AssertError(line, 414, "request_line_too_long", "The request line (method, path and query) is longer than the 8192 bytes the gateway accepts.");
        Assert.Equal(414, messages.Status);
        Assert.Equal("invalid_request_error", JsonNode.Parse(messages.Body)!["error"]!["type"]!.GetValue<string>());
        Assert.Equal("error", JsonNode.Parse(messages.Body)!["type"]!.GetValue<string>());
        Assert.Equal(200, withinLimits.Status);
        Assert.Equal((431, ""), (farOver.Status, farOver.Body));
        Assert.Equal(0, (await gateway.GetUsageAsync(tenantId))["requests"]!.GetValue<long>());

        Assert.Equal(4 * 16 * 1024, kestrel.Limits.MaxRequestHeadersTotalSize);
        Assert.Equal(4 * 64, kestrel.Limits.MaxRequestHeaderCount);
        Assert.Equal(4 * 8 * 1024, kestrel.Limits.MaxRequestLineSize);
        Assert.Equal(1024, kestrel.Limits.MinRequestBodyDataRate!.BytesPerSecond);
        Assert.Equal(TimeSpan.FromSeconds(5), kestrel.Limits.MinRequestBodyDataRate.GracePeriod);
        Assert.Equal(4L * 1024 * 1024 + 1024 * 1024, kestrel.Limits.MaxRequestBodySize);

        static void AssertError(RawExchange.Answer answer, int status, string code, string message)
        {
            Assert.True(answer.Status == status, $"{status} expected: {answer.Head}\n{answer.Body}");
            var error = JsonNode.Parse(answer.Body)!["error"]!;
            Assert.Equal((code, message), (error["code"]!.GetValue<string>(), error["message"]!.GetValue<string>()));
            Assert.Contains("x-request-id: req_", answer.Head, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task AWrongContentTypeOrMethodIsRefusedSayingSoInEachEndpointsShape()
    {
        var (tenantId, client) = await BothDialectsClientAsync();
        using var _ = client;

        using var chatText = await client.PostAsync(Chat, new StringContent(Message, Encoding.UTF8, "text/plain"));
        using var chatGet = await client.GetAsync(Chat);
        using var messagesForm = await client.PostAsync("/v1/messages", new StringContent(Message, Encoding.UTF8, "application/x-www-form-urlencoded"));
        using var countPut = await client.PutAsync("/v1/messages/count_tokens", new StringContent(Message, Encoding.UTF8, "application/json"));

        await OpenAiErrorAssertions.AssertOpenAiErrorAsync(chatText, System.Net.HttpStatusCode.UnsupportedMediaType, "invalid_request_error", null, "unsupported_media_type", "text/plain");
        var get = await OpenAiErrorAssertions.AssertOpenAiErrorAsync(chatGet, System.Net.HttpStatusCode.MethodNotAllowed, "invalid_request_error", null, "method_not_allowed", "GET");
        Assert.Equal("GET is not allowed on this endpoint (allowed: POST).", get["message"]!.GetValue<string>());
        Assert.Equal(((System.Net.HttpStatusCode)415, "invalid_request_error", "The request body must be JSON (Content-Type: application/json)."), await AnthropicErrorAsync(messagesForm));
        Assert.Equal(((System.Net.HttpStatusCode)405, "invalid_request_error", "PUT is not allowed on this endpoint (allowed: POST)."), await AnthropicErrorAsync(countPut));
        Assert.Equal((0L, 0L, 0L, 0m), UsageFigures.Charged(await gateway.GetUsageAsync(tenantId)));
    }

    [Fact]
    public async Task ACompressedBodyIsRefusedSayingSoInEachEndpointsShape()
    {
        var (tenantId, client) = await BothDialectsClientAsync();
        using var _ = client;

        using var chat = await client.PostAsync(Chat, Gzipped(Message, "gzip"));
        using var messages = await client.PostAsync("/v1/messages", Gzipped(Message, "identity, br"));
        using var identity = await client.PostAsync(Chat, Encoded(Encoding.UTF8.GetBytes(Message), "identity"));

        var error = await OpenAiErrorAssertions.AssertOpenAiErrorAsync(chat, System.Net.HttpStatusCode.UnsupportedMediaType, "invalid_request_error", null, "unsupported_media_type", "gzip");
        Assert.Equal("The request body must be sent uncompressed: Content-Encoding 'gzip' is not supported.", error["message"]!.GetValue<string>());
        Assert.Equal(((System.Net.HttpStatusCode)415, "invalid_request_error", "The request body must be sent uncompressed: Content-Encoding 'br' is not supported."), await AnthropicErrorAsync(messages));
        Assert.Equal(System.Net.HttpStatusCode.OK, identity.StatusCode);
        Assert.Equal(1, (await gateway.GetUsageAsync(tenantId))["requests"]!.GetValue<long>());
    }

    /// <summary>A body both chat endpoints take (a chat completion and a message alike).</summary>
    private const string Message = """{"model":"gpt-4.1","max_tokens":3,"messages":[{"role":"user","content":"hi"}]}""";

    /// <summary>A new tenant's client, with the header the Messages endpoints require.</summary>
    private async Task<(string TenantId, HttpClient Client)> BothDialectsClientAsync()
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync();
        var client = gateway.CreateTenantClient(key);
        client.DefaultRequestHeaders.Add("anthropic-version", "2023-06-01");
        return (tenantId, client);
    }

    private static ByteArrayContent Gzipped(string text, string encoding)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(buffer, System.IO.Compression.CompressionLevel.Fastest))
        {
            gzip.Write(Encoding.UTF8.GetBytes(text));
        }

        return Encoded(buffer.ToArray(), encoding);
    }

    private static ByteArrayContent Encoded(byte[] body, string encoding)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        Assert.True(content.Headers.TryAddWithoutValidation("Content-Encoding", encoding));
        return content;
    }

    private static async Task<(System.Net.HttpStatusCode, string?, string?)> AnthropicErrorAsync(HttpResponseMessage response)
    {
        var json = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("error", json["type"]!.GetValue<string>());
        return (response.StatusCode, json["error"]!["type"]!.GetValue<string>(), json["error"]!["message"]!.GetValue<string>());
    }

    internal static void AssertRefused(RawExchange.Answer answer, string because)
    {
        Assert.True(answer.Status is >= 400 and < 500, $"{because}: expected a 4xx, got {answer.Status}: {answer.Head}\n{answer.Body}");
        if (answer.Body.Length == 0 && answer.Status is 400 or 414 or 431)
        {
            // Kestrel refused the request line or the headers itself, before any endpoint ran.
            return;
        }

        Assert.True(answer.ContentType?.StartsWith("application/json", StringComparison.Ordinal) == true, $"{because}: not JSON: {answer.Head}\n{answer.Body}");
        var error = (JsonNode.Parse(answer.Body) as JsonObject)?["error"] as JsonObject;
        Assert.True(error?["message"] is JsonValue && error["type"] is JsonValue && error.ContainsKey("param") && error.ContainsKey("code"),
            $"{because}: not the error shape: {answer.Body}");
    }

    private async Task<string> UsageAsync(string tenantId)
    {
        var usage = await gateway.GetUsageAsync(tenantId);
        return $"requests={usage["requests"]} in={usage["inputTokens"]} out={usage["outputTokens"]} cost={usage["costUsd"]} inFlight={usage["inFlight"]} reserved={usage["reservedTokens"]} mock={gateway.MockStats.Requests}";
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    internal sealed record Target(Uri Server, string TenantId, string Key)
    {
        public string[] TenantAuth => [$"Authorization: Bearer {Key}"];

        public static string[] AdminAuth => [$"Authorization: Bearer {GatewayFactory.AdminKey}"];

        public byte[] Post(string path, string[] auth, byte[] body, string contentType = "application/json") =>
            RawExchange.Build(Server, "POST", path, [.. auth, $"Content-Type: {contentType}"], body);

        public byte[] Send(string method, string path, string[] headers, byte[]? body = null) => RawExchange.Build(Server, method, path, headers, body);
    }

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    /// <summary><paramref name="template"/> with <c>@</c> replaced by <paramref name="inner"/>'s bytes.</summary>
    private static byte[] Splice(string template, byte[] inner)
    {
        var at = template.IndexOf('@');
        return [.. Utf8(template[..at]), .. inner, .. Utf8(template[(at + 1)..])];
    }

    internal static Dictionary<string, Func<Target, byte[]>> Catalogue()
    {
        var cases = new Dictionary<string, Func<Target, byte[]>>();
        const string Msgs = """[{"role":"user","content":"hi"}]""";

        // Invalid text in every string the gateway reads or forwards, on the chat endpoint.
        string[] chatStrings =
        [
            """{"model":"@","messages":[{"role":"user","content":"hi"}]}""",
            """{"model":"gpt-4.1","messages":[{"role":"@","content":"hi"}]}""",
            """{"model":"gpt-4.1","messages":[{"role":"user","content":"x@y"}]}""",
            """{"model":"gpt-4.1","messages":[{"role":"user","content":[{"type":"text","text":"x@"}]}]}""",
            """{"model":"gpt-4.1","messages":[{"role":"user","content":[{"type":"@","text":"hi"}]}]}""",
            """{"model":"gpt-4.1","messages":[{"role":"user","name":"n@","content":"hi"}]}""",
            """{"model":"gpt-4.1","messages":[{"role":"assistant","content":null,"tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{\"a\":\"@\"}"}}]},{"role":"user","content":"hi"}]}""",
            """{"model":"gpt-4.1","messages":[{"role":"user","content":"hi"}],"user":"u@"}""",
            """{"model":"gpt-4.1","messages":[{"role":"user","content":"hi"}],"x@":1}""",
            """{"model":"gpt-4.1","messages":[{"role":"user","content":"hi"}],"metadata":{"k":["@"]}}""",
        ];
        foreach (var (template, index) in chatStrings.Select((t, i) => (t, i)))
        {
            foreach (var (name, bytes) in BadText)
            {
                cases[$"chat string {index}: {name}"] = t => t.Post(Chat, t.TenantAuth, Splice(template, bytes));
            }
        }

        // Invalid text in every admin body string: tenant id, tier, field names, allowedModels, limits' field names.
        string[] adminStrings =
        [
            """{"id":"t@","tier":"gold"}""",
            """{"id":"{new}","tier":"go@"}""",
            """{"id":"{new}","tier":"gold","@":1}""",
            """{"id":"{new}","tier":"gold","allowedModels":["gpt-4.1@"]}""",
            """{"id":"{new}","tier":"gold","limits":{"@":1}}""",
        ];
        foreach (var (template, index) in adminStrings.Select((t, i) => (t, i)))
        {
            foreach (var (name, bytes) in BadText)
            {
                cases[$"create tenant string {index}: {name}"] = t => t.Post(Tenants, Target.AdminAuth, Splice(template.Replace("{new}", "n" + t.TenantId), bytes));
                if (index > 0)
                {
                    cases[$"patch tenant string {index}: {name}"] = t =>
                        t.Send("PATCH", $"{Tenants}/{t.TenantId}", [.. Target.AdminAuth, "Content-Type: application/json"],
                            Splice(template.Replace("\"id\":\"{new}\",", ""), bytes));
                }
            }
        }

        // Content parts whose type is not a string, and wrong JSON types in the fields the gateway reads.
        foreach (var (name, body) in new (string, string)[]
        {
            ("content part type a number", """{"model":"gpt-4.1","messages":[{"role":"user","content":[{"type":5,"text":"hi"}]}]}"""),
            ("content part type an array", """{"model":"gpt-4.1","messages":[{"role":"user","content":[{"type":["text"],"text":"hi"}]}]}"""),
            ("content part type an object", """{"model":"gpt-4.1","messages":[{"role":"user","content":[{"type":{"t":"text"},"text":"hi"}]}]}"""),
            ("content part type null", """{"model":"gpt-4.1","messages":[{"role":"user","content":[{"type":null,"text":"hi"}]}]}"""),
            ("content part without type", """{"model":"gpt-4.1","messages":[{"role":"user","content":[{"text":"hi"}]}]}"""),
            ("content part a string", """{"model":"gpt-4.1","messages":[{"role":"user","content":["hi"]}]}"""),
            ("content part text a number", """{"model":"gpt-4.1","messages":[{"role":"user","content":[{"type":"text","text":5}]}]}"""),
            ("content part text missing", """{"model":"gpt-4.1","messages":[{"role":"user","content":[{"type":"text"}]}]}"""),
            ("model an array", """{"model":["gpt-4.1"],"messages":[{"role":"user","content":"hi"}]}"""),
            ("model an object", """{"model":{"id":"gpt-4.1"},"messages":[{"role":"user","content":"hi"}]}"""),
            ("role an array", """{"model":"gpt-4.1","messages":[{"role":["user"],"content":"hi"}]}"""),
            ("messages a number", """{"model":"gpt-4.1","messages":5}"""),
            ("max_tokens an object", """{"model":"gpt-4.1","messages":[{"role":"user","content":"hi"}],"max_tokens":{}}"""),
            ("n an array", """{"model":"gpt-4.1","messages":[{"role":"user","content":"hi"}],"n":[1]}"""),
            ("stream_options.include_usage a string", """{"model":"gpt-4.1","messages":[{"role":"user","content":"hi"}],"stream":true,"stream_options":{"include_usage":"yes"}}"""),
            ("max_tokens 1e400", """{"model":"gpt-4.1","messages":[{"role":"user","content":"hi"}],"max_tokens":1e400}"""),
            ("max_tokens -1e400", """{"model":"gpt-4.1","messages":[{"role":"user","content":"hi"}],"max_tokens":-1e400}"""),
            ("n a 400-digit number", """{"model":"gpt-4.1","messages":[{"role":"user","content":"hi"}],"n":1""" + new string('0', 400) + "}"),
            ("max_tokens NaN", """{"model":"gpt-4.1","messages":[{"role":"user","content":"hi"}],"max_tokens":NaN}"""),
            ("temperature Infinity", """{"model":"gpt-4.1","messages":[{"role":"user","content":"hi"}],"temperature":Infinity}"""),
            ("temperature -Infinity", """{"model":"gpt-4.1","messages":[{"role":"user","content":"hi"}],"temperature":-Infinity}"""),
            ("deep nesting in an unread field", """{"model":"gpt-4.1","messages":[{"role":"user","content":"hi"}],"x":""" + new string('[', 10_000) + new string(']', 10_000) + "}"),
            ("deep nesting as the body", new string('[', 100_000)),
            ("deep objects in content", """{"model":"gpt-4.1","messages":[{"role":"user","content":[""" + string.Concat(Enumerable.Repeat("{\"a\":", 200)) + "1" + new string('}', 200) + "]}]}"),
            ("raw NUL in content", "{\"model\":\"gpt-4.1\",\"messages\":[{\"role\":\"user\",\"content\":\"a\u0000b\"}]}"),
            ("escaped NUL in model", """{"model":"gpt-4.1\u0000","messages":[{"role":"user","content":"hi"}]}"""),
            ("escaped NUL in role", """{"model":"gpt-4.1","messages":[{"role":"user\u0000","content":"hi"}]}"""),
            ("raw control character in a string", "{\"model\":\"gpt-4.1\",\"messages\":[{\"role\":\"user\",\"content\":\"a\u0001b\"}]}"),
            ("unterminated string", """{"model":"gpt-4.1","messages":[{"role":"user","content":"hi"""),
            ("single quotes", """{'model':'gpt-4.1','messages':[]}"""),
            ("a comment", """{"model":"gpt-4.1",/* c */"messages":[{"role":"user","content":"hi"}]}"""),
            ("trailing comma", """{"model":"gpt-4.1","messages":[{"role":"user","content":"hi"}],}"""),
            ("a byte-order mark then JSON then garbage", "\uFEFF{\"model\":\"gpt-4.1\"} ]"),
            ("UTF-16 body", "UTF16"),
            ("messages given twice", """{"model":"gpt-4.1","messages":[{"role":"user","content":"hi"}],"messages":[{"role":"user","content":"a much longer prompt"}]}"""),
            ("model given twice", """{"model":"deepseek-v3.2","model":"gpt-4.1","messages":[{"role":"user","content":"hi"}]}"""),
        })
        {
            cases[$"chat body: {name}"] = t => t.Post(Chat, t.TenantAuth, body == "UTF16"
                ? Encoding.Unicode.GetBytes($$"""{"model":"gpt-4.1","messages":{{Msgs}}}""")
                : Utf8(body));
        }

        foreach (var (name, body) in new (string, string)[]
        {
            ("budget 1e400", """{"id":"{new}","tier":"gold","monthlyBudgetUsd":1e400}"""),
            ("budget a 60-digit number", """{"id":"{new}","tier":"gold","monthlyBudgetUsd":1""" + new string('0', 60) + "}"),
            ("quota 1e19", """{"id":"{new}","tier":"gold","monthlyTokenQuota":1e19}"""),
            ("budget NaN", """{"id":"{new}","tier":"gold","monthlyBudgetUsd":NaN}"""),
            ("requestsPerMinute Infinity", """{"id":"{new}","tier":"gold","limits":{"requestsPerMinute":Infinity}}"""),
            ("requestsPerMinute 2^31", """{"id":"{new}","tier":"gold","limits":{"requestsPerMinute":2147483648}}"""),
            ("id an object", """{"id":{"x":1},"tier":"gold"}"""),
            ("id an array", """{"id":["a"],"tier":"gold"}"""),
            ("tier an array", """{"id":"{new}","tier":["gold"]}"""),
            ("allowedModels an object", """{"id":"{new}","tier":"gold","allowedModels":{"a":1}}"""),
            ("allowedModels nested arrays", """{"id":"{new}","tier":"gold","allowedModels":[["gpt-4.1"]]}"""),
            ("id with ..", """{"id":"..","tier":"gold"}"""),
            ("id with a slash and ..", """{"id":"a/../b","tier":"gold"}"""),
            ("id with escaped NUL", """{"id":"a\u0000b","tier":"gold"}"""),
            ("id with unicode", """{"id":"tenänt","tier":"gold"}"""),
            ("id with fullwidth letters", """{"id":"ａｂｃ","tier":"gold"}"""),
            ("id of 300 characters", "{\"id\":\"" + new string('a', 300) + "\",\"tier\":\"gold\"}"),
            ("id with a final newline", """{"id":"acme\n","tier":"gold"}"""),
            ("id with a final CRLF", """{"id":"acme\r\n","tier":"gold"}"""),
            ("deep nesting", """{"id":"{new}","tier":"gold","limits":""" + new string('[', 5_000) + new string(']', 5_000) + "}"),
            ("malformed JSON", """{"id":"{new}","tier":"""),
            ("empty body", ""),
            ("a JSON string", "\"gold\""),
            ("duplicate id fields", """{"id":"{new}","id":"other","tier":"gold"}"""),
            ("duplicate tier fields", """{"id":"{new}","tier":"bronze","tier":"gold"}"""),
        })
        {
            cases[$"create tenant: {name}"] = t => t.Post(Tenants, Target.AdminAuth, Utf8(body.Replace("{new}", "n" + t.TenantId)));
        }

        foreach (var (name, body) in new (string, string)[]
        {
            ("id in a patch", """{"id":"other"}"""),
            ("tier a number", """{"tier":7}"""),
            ("limits a string", """{"limits":"none"}"""),
            ("budget 1e400", """{"monthlyBudgetUsd":1e400}"""),
            ("budget -0.01", """{"monthlyBudgetUsd":-0.01}"""),
            ("a JSON array", "[]"),
            ("malformed JSON", "{"),
        })
        {
            cases[$"patch tenant: {name}"] = t => t.Send("PATCH", $"{Tenants}/{t.TenantId}", [.. Target.AdminAuth, "Content-Type: application/json"], Utf8(body));
        }

        // Bodies over the limits, with a length and chunked; a malformed chunk.
        cases["chat body 4 MiB + 1 with Content-Length"] = t => t.Post(Chat, t.TenantAuth, Padded(4 * 1024 * 1024 + 1));
        cases["chat body 4 MiB + 1 chunked"] = t => Chunked(t, Chat, t.TenantAuth, Padded(4 * 1024 * 1024 + 1));
        cases["chat body claiming 1 GiB"] = t => RawExchange.Build(t.Server, "POST", Chat, [.. t.TenantAuth, "Content-Type: application/json", "Content-Length: 1073741824"], Utf8("{"));
        cases["admin body 64 KiB + 1"] = t => t.Post(Tenants, Target.AdminAuth, Padded(64 * 1024 + 1, "{\"id\":\"n" + t.TenantId + "\",\"tier\":\"gold\""));
        cases["admin body 64 KiB + 1 chunked"] = t => Chunked(t, Tenants, Target.AdminAuth, Padded(64 * 1024 + 1, "{\"id\":\"n" + t.TenantId + "\",\"tier\":\"gold\""));
        cases["chat chunk size zz"] = t => RawExchange.Build(t.Server, "POST", Chat, [.. t.TenantAuth, "Content-Type: application/json", "Transfer-Encoding: chunked"], Utf8("zz\r\n{}\r\n0\r\n\r\n"));
        cases["admin chunk size zz"] = t => RawExchange.Build(t.Server, "POST", Tenants, [.. Target.AdminAuth, "Content-Type: application/json", "Transfer-Encoding: chunked"], Utf8("zz\r\n{}\r\n0\r\n\r\n"));
        cases["chat chunk size overflowing"] = t => RawExchange.Build(t.Server, "POST", Chat, [.. t.TenantAuth, "Content-Type: application/json", "Transfer-Encoding: chunked"], Utf8("fffffffffffffffffff\r\n{}\r\n0\r\n\r\n"));
        cases["chat chunk without its CRLF"] = t => RawExchange.Build(t.Server, "POST", Chat, [.. t.TenantAuth, "Content-Type: application/json", "Transfer-Encoding: chunked"], Utf8("2\r\n{}XX0\r\n\r\n"));
        cases["chat Content-Length and chunked together"] = t => RawExchange.Build(t.Server, "POST", Chat, [.. t.TenantAuth, "Content-Type: application/json", "Content-Length: 4", "Transfer-Encoding: chunked"], Utf8("2\r\n{}\r\n0\r\n\r\n"));
        cases["chat two Content-Lengths"] = t => RawExchange.Build(t.Server, "POST", Chat, [.. t.TenantAuth, "Content-Type: application/json", "Content-Length: 2", "Content-Length: 3"], Utf8("{}"));

        // Content types that are not JSON.
        foreach (var type in new[] { "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/json; charset=latin1", "application/xml", "image/png" })
        {
            cases[$"chat content type {type}"] = t => t.Post(Chat, t.TenantAuth, Utf8($$"""{"model":"gpt-4.1","messages":{{Msgs}}}"""), type);
            cases[$"create tenant content type {type}"] = t => t.Post(Tenants, Target.AdminAuth, Utf8($$"""{"id":"n{{t.TenantId}}","tier":"gold"}"""), type);
        }

        // Header abuse on a tenant endpoint, a tenant read endpoint and an admin endpoint.
        var chatBody = Utf8($$"""{"model":"gpt-4.1","messages":{{Msgs}},"max_tokens":3}""");
        foreach (var (name, headers) in new (string, Func<Target, string[]>)[]
        {
            ("no Authorization", _ => []),
            ("empty Authorization", _ => ["Authorization:"]),
            ("Bearer without a key", _ => ["Authorization: Bearer"]),
            ("Bearer and spaces", _ => ["Authorization: Bearer      "]),
            ("Basic scheme", t => [$"Authorization: Basic {Convert.ToBase64String(Utf8("user:" + t.Key))}"]),
            ("the key twice in one header", t => [$"Authorization: Bearer {t.Key} {t.Key}"]),
            ("two Authorization headers", t => [$"Authorization: Bearer {t.Key}", $"Authorization: Bearer {t.Key}"]),
            ("an 8 KiB Authorization", _ => ["Authorization: Bearer sk-" + new string('a', 8 * 1024)]),
            ("a 64 KiB Authorization", _ => ["Authorization: Bearer sk-" + new string('a', 64 * 1024)]),
            ("300 headers", t => [.. t.TenantAuth, .. Enumerable.Range(0, 300).Select(i => $"X-Filler-{i}: {i}")]),
            ("NUL in Authorization", t => [$"Authorization: Bearer {t.Key}\u0000"]),
            ("latin-1 bytes in Authorization", _ => ["Authorization: Bearer sk-\u00ff\u00fe\u00e9"]),
            ("a key with a final newline escape", t => [$"Authorization: Bearer {t.Key}%0A"]),
            ("an empty x-api-key", _ => ["x-api-key:"]),
            ("the admin key", _ => Target.AdminAuth),
            ("the admin key as x-api-key", _ => [$"x-api-key: {GatewayFactory.AdminKey}"]),
        })
        {
            cases[$"chat header: {name}"] = t => t.Send("POST", Chat, [.. headers(t), "Content-Type: application/json"], chatBody);
            cases[$"usage header: {name}"] = t => t.Send("GET", "/v1/usage", headers(t));
        }

        foreach (var (name, headers) in new (string, Func<Target, string[]>)[]
        {
            ("no Authorization", _ => []),
            ("a tenant key", t => t.TenantAuth),
            ("a tenant key as x-api-key", t => [$"x-api-key: {t.Key}"]),
            ("the admin key with a final character", _ => [$"Authorization: Bearer {GatewayFactory.AdminKey}x"]),
            ("the admin key's prefix", _ => [$"Authorization: Bearer {GatewayFactory.AdminKey[..^1]}"]),
            ("the admin key twice", _ => [.. Target.AdminAuth, .. Target.AdminAuth]),
            ("a 64 KiB Authorization", _ => ["Authorization: Bearer " + new string('a', 64 * 1024)]),
        })
        {
            cases[$"admin header: {name}"] = t => t.Post(Tenants, headers(t), Utf8($$"""{"id":"n{{t.TenantId}}","tier":"gold"}"""));
            cases[$"admin usage header: {name}"] = t => t.Send("GET", $"{Tenants}/{t.TenantId}/usage", headers(t));
            cases[$"deployments header: {name}"] = t => t.Send("GET", "/admin/deployments", headers(t));
        }

        // Ids in paths: dot segments, encoded dot segments, NUL, unicode, newlines, 300 characters, invalid percent-encoding.
        string[] badIds = ["..", "%2e%2e", "%2E%2E%2F..%2Fdeployments", "a%00b", "%00", "t%C3%A9n%C3%A4nt", "%EF%BC%A1", "a%0A", "a%0D%0Ab",
            new string('a', 300), "%FF%FE", "%ED%A0%80", "a%2Fb", "%252e%252e", "CON", "a b"];
        foreach (var id in badIds)
        {
            var shown = id.Length > 20 ? $"{id.Length} characters" : id;
            cases[$"GET tenant {shown}"] = t => t.Send("GET", $"{Tenants}/{id}", Target.AdminAuth);
            cases[$"PATCH tenant {shown}"] = t => t.Send("PATCH", $"{Tenants}/{id}", [.. Target.AdminAuth, "Content-Type: application/json"], Utf8("""{"tier":"gold"}"""));
            cases[$"POST keys of tenant {shown}"] = t => t.Send("POST", $"{Tenants}/{id}/keys", [.. Target.AdminAuth, "Content-Length: 0"]);
            cases[$"GET usage of tenant {shown}"] = t => t.Send("GET", $"{Tenants}/{id}/usage", Target.AdminAuth);
            cases[$"GET ledger of tenant {shown}"] = t => t.Send("GET", $"{Tenants}/{id}/ledger", Target.AdminAuth);
            cases[$"DELETE key {shown} of a tenant"] = t => t.Send("DELETE", $"{Tenants}/{t.TenantId}/keys/{id}", Target.AdminAuth);
            cases[$"DELETE key of tenant {shown}"] = t => t.Send("DELETE", $"{Tenants}/{id}/keys/key_0123456789abcdef", Target.AdminAuth);
        }

        foreach (var query in new[] { "from=yesterday", "to=%00", "limit=-1", "limit=0", "limit=1e999", "limit=99999999999999999999", "after=abc", "after=-5", "from=%FF" })
        {
            cases[$"ledger query {query}"] = t => t.Send("GET", $"{Tenants}/{t.TenantId}/ledger?{query}", Target.AdminAuth);
        }

        // Request lines Kestrel refuses before the gateway.
        cases["request line of 20 KiB"] = t => t.Send("GET", "/v1/usage?" + new string('a', 20 * 1024), t.TenantAuth);
        cases["NUL in the path"] = t => t.Send("GET", "/v1/us\u0000age", t.TenantAuth);
        cases["unknown endpoint"] = t => t.Send("GET", "/v1/../admin/tenants", t.TenantAuth);
        cases["wrong method on chat"] = t => t.Send("GET", Chat, t.TenantAuth);
        cases["wrong method on tenants"] = t => t.Send("PUT", $"{Tenants}/{t.TenantId}", [.. Target.AdminAuth, "Content-Type: application/json"], Utf8("{}"));
        return cases;
    }

    /// <summary>A valid chat body padded with spaces to <paramref name="size"/> bytes (or an admin body when given its head).</summary>
    private static byte[] Padded(int size, string head = """{"model":"gpt-4.1","messages":[{"role":"user","content":"hi"}],"max_tokens":3""")
    {
        var bytes = new byte[size];
        bytes.AsSpan().Fill((byte)' ');
        Utf8(head).CopyTo(bytes, 0);
        bytes[^1] = (byte)'}';
        return bytes;
    }

    private static byte[] Chunked(Target t, string path, string[] auth, byte[] body)
    {
        var framed = new MemoryStream();
        for (var offset = 0; offset < body.Length; offset += 64 * 1024)
        {
            var length = Math.Min(64 * 1024, body.Length - offset);
            framed.Write(Encoding.ASCII.GetBytes($"{length:x}\r\n"));
            framed.Write(body, offset, length);
            framed.Write("\r\n"u8);
        }

        framed.Write("0\r\n\r\n"u8);
        return RawExchange.Build(t.Server, "POST", path, [.. auth, "Content-Type: application/json", "Transfer-Encoding: chunked"], framed.ToArray());
    }
}
