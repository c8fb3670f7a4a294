namespace Gateway.Tests.Hosting;

/// <summary>
/// The production hosts do not depend on the mock provider: nothing of theirs refers to it at compile time (a build
/// copies it beside them for development runs and loads it by name; <c>dotnet publish</c> leaves it out).
/// </summary>
public sealed class MockProviderBoundaryTests
{
    [Theory]
    [InlineData(typeof(Program))]
    [InlineData(typeof(Gateway.Hosting.DevelopmentMockProvider))]
    public void AHostAssemblyDoesNotReferenceTheMockProvider(Type hostType)
    {
        var references = hostType.Assembly.GetReferencedAssemblies().Select(a => a.Name);

        Assert.DoesNotContain("Gateway.MockProvider", references);
    }
}
