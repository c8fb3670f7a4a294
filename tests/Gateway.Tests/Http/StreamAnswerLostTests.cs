using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Gateway.ApiFrontend.Apis;
using Gateway.Grains.Abstractions.Upstream;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Http;

/// <summary>
/// A stream whose end arrived by push while its call's own answer was lost on the way (a rolling update drops answers
/// routed through a silo that has begun to stop): the client's response ends a moment after the end, not when the call is
/// found silent 20 s later, and the stream is charged once. On a gateway of its own whose stream calls never hear
/// their answer: the worker holds it back, once the stream has ended, until the call is given up.
/// </summary>
public sealed class StreamAnswerLostTests(StreamAnswerLostTests.Gateway fixture) : IClassFixture<StreamAnswerLostTests.Gateway>
{
    [Fact]
    public async Task TheResponseEndsOnceTheStreamsEndArrivedAndTheCallIsGivenUpAfterABriefWait()
    {
        var gateway = fixture.Factory;
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync();
        using var client = gateway.CreateTenantClient(key);
        var mark = gateway.Clock.TimersStarted;
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = new StringContent(JsonSerializer.Serialize(new { model = "gpt-4.1", messages = ChatBodies.Messages(), max_tokens = 5, stream = true }), Encoding.UTF8, "application/json"),
        };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));

        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        using var body = new StreamReader(await response.Content.ReadAsStreamAsync());
        var text = new StringBuilder();
        while (!text.ToString().Contains("data: [DONE]", StringComparison.Ordinal))
        {
            var line = await body.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.NotNull(line);
            text.AppendLine(line);
        }

        // The end is here; the call's answer is not: the frontend waits for it a moment (on the gateway's clock), no more.
        await Eventually.HoldsAsync(
            () => Task.FromResult(gateway.Clock.HasPendingWait(ChatStreamResponse.AnswerAfterEndBound, mark)),
            "the frontend waits briefly for the stream call's answer");
        var rest = body.ReadToEndAsync();
        Assert.False(rest.IsCompleted, "the response ended before the call's answer was given up");
        gateway.Clock.Advance(ChatStreamResponse.AnswerAfterEndBound);

        // Bounded well under the 20 s of silence after which the call would otherwise be ended as lost.
        Assert.Equal("", (await rest.WaitAsync(TimeSpan.FromSeconds(10))).Trim());
        await Task.WhenAll(fixture.Held).WaitAsync(TimeSpan.FromSeconds(10));

        var usage = await gateway.GetUsageAsync(tenantId);
        Assert.Equal(1, usage["requests"]!.GetValue<long>());
        Assert.Equal(5, usage["outputTokens"]!.GetValue<long>());
        Assert.Equal(0, usage["inFlight"]!.GetValue<int>());

        // The connection serves the next request at once.
        var next = await client.PostAsync("/v1/chat/completions", new StringContent(
            JsonSerializer.Serialize(new { model = "gpt-4.1", messages = ChatBodies.Messages(), max_tokens = 3 }), Encoding.UTF8, "application/json")).WaitAsync(TimeSpan.FromSeconds(10));
        next.EnsureSuccessStatusCode();
    }

    /// <summary>The gateway whose stream calls' answers never reach the request that made them.</summary>
    public sealed class Gateway : IAsyncLifetime
    {
        public Gateway()
        {
            Factory = new GatewayFactory { TestServices = services => services.AddSingleton<IIncomingGrainCallFilter>(new LoseStreamAnswers(Held)) };
        }

        public GatewayFactory Factory { get; }

        /// <summary>The answers being held: each ends when its call is cancelled.</summary>
        public System.Collections.Concurrent.ConcurrentBag<Task> Held { get; } = [];

        public Task InitializeAsync() => Factory.InitializeAsync();

        public Task DisposeAsync() => ((IAsyncLifetime)Factory).DisposeAsync();
    }

    /// <summary>
    /// Lets a stream call run to its end on its worker (every push made, the end's included), then keeps its answer until
    /// the caller cancels the call, which Orleans completes on the caller's side at once and signals to the worker.
    /// </summary>
    private sealed class LoseStreamAnswers(System.Collections.Concurrent.ConcurrentBag<Task> held) : IIncomingGrainCallFilter
    {
        public async Task Invoke(IIncomingGrainCallContext context)
        {
            await context.Invoke();
            if (context.InterfaceMethod?.DeclaringType != typeof(IUpstreamGrain) || context.MethodName != nameof(IUpstreamGrain.StreamToAsync))
            {
                return;
            }

            var token = Enumerable.Range(0, context.Request.GetArgumentCount()).Select(context.Request.GetArgument).OfType<CancellationToken>().Single();

            // Bounded, so a gateway that never gives the call up fails the test rather than hanging it.
            var hold = Task.Delay(TimeSpan.FromSeconds(60), token).ContinueWith(_ => { }, TaskScheduler.Default);
            held.Add(hold);
            await hold;
        }
    }
}
