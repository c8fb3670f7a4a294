using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Gateway.MockProvider;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Mock;

/// <summary>
/// One mock provider on a loopback port per test class. Tests isolate themselves with a deployment of their own
/// (<see cref="NewDeployment"/>) whenever they queue faults or read stats, since the default route is shared.
/// </summary>
public sealed class MockServerFixture : IAsyncLifetime
{
    private WebApplication? _app;

    public Uri BaseAddress { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    public MockDeployments Deployments => _app!.Services.GetRequiredService<MockDeployments>();

    public MockProviderStats TotalStats => _app!.Services.GetRequiredService<MockProviderStats>();

    public MockFaultQueue DefaultFaults => _app!.Services.GetRequiredService<MockFaultQueue>();

    public async Task InitializeAsync()
    {
        _app = MockProviderServer.Create(new MockProviderOptions { Url = "http://127.0.0.1:0" });
        await _app.StartAsync();
        BaseAddress = _app.GetBaseAddress();
        Http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
    }

    public async Task DisposeAsync()
    {
        Http?.Dispose();
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    /// <summary>A deployment no other test uses, and its route prefix (<c>/d/{name}</c>).</summary>
    public (MockDeployment Deployment, string Prefix) NewDeployment()
    {
        var name = "t" + Guid.NewGuid().ToString("N")[..12];
        return (Deployments.Get(name), "/d/" + name);
    }

    /// <summary>Queues a fault through the JSON control route, as a test in another process would.</summary>
    public async Task PostFaultAsync(string prefix, string faultJson)
    {
        using var content = new StringContent(faultJson, System.Text.Encoding.UTF8, "application/json");
        using var response = await Http.PostAsync(prefix + "/mock/faults", content);
        Assert.True(response.IsSuccessStatusCode, $"Queuing {faultJson} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    public async Task<JsonObject> GetJsonAsync(string path) =>
        (await Http.GetFromJsonAsync<JsonObject>(path))!;

    /// <summary>A chat completion body; <paramref name="extra"/> is spliced in as further members.</summary>
    public static string ChatBody(bool stream = false, int maxTokens = 5, string extra = "")
    {
        var members = $$"""
            "model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"max_tokens":{{maxTokens}},"stream":{{(stream ? "true" : "false")}}
            """;
        return "{" + members + (extra.Length == 0 ? "" : "," + extra) + "}";
    }
}
