using System.Diagnostics;
using System.Diagnostics.Tracing;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Parsers;
using Microsoft.Diagnostics.Tracing.Parsers.Clr;

// Helper of bench/run.sh. Every command prints one machine-readable "RESULT k=v ..." line.
//   setup  --url U --admin A --prefix P --count N [--conc C] --keys-out F   tenants P-0..P-(N-1), one key each
//   touch  --url U --keys F [--conc C] --body JSON                          one request per key (activates grains)
//   stream --url U --conc C --duration S [--warmup S] --body JSON [--key K | --keys F] [--header "k: v"]... (OpenAI or Anthropic streams)
//   heap   --pid P                                                          live managed heap after an induced full GC
//   fairness --url U --admin A --mock M --model X --prefix P [--slots 32] [--latency-ms 50] [--duration S] [--warmup S]
//            [--prewarm S] [--scenarios alone,flood,tiers,sleeper]          a full deployment's fair queue (Fairness.cs)
//   queue [--silos 1] [--waiting-silos N] [--slots 32] [--waiters 512] [--tenants 8] [--latency-ms 0] [--duration S] [--warmup S]
//                                                                        a saturated deployment's dispatch rate from its
//                                                                        queue, in-process (QueueDispatch.cs; the test
//                                                                        cluster writes its logs to ./logs)
namespace Gateway.Bench;

public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args.Length == 0)
        {
            Console.Error.WriteLine("usage: Gateway.Bench setup|touch|stream|heap|fairness|queue ...");
            return 2;
        }

        var o = Options.Parse(args.Skip(1));
        return args[0] switch
        {
            "setup" => await Setup(o),
            "touch" => await Touch(o),
            "stream" => await Stream(o),
            "heap" => Heap(o),
            "fairness" => await Fairness.RunAsync(o),
            "queue" => await QueueDispatch.RunAsync(o),
            _ => 2,
        };
    }

    private static HttpClient NewClient(int connections) => new(new SocketsHttpHandler
    {
        MaxConnectionsPerServer = connections,
        UseCookies = false,
        AutomaticDecompression = DecompressionMethods.None,
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
    })
    { Timeout = TimeSpan.FromSeconds(30) };

    private static async Task<int> Setup(Options o)
    {
        var url = o.Get("url").TrimEnd('/');
        var admin = o.Get("admin");
        var prefix = o.Get("prefix");
        var count = int.Parse(o.Get("count"));
        var conc = int.Parse(o.Get("conc", "32"));
        using var http = NewClient(conc);
        var keys = new string[count];
        var failures = 0;
        var clock = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = conc }, async (i, ct) =>
        {
            var id = $"{prefix}-{i}";
            var tenant = new HttpRequestMessage(HttpMethod.Post, $"{url}/admin/tenants")
            {
                Content = new StringContent(
                    "{\"id\":\"" + id + "\",\"tier\":\"platinum\",\"limits\":{\"requestsPerMinute\":10000000,\"tokensPerMinute\":1000000000,\"maxConcurrent\":100000}}",
                    Encoding.UTF8, "application/json"),
            };
            tenant.Headers.Authorization = new AuthenticationHeaderValue("Bearer", admin);
            using (var created = await http.SendAsync(tenant, ct))
            {
                if (created.StatusCode is not (HttpStatusCode.Created or HttpStatusCode.Conflict))
                {
                    Interlocked.Increment(ref failures);
                    Console.Error.WriteLine($"tenant {id}: {(int)created.StatusCode} {await created.Content.ReadAsStringAsync(ct)}");
                    return;
                }
            }

            var key = new HttpRequestMessage(HttpMethod.Post, $"{url}/admin/tenants/{id}/keys");
            key.Headers.Authorization = new AuthenticationHeaderValue("Bearer", admin);
            using var issued = await http.SendAsync(key, ct);
            if (issued.StatusCode != HttpStatusCode.Created)
            {
                Interlocked.Increment(ref failures);
                return;
            }

            using var json = JsonDocument.Parse(await issued.Content.ReadAsStringAsync(ct));
            keys[i] = json.RootElement.GetProperty("key").GetString()!;
        });
        await File.WriteAllLinesAsync(o.Get("keys-out"), keys.Where(k => k is not null));
        Console.WriteLine($"RESULT tenants={count} failures={failures} seconds={clock.Elapsed.TotalSeconds:F1}");
        return failures == 0 ? 0 : 1;
    }

    private static async Task<int> Touch(Options o)
    {
        var url = o.Get("url").TrimEnd('/') + "/v1/chat/completions";
        var keys = await File.ReadAllLinesAsync(o.Get("keys"));
        var conc = int.Parse(o.Get("conc", "32"));
        var body = o.Get("body");
        using var http = NewClient(conc);
        var ok = 0;
        var failures = 0;
        var clock = Stopwatch.StartNew();
        await Parallel.ForEachAsync(keys, new ParallelOptions { MaxDegreeOfParallelism = conc }, async (key, ct) =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            using var response = await http.SendAsync(request, ct);
            await response.Content.ReadAsByteArrayAsync(ct);
            if (response.StatusCode == HttpStatusCode.OK) Interlocked.Increment(ref ok); else Interlocked.Increment(ref failures);
        });
        Console.WriteLine($"RESULT ok={ok} errors={failures} seconds={clock.Elapsed.TotalSeconds:F1}");
        return failures == 0 ? 0 : 1;
    }

    private static async Task<int> Stream(Options o)
    {
        var url = o.Get("url");
        var conc = int.Parse(o.Get("conc"));
        var duration = TimeSpan.FromSeconds(double.Parse(o.Get("duration")));
        var warmup = TimeSpan.FromSeconds(double.Parse(o.Get("warmup", "0")));
        var body = Encoding.UTF8.GetBytes(o.Get("body"));
        var keys = o.Has("keys") ? await File.ReadAllLinesAsync(o.Get("keys")) : o.Has("key") ? [o.Get("key")] : [];
        var headers = o.All("header").Select(h => h.Split(':', 2)).Select(p => (p[0].Trim(), p[1].Trim())).ToArray();
        using var http = NewClient(conc);

        var measuring = false;
        var stop = false;
        var ttfb = new List<double>[conc];
        var total = new List<double>[conc];
        var errors = new long[conc];
        var firstError = (string?)null;
        long counter = 0;

        async Task Loop(int worker)
        {
            ttfb[worker] = new List<double>(1 << 16);
            total[worker] = new List<double>(1 << 16);
            var buffer = new byte[16 * 1024];
            while (!Volatile.Read(ref stop))
            {
                var record = Volatile.Read(ref measuring);
                var start = Stopwatch.GetTimestamp();
                var first = 0L;
                var ok = false;
                try
                {
                    using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
                    request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                    if (keys.Length > 0)
                    {
                        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + keys[(int)(Interlocked.Increment(ref counter) % keys.Length)]);
                    }

                    foreach (var (name, value) in headers) request.Headers.TryAddWithoutValidation(name, value);
                    using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
                    await using var stream = await response.Content.ReadAsStreamAsync();
                    var tail = new StringBuilder();
                    int read;
                    var bytes = 0;
                    while ((read = await stream.ReadAsync(buffer)) > 0)
                    {
                        if (first == 0) first = Stopwatch.GetTimestamp();
                        bytes += read;
                        tail.Append(Encoding.UTF8.GetString(buffer, 0, read));
                        if (tail.Length > 256) tail.Remove(0, tail.Length - 256);
                    }

                    // An OpenAI stream ends with [DONE], an Anthropic one with its message_stop event.
                    ok = response.StatusCode == HttpStatusCode.OK && (tail.ToString().Contains("[DONE]") || tail.ToString().Contains("\"message_stop\""));
                    if (!ok) firstError ??= $"{(int)response.StatusCode} {tail}";
                }
                catch (Exception e)
                {
                    firstError ??= e.GetType().Name + ": " + e.Message;
                }

                if (!record || !Volatile.Read(ref measuring)) continue;
                var end = Stopwatch.GetTimestamp();
                if (ok)
                {
                    ttfb[worker].Add(Stopwatch.GetElapsedTime(start, first).TotalMilliseconds);
                    total[worker].Add(Stopwatch.GetElapsedTime(start, end).TotalMilliseconds);
                }
                else
                {
                    errors[worker]++;
                }
            }
        }

        var workers = Enumerable.Range(0, conc).Select(i => Task.Run(() => Loop(i))).ToArray();
        await Task.Delay(warmup);
        Volatile.Write(ref measuring, true);
        var clock = Stopwatch.StartNew();
        await Task.Delay(duration);
        Volatile.Write(ref measuring, false);
        var seconds = clock.Elapsed.TotalSeconds;
        Volatile.Write(ref stop, true);
        await Task.WhenAll(workers);

        var first = ttfb.SelectMany(l => l).Order().ToArray();
        var all = total.SelectMany(l => l).Order().ToArray();
        var errorCount = errors.Sum();
        static double P(double[] s, double q) => s.Length == 0 ? double.NaN : s[Math.Min(s.Length - 1, (int)Math.Ceiling(q * s.Length) - 1)];
        Console.WriteLine(FormattableString.Invariant(
            $"RESULT requests={all.Length} errors={errorCount} rps={all.Length / seconds:F0} ttfb_p50={P(first, .5):F3} ttfb_p90={P(first, .9):F3} ttfb_p99={P(first, .99):F3} p50={P(all, .5):F3} p90={P(all, .9):F3} p99={P(all, .99):F3}"));
        if (firstError is not null) Console.Error.WriteLine("first error: " + firstError);
        return 0;
    }

    private static int Heap(Options o)
    {
        var pid = int.Parse(o.Get("pid"));
        var client = new DiagnosticsClient(pid);
        var providers = new[]
        {
            new EventPipeProvider("Microsoft-Windows-DotNETRuntime", EventLevel.Informational,
                (long)(ClrTraceEventParser.Keywords.GC | ClrTraceEventParser.Keywords.GCHeapCollect)),
        };
        long heap = -1;
        var induced = false;
        using var session = client.StartEventPipeSession(providers, requestRundown: false);
        using var source = new EventPipeEventSource(session.EventStream);
        source.Clr.GCStart += e => { if (e.Reason == GCReason.Induced && e.Depth == 2) induced = true; };
        source.Clr.GCHeapStats += e =>
        {
            if (!induced) return;
            heap = e.GenerationSize0 + e.GenerationSize1 + e.GenerationSize2 + e.GenerationSize3 + e.GenerationSize4;
            try { session.Stop(); } catch { }
        };
        var reader = Task.Run(() => source.Process());
        if (!reader.Wait(TimeSpan.FromSeconds(20)))
        {
            try { session.Stop(); } catch { }
        }

        Console.WriteLine($"RESULT heap_bytes={heap}");
        return heap > 0 ? 0 : 1;
    }

    internal sealed class Options
    {
        private readonly List<(string Name, string Value)> _values = [];

        public static Options Parse(IEnumerable<string> args)
        {
            var o = new Options();
            string? name = null;
            foreach (var arg in args)
            {
                if (name is null && arg.StartsWith("--", StringComparison.Ordinal))
                {
                    name = arg[2..];
                }
                else if (name is not null)
                {
                    o._values.Add((name, arg));
                    name = null;
                }
            }

            return o;
        }

        public bool Has(string name) => _values.Any(v => v.Name == name);

        public string Get(string name, string? fallback = null) =>
            _values.LastOrDefault(v => v.Name == name).Value ?? fallback ?? throw new ArgumentException($"--{name} is required");

        public IEnumerable<string> All(string name) => _values.Where(v => v.Name == name).Select(v => v.Value);
    }
}
