using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gateway.Hosting;

/// <summary>
/// Checks presented admin keys in constant time. With no key configured: in Development one is generated and
/// printed once at start-up; anywhere else every admin request is refused.
/// </summary>
public sealed partial class AdminKeyVerifier
{
    private readonly byte[]? _expectedHash;

    public AdminKeyVerifier(IOptions<AdminKeyOptions> options, IHostEnvironment environment, ILogger<AdminKeyVerifier> logger)
    {
        var key = options.Value.AdminKey;
        if (string.IsNullOrWhiteSpace(key))
        {
            if (!environment.IsDevelopment())
            {
                LogNoAdminKey(logger);
                return;
            }

            key = "adm-" + System.Buffers.Text.Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(24));

            // Printed to the console, not logged: log sinks are kept and shipped, the console of a dev run is not.
            Console.WriteLine($"Development admin key (set Gateway:AdminKey to choose your own): {key}");
        }

        _expectedHash = SHA256.HashData(Encoding.UTF8.GetBytes(key));
    }

    /// <summary>True when an admin key is in force at all.</summary>
    public bool IsConfigured => _expectedHash is not null;

    public bool Verify(ReadOnlySpan<char> presented)
    {
        if (_expectedHash is null || presented.IsEmpty)
        {
            return false;
        }

        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        var bytes = Encoding.UTF8.GetBytes(presented.ToArray());
        SHA256.HashData(bytes, hash);
        return CryptographicOperations.FixedTimeEquals(hash, _expectedHash);
    }


    [LoggerMessage(Level = LogLevel.Warning, Message = "No admin key is configured (Gateway:AdminKey): the admin API and the dashboard refuse every request")]
    private static partial void LogNoAdminKey(ILogger logger);
}
