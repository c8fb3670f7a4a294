using Microsoft.ML.Tokenizers;

namespace Gateway.MockProvider;

/// <summary>
/// Holds the o200k_base tokenizer apart from <see cref="MockUsage"/> so that producing completion text never pays
/// for loading the vocabulary; the load happens once per process, on the first count.
/// </summary>
internal static class O200kTokenizer
{
    public static Tokenizer Instance { get; } = TiktokenTokenizer.CreateForEncoding("o200k_base");
}
