using Gateway.ApiFrontend.Chat;
using Gateway.ApiFrontend.Errors;

namespace Gateway.ApiFrontend.Messages;

/// <summary>
/// Anthropic's Messages API as the chat pipeline's dialect: messages, Anthropic's stream events, Anthropic's errors. An
/// answer from an Anthropic provider that served the client's own body is relayed as it came (the base class's
/// <see cref="ChatDialect.NativeCompletion"/>, <see cref="NativeMessageStreamRendering"/>); any other is translated.
/// </summary>
public sealed class AnthropicDialect : ChatDialect
{
    public static AnthropicDialect Instance { get; } = new();

    public override IResult Error(OpenAiError error) => AnthropicError.From(error);

    public override IResult Completion(byte[] completion, ChatRequest request, string requestId) =>
        TypedResults.Bytes(MessageResponseWriter.Write(completion, MessageId(requestId), request.ModelId), "application/json");

    public override ChatStreamRendering BeginStream(ChatRequest request, string requestId) =>
        new MessageStreamRendering(MessageId(requestId), request.ModelId, request.PromptTokens);

    public override ChatStreamRendering BeginNativeStream() => new NativeMessageStreamRendering();

    /// <summary>The message's id: the gateway's request id (the ledger's key) under Anthropic's prefix.</summary>
    public static string MessageId(string requestId) => "msg_" + (requestId.StartsWith("req_", StringComparison.Ordinal) ? requestId[4..] : requestId);
}
