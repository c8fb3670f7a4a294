using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;

namespace Gateway.Hosting;

/// <summary>
/// Takes the passwords of the configured connection strings out of a text before it is logged or shown on an
/// unauthenticated endpoint: driver messages may quote their connection settings.
/// </summary>
internal static partial class SecretRedaction
{
    public static string Redact(string text, IConfiguration configuration)
    {
        foreach (var connectionString in configuration.GetSection("ConnectionStrings").GetChildren())
        {
            foreach (Match match in PasswordSetting().Matches(connectionString.Value ?? ""))
            {
                var password = match.Groups["value"].Value.Trim();
                if (password.Length > 0)
                {
                    text = text.Replace(password, "***", StringComparison.Ordinal);
                }
            }
        }

        return text;
    }

    // Npgsql's "Password=...;" and StackExchange.Redis's "password=...," alike.
    [GeneratedRegex(@"(?:^|[;,])\s*(?:password|pwd)\s*=\s*(?<value>[^;,]*)", RegexOptions.IgnoreCase)]
    private static partial Regex PasswordSetting();
}
