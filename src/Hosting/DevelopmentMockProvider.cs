using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;

namespace Gateway.Hosting;

/// <summary>
/// Starts the mock provider beside a host when <c>MockProvider:Enabled</c> is true. The hosts do not reference the mock
/// at compile time: a build copies it next to them (a project reference that <c>dotnet publish</c> leaves out, so the
/// production image has none), and it is loaded by name through its <see cref="IHostingStartup"/>.
/// </summary>
public static class DevelopmentMockProvider
{
    private const string AssemblyName = "Gateway.MockProvider";

    /// <summary>
    /// The one setting the hosts read of the mock's section, read from configuration directly: whether to load it is
    /// decided while services are still being added, before any options exist (the mock binds its own section itself).
    /// </summary>
    public const string EnabledSetting = "MockProvider:Enabled";

    public static void AddIfEnabled(WebApplicationBuilder builder)
    {
        if (!builder.Configuration.GetValue<bool>(EnabledSetting))
        {
            return;
        }

        Assembly assembly;
        try
        {
            assembly = Assembly.Load(AssemblyName);
        }
        catch (FileNotFoundException)
        {
            throw new InvalidOperationException(
                $"{EnabledSetting} is true, but this build has no mock provider (published images leave it out). "
                + "Set MockProvider__Enabled=false and point Providers:<name>:BaseUrl at real providers.");
        }

        foreach (var startup in assembly.GetCustomAttributes<HostingStartupAttribute>())
        {
            ((IHostingStartup)Activator.CreateInstance(startup.HostingStartupType)!).Configure(builder.WebHost);
        }
    }
}
