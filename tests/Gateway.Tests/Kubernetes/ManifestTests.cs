using System.Diagnostics;
using System.Text.Json.Serialization;
using Gateway.Tests.Infrastructure;
using k8s;
using k8s.Models;

namespace Gateway.Tests.Kubernetes;

/// <summary>
/// Every kustomize overlay under <c>k8s/</c>, rendered by <c>kubectl kustomize</c> and read with the Kubernetes client's
/// YAML loader, keeps the rules of running Orleans on Kubernetes: metrics exposed (scrape annotations naming the
/// management port), startup, readiness and liveness probes (liveness on the process alone), a termination grace period
/// longer than the host's shutdown timeout, no CPU limit on a silo, and a PodDisruptionBudget for every scaled
/// Deployment; the monitored overlay adds a ServiceMonitor that selects a Service on the metrics port.
/// </summary>
public sealed class ManifestTests
{
    private static readonly string Root = Path.Combine(RealServersFixture.RepositoryRoot, "k8s");

    public static TheoryData<string> Overlays() => [.. OverlayNames()];

    [Fact]
    public void TheOverlaysIncludeTheEmbeddedTheClusterAndTheMonitoredSets() =>
        Assert.Superset(new HashSet<string>(["embedded", "cluster", "cluster-monitored"]), new HashSet<string>(OverlayNames()));

    private static IEnumerable<string> OverlayNames() =>
        Directory.EnumerateFiles(Root, "kustomization.yaml", SearchOption.AllDirectories)
            .Where(file => !File.ReadAllText(file).Contains("kind: Component", StringComparison.Ordinal))
            .Select(file => Path.GetRelativePath(Root, Path.GetDirectoryName(file)!))
            .Order(StringComparer.Ordinal);

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task TheGatewayPodsKeepTheOrleansRulesOnKubernetes(string overlay)
    {
        var (objects, serviceMonitors) = await RenderAsync(overlay);
        var deployments = objects.OfType<V1Deployment>().Where(IsGateway).ToList();
        if (overlay == "dev-deps")
        {
            Assert.Empty(deployments);
            return;
        }

        Assert.NotEmpty(deployments);
        foreach (var deployment in deployments)
        {
            var name = deployment.Metadata.Name;
            var pod = deployment.Spec.Template;
            var container = Assert.Single(pod.Spec.Containers);
            var env = container.Env.Where(e => e.Value is not null).ToDictionary(e => e.Name, e => e.Value);

            var port = container.Ports.Single(p => p.Name == "metrics").ContainerPort;
            Assert.Equal("true", pod.Metadata.Annotations["prometheus.io/scrape"]);
            Assert.Equal(port.ToString(System.Globalization.CultureInfo.InvariantCulture), pod.Metadata.Annotations["prometheus.io/port"]);
            Assert.Equal("/metrics", pod.Metadata.Annotations["prometheus.io/path"]);
            Assert.Equal(port.ToString(System.Globalization.CultureInfo.InvariantCulture), env["Gateway__Telemetry__ManagementPort"]);
            Assert.Contains($":{port}", env["ASPNETCORE_URLS"], StringComparison.Ordinal);

            Assert.Equal("/health/live", container.StartupProbe?.HttpGet?.Path);
            Assert.Equal("/health/live", container.LivenessProbe?.HttpGet?.Path);
            Assert.Equal("/health/ready", container.ReadinessProbe?.HttpGet?.Path);

            var shutdown = int.Parse(env["DOTNET_SHUTDOWNTIMEOUTSECONDS"], System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(pod.Spec.TerminationGracePeriodSeconds > shutdown,
                $"{overlay}/{name}: termination grace {pod.Spec.TerminationGracePeriodSeconds} s is not longer than the shutdown timeout {shutdown} s");

            if (HostsASilo(env))
            {
                Assert.False(container.Resources?.Limits?.ContainsKey("cpu") == true, $"{overlay}/{name} hosts a silo and has a CPU limit");
            }

            if ((deployment.Spec.Replicas ?? 1) > 1)
            {
                Assert.Contains(objects.OfType<V1PodDisruptionBudget>(), pdb => Selects(pdb.Spec.Selector, pod.Metadata.Labels));
            }
        }

        if (overlay == "cluster-monitored")
        {
            var monitor = Assert.Single(serviceMonitors);
            var service = Assert.Single(objects.OfType<V1Service>(), s => Selects(monitor.Spec.Selector, s.Metadata.Labels));
            var endpoint = Assert.Single(monitor.Spec.Endpoints);
            Assert.Equal("/metrics", endpoint.Path);
            Assert.Contains(service.Spec.Ports, p => p.Name == endpoint.Port && p.Port == 9464);
            Assert.All(deployments, d => Assert.True(service.Spec.Selector.All(l => d.Spec.Template.Metadata.Labels.TryGetValue(l.Key, out var v) && v == l.Value)));
        }
    }

    private static bool IsGateway(V1Deployment deployment) =>
        deployment.Spec.Template.Metadata.Labels.Any(l => (l.Key is "app" or "app.kubernetes.io/name") && l.Value == "gateway");

    private static bool HostsASilo(Dictionary<string, string> env) =>
        !env.TryGetValue("Gateway__Frontend__Mode", out var mode) || mode != "Client";

    private static bool Selects(V1LabelSelector selector, IDictionary<string, string> labels) =>
        selector.MatchLabels.All(l => labels.TryGetValue(l.Key, out var v) && v == l.Value);

    private static async Task<(IList<object> Objects, List<ServiceMonitor> ServiceMonitors)> RenderAsync(string overlay)
    {
        using var kubectl = Process.Start(new ProcessStartInfo("kubectl", ["kustomize", Path.Combine(Root, overlay)]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = kubectl.StandardOutput.ReadToEndAsync();
        var error = kubectl.StandardError.ReadToEndAsync();
        await kubectl.WaitForExitAsync();
        Assert.True(kubectl.ExitCode == 0, $"kubectl kustomize {overlay} failed: {await error}");

        var documents = (await output).Split("\n---\n", StringSplitOptions.RemoveEmptyEntries);
        var monitors = documents.Where(d => d.Contains("kind: ServiceMonitor", StringComparison.Ordinal)).Select(d => KubernetesYaml.Deserialize<ServiceMonitor>(d)).ToList();
        var objects = KubernetesYaml.LoadAllFromString(string.Join("\n---\n", documents.Where(d => !d.Contains("kind: ServiceMonitor", StringComparison.Ordinal))));
        return (objects, monitors);
    }

    /// <summary>prometheus-operator's ServiceMonitor, as far as these checks read it (not a type of the Kubernetes client).</summary>
    public sealed class ServiceMonitor
    {
        [JsonPropertyName("apiVersion")]
        public string ApiVersion { get; set; } = "";

        [JsonPropertyName("kind")]
        public string Kind { get; set; } = "";

        [JsonPropertyName("metadata")]
        public V1ObjectMeta Metadata { get; set; } = new();

        [JsonPropertyName("spec")]
        public MonitorSpec Spec { get; set; } = new();

        public sealed class MonitorSpec
        {
            [JsonPropertyName("selector")]
            public V1LabelSelector Selector { get; set; } = new();

            [JsonPropertyName("endpoints")]
            public List<MonitorEndpoint> Endpoints { get; set; } = [];
        }

        public sealed class MonitorEndpoint
        {
            [JsonPropertyName("port")]
            public string Port { get; set; } = "";

            [JsonPropertyName("path")]
            public string Path { get; set; } = "";

            [JsonPropertyName("interval")]
            public string? Interval { get; set; }
        }
    }
}
