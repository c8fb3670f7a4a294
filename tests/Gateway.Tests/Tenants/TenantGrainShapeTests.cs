using System.Reflection;
using System.Runtime.CompilerServices;
using Gateway.Grains.Tenants;

namespace Gateway.Tests.Tenants;

/// <summary>
/// The tenant grain is reentrant, which is safe only while every change of its state happens before the first await of
/// a call. It holds so by shape: no grain call is an <c>async</c> method, and what runs after an await is a static
/// function (or a non-capturing lambda) that cannot reach the grain. This test fails when a new method breaks that shape.
/// </summary>
public sealed class TenantGrainShapeTests
{
    [Fact]
    public void NothingThatCanReachTheGrainsStateRunsAfterAnAwait()
    {
        const BindingFlags All = BindingFlags.Instance | BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly;
        var grain = typeof(TenantGrain);

        // Compiler-generated "<>c" holds lambdas that capture nothing; any other nested type holds captured variables.
        var offending = new[] { grain }.Concat(grain.GetNestedTypes(BindingFlags.NonPublic).Where(t => t.Name != "<>c"))
            .SelectMany(type => type.GetMethods(All))
            .Where(method => method.GetCustomAttribute<AsyncStateMachineAttribute>() is not null && !method.IsStatic)
            .Where(method => !(method.DeclaringType == grain && method.Name == nameof(TenantGrain.OnActivateAsync)))
            .Select(method => $"{method.DeclaringType!.Name}.{method.Name}")
            .ToList();

        Assert.True(offending.Count == 0,
            "These async methods can change the tenant's state after an await, where other calls interleave: "
            + string.Join(", ", offending) + ". Decide and change synchronously, then return one task continued by a static function.");
    }

    [Fact]
    public void TheShapeCheckSeesAnAsyncInstanceMethod()
    {
        var method = typeof(TenantGrain).GetMethod(nameof(TenantGrain.OnActivateAsync))!;

        Assert.NotNull(method.GetCustomAttribute<AsyncStateMachineAttribute>());
        Assert.False(method.IsStatic);
    }
}
