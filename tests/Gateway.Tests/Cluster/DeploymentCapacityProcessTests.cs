using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Cluster;

/// <summary>
/// A deployment's capacity, across two silo processes and two frontend processes on real Redis and PostgreSQL: never
/// "the limit times the number of silos".
/// </summary>
[Collection(RealServersCollection.Name), Trait(TestSpeed.Category, TestSpeed.Slow)]
public sealed class DeploymentCapacityProcessTests(RealServersFixture servers)
{
    private const int MaxConcurrent = 3;

    [Fact]
    public async Task ADeploymentsMaxConcurrentHoldsAcrossTwoSilosAndTwoFrontends()
    {
        await using var deployment = await GatewayProcesses.StartAsync(servers, silos: 2, frontends: 2, new Dictionary<string, string>
        {
            ["Gateway__Models__capped__Deployments__0__Provider"] = "openai",
            ["Gateway__Models__capped__Deployments__0__UpstreamModel"] = "gpt-4.1",
            ["Gateway__Models__capped__Deployments__0__MaxConcurrent"] = MaxConcurrent.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Gateway__Models__capped__InputPricePerMillionUsd"] = "2",
            ["Gateway__Models__capped__OutputPricePerMillionUsd"] = "8",
            ["Gateway__Models__capped__MaxOutputTokens"] = "64",

            // Requests beyond the limit wait in the deployment's queue; nothing frees a slot here, so they time out.
            ["Gateway__Scheduling__QueueTimeout"] = "00:00:02",
        });

        // Several tenants, so that their upstream workers are spread over both silos.
        var tenants = new List<(string TenantId, string Key)>();
        for (var i = 0; i < 6; i++)
        {
            tenants.Add(await deployment.Frontends[i % 2].CreateTenantAsync(new { }));
        }

        deployment.MockHold.Close();
        var clients = new List<HttpClient>();
        var requests = new List<Task<HttpResponseMessage>>();
        for (var i = 0; i < 12; i++)
        {
            var (tenantId, key) = tenants[i % tenants.Count];
            var client = deployment.Frontends[i % 2].CreateClient(key);
            clients.Add(client);
            requests.Add(client.PostAsJsonAsync("/v1/chat/completions", new
            {
                model = "capped",
                messages = ChatBodies.Messages(),
                max_tokens = 4,
                user = tenantId,
            }));
        }

        try
        {
            // Every request is either parked at the provider or refused at the queue timeout: exactly the limit reach the provider.
            var refused = 0;
            while (requests.Count(r => r.IsCompleted) < 12 - MaxConcurrent)
            {
                await Task.WhenAny(requests.Where(r => !r.IsCompleted).Append(Task.Delay(TimeSpan.FromSeconds(30))));
                Assert.True(deployment.MockHold.Waiting <= MaxConcurrent, $"{deployment.MockHold.Waiting} requests reached the provider; the limit is {MaxConcurrent}.");
                Assert.True(requests.Count(r => r.IsCompleted) > refused, "Requests beyond the limit should be refused at the queue timeout, not wait longer.");
                refused = requests.Count(r => r.IsCompleted);
            }

            await Eventually.HoldsAsync(() => Task.FromResult(deployment.MockHold.Waiting == MaxConcurrent), $"{MaxConcurrent} requests wait at the provider", TimeSpan.FromSeconds(30));
            foreach (var done in requests.Where(r => r.IsCompleted))
            {
                using var response = await done;
                var error = await response.Content.ReadFromJsonAsync<JsonObject>();
                Expect.Equal(
                    (HttpStatusCode.TooManyRequests, "capacity_exceeded"),
                    (response.StatusCode, error?["error"]?["code"]?.GetValue<string>()),
                    $"A request beyond the deployment's capacity: {error}");
                Assert.NotNull(response.Headers.RetryAfter);
            }

            Assert.Equal(MaxConcurrent, deployment.MockHold.Waiting);
            deployment.MockHold.Open();
            foreach (var pending in requests.Where(r => !r.IsCompleted || r.Result.IsSuccessStatusCode))
            {
                using var response = await pending;
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }

            Assert.Equal(MaxConcurrent, deployment.MockStats.Requests);
        }
        finally
        {
            deployment.MockHold.Open();
            foreach (var client in clients)
            {
                client.Dispose();
            }
        }
    }
}
