using Gateway.Hosting;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Gateway.Tests.Hosting;

public sealed class AdminKeyVerifierTests
{
    [Fact]
    public void AcceptsOnlyTheConfiguredKey()
    {
        var verifier = Create("Production", "adm-right");

        Assert.True(verifier.Verify("adm-right"));
        Assert.False(verifier.Verify("adm-wrong"));
        Assert.False(verifier.Verify("adm-righ"));
        Assert.False(verifier.Verify(""));
    }

    [Fact]
    public void RefusesEverythingOutsideDevelopmentWhenNoKeyIsConfigured()
    {
        var verifier = Create("Production", null);

        Assert.False(verifier.IsConfigured);
        Assert.False(verifier.Verify("anything"));
        Assert.False(verifier.Verify(""));
    }

    [Fact]
    public void GeneratesAndPrintsAKeyInDevelopmentWhenNoneIsConfigured()
    {
        var console = new StringWriter();
        var original = Console.Out;
        Console.SetOut(console);
        AdminKeyVerifier verifier;
        try
        {
            verifier = Create("Development", null);
        }
        finally
        {
            Console.SetOut(original);
        }

        var printed = console.ToString();
        var key = printed[(printed.IndexOf("adm-", StringComparison.Ordinal))..].Trim();
        Assert.True(verifier.IsConfigured);
        Assert.True(key.Length >= 36, $"A generated key carries at least 192 random bits, got '{key}'.");
        Assert.True(verifier.Verify(key));
        Assert.False(verifier.Verify("adm-" + new string('x', 32)));
    }

    private static AdminKeyVerifier Create(string environment, string? key) =>
        new(Options.Create(new AdminKeyOptions { AdminKey = key }), new Environment(environment), NullLogger<AdminKeyVerifier>.Instance);

    private sealed class Environment(string name) : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = name;
        public string ApplicationName { get; set; } = "tests";
        public string ContentRootPath { get; set; } = AppContext.BaseDirectory;
        public IFileProvider ContentRootFileProvider { get; set; } = new NullFileProvider();
    }
}
