using System.Net;
using System.Net.Http.Json;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Cluster;

/// <summary>
/// Redis, which holds cluster membership, going away: a running cluster keeps serving on the membership it has; a
/// silo that cannot reach it stays up, says why, and joins once it is back; a silo that fails to start says why and exits.
/// </summary>
[Collection(RealServersCollection.Name), Trait(TestSpeed.Category, TestSpeed.Slow)]
public sealed class RedisOutageTests(RealServersFixture servers)
{
    private static readonly TimeSpan StartBound = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task SiloThatCannotReachRedisStaysUpSaysWhyAndJoinsOnceRedisIsUp()
    {
        var port = FreePorts.Next();
        var password = "redis-pw-" + Guid.NewGuid().ToString("N");
        await using var deployment = await GatewayProcesses.StartAsync(servers, silos: 0, frontends: 0);
        var silo = await StartSiloThatIsNotReadyAsync(deployment, password, $"cannot join the cluster: membership store unreachable (Redis at 127.0.0.1:{port}", new()
        {
            ["ConnectionStrings__Redis"] = $"127.0.0.1:{port},password={password}",
            ["Cluster__JoinRetryMaxDelay"] = "00:00:01",
        });
        // The log line and the health reason come from the same failure; the process's output reaches the test a little later.
        await Eventually.HoldsAsync(
            () => Task.FromResult(silo.HasLogged($"Cannot join the cluster: the membership store (Redis at 127.0.0.1:{port}) is unreachable")),
            "the silo logged why it cannot join", TimeSpan.FromSeconds(10));

        await using var redis = await RedisServer.StartAsync(port, password);
        await silo.WaitReadyAsync();
    }

    [Fact]
    public async Task SiloThatFailsToStartSaysWhyAndExitsWithCode1()
    {
        var password = "pg-pw-" + Guid.NewGuid().ToString("N");
        await using var deployment = await GatewayProcesses.StartAsync(servers, silos: 0, frontends: 0);
        var silo = await StartSiloThatIsNotReadyAsync(deployment, password, "cannot join the cluster: the silo failed to start (NpgsqlException", new()
        {
            ["ConnectionStrings__Gateway"] = $"Host=127.0.0.1;Port={FreePorts.Next()};Username=gateway;Password={password};Database=gateway",
            ["Cluster__StartFailureExitDelay"] = "00:00:05",
        });

        using var exit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await silo.Process.WaitForExitAsync(exit.Token);
        Assert.Equal(1, silo.Process.ExitCode);
        Assert.True(silo.HasLogged("Cannot join the cluster: the silo failed to start"), string.Join('\n', silo.Output));
    }

    [Fact]
    public async Task RunningClusterKeepsServingWhileRedisIsDown()
    {
        await using var redis = await RedisServer.StartAsync(FreePorts.Next());
        await using var deployment = await GatewayProcesses.StartAsync(servers, silos: 1, frontends: 1, new Dictionary<string, string>
        {
            // The silo reads the membership table every second and gives up on a Redis command after one, so that it
            // finds Redis gone at once.
            ["ConnectionStrings__Redis"] = $"127.0.0.1:{redis.Port},asyncTimeout=1000",
            ["Cluster__Membership__TableRefreshTimeout"] = "00:00:01",
        });
        var (_, key) = await deployment.Frontends[0].CreateTenantAsync(new { });
        using var client = deployment.Frontends[0].CreateClient(key);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync("/v1/chat/completions", Body())).StatusCode);

        await redis.StopAsync();
        var silo = deployment.Silos[0];
        await Eventually.HoldsAsync(() => Task.FromResult(silo.HasLogged("Failed to refresh membership table")), "the silo finds the membership table unreadable", TimeSpan.FromSeconds(60));

        for (var i = 0; i < 5; i++)
        {
            var response = await client.PostAsJsonAsync("/v1/chat/completions", Body());
            Expect.Equal(HttpStatusCode.OK, response.StatusCode, $"Request {i} with Redis down: {await response.Content.ReadAsStringAsync()}");
        }

        foreach (var process in deployment.Silos.Concat(deployment.Frontends))
        {
            using var health = process.CreateClient();
            Assert.Equal(HttpStatusCode.OK, (await health.GetAsync("/health/ready")).StatusCode);
        }
    }

    private static object Body() => new { model = "gpt-4.1", messages = ChatBodies.Messages(), max_tokens = 10 };

    /// <summary>
    /// Starts a silo with <paramref name="settings"/> and waits (bounded, failing at once if it exits) until
    /// <c>/health/ready</c> answers 503 with <paramref name="reason"/>; meanwhile it must be live, and neither that answer
    /// nor its log may show <paramref name="password"/>.
    /// </summary>
    private static async Task<GatewayProcess> StartSiloThatIsNotReadyAsync(GatewayProcesses deployment, string password, string reason, Dictionary<string, string> settings)
    {
        var silo = deployment.StartSilo(settings);
        using var client = silo.CreateClient();
        (HttpStatusCode Status, string Body) ready = default;
        await Eventually.HoldsAsync(async () =>
        {
            Assert.False(silo.Process.HasExited, $"{silo.Name} exited with code {(silo.Process.HasExited ? silo.Process.ExitCode : 0)}:\n{string.Join('\n', silo.Output)}");
            try
            {
                var response = await client.GetAsync("/health/ready");
                ready = (response.StatusCode, await response.Content.ReadAsStringAsync());
                return ready.Body.Contains(reason, StringComparison.Ordinal);
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, $"{silo.Name} reports '{reason}'", StartBound);

        Expect.Equal(HttpStatusCode.ServiceUnavailable, ready.Status, $"/health/ready: {ready.Body}");
        Assert.DoesNotContain(password, ready.Body);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);
        Assert.False(silo.HasLogged(password), $"{silo.Name} logged a password.");
        return silo;
    }
}
