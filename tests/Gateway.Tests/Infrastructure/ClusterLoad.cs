using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// Closed-loop load on a <see cref="GatewayProcesses"/> deployment: a few workers per tenant, spread over the
/// frontends, each sending its next request when the last one is answered (a request once sent is seen through, so
/// its answer is known). Bodies come from the caller; tag them with the tenant as the OpenAI <c>user</c> so the mock
/// counts what it served per tenant.
/// </summary>
public sealed class ClusterLoad : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _workers = [];
    private readonly List<HttpClient> _clients = [];
    private readonly ConcurrentDictionary<string, int> _servedSinceMark = new();
    private readonly Func<string, object> _body;
    private volatile bool _marked;

    public ClusterLoad(GatewayProcesses deployment, IReadOnlyList<(string TenantId, string Key)> tenants, int workersPerTenant, Func<string, object> body)
    {
        _body = body;
        foreach (var (id, key) in tenants)
        {
            for (var w = 0; w < workersPerTenant; w++)
            {
                var client = deployment.Frontends[w % deployment.Frontends.Count].CreateClient(key);
                _clients.Add(client);
                _workers.Add(Task.Run(() => RunAsync(client, id)));
            }
        }
    }

    public int Workers => _workers.Count;

    /// <summary>A gpt-4.1 request tagged with its tenant, for which the mock answers exactly <paramref name="maxTokens"/> tokens.</summary>
    public static object Body(string tenantId, int maxTokens, int latencyMs = 0, bool stream = false, int chunkDelayMs = 0) => new
    {
        model = "gpt-4.1",
        messages = ChatBodies.Messages(),
        max_tokens = maxTokens,
        user = tenantId,
        stream,
        mock = new { completion_tokens = maxTokens, latency_ms = latencyMs, chunk_delay_ms = chunkDelayMs },
    };

    /// <summary>Answers other than success, a spent budget, or a 503 the client may retry.</summary>
    public ConcurrentQueue<string> Unexpected { get; } = new();

    /// <summary>Tenant and request id of every request answered 200.</summary>
    public ConcurrentQueue<(string TenantId, string RequestId)> Served { get; } = new();

    /// <summary>Requests that took more than 3 s, with their answer.</summary>
    public ConcurrentQueue<string> Slow { get; } = new();

    /// <summary>How often each status and error code was answered.</summary>
    public ConcurrentDictionary<string, int> Answers { get; } = new();

    /// <summary>From now on, served requests also count in <see cref="ServedSinceMark"/>.</summary>
    public void Mark() => _marked = true;

    public int ServedSinceMark(string tenantId) => _servedSinceMark.GetValueOrDefault(tenantId);

    public string DescribeAnswers() => string.Join(", ", Answers.OrderBy(a => a.Key).Select(a => $"{a.Key} x{a.Value}"))
        + (Slow.IsEmpty ? "" : "; slow: " + string.Join("; ", Slow.Take(10)));

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_workers);
    }

    public void Dispose()
    {
        _stop.Cancel();
        foreach (var client in _clients)
        {
            client.Dispose();
        }

        _stop.Dispose();
    }

    private async Task RunAsync(HttpClient client, string tenantId)
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpResponseMessage response;
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            try
            {
                // Not cancelled by the stop: a request once sent is seen through, so its answer is known.
                response = await client.PostAsJsonAsync("/v1/chat/completions", _body(tenantId));
            }
            catch (HttpRequestException exception)
            {
                Unexpected.Enqueue($"{tenantId}: {exception.Message}");
                continue;
            }

            using (response)
            {
                var code = response.IsSuccessStatusCode ? null : ErrorCode(await response.Content.ReadAsStringAsync());
                Answers.AddOrUpdate($"{(int)response.StatusCode} {code}".TrimEnd(), 1, (_, n) => n + 1);

                // Every answer of the gateway names its request; one without is a finding of its own, not a crash here.
                var requestId = response.Headers.TryGetValues("x-request-id", out var ids) ? ids.Single() : null;
                if (requestId is null)
                {
                    Unexpected.Enqueue($"{tenantId}: {(int)response.StatusCode} {code} without x-request-id");
                }

                if (System.Diagnostics.Stopwatch.GetElapsedTime(started) is { TotalSeconds: > 3 } slow)
                {
                    Slow.Enqueue($"{DateTime.UtcNow:HH:mm:ss.fff} {tenantId} {(int)response.StatusCode} {code} after {slow.TotalSeconds:F1} s ({requestId})");
                }

                switch ((response.StatusCode, code))
                {
                    case (HttpStatusCode.OK, _) when response.Content.Headers.ContentType?.MediaType == "text/event-stream"
                        && await response.Content.ReadAsStringAsync() is var events && !events.EndsWith("data: [DONE]\n\n", StringComparison.Ordinal):
                        Unexpected.Enqueue($"{tenantId}: a stream that did not end with [DONE]: ...{events[Math.Max(0, events.Length - 300)..]}");
                        break;
                    case (HttpStatusCode.OK, _):
                        Served.Enqueue((tenantId, requestId ?? "(none)"));
                        if (_marked)
                        {
                            _servedSinceMark.AddOrUpdate(tenantId, 1, (_, n) => n + 1);
                        }

                        break;
                    case (HttpStatusCode.TooManyRequests, "insufficient_quota"):
                    case (HttpStatusCode.ServiceUnavailable, "gateway_unavailable" or "upstream_lost"):
                        // Spent budget, or a silo going away: pace the retries instead of spinning.
                        await Task.Delay(TimeSpan.FromMilliseconds(50));
                        break;
                    default:
                        Unexpected.Enqueue($"{tenantId}: {(int)response.StatusCode} {code}");
                        break;
                }
            }
        }
    }

    /// <summary>The error's <c>code</c> when the body is OpenAI's error shape; otherwise what the body starts with.</summary>
    private static string? ErrorCode(string body)
    {
        try
        {
            return JsonNode.Parse(body)?["error"]?["code"]?.GetValue<string>();
        }
        catch (System.Text.Json.JsonException)
        {
            return "non-JSON body: " + body[..Math.Min(body.Length, 120)];
        }
    }
}
