using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Gateway.MockProvider;

namespace Gateway.Tests.Mock;

/// <summary>How faults are queued: the JSON of <c>POST /mock/faults</c> and <see cref="MockFaultQueue.Enqueue"/>.</summary>
public sealed class FaultQueueTests(MockServerFixture mock) : IClassFixture<MockServerFixture>
{
    [Theory]
    [InlineData("""{"kind":"reset_before_headers"}""")]
    [InlineData("""{"kind":"reset_mid_body","cut_after_chunks":3,"latency_ms":10}""")]
    [InlineData("""{"kind":"stall_before_headers","stall_ms":100,"status":503,"error_body":"html","message":"busy","retry_after_ms":5}""")]
    [InlineData("""{"kind":"stall_mid_body","stall_ms":100,"stall_after_chunks":2}""")]
    [InlineData("""{"kind":"burst","burst_chunks":5,"stall_ms":100}""")]
    [InlineData("""{"kind":"garbage_body"}""")]
    [InlineData("""{"kind":"garbage_event","garbage_after_chunks":0}""")]
    [InlineData("""{"kind":"oversize_body","body_bytes":4096}""")]
    [InlineData("""{"kind":"no_usage","count":2}""")]
    [InlineData("""{"status":429,"retry_after":3,"count":2}""")]
    [InlineData("""{"cut_after_chunks":1}""")]
    [InlineData("""{"latency_ms":5}""")]
    public async Task AcceptsEveryKindWithTheMembersItUses(string fault)
    {
        var (deployment, prefix) = mock.NewDeployment();

        using var response = await PostFaultAsync(prefix, fault);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var pending = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["pending"]!.GetValue<int>();
        Assert.Equal(deployment.Faults.Count, pending);
        Assert.Equal(fault.Contains("\"count\":2", StringComparison.Ordinal) ? 2 : 1, pending);
    }

    [Theory]
    [InlineData("""{"kind":"explode"}""", "'kind' must be one of")]
    [InlineData("""{"kind":5}""", "'kind' must be one of")]
    [InlineData("""{"kind":"burst","colour":"red"}""", "Unknown fault member 'colour'")]
    [InlineData("""{"error_body":"xml","status":500}""", "'error_body' must be one of")]
    [InlineData("""{"status":200}""", "'status' must be from 400 to 599")]
    [InlineData("""{"kind":"burst","stall_after_chunks":1}""", "'stall_after_chunks' needs kind stall_mid_body")]
    [InlineData("""{"kind":"garbage_event","burst_chunks":2}""", "'burst_chunks' needs kind burst")]
    [InlineData("""{"kind":"burst","burst_chunks":0}""", "'burst_chunks' must be at least 1")]
    [InlineData("""{"kind":"no_usage","stall_ms":10}""", "'stall_ms' needs kind")]
    [InlineData("""{"kind":"oversize_body","body_bytes":999999999}""", "'body_bytes' must be from 1 to")]
    [InlineData("""{"kind":"reset_before_headers","status":500}""", "'status' combines only with kind stall_before_headers")]
    [InlineData("""{"latency_ms":5,"message":"hi"}""", "need 'status'")]
    [InlineData("""{"status":500,"error_body":"empty","message":"hi"}""", "'message' cannot go in an empty error body")]
    [InlineData("""{"retry_after":1}""", "A fault needs 'kind', 'status', 'cut_after_chunks' or 'latency_ms'")]
    [InlineData("""{"stall_ms":-1,"kind":"stall_mid_body"}""", "'stall_ms' must be a non-negative integer")]
    public async Task RefusesAFaultThatCouldNotDoWhatItSays(string fault, string expected)
    {
        var (deployment, prefix) = mock.NewDeployment();

        using var response = await PostFaultAsync(prefix, fault);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var message = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!["message"]!.GetValue<string>();
        Assert.Contains(expected, message, StringComparison.Ordinal);
        Assert.Equal(0, deployment.Faults.Count);
    }

    [Fact]
    public void EnqueueInProcessRefusesTheSameInconsistencies()
    {
        var faults = new MockFaultQueue();

        var error = Assert.Throws<ArgumentException>(() => faults.Enqueue(new MockFault { BurstChunks = 2 }));

        Assert.Contains("'burst_chunks' needs kind burst", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, faults.Count);
    }

    [Fact]
    public async Task TopLevelRoutesKeepTheirOwnQueue()
    {
        using (var queued = await PostFaultAsync(string.Empty, """{"status":418}"""))
        {
            Assert.Equal(HttpStatusCode.OK, queued.StatusCode);
        }

        Assert.Equal(1, mock.DefaultFaults.Count);
        using var content = new StringContent(MockServerFixture.ChatBody(), Encoding.UTF8, "application/json");
        using var failed = await mock.Http.PostAsync("/v1/chat/completions", content);
        Assert.Equal((HttpStatusCode)418, failed.StatusCode);
        Assert.Equal(0, mock.DefaultFaults.Count);
    }

    private async Task<HttpResponseMessage> PostFaultAsync(string prefix, string fault)
    {
        using var content = new StringContent(fault, Encoding.UTF8, "application/json");
        return await mock.Http.PostAsync(prefix + "/mock/faults", content);
    }
}
