using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Http;

/// <summary>
/// Every field of a rich, valid request (system blocks, images, thinking, tools, tool results, sampling settings)
/// replaced, one at a time, by each JSON type it is not: a string, an empty string, a huge, negative or fractional
/// number, an object, an array, null, a boolean; plain and streamed. The answer is a success or a 4xx in
/// the endpoint's own error shape, never a 5xx (eight requests at a time). Where <see cref="GeneratedInputTests"/> samples at random, this walks
/// every path of the body, so a field read without checking its JSON type cannot hide. Answers are kept to a few tokens
/// (the mock's directive: a <c>mock</c> member, or a system text <c>mock: {...}</c> where a translation drops members), and
/// the chat body's 4,000 <c>max_tokens</c> leave Claude room for the thinking budget <c>reasoning_effort</c> asks.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class TypeConfusionTests(GatewayFactory gateway)
{
    private static readonly string[] Replacements =
        ["\"x\"", "\"\"", "12345678901234567890", "-1", "1.5", "{\"a\":1}", "[1]", "null", "true"];

    private const string Messages = """
        {"model":"MODEL","max_tokens":8,
         "system":[{"type":"text","text":"be brief","cache_control":{"type":"ephemeral"}}],
         "messages":[
           {"role":"user","content":[{"type":"text","text":"hi"},{"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo="}}]},
           {"role":"assistant","content":[{"type":"thinking","thinking":"hmm","signature":"sig"},{"type":"tool_use","id":"tu_1","name":"get","input":{"q":1}}]},
           {"role":"user","content":[{"type":"tool_result","tool_use_id":"tu_1","content":[{"type":"text","text":"r"}]}]}],
         "tools":[{"name":"get","description":"d","input_schema":{"type":"object","properties":{"q":{"type":"integer"}}}}],
         "tool_choice":{"type":"auto"},"thinking":{"type":"enabled","budget_tokens":2048},"stop_sequences":["END"],
         "temperature":0.5,"top_p":0.9,"top_k":5,"metadata":{"user_id":"u"}}
        """;

    private const string Chat = """
        {"model":"MODEL","max_tokens":4000,
         "messages":[
           {"role":"system","content":"mock: {\"completion_tokens\": 3}"},
           {"role":"user","content":[{"type":"text","text":"hi"},{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}}]},
           {"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"get","arguments":"{}"}}]},
           {"role":"tool","tool_call_id":"c1","content":"r"}],
         "tools":[{"type":"function","function":{"name":"get","parameters":{"type":"object","properties":{"q":{"type":"integer"}}}}}],
         "tool_choice":"auto","stop":["x"],"n":1,"response_format":{"type":"json_object"},"stream_options":{"include_usage":true},
         "user":"u","reasoning_effort":"low","temperature":0.5,"top_p":0.9,"mock":{"completion_tokens":3}}
        """;

    public static TheoryData<string, string> Targets => new()
    {
        // Native to an anthropic-kind deployment, and translated to an OpenAI-kind one.
        { "/v1/messages", "claude-sonnet-4.5" },
        { "/v1/messages", "gpt-4.1" },
        { "/v1/messages/count_tokens", "claude-sonnet-4.5" },
        // Passed through to an OpenAI-kind deployment, translated to Anthropic and to Gemini.
        { "/v1/chat/completions", "gpt-4.1" },
        { "/v1/chat/completions", "claude-sonnet-4.5" },
        { "/v1/chat/completions", "gemini-2.5-flash" },
    };

    [Theory]
    [MemberData(nameof(Targets))]
    public async Task EveryFieldOfEveryTypeIsServedOrRefusedWithA4xxInTheEndpointsShape(string path, string model)
    {
        var anthropic = path.StartsWith("/v1/messages", StringComparison.Ordinal);
        var (_, key) = await gateway.CreateTenantWithKeyAsync(new
        {
            tier = "gold",
            monthlyBudgetUsd = 1_000_000,
            monthlyTokenQuota = 1_000_000_000_000,
            limits = new { requestsPerMinute = 1_000_000, tokensPerMinute = 1_000_000_000, maxConcurrent = 100 },
        });
        using var client = gateway.CreateTenantClient(key);
        if (anthropic)
        {
            client.DefaultRequestHeaders.Add("anthropic-version", "2023-06-01");
        }

        var valid = JsonNode.Parse((anthropic ? Messages : Chat).Replace("MODEL", model, StringComparison.Ordinal))!;
        var streams = path.EndsWith("count_tokens", StringComparison.Ordinal) ? [false] : new[] { false, true };

        using (var baseline = await client.PostAsync(path, Content(valid.ToJsonString())))
        {
            Assert.True(baseline.IsSuccessStatusCode, $"the valid body: {(int)baseline.StatusCode} {await baseline.Content.ReadAsStringAsync()}");
        }

        var cases = from at in Paths(valid) from replacement in Replacements from stream in streams select (at, replacement, stream);
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        await Parallel.ForEachAsync(cases, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (@case, cancel) =>
        {
            var (at, replacement, stream) = @case;
            var body = valid.DeepClone();
            Replace(body, at, JsonNode.Parse(replacement));
            if (stream)
            {
                body["stream"] = true;
            }

            using var response = await client.PostAsync(path, Content(body.ToJsonString()), cancel);
            var status = (int)response.StatusCode;
            var answer = await response.Content.ReadAsStringAsync(cancel);
            if (status >= 500 || (status >= 400 && !InShape(answer, anthropic)))
            {
                failures.Add($"{status} with {string.Join('.', at)} = {replacement}{(stream ? " (streamed)" : "")}: {answer}");
            }
        });

        Assert.Empty(failures);
    }

    private static bool InShape(string answer, bool anthropic)
    {
        var root = JsonNode.Parse(answer) as JsonObject;
        var error = root?["error"] as JsonObject;
        return error?["message"] is JsonValue && error["type"] is JsonValue
            && (!anthropic || root!["type"]?.GetValue<string>() == "error");
    }

    private static IEnumerable<object[]> Paths(JsonNode node, object[]? at = null)
    {
        at ??= [];
        switch (node)
        {
            case JsonObject obj:
                foreach (var (name, child) in obj)
                {
                    if (at.Length == 0 && name == "mock")
                    {
                        continue;
                    }

                    object[] here = [.. at, name];
                    yield return here;
                    if (child is not null)
                    {
                        foreach (var deeper in Paths(child, here)) yield return deeper;
                    }
                }

                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    object[] here = [.. at, i];
                    yield return here;
                    if (array[i] is { } child)
                    {
                        foreach (var deeper in Paths(child, here)) yield return deeper;
                    }
                }

                break;
        }
    }

    private static void Replace(JsonNode root, object[] at, JsonNode? value)
    {
        var parent = root;
        foreach (var step in at[..^1])
        {
            parent = step is int i ? parent[i]! : parent[(string)step]!;
        }

        if (at[^1] is int index)
        {
            parent.AsArray()[index] = value;
        }
        else
        {
            parent.AsObject()[(string)at[^1]] = value;
        }
    }

    private static ByteArrayContent Content(string body)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }
}
