using System.Text.Json;
using Gateway.Grains.Abstractions.Tenants;
using Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Http;

/// <summary>
/// A client that hangs up after its request was admitted but before the upstream call went out: nothing is charged and
/// the reservation is released at once, not held until it expires. On a gateway of its own whose admissions answer only
/// once their client has hung up, so the moment is exact (Orleans does not send a call whose token is already
/// cancelled, so no worker ever sees such a request).
/// </summary>
public sealed class HangUpAfterAdmissionTests(HangUpAfterAdmissionTests.Gateway fixture) : IClassFixture<HangUpAfterAdmissionTests.Gateway>
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task TheReservationIsReleasedAndNothingIsCharged(bool stream)
    {
        var gateway = fixture.Factory;
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync();
        var mockBefore = gateway.MockStats.Requests;
        var body = JsonSerializer.Serialize(new { model = "gpt-4.1", messages = ChatBodies.Messages(), max_tokens = 5, stream });

        using (await RawConnection.OpenAsync(gateway.BaseAddress, key, body))
        {
            await Eventually.HoldsAsync(
                async () => (await gateway.GetUsageAsync(tenantId))["inFlight"]!.GetValue<int>() == 1,
                "the request is admitted (its answer held until the client hangs up)");
        }

        await Eventually.HoldsAsync(
            async () => (await gateway.GetUsageAsync(tenantId))["inFlight"]!.GetValue<int>() == 0,
            "the reservation of the abandoned request is released");
        var usage = await gateway.GetUsageAsync(tenantId);
        Assert.Equal((0L, 0L, 0L, 0m), UsageFigures.Charged(usage));
        Assert.Equal((0, 0L, 0m), UsageFigures.Reserved(usage));
        Assert.Equal(mockBefore, gateway.MockStats.Requests);
    }

    /// <summary>The gateway whose admissions answer their HTTP request only once its client has gone.</summary>
    public sealed class Gateway : IAsyncLifetime
    {
        public GatewayFactory Factory { get; } = new()
        {
            TestServices = services => services
                .AddHttpContextAccessor()
                .AddSingleton<IOutgoingGrainCallFilter, HoldAdmissionUntilTheClientLeaves>(),
        };

        public Task InitializeAsync() => Factory.InitializeAsync();

        public Task DisposeAsync() => ((IAsyncLifetime)Factory).DisposeAsync();
    }

    private sealed class HoldAdmissionUntilTheClientLeaves(IHttpContextAccessor http) : IOutgoingGrainCallFilter
    {
        public async Task Invoke(IOutgoingGrainCallContext context)
        {
            await context.Invoke();
            if (context.InterfaceMethod?.DeclaringType == typeof(ITenantGrain) && context.MethodName == nameof(ITenantGrain.AdmitAsync)
                && http.HttpContext?.RequestAborted is { } aborted)
            {
                // Bounded, so a gateway that never notices the hang-up fails the test rather than hanging it.
                await Task.Delay(TimeSpan.FromSeconds(30), aborted).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }
}
