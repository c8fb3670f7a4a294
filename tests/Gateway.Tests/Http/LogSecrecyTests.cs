using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.Http;

/// <summary>
/// A gateway of its own that logs at every level into memory: after a run of served, streamed, refused and failing
/// requests carrying marked keys and prompts, no log line (message, state or exception) holds any of them.
/// </summary>
public sealed class LogSecrecyTests : IAsyncLifetime
{
    private const string AdminKey = "adm-SECRETADMINMARK-0123456789abcdef";
    private static readonly string PromptMark = "PROMPTMARK" + Guid.NewGuid().ToString("N");

    private readonly Capture _capture = new();
    private readonly GatewayFactory _gateway = new();

    public async Task InitializeAsync()
    {
        _gateway.LogCapture = _capture;
        _gateway.Settings["Gateway:AdminKey"] = AdminKey;
        foreach (var category in new[] { "Default", "Microsoft", "Microsoft.AspNetCore", "Orleans", "Polly", "System" })
        {
            _gateway.Settings[$"Logging:LogLevel:{category}"] = "Trace";
        }

        await _gateway.InitializeAsync();
    }

    public async Task DisposeAsync() => await ((IAsyncLifetime)_gateway).DisposeAsync();

    [Fact]
    public async Task NoKeyAndNoPromptReachesTheLogsAtAnyLevel()
    {
        using var admin = _gateway.CreateClient();
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        var tenantId = "logs-" + Guid.NewGuid().ToString("N")[..8];
        (await admin.PostAsJsonAsync("/admin/tenants", new { id = tenantId, tier = "gold" })).EnsureSuccessStatusCode();
        var key = (await (await admin.PostAsync($"/admin/tenants/{tenantId}/keys", null)).Content.ReadFromJsonAsync<JsonObject>())!["key"]!.GetValue<string>();
        using var tenant = _gateway.CreateClient();
        tenant.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        var prompt = $"Please keep {PromptMark} secret";

        var statuses = new List<int>();
        async Task SendAsync(HttpClient client, string json)
        {
            using var response = await client.PostAsync("/v1/chat/completions", new StringContent(json, Encoding.UTF8, "application/json"));
            await response.Content.ReadAsStringAsync();
            statuses.Add((int)response.StatusCode);
        }

        await SendAsync(tenant, $$"""{"model":"gpt-4.1","messages":[{"role":"user","content":"{{prompt}}","name":"{{PromptMark}}"}],"max_tokens":3}""");
        await SendAsync(tenant, $$"""{"model":"gpt-4.1","messages":[{"role":"user","content":"{{prompt}}"}],"max_tokens":3,"stream":true,"stream_options":{"include_usage":true} }""");
        await SendAsync(tenant, $$"""{"model":"gpt-4.1","messages":[{"role":"user","content":"{{prompt}}"}],"max_tokens":3,"mock":{"fail_status":500} }""");
        await SendAsync(tenant, $$"""{"model":"gpt-4.1","messages":[{"role":"user","content":"{{prompt}}"}],"max_tokens":3,"mock":{"fail_status":400} }""");
        await SendAsync(tenant, $$"""{"model":"{{PromptMark}}","messages":[{"role":"user","content":"{{prompt}}"}]}""");
        await SendAsync(tenant, $$"""{"model":"gpt-4.1","messages":[{"role":"user","content":"{{prompt}}\ud800"}]}""");
        await SendAsync(tenant, $$"""{"model":"gpt-4.1","messages":[{"role":"user","content":[{"type":5,"text":"{{prompt}}"}]}]}""");
        await SendAsync(tenant, $$"""{"model":"gpt-4.1","messages":[{"role":"user","content":"{{prompt}}"}],"max_tokens":-1}""");
        await SendAsync(tenant, $$"""{"model":"gpt-4.1","messages":[{"role":"user","content":"{{new string('a', 200_000)}} {{prompt}}"}],"max_tokens":3}""");
        using (var invalidUtf8 = new ByteArrayContent([.. Encoding.UTF8.GetBytes($$"""{"model":"gpt-4.1","messages":[{"role":"user","content":"{{prompt}}"""), 0xFF, .. "\"}]}"u8.ToArray()]))
        {
            invalidUtf8.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            statuses.Add((int)(await tenant.PostAsync("/v1/chat/completions", invalidUtf8)).StatusCode);
        }

        using (var wrongKey = _gateway.CreateClient())
        {
            wrongKey.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key + "x");
            await SendAsync(wrongKey, $$"""{"model":"gpt-4.1","messages":[{"role":"user","content":"{{prompt}}"}]}""");
        }

        var chunked = RawExchange.Build(_gateway.BaseAddress, "POST", "/v1/chat/completions",
            [$"Authorization: Bearer {key}", "Content-Type: application/json", "Transfer-Encoding: chunked"], Encoding.UTF8.GetBytes($"zz\r\n{prompt}\r\n0\r\n\r\n"));
        statuses.Add((await RawExchange.SendAsync(_gateway.BaseAddress, chunked)).Status);
        statuses.Add((int)(await tenant.GetAsync("/v1/usage")).StatusCode);
        statuses.Add((int)(await admin.GetAsync($"/admin/tenants/{tenantId}/ledger")).StatusCode);
        using (var tenantOnAdmin = _gateway.CreateClient())
        {
            tenantOnAdmin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
            statuses.Add((int)(await tenantOnAdmin.GetAsync($"/admin/tenants/{tenantId}")).StatusCode);
        }

        Assert.Contains(200, statuses);
        Assert.True(_capture.Count > 100, $"The capture should have seen the run at every level, got {_capture.Count} lines.");
        foreach (var (secret, what) in new[] { (key, "the tenant key"), (key[3..], "the tenant key's random part"), (AdminKey, "the admin key"), ("SECRETADMINMARK", "the admin key's mark"), (PromptMark, "the prompt") })
        {
            var leaks = _capture.Lines.Where(line => line.Contains(secret, StringComparison.Ordinal)).Take(3).ToList();
            Expect.Equal("", string.Join("\n---\n", leaks), $"{what} is in the logs");
        }
    }

    private sealed class Capture : ILoggerProvider
    {
        private readonly ConcurrentQueue<string> _lines = new();

        public IEnumerable<string> Lines => _lines;

        public int Count => _lines.Count;

        public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _lines);

        public void Dispose()
        {
        }

        private sealed class Logger(string category, ConcurrentQueue<string> lines) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull
            {
                lines.Enqueue($"{category} scope: {state}");
                return null;
            }

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                var values = state is IEnumerable<KeyValuePair<string, object?>> pairs ? string.Join(", ", pairs.Select(p => $"{p.Key}={p.Value}")) : "";
                lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)} [{values}] {exception}");
            }
        }
    }
}
