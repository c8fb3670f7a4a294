namespace Gateway.Tests.Infrastructure;

/// <summary>
/// Tests that start real servers or several processes are tagged slow, so that the fast ones (units, in-process
/// clusters, HTTP against the embedded gateway) can run alone: <c>dotnet test Orleans.sln --filter "Category!=Slow"</c>.
/// </summary>
public static class TestSpeed
{
    public const string Category = "Category";
    public const string Slow = "Slow";
}
