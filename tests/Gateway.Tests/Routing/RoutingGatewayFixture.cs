using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Routing;

/// <summary>
/// An embedded gateway of its own on the fake clock, with the circuit breaker's defaults (unlike the shared gateway) and
/// models served by named mock deployments. Each test uses models of its own; tests of the collection run one at a time,
/// so a test may hold the mock's gate or move the clock.
/// </summary>
public sealed class RoutingGatewayFixture : IAsyncLifetime
{
    public RoutingGatewayFixture()
    {
        Gateway.Settings["Gateway:Upstream:CircuitBreaker:MinimumThroughput"] = "5";
        Gateway.Settings["Gateway:Scheduling:MaxQueuedPerTenant"] = "4";
        Gateway.Settings["Gateway:Scheduling:MaxQueuedPerDeployment"] = "6";
        Gateway.AddModel("split", [new("split-a", Weight: 3), new("split-b", Weight: 1)]);
        Gateway.AddModel("pair", [new("pair-a"), new("pair-b")]);
        Gateway.AddModel("solo", [new("solo-a")]);
        Gateway.AddModel("cool", [new("cool-a"), new("cool-b")]);
        Gateway.AddModel("narrow", [new("narrow-a", MaxConcurrent: 2)]);
        Gateway.AddModel("primary", [new("primary-a")], inputPrice: 2.00m, outputPrice: 8.00m, fallbacks: ["backup"]);
        Gateway.AddModel("backup", [new("backup-a")], inputPrice: 0.37m, outputPrice: 1.13m);
        Gateway.AddModel("guarded", [new("guarded-a")], fallbacks: ["guarded-backup"]);
        Gateway.AddModel("guarded-backup", [new("guarded-backup-a")], inputPrice: 0.37m, outputPrice: 1.13m);
        Gateway.AddModel("gem", [new("gem-a"), new("gem-b")]);
        foreach (var provider in new[] { "gem-a", "gem-b" })
        {
            // Kind gemini: the mock deployment's root, where it serves /v1beta/models/….
            Gateway.Settings[$"Providers:{provider}:Kind"] = "gemini";
            Gateway.Settings[$"Providers:{provider}:BaseUrl"] = "{mock}/d/" + provider;
        }

        // A model of kind anthropic falling back to one of kind openai: a Messages request goes natively, then translated.
        Gateway.AddModel("claude-first", [new("claude-first-a")], fallbacks: ["claude-second"]);
        Gateway.AddModel("claude-second", [new("claude-second-a")], inputPrice: 0.37m, outputPrice: 1.13m);
        Gateway.Settings["Providers:claude-first-a:Kind"] = "anthropic";
        Gateway.Settings["Providers:claude-first-a:BaseUrl"] = "{mock}/d/claude-first-a";
    }

    public GatewayFactory Gateway { get; } = new();

    public Task InitializeAsync() => Gateway.InitializeAsync();

    public Task DisposeAsync() => ((IAsyncLifetime)Gateway).DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class RoutingGatewayCollection : ICollectionFixture<RoutingGatewayFixture>
{
    public const string Name = "routing gateway";
}
