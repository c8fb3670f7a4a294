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

    public static void AddIfEnabled(WebApplicationBuilder builder)
    {
        if (!builder.Configuration.GetValue<bool>("MockProvider:Enabled"))
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
                "MockProvider:Enabled is true, but this build has no mock provider (published images leave it out). "
                + "Set MockProvider__Enabled=false and point Providers:<name>:BaseUrl at real providers.");
        }

        foreach (var startup in assembly.GetCustomAttributes<HostingStartupAttribute>())
        {
            ((IHostingStartup)Activator.CreateInstance(startup.HostingStartupType)!).Configure(builder.WebHost);
        }
    }
}
