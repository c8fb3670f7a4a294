using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Gateway.Bench;

/// <summary>
/// <c>fairness</c>: the noisy-neighbour benchmark of a deployment's fair queue (issue 12), against one gateway whose model
/// <c>--model</c> is served by a mock deployment with a concurrency limit (<c>--slots</c>) and a fixed latency
/// (<c>--latency-ms</c>; each request's own, drawn within <c>--latency-jitter-ms</c> of it, when that is given).
/// Scenarios, each with tenants of its own (prefix <c>--prefix</c>):
/// <list type="bullet">
/// <item><c>alone</c>: nine victims at half a fair share each (open loop, Poisson arrivals);</item>
/// <item><c>flood</c>: the same nine with a tenth at 20 fair shares (a fair share is the capacity over ten);</item>
/// <item><c>tiers</c>: four tenants of tiers platinum, gold, silver, bronze, each always backlogged (closed loop);</item>
/// <item><c>sleeper</c>: two backlogged tenants of one tier; one stops for a third of the run and comes back.</item>
/// </list>
/// Prints one <c>RESULT scenario=... k=v ...</c> line per scenario. The highest upstream concurrency is the mock
/// deployment's own count of chat completions answered at once (<c>peakInFlight</c> of its stats).
/// </summary>
internal static class Fairness
{
    private const string VictimTier = "gold";

    public static async Task<int> RunAsync(Program.Options o)
    {
        using var run = new Run(
            o.Get("url").TrimEnd('/'), o.Get("admin"), o.Get("mock").TrimEnd('/'), o.Get("model"), o.Get("prefix"),
            int.Parse(o.Get("slots", "32"), CultureInfo.InvariantCulture), int.Parse(o.Get("latency-ms", "50"), CultureInfo.InvariantCulture),
            int.Parse(o.Get("latency-jitter-ms", "0"), CultureInfo.InvariantCulture),
            double.Parse(o.Get("duration", "10"), CultureInfo.InvariantCulture), double.Parse(o.Get("warmup", "2"), CultureInfo.InvariantCulture));
        await run.PrewarmAsync(double.Parse(o.Get("prewarm", "0"), CultureInfo.InvariantCulture));
        foreach (var scenario in o.Get("scenarios", "alone,flood,tiers,sleeper").Split(','))
        {
            var line = scenario switch
            {
                "alone" => await run.VictimsAsync(flood: false),
                "flood" => await run.VictimsAsync(flood: true),
                "tiers" => await run.TiersAsync(),
                "sleeper" => await run.SleeperAsync(),
                _ => throw new ArgumentException($"unknown scenario {scenario}"),
            };
            Console.WriteLine(line);
        }

        return 0;
    }

    /// <summary>Requests the upstream answered, and the slot-time they took there (seconds).</summary>
    private readonly record struct UpstreamWork(long Requests, double BusySeconds);

    /// <summary>One request's fate, stamped in seconds from the scenario's start, with the queue wait the gateway reported.</summary>
    private readonly record struct Outcome(int Tenant, double Sent, double Done, int Status, long Tokens, bool TimedOut, double QueueMs = 0);

    private sealed class Run(string url, string admin, string mock, string model, string prefix, int slots, int latencyMs, int jitterMs, double duration, double warmup) : IDisposable
    {
        private readonly HttpClient _http = new(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = 8_192,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            ConnectTimeout = TimeSpan.FromSeconds(10),
        })
        { Timeout = TimeSpan.FromSeconds(90) };

        private int _tenants;

        public void Dispose() => _http.Dispose();

        /// <summary>The capacity in requests per second, and a tenant's fair share of it among ten.</summary>
        private double Capacity => slots * 1000.0 / latencyMs;

        public async Task<string> VictimsAsync(bool flood)
        {
            var share = Capacity / 10;
            var tenants = new List<(string Key, double Rate)>();
            for (var i = 0; i < 9; i++)
            {
                tenants.Add((await TenantAsync(VictimTier), share / 2));
            }

            if (flood)
            {
                tenants.Add((await TenantAsync(VictimTier), share * 20));
            }

            await ResetUpstreamAsync();
            var upstream = UpstreamServedAsync(warmup, warmup + duration);
            var outcomes = await OpenLoopAsync(tenants, duration + warmup);
            var peak = await PeakInFlightAsync();
            var window = Window(outcomes, warmup, warmup + duration);
            var victims = window.Where(o => o.Tenant < 9).ToList();
            var ok = victims.Where(o => o.Status == 200).Select(o => (o.Done - o.Sent) * 1000).Order().ToArray();
            var served = new double[9];
            for (var t = 0; t < 9; t++)
            {
                var sent = victims.Count(o => o.Tenant == t);
                served[t] = sent == 0 ? 0 : victims.Count(o => o.Tenant == t && o.Status == 200) / (double)sent;
            }

            var flooder = window.Where(o => o.Tenant == 9).ToList();
            return Line(
                flood ? "flood" : "alone",
                ("victim_p50_ms", P(ok, .5)),
                ("victim_p99_ms", P(ok, .99)),
                ("victim_queue_p50_ms", P(victims.Where(o => o.Status == 200).Select(o => o.QueueMs).Order().ToArray(), .5)),
                ("victim_queue_p99_ms", P(victims.Where(o => o.Status == 200).Select(o => o.QueueMs).Order().ToArray(), .99)),
                ("victim_sent", victims.Count),
                ("victim_rps", ok.Length / duration),
                ("victim_timeouts", victims.Count(o => o.TimedOut)),
                ("victim_refused", victims.Count(o => o.Status != 200 && !o.TimedOut)),
                ("victims_served_pct", victims.Count == 0 ? 0 : 100.0 * ok.Length / victims.Count),
                ("jain", Jain(served)),
                ("flooder_sent", flooder.Count),
                ("flooder_rps", flooder.Count(o => o.Status == 200) / duration),
                ("flooder_refused", flooder.Count(o => o.Status != 200)),
                ("utilisation_pct", Utilisation(await upstream, duration)),
                ("served_utilisation_pct", ServedUtilisation(await upstream, duration)),
                ("max_upstream_concurrency", peak));
        }

        public async Task<string> TiersAsync()
        {
            string[] tiers = ["platinum", "gold", "silver", "bronze"];
            var keys = new List<string>();
            foreach (var tier in tiers)
            {
                keys.Add(await TenantAsync(tier));
            }

            await ResetUpstreamAsync();
            var perTenant = Math.Max(2 * slots, 16);
            var upstream = UpstreamServedAsync(warmup, warmup + duration);
            var outcomes = await ClosedLoopAsync(keys.Select(k => (k, perTenant, 0.0, double.MaxValue)).ToList(), duration + warmup);
            var peak = await PeakInFlightAsync();
            var window = Window(outcomes, warmup, warmup + duration).Where(o => o.Status == 200).ToList();
            var total = Math.Max(1, window.Sum(o => o.Tokens));
            var shares = tiers.Select((_, t) => 100.0 * window.Where(o => o.Tenant == t).Sum(o => o.Tokens) / total).ToArray();
            return Line(
                "tiers",
                ("tier_shares", string.Join('/', shares.Select(s => s.ToString("F1", CultureInfo.InvariantCulture)))),
                ("rps", window.Count / duration),
                ("errors", outcomes.Count(o => o.Status != 200)),
                ("utilisation_pct", Utilisation(await upstream, duration)),
                ("served_utilisation_pct", ServedUtilisation(await upstream, duration)),
                ("max_upstream_concurrency", peak));
        }

        /// <summary>
        /// Two backlogged tenants of one tier; the sleeper stops at a third of the run and returns at two thirds. Alone, the
        /// other should get all the capacity (work conservation); back, the sleeper should get half, not more (no credit
        /// banked while away), and the other should not be starved.
        /// </summary>
        public async Task<string> SleeperAsync()
        {
            var steady = await TenantAsync(VictimTier);
            var sleeper = await TenantAsync(VictimTier);
            await ResetUpstreamAsync();
            var third = duration / 3;
            var perTenant = Math.Max(2 * slots, 16);
            var upstream = UpstreamServedAsync(warmup + third + 0.5, warmup + 2 * third);
            var outcomes = await ClosedLoopAsync(
                [(steady, perTenant, 0, double.MaxValue), (sleeper, perTenant, 0, warmup + third), (sleeper, perTenant, warmup + 2 * third, double.MaxValue)],
                warmup + duration);
            var peak = await PeakInFlightAsync();
            var alone = Window(outcomes, warmup + third + 0.5, warmup + 2 * third).Where(o => o.Status == 200).ToList();
            var back = Window(outcomes, warmup + 2 * third + 0.25, warmup + duration).Where(o => o.Status == 200).ToList();
            var backFirst = Window(outcomes, warmup + 2 * third, warmup + 2 * third + 1).Where(o => o.Status == 200).ToList();
            return Line(
                "sleeper",
                ("alone_rps", alone.Count / (third - 0.5)),
                ("alone_utilisation_pct", Utilisation(await upstream, third - 0.5)),
                ("alone_served_utilisation_pct", ServedUtilisation(await upstream, third - 0.5)),
                ("returned_share_pct", back.Count == 0 ? 0 : 100.0 * back.Count(o => o.Tenant == 1) / back.Count),
                ("returned_share_first_second_pct", backFirst.Count == 0 ? 0 : 100.0 * backFirst.Count(o => o.Tenant == 1) / backFirst.Count),
                ("errors", outcomes.Count(o => o.Status != 200)),
                ("max_upstream_concurrency", peak));
        }

        /// <summary>
        /// Warms the gateway up (JIT tiers, connections, the capacity lease) with one tenant keeping twice the slots busy, so
        /// that the first scenario does not measure a cold process.
        /// </summary>
        public async Task PrewarmAsync(double seconds)
        {
            if (seconds > 0)
            {
                var key = await TenantAsync(VictimTier);
                await ClosedLoopAsync([(key, 2 * slots, 0, double.MaxValue)], seconds);
            }
        }

        /// <summary>
        /// What the upstream did between two moments (seconds from now): the requests it answered, and the slot-time its
        /// answers in flight took (the mock's <c>busySeconds</c>, the integral of its requests in flight over time).
        /// </summary>
        private async Task<UpstreamWork> UpstreamServedAsync(double from, double to)
        {
            var clock = Stopwatch.StartNew();
            await Task.Delay(TimeSpan.FromSeconds(from));
            var first = await UpstreamStatsAsync();
            await Task.Delay(TimeSpan.FromSeconds(Math.Max(0, to - clock.Elapsed.TotalSeconds)));
            var last = await UpstreamStatsAsync();
            return new UpstreamWork(last.Requests - first.Requests, last.BusySeconds - first.BusySeconds);
        }

        /// <summary>The share of the slots' time the upstream held a request: its busy slot-time over the slots' time.</summary>
        private double Utilisation(UpstreamWork work, double seconds) => 100.0 * work.BusySeconds / (slots * seconds);

        /// <summary>
        /// The same as if every answer had taken exactly the deployment's latency: requests answered times the latency over
        /// the slots' time (an answer that takes longer, a late timer at the upstream, counts as idle time here).
        /// </summary>
        private double ServedUtilisation(UpstreamWork work, double seconds) => 100.0 * work.Requests * latencyMs / 1000 / (slots * seconds);

        private async Task<UpstreamWork> UpstreamStatsAsync()
        {
            using var json = JsonDocument.Parse(await _http.GetStringAsync(mock + "/mock/stats"));
            return new UpstreamWork(json.RootElement.GetProperty("requests").GetInt64(), json.RootElement.GetProperty("busySeconds").GetDouble());
        }

        /// <summary>A tenant of <paramref name="tier"/> whose own limits never bind (only the deployment's queue does); its key.</summary>
        private async Task<string> TenantAsync(string tier)
        {
            var id = $"{prefix}-{Interlocked.Increment(ref _tenants)}";
            using (var created = await AdminAsync(HttpMethod.Post, "/admin/tenants",
                "{\"id\":\"" + id + "\",\"tier\":\"" + tier + "\",\"monthlyTokenQuota\":1000000000000,\"limits\":{\"requestsPerMinute\":10000000,\"tokensPerMinute\":1000000000,\"maxConcurrent\":100000}}"))
            {
                if (created.StatusCode != HttpStatusCode.Created)
                {
                    throw new InvalidOperationException($"tenant {id}: {(int)created.StatusCode} {await created.Content.ReadAsStringAsync()}");
                }
            }

            using var issued = await AdminAsync(HttpMethod.Post, $"/admin/tenants/{id}/keys", null);
            using var json = JsonDocument.Parse(await issued.Content.ReadAsStringAsync());
            return json.RootElement.GetProperty("key").GetString()!;
        }

        private async Task<HttpResponseMessage> AdminAsync(HttpMethod method, string path, string? body)
        {
            using var request = new HttpRequestMessage(method, url + path);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", admin);
            if (body is not null)
            {
                request.Content = new StringContent(body, Encoding.UTF8, "application/json");
            }

            return await _http.SendAsync(request);
        }

        private async Task ResetUpstreamAsync()
        {
            using var reset = await _http.DeleteAsync(mock + "/mock/stats");
            reset.EnsureSuccessStatusCode();
        }

        private async Task<long> PeakInFlightAsync()
        {
            using var json = JsonDocument.Parse(await _http.GetStringAsync(mock + "/mock/stats"));
            return json.RootElement.GetProperty("peakInFlight").GetInt64();
        }

        /// <summary>Each tenant sends at its rate with exponential gaps (Poisson arrivals), never waiting for an answer.</summary>
        private async Task<List<Outcome>> OpenLoopAsync(List<(string Key, double Rate)> tenants, double seconds)
        {
            var clock = Stopwatch.StartNew();
            var requests = new List<Task<Outcome>>[tenants.Count];
            var senders = tenants.Select((tenant, t) => Task.Run(async () =>
            {
                var random = new Random(t * 7919 + 17);
                var mine = requests[t] = new List<Task<Outcome>>(8_192);
                var next = 0.0;
                while (true)
                {
                    next += -Math.Log(1 - random.NextDouble()) / tenant.Rate;
                    if (next >= seconds)
                    {
                        return;
                    }

                    var wait = next - clock.Elapsed.TotalSeconds;
                    if (wait > 0.001)
                    {
                        await Task.Delay(TimeSpan.FromSeconds(wait));
                    }

                    mine.Add(SendAsync(t, tenant.Key, clock));
                }
            })).ToArray();
            await Task.WhenAll(senders);
            return [.. (await Task.WhenAll(requests.SelectMany(r => r))).OrderBy(o => o.Sent)];
        }

        /// <summary>Each entry keeps <c>Workers</c> requests of its tenant outstanding from <c>From</c> to <c>To</c> (seconds).</summary>
        private async Task<List<Outcome>> ClosedLoopAsync(List<(string Key, int Workers, double From, double To)> loads, double seconds)
        {
            var clock = Stopwatch.StartNew();
            var keys = loads.Select(l => l.Key).Distinct().ToList();
            var results = new List<Outcome>[loads.Sum(l => l.Workers)];
            var workers = new List<Task>();
            var w = 0;
            foreach (var (key, count, from, to) in loads)
            {
                var tenant = keys.IndexOf(key);
                for (var i = 0; i < count; i++)
                {
                    var mine = results[w++] = [];
                    workers.Add(Task.Run(async () =>
                    {
                        var wait = from - clock.Elapsed.TotalSeconds;
                        if (wait > 0)
                        {
                            await Task.Delay(TimeSpan.FromSeconds(wait));
                        }

                        while (clock.Elapsed.TotalSeconds < Math.Min(to, seconds))
                        {
                            mine.Add(await SendAsync(tenant, key, clock));
                        }
                    }));
                }
            }

            await Task.WhenAll(workers);
            return [.. results.SelectMany(r => r).OrderBy(o => o.Sent)];
        }

        private async Task<Outcome> SendAsync(int tenant, string key, Stopwatch clock)
        {
            var sent = clock.Elapsed.TotalSeconds;
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, url + "/v1/chat/completions")
                {
                    Content = new StringContent(
                        "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello!\"}],\"max_tokens\":16" + JitterField() + "}",
                        Encoding.UTF8, "application/json"),
                };
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
                using var response = await _http.SendAsync(request);
                var body = await response.Content.ReadAsStringAsync();
                var done = clock.Elapsed.TotalSeconds;
                var status = (int)response.StatusCode;

                // A refusal after waiting in the queue up to its timeout is the queue's timeout; one at once is a bound.
                var timedOut = status is 429 or 503 && body.Contains("capacity_exceeded", StringComparison.Ordinal) && done - sent >= 1;
                var queueMs = response.Headers.TryGetValues("x-gateway-queue-ms", out var waited)
                    && double.TryParse(waited.FirstOrDefault(), NumberStyles.Float, CultureInfo.InvariantCulture, out var ms) ? ms : 0;
                return new Outcome(tenant, sent, done, status, status == 200 ? TotalTokens(body) : 0, timedOut, queueMs);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                return new Outcome(tenant, sent, clock.Elapsed.TotalSeconds, 0, 0, TimedOut: true);
            }
        }

        /// <summary>
        /// With <c>--latency-jitter-ms</c> J, each request asks the mock for its own latency, drawn uniformly from the
        /// deployment's latency plus or minus J (the same mean): at exactly one latency, requests dispatched together finish
        /// together, and once a pause has bunched them they stay bunched, which no real provider's spread of latencies does.
        /// </summary>
        private string JitterField() => jitterMs == 0 ? ""
            : ",\"mock\":{\"latency_ms\":" + (latencyMs - jitterMs + Random.Shared.Next(2 * jitterMs + 1)).ToString(CultureInfo.InvariantCulture) + "}";

        private static long TotalTokens(string body)
        {
            var at = body.IndexOf("\"total_tokens\":", StringComparison.Ordinal);
            if (at < 0)
            {
                return 0;
            }

            at += "\"total_tokens\":".Length;
            var end = at;
            while (end < body.Length && char.IsAsciiDigit(body[end]))
            {
                end++;
            }

            return long.Parse(body.AsSpan(at, end - at), CultureInfo.InvariantCulture);
        }

        /// <summary>The requests sent within [from, to) seconds.</summary>
        private static List<Outcome> Window(List<Outcome> outcomes, double from, double to) =>
            outcomes.Where(o => o.Sent >= from && o.Sent < to).ToList();

        private static double P(double[] sorted, double q) =>
            sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];

        /// <summary>Jain's fairness index: 1 when every value is equal, 1/n when one value has everything.</summary>
        private static double Jain(double[] values)
        {
            var sum = values.Sum();
            var squares = values.Sum(v => v * v);
            return squares == 0 ? 0 : sum * sum / (values.Length * squares);
        }

        private static string Line(string scenario, params (string Name, object Value)[] figures) =>
            $"RESULT scenario={scenario} " + string.Join(' ', figures.Select(f => f.Name + "=" + f.Value switch
            {
                double d => d.ToString("F3", CultureInfo.InvariantCulture),
                _ => Convert.ToString(f.Value, CultureInfo.InvariantCulture),
            }));
    }
}
