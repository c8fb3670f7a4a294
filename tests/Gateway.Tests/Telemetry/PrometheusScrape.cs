using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Telemetry;

/// <summary>
/// A scrape of a gateway's <c>/metrics</c> in Prometheus' text format, read into samples (name, labels, value), and
/// <c>promtool</c> (through <c>scripts/promtool.sh</c>) to check it or a rule file.
/// </summary>
public sealed class PrometheusScrape
{
    private PrometheusScrape(string text, IReadOnlyList<Sample> samples) => (Text, Samples) = (text, samples);

    public string Text { get; }

    public IReadOnlyList<Sample> Samples { get; }

    public sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, string Value)
    {
        public double Number => double.Parse(Value, CultureInfo.InvariantCulture);

        /// <summary>The series' identity: its name and labels, not its value.</summary>
        public string Series => Name + "{" + string.Join(",", Labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}")) + "}";
    }

    /// <summary>Scrapes <paramref name="gateway"/> with the admin key.</summary>
    public static async Task<PrometheusScrape> ScrapeAsync(GatewayFactory gateway)
    {
        using var admin = gateway.CreateAdminClient();
        return await ScrapeAsync(admin);
    }

    public static async Task<PrometheusScrape> ScrapeAsync(HttpClient client)
    {
        using var response = await client.GetAsync("/metrics");
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET /metrics answered {(int)response.StatusCode}: {text}");
        return Parse(text);
    }

    public static PrometheusScrape Parse(string text)
    {
        var samples = new List<Sample>();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (line.StartsWith('#'))
            {
                continue;
            }

            var brace = line.IndexOf('{');
            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            string name;
            string rest;
            if (brace >= 0)
            {
                name = line[..brace];
                var close = line.LastIndexOf('}');
                foreach (var pair in SplitLabels(line[(brace + 1)..close]))
                {
                    var eq = pair.IndexOf('=');
                    labels[pair[..eq]] = pair[(eq + 2)..^1];
                }

                rest = line[(close + 1)..].Trim();
            }
            else
            {
                var space = line.IndexOf(' ');
                name = line[..space];
                rest = line[(space + 1)..].Trim();
            }

            samples.Add(new Sample(name, labels, rest.Split(' ')[0]));
        }

        return new PrometheusScrape(text, samples);
    }

    /// <summary>The samples of a metric whose labels include every pair of <paramref name="labels"/>.</summary>
    public IEnumerable<Sample> Find(string name, params (string Key, string Value)[] labels) =>
        Samples.Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Key, out var v) && v == l.Value));

    /// <summary>The names of every metric family (histograms under their base name as well as with their suffixes).</summary>
    public ISet<string> MetricNames()
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var sample in Samples)
        {
            names.Add(sample.Name);
            foreach (var suffix in new[] { "_bucket", "_sum", "_count" })
            {
                if (sample.Name.EndsWith(suffix, StringComparison.Ordinal))
                {
                    names.Add(sample.Name[..^suffix.Length]);
                }
            }
        }

        return names;
    }

    /// <summary>Runs <c>promtool</c> with <paramref name="arguments"/>, <paramref name="input"/> on its standard input; its exit code and output.</summary>
    public static async Task<(int ExitCode, string Output)> PromtoolAsync(string? input, params string[] arguments)
    {
        var start = new ProcessStartInfo("bash", [Path.Combine(RealServersFixture.RepositoryRoot, "scripts", "promtool.sh"), .. arguments])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = RealServersFixture.RepositoryRoot,
        };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (input is not null)
        {
            await process.StandardInput.WriteAsync(input);
        }

        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output + await error);
    }

    private static IEnumerable<string> SplitLabels(string labels)
    {
        var start = 0;
        var quoted = false;
        for (var i = 0; i < labels.Length; i++)
        {
            if (labels[i] == '"' && (i == 0 || labels[i - 1] != '\\'))
            {
                quoted = !quoted;
            }
            else if (labels[i] == ',' && !quoted)
            {
                yield return labels[start..i];
                start = i + 1;
            }
        }

        if (start < labels.Length)
        {
            yield return labels[start..];
        }
    }

    /// <summary>A client for <paramref name="gateway"/> carrying no key at all.</summary>
    public static HttpClient Anonymous(GatewayFactory gateway)
    {
        var client = gateway.CreateClient();
        client.DefaultRequestHeaders.Authorization = null;
        return client;
    }

    /// <summary>A client for <paramref name="gateway"/> carrying <paramref name="key"/> as its Bearer token.</summary>
    public static HttpClient WithBearer(GatewayFactory gateway, string key)
    {
        var client = gateway.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }
}
