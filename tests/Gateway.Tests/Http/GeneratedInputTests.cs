using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using CsCheck;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Http;

/// <summary>
/// Generated requests over the request schemas (CsCheck): every field of a chat body and of a tenant body is, at random,
/// valid, missing, null, of a wrong JSON type, a huge or fractional number, or a string that is not text. Whatever comes
/// out is answered with a success or a 4xx in the error JSON, never a 5xx, and a 4xx charges nothing.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class GeneratedInputTests(GatewayFactory gateway)
{
    private static readonly Gen<byte[]?> BadText = Gen.OneOf(HostileInputTests.BadText.Select(b => b.Bytes).ToArray()).Select(b => (byte[]?)b);

    /// <summary>A JSON value as raw bytes: usually of a wrong type, sometimes huge, sometimes not text.</summary>
    private static readonly Gen<byte[]> AnyValue = Gen.Frequency(
        (3, Gen.OneOf("null", "true", "false", "0", "-1", "1.5", "1e400", "-1e400", "99999999999999999999", "2147483648", "[]", "{}", "[1,\"a\"]",
            "{\"a\":{}}", "\"\"", "\"x\"", "\"gpt-4.1\"", "\"user\"", "\"text\"", "\"\\u0000\"", "[[[[[[[[[[]]]]]]]]]]").Select(Encoding.UTF8.GetBytes)),
        (1, BadText.Select(b => (byte[])[(byte)'"', .. b!, (byte)'"'])),
        (1, Gen.String.Select(s => Encoding.UTF8.GetBytes(System.Text.Json.JsonSerializer.Serialize(s)))));

    /// <summary>A field: its valid value (which may itself be mutated), absent, or any value.</summary>
    private static Gen<byte[]?> Field(string valid) =>
        Gen.Frequency((5, Gen.Const((byte[]?)Encoding.UTF8.GetBytes(valid))), (1, Gen.Const((byte[]?)null)), (2, AnyValue.Select(v => (byte[]?)v)));

    private static readonly Gen<byte[]> Part = Object(("type", Field("\"text\"")), ("text", Field("\"hello\"")));

    private static readonly Gen<byte[]> Message = Gen.Frequency(
        (6, Object(("role", Field("\"user\"")), ("content", Gen.Frequency((3, Field("\"Hello there\"")), (1, Array(Part).Select(p => (byte[]?)p)))), ("name", Gen.Frequency((3, Gen.Const((byte[]?)null)), (1, Field("\"n\"")))))),
        (1, AnyValue));

    private static readonly Gen<byte[]> ChatBody = Object(
        ("model", Field("\"gpt-4.1\"")),
        ("messages", Gen.Frequency((6, Array(Message).Select(m => (byte[]?)m)), (1, Field("[]")))),
        ("max_tokens", Field("3")),
        ("n", Gen.Frequency((3, Gen.Const((byte[]?)null)), (1, Field("1")))),
        ("stream", Gen.Frequency((3, Gen.Const((byte[]?)null)), (1, Field("false")))),
        ("stream_options", Gen.Frequency((4, Gen.Const((byte[]?)null)), (1, Object(("include_usage", Field("true"))).Select(o => (byte[]?)o)))),
        ("user", Gen.Frequency((3, Gen.Const((byte[]?)null)), (1, Field("\"u\"")))),
        ("temperature", Gen.Frequency((3, Gen.Const((byte[]?)null)), (1, Field("0.5")))));

    private static readonly Gen<byte[]> TenantBody = Object(
        ("id", Gen.Frequency((5, Gen.Const((byte[]?)"\"{id}\""u8.ToArray())), (2, AnyValue.Select(v => (byte[]?)v)))),
        ("tier", Field("\"gold\"")),
        ("allowedModels", Gen.Frequency((2, Gen.Const((byte[]?)null)), (1, Field("[\"gpt-4.1\"]")), (1, Array(AnyValue).Select(a => (byte[]?)a)))),
        ("monthlyBudgetUsd", Gen.Frequency((2, Gen.Const((byte[]?)null)), (1, Field("5")))),
        ("monthlyTokenQuota", Gen.Frequency((2, Gen.Const((byte[]?)null)), (1, Field("1000")))),
        ("limits", Gen.Frequency((2, Gen.Const((byte[]?)null)), (1, Object(("requestsPerMinute", Field("10")), ("tokensPerMinute", Field("1000")), ("maxConcurrent", Field("2"))).Select(o => (byte[]?)o)))));

    [Fact]
    public async Task GeneratedChatBodiesAreServedOrRefusedWithA4xxThatChargesNothing()
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync();
        using var client = gateway.CreateTenantClient(key);

        await ChatBody.SampleAsync(async body =>
        {
            var before = await gateway.GetUsageAsync(tenantId);
            using var response = await client.PostAsync("/v1/chat/completions", Content(body));
            await AssertAnsweredAsync(response, body);
            if ((int)response.StatusCode >= 400)
            {
                var after = await gateway.GetUsageAsync(tenantId);
                // Compared as values (a reservation added and released leaves 0.000000, which is 0).
                Expect.JsonEqual(before, after, $"A {(int)response.StatusCode} must leave usage as it was");
            }
        }, iter: 150, threads: 1, print: Print);
    }

    [Fact]
    public async Task GeneratedTenantBodiesAreCreatedOrRefusedWithA4xx()
    {
        using var admin = gateway.CreateAdminClient();
        var (tenantId, _) = await gateway.CreateTenantWithKeyAsync();

        await TenantBody.SampleAsync(async body =>
        {
            var raw = Latin1Replace(body);
            using var created = await admin.PostAsync("/admin/tenants", Content(raw));
            await AssertAnsweredAsync(created, raw);
            using var patched = await admin.PatchAsync($"/admin/tenants/{tenantId}", Content(WithoutId(raw)));
            await AssertAnsweredAsync(patched, raw);
        }, iter: 150, threads: 1, print: Print);
    }

    private static async Task AssertAnsweredAsync(HttpResponseMessage response, byte[] body)
    {
        var status = (int)response.StatusCode;
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status < 500, $"{status} for {Print(body)}: {text}");
        if (status >= 400)
        {
            var error = (JsonNode.Parse(text) as JsonObject)?["error"] as JsonObject;
            Assert.True(error?["message"] is JsonValue && error["type"] is JsonValue, $"{status} without the error shape for {Print(body)}: {text}");
        }
    }

    private static ByteArrayContent Content(byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    // The id placeholder becomes a fresh id, byte for byte, so that invalid bytes elsewhere stay as generated.
    private static byte[] Latin1Replace(byte[] body) =>
        Encoding.Latin1.GetBytes(Encoding.Latin1.GetString(body).Replace("{id}", "g-" + Guid.NewGuid().ToString("N")[..12], StringComparison.Ordinal));

    private static byte[] WithoutId(byte[] body)
    {
        var text = Encoding.Latin1.GetString(body);
        var start = text.IndexOf("\"id\":", StringComparison.Ordinal);
        if (start < 0)
        {
            return body;
        }

        // The id is the first field; drop it up to the next field (or the end of the object).
        var comma = text.IndexOf(",\"tier\":", start, StringComparison.Ordinal);
        return comma < 0 ? body : Encoding.Latin1.GetBytes("{" + text[(comma + 1)..]);
    }

    private static string Print(byte[] body) => Encoding.Latin1.GetString(body.Length > 2000 ? body[..2000] : body);

    private static Gen<byte[]> Array(Gen<byte[]> item) => item.Array[0, 4].Select(items =>
    {
        var bytes = new List<byte> { (byte)'[' };
        for (var i = 0; i < items.Length; i++)
        {
            if (i > 0) bytes.Add((byte)',');
            bytes.AddRange(items[i]);
        }

        bytes.Add((byte)']');
        return bytes.ToArray();
    });

    private static Gen<byte[]> Object(params (string Name, Gen<byte[]?> Value)[] fields)
    {
        var all = Gen.Const(System.Array.Empty<byte[]?>());
        foreach (var field in fields)
        {
            all = all.SelectMany(previous => field.Value.Select(value => (byte[]?[])[.. previous, value]));
        }

        return all.Select(values =>
        {
            var bytes = new List<byte> { (byte)'{' };
            var first = true;
            for (var i = 0; i < fields.Length; i++)
            {
                if (values[i] is not { } value) continue;
                if (!first) bytes.Add((byte)',');
                first = false;
                bytes.AddRange(Encoding.UTF8.GetBytes($"\"{fields[i].Name}\":"));
                bytes.AddRange(value);
            }

            bytes.Add((byte)'}');
            return bytes.ToArray();
        });
    }
}
