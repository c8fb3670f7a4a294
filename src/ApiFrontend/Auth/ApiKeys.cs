using System.Security.Cryptography;
using System.Text;

namespace Gateway.ApiFrontend.Auth;

/// <summary>Tenant API keys: <c>sk-</c> and 256 random bits; only their SHA-256 hash is ever stored.</summary>
public static class ApiKeys
{
    public const string Prefix = "sk-";

    /// <summary>A new key and its id. The key is shown once and never kept.</summary>
    public static (string KeyId, string Key) Generate() =>
        ("key_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)),
         Prefix + System.Buffers.Text.Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32)));

    /// <summary>The hash a key is stored and looked up by (lower-case hex of its SHA-256).</summary>
    public static string Hash(ReadOnlySpan<char> key)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        var length = Encoding.UTF8.GetMaxByteCount(key.Length);
        var buffer = length <= 512 ? stackalloc byte[length] : new byte[length];
        var written = Encoding.UTF8.GetBytes(key, buffer);
        SHA256.HashData(buffer[..written], hash);
        return Convert.ToHexStringLower(hash);
    }
}
