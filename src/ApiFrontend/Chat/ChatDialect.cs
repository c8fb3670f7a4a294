using Gateway.ApiFrontend.Errors;

namespace Gateway.ApiFrontend.Chat;

/// <summary>
/// How one client dialect (OpenAI chat completions, Anthropic Messages) renders what the chat pipeline produces: its
/// refusals and failures, a whole completion (the provider's OpenAI JSON), and a stream. The pipeline itself (admission,
/// cache, worker, settlement) is the same for every dialect, so limits and charges cannot differ between them.
/// </summary>
public abstract class ChatDialect
{
    /// <summary>A refusal or failure before any answer began, in the dialect's error shape.</summary>
    public abstract IResult Error(OpenAiError error);

    /// <summary>A whole completion; <paramref name="completion"/> is the OpenAI chat completion JSON the worker returned.</summary>
    public abstract IResult Completion(byte[] completion, ChatRequest request, string requestId);

    /// <summary>The renderer of one stream (it may hold state across the stream's chunks).</summary>
    public abstract ChatStreamRendering BeginStream(ChatRequest request, string requestId);

    /// <summary>
    /// A whole answer the provider gave in this dialect (the request's native body was served natively): relayed as it is.
    /// Only a dialect whose requests carry a native body is ever given one.
    /// </summary>
    public virtual IResult NativeCompletion(byte[] body) => TypedResults.Bytes(body, "application/json");

    /// <summary>The renderer of a stream of the provider's own events in this dialect (the request served natively).</summary>
    public virtual ChatStreamRendering BeginNativeStream() => throw new NotSupportedException("This dialect's requests are never served natively.");
}
