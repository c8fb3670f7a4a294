using System.Security.Cryptography;
using System.Text;

namespace Gateway.Grains.Providers.Anthropic;

/// <summary>
/// Anthropic accepts tool-use ids of <c>[a-zA-Z0-9_-]</c> only, while OpenAI clients (and ids minted by other providers)
/// may use anything. An id that fits is kept; any other id is mapped to its characters with the others replaced by
/// <c>_</c> plus a hash of the original, so the mapping is deterministic (an assistant's <c>tool_use</c> and the later
/// <c>tool_result</c> map the same id to the same value) and two ids differing only in replaced characters stay apart.
/// Ids coming back from Anthropic always fit, so they reach the client unchanged.
/// </summary>
public static class AnthropicToolIds
{
    public static bool Fits(ReadOnlySpan<char> id)
    {
        if (id.IsEmpty)
        {
            return false;
        }

        foreach (var c in id)
        {
            if (!IsAllowed(c))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The id as Anthropic accepts it: <paramref name="id"/> itself when it fits.</summary>
    public static string ToAnthropic(string id)
    {
        if (Fits(id))
        {
            return id;
        }

        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(id));
        var mapped = new StringBuilder(id.Length + 9);
        foreach (var c in id)
        {
            mapped.Append(IsAllowed(c) ? c : '_');
        }

        return mapped.Append('_').Append(Convert.ToHexStringLower(hash, 0, 4)).ToString();
    }

    private static bool IsAllowed(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '-';
}
