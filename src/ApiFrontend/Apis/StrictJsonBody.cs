using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Gateway.ApiFrontend.Chat;
using Gateway.ApiFrontend.Contracts;
using Gateway.ApiFrontend.Errors;

namespace Gateway.ApiFrontend.Apis;

/// <summary>
/// Reads a JSON request body into a request type of <see cref="GatewayJsonContext"/>, strictly, and turns each way that can
/// fail into the answer, never an exception: over the size limit (413); not text, not well-formed JSON, or a field given
/// twice (400, one message: which of two values was meant is unknowable); not an object (400); a field of the wrong JSON
/// type or with a name the type does not have (400 from the caller, which names the field). The serializer's own message
/// is never shown: it names .NET types.
/// </summary>
public static class StrictJsonBody
{
    private static readonly JsonDocumentOptions DocumentOptions = new() { AllowDuplicateProperties = false };

    // Names match exactly ("Tier" is an unknown field), numbers are JSON numbers, and a name no member has is an error,
    // whatever attributes the request types carry.
    private static readonly JsonSerializerOptions Options = new()
    {
        TypeInfoResolver = GatewayJsonContext.Resolver,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        PropertyNameCaseInsensitive = false,
        NumberHandling = JsonNumberHandling.Strict,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    /// <summary>
    /// The body as <typeparamref name="T"/>, or its error. <paramref name="fieldError"/> answers a body that could not be
    /// bound at a field: its path (<c>limits.requestsPerMinute</c>; <c>allowedModels[]</c> for an element) and whether
    /// <typeparamref name="T"/> has such a field (else the last name of the path is unknown).
    /// </summary>
    public static async Task<Outcome<T>> ReadAsync<T>(HttpContext context, long limit, Func<string, bool, OpenAiError> fieldError) where T : class
    {
        var bytes = await RequestBody.ReadAsync(context.Request, limit, context.RequestAborted);
        if (bytes is null)
        {
            return new OpenAiError(StatusCodes.Status413RequestEntityTooLarge, $"The request body is larger than {limit} bytes.", "invalid_request_error", code: "request_too_large");
        }

        if (JsonText.Problem(bytes.Value.Span) is { } problem)
        {
            return OpenAiError.InvalidRequest(problem);
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(bytes.Value, DocumentOptions);
        }
        catch (JsonException)
        {
            return OpenAiError.InvalidRequest("We could not parse the JSON body of your request.");
        }

        using (document)
        {
            var type = (JsonTypeInfo<T>)Options.GetTypeInfo(typeof(T));
            try
            {
                return document.Deserialize(type) is { } value ? value : NotAnObject();
            }
            catch (JsonException exception)
            {
                return Locate(exception.Path, typeof(T)) is { } field ? fieldError(field.Path, field.Known) : NotAnObject();
            }
        }
    }

    /// <summary>
    /// The field a serializer path such as <c>$.limits.requestsPerMinute</c>, <c>$.allowedModels[2]</c> or <c>$['a b']</c>
    /// points at, and whether <paramref name="root"/> has it; null for the body itself.
    /// </summary>
    internal static (string Path, bool Known)? Locate(string? path, Type root)
    {
        if (path is null || path.Length < 2 || path[0] != '$')
        {
            return null;
        }

        var field = new StringBuilder();
        var type = Options.GetTypeInfo(root);
        for (var i = 1; i < path.Length;)
        {
            string name;
            if (path.AsSpan(i).StartsWith("['"))
            {
                // Only a name with special characters ('.', ' ', '[', quotes) is bracketed, and no member's name has any:
                // it is the unknown name the serializer stopped at, the path's last, written as is.
                name = path.EndsWith("']", StringComparison.Ordinal) && path.Length >= i + 4 ? path[(i + 2)..^2] : path[(i + 2)..];
                i = path.Length;
            }
            else if (path[i] == '[')
            {
                field.Append("[]");
                var end = path.IndexOf(']', i);
                i = end < 0 ? path.Length : end + 1;
                if (type.ElementType is not { } element)
                {
                    return (field.ToString(), false);
                }

                type = Options.GetTypeInfo(element);
                continue;
            }
            else
            {
                var end = path.IndexOfAny(['.', '['], i + 1);
                end = end < 0 ? path.Length : end;
                name = path[(i + 1)..end];
                i = end;
            }

            field.Append(field.Length == 0 ? "" : ".").Append(name);
            var member = type.Kind == JsonTypeInfoKind.Object ? type.Properties.FirstOrDefault(p => p.Name == name) : null;
            if (member is null)
            {
                return (field.ToString(), false);
            }

            type = Options.GetTypeInfo(member.PropertyType);
        }

        return (field.ToString(), true);
    }

    private static OpenAiError NotAnObject() => OpenAiError.InvalidRequest("The request body must be a JSON object.");

    /// <summary>What reading a body gave: the value, or the error that answers the request.</summary>
    public readonly record struct Outcome<T>(T? Value, OpenAiError? Error) where T : class
    {
        public static implicit operator Outcome<T>(T value) => new(value, null);

        public static implicit operator Outcome<T>(OpenAiError error) => new(null, error);
    }
}
