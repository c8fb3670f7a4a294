using Gateway.ApiFrontend.Hosting;
using Gateway.Grains.Ledger;
using Gateway.Grains.Tenants;
using Microsoft.Extensions.Options;

namespace Gateway.Tests.Hosting;

/// <summary>
/// Settings that cannot work stop the process at start with a message naming the setting; the defaults pass. (Each
/// validator is registered with <c>ValidateOnStart</c> beside its options.)
/// </summary>
public sealed class OptionsValidationTests
{
    [Fact]
    public void TheDefaultsAreValid()
    {
        Assert.True(new FrontendOptions.Validator().Validate(null, new FrontendOptions()).Succeeded);
        Assert.True(new LedgerOptions.Validator().Validate(null, new LedgerOptions()).Succeeded);
        Assert.True(new TenantGrainOptions.Validator().Validate(null, new TenantGrainOptions()).Succeeded);
    }

    [Fact]
    public void EachFailureNamesItsSetting()
    {
        var frontend = new FrontendOptions.Validator().Validate(null, new FrontendOptions { UpstreamWorkerShards = 0, MaxRequestBodyBytes = 10, Mode = (FrontendMode)7 });
        Assert.Equal(
            ["Gateway:Frontend:Mode must be Embedded or Client.", "Gateway:Frontend:MaxRequestBodyBytes must be at least 1024 (bytes).", "Gateway:Frontend:UpstreamWorkerShards must be between 1 and 4096."],
            frontend.Failures);

        var ledger = new LedgerOptions.Validator().Validate(null, new LedgerOptions { BufferCapacity = 0, MaxRetryDelay = TimeSpan.Zero });
        Assert.Equal(["Gateway:Ledger:BufferCapacity must be at least 1.", "Gateway:Ledger:MaxRetryDelay must be positive."], ledger.Failures);

        var tenants = new TenantGrainOptions.Validator().Validate(null, new TenantGrainOptions { ReservationTimeout = TimeSpan.Zero, MaxKeys = 0 });
        Assert.Equal(
            ["Gateway:Tenants:ReservationTimeout must be at least 00:00:01 (longer than the slowest provider call).", "Gateway:Tenants:MaxKeys must be at least 1."],
            tenants.Failures);
    }

    [Fact]
    public async Task AGatewayWithAnImpossibleSettingDoesNotStart()
    {
        var gateway = new Infrastructure.GatewayFactory();
        gateway.Settings["Gateway:Tenants:MaxKeys"] = "0";
        var failure = await Assert.ThrowsAnyAsync<Exception>(gateway.InitializeAsync);
        var validation = Assert.IsType<OptionsValidationException>(Unwrap(failure));
        Assert.Contains("Gateway:Tenants:MaxKeys must be at least 1.", validation.Failures);
        await ((IAsyncLifetime)gateway).DisposeAsync();
    }

    [Fact]
    public async Task AFrontendGivenASettingUnderItsOldKeyDoesNotStart()
    {
        var gateway = new Infrastructure.GatewayFactory();
        gateway.Settings["Gateway:Mode"] = "Client";
        var failure = await Assert.ThrowsAnyAsync<Exception>(gateway.InitializeAsync);
        var validation = Assert.IsType<OptionsValidationException>(Unwrap(failure));
        Assert.Equal(["Gateway:Mode is now Gateway:Frontend:Mode (environment Gateway__Frontend__Mode)."], validation.Failures);
        await ((IAsyncLifetime)gateway).DisposeAsync();
    }

    private static Exception Unwrap(Exception exception) =>
        exception is AggregateException { InnerExceptions.Count: 1 } aggregate ? Unwrap(aggregate.InnerExceptions[0])
        : exception.InnerException is { } inner && exception is not OptionsValidationException ? Unwrap(inner) : exception;
}
