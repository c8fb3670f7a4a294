using System.Text.Json;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Providers.Gemini;

/// <summary>Gemini streams translated to OpenAI's that end early are charged what was streamed, as pass-through streams are.</summary>
[Collection(GatewayCollection.Name)]
public sealed class GeminiUpstreamStreamTests(GatewayFactory gateway)
{
    [Fact]
    public async Task AClientThatHangsUpMidStreamIsChargedTheInputGeminiReportedAndTheOutputStreamed()
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync();
        var servedBefore = gateway.MockStats.CompletionTokens;
        var promptBefore = gateway.MockStats.PromptTokens;
        var requestsBefore = gateway.MockStats.Requests;
        var body = JsonSerializer.Serialize(new
        {
            model = "gemini-2.5-flash", max_tokens = 200, stream = true,
            messages = new object[]
            {
                // 400 ms between chunks: the hang-up after the third reaches the gateway and the mock before the fourth is
                // due, also on a loaded box (at 100 ms a fourth was sometimes flushed, served but never streamed).
                new { role = "system", content = """mock: {"chunk_delay_ms": 400, "cache_read_input_tokens": 40}""" },
                new { role = "user", content = "Hello there" },
            },
        });

        using (var connection = await RawConnection.OpenAsync(gateway.BaseAddress, key, body))
        {
            var received = await connection.ReadUntilAsync(text => CountContentEvents(text) >= 3);
            Assert.StartsWith("HTTP/1.1 200", received);
        }

        await Eventually.HoldsAsync(
            async () => (await gateway.GetUsageAsync(tenantId))["requests"]!.GetValue<long>() == 1,
            "the abandoned stream is settled");
        await Eventually.HoldsAsync(
            () => Task.FromResult(gateway.MockStats.Requests == requestsBefore + 1),
            "the mock provider has counted the cancelled stream");

        // Input as the first event's usageMetadata reported it (cached input included, priced as such); output what
        // reached the gateway's client.
        var usage = await gateway.GetUsageAsync(tenantId);
        var served = gateway.MockStats.CompletionTokens - servedBefore;
        var prompt = gateway.MockStats.PromptTokens - promptBefore;
        var charged = usage["outputTokens"]!.GetValue<long>();
        Assert.InRange(charged, 3, 199);
        Assert.Equal(served, charged);
        Assert.Equal(prompt, usage["inputTokens"]!.GetValue<long>());
        Assert.Equal(GeminiPrices.CostUsd(prompt, 40, charged), usage["costUsd"]!.GetValue<decimal>());
        Assert.Equal(0, usage["inFlight"]!.GetValue<int>());
    }

    private static int CountContentEvents(string sse) =>
        sse.Split("\n\n").Count(e => e.Contains("\"content\":\"", StringComparison.Ordinal) && !e.Contains("\"content\":\"\"", StringComparison.Ordinal));
}
