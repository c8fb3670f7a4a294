using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace Gateway.MockProvider;

/// <summary>Reads the body of <c>POST /mock/faults</c> into a <see cref="MockFault"/>; members are snake_case.</summary>
internal static class MockFaultJson
{
    private static readonly KeyValuePair<string, MockFaultKind>[] _kinds =
    [
        new("reset_before_headers", MockFaultKind.ResetBeforeHeaders),
        new("reset_mid_body", MockFaultKind.ResetMidBody),
        new("stall_before_headers", MockFaultKind.StallBeforeHeaders),
        new("stall_mid_body", MockFaultKind.StallMidBody),
        new("burst", MockFaultKind.Burst),
        new("garbage_body", MockFaultKind.GarbageBody),
        new("garbage_event", MockFaultKind.GarbageEvent),
        new("oversize_body", MockFaultKind.OversizeBody),
        new("no_usage", MockFaultKind.NoUsage),
    ];

    private static readonly KeyValuePair<string, MockErrorBody>[] _errorBodies =
    [
        new("json", MockErrorBody.Json),
        new("html", MockErrorBody.Html),
        new("empty", MockErrorBody.Empty),
    ];

    /// <summary>
    /// Parses one fault and how many requests it is for (<c>count</c>, default 1). Unknown members, unknown kinds
    /// and members the kind does not use are errors, so a misspelt fault cannot pass a test by doing nothing.
    /// </summary>
    public static bool TryParse(JsonElement root, out MockFault fault, out int count, [NotNullWhen(false)] out string? error)
    {
        fault = new MockFault();
        count = 1;
        if (root.ValueKind != JsonValueKind.Object)
        {
            error = "The fault must be a JSON object.";
            return false;
        }

        var kind = MockFaultKind.None;
        var errorBody = MockErrorBody.Json;
        string? message = null;
        int? status = null, retryAfter = null, retryAfterMs = null, cutAfterChunks = null, latencyMs = null, stallMs = null;
        int? stallAfterChunks = null, burstChunks = null, garbageAfterChunks = null, bodyBytes = null, requests = null;
        foreach (var property in root.EnumerateObject())
        {
            var value = property.Value;
            string? invalid = null;
            if (property.NameEquals("kind"u8))
            {
                if (!TryReadName(value, _kinds, out kind))
                {
                    invalid = $"'kind' must be one of {JoinNames(_kinds)}.";
                }
            }
            else if (property.NameEquals("error_body"u8))
            {
                if (!TryReadName(value, _errorBodies, out errorBody))
                {
                    invalid = $"'error_body' must be one of {JoinNames(_errorBodies)}.";
                }
            }
            else if (property.NameEquals("message"u8))
            {
                if (value.ValueKind == JsonValueKind.String)
                {
                    message = value.GetString();
                }
                else
                {
                    invalid = "'message' must be a string.";
                }
            }
            else if (!IsNumberMember(property))
            {
                invalid = $"Unknown fault member '{property.Name}'.";
            }
            else if (!TryReadNumber(value, out var number))
            {
                invalid = $"'{property.Name}' must be a non-negative integer.";
            }
            else if (property.NameEquals("status"u8))
            {
                status = number;
            }
            else if (property.NameEquals("retry_after"u8))
            {
                retryAfter = number;
            }
            else if (property.NameEquals("retry_after_ms"u8))
            {
                retryAfterMs = number;
            }
            else if (property.NameEquals("cut_after_chunks"u8))
            {
                cutAfterChunks = number;
            }
            else if (property.NameEquals("latency_ms"u8))
            {
                latencyMs = number;
            }
            else if (property.NameEquals("stall_ms"u8))
            {
                stallMs = number;
            }
            else if (property.NameEquals("stall_after_chunks"u8))
            {
                stallAfterChunks = number;
            }
            else if (property.NameEquals("burst_chunks"u8))
            {
                burstChunks = number;
            }
            else if (property.NameEquals("garbage_after_chunks"u8))
            {
                garbageAfterChunks = number;
            }
            else if (property.NameEquals("body_bytes"u8))
            {
                bodyBytes = number;
            }
            else
            {
                // The one numeric member left is 'count'.
                requests = number;
            }

            if (invalid is not null)
            {
                error = invalid;
                return false;
            }
        }

        if (kind == MockFaultKind.None && status is null && cutAfterChunks is null && latencyMs is null)
        {
            error = "A fault needs 'kind', 'status', 'cut_after_chunks' or 'latency_ms'.";
            return false;
        }

        var parsed = new MockFault
        {
            Kind = kind,
            Status = status,
            RetryAfterSeconds = retryAfter,
            RetryAfterMilliseconds = retryAfterMs,
            ErrorBody = errorBody,
            Message = message,
            CutAfterChunks = cutAfterChunks,
            Latency = Milliseconds(latencyMs),
            Stall = Milliseconds(stallMs),
            StallAfterChunks = stallAfterChunks,
            BurstChunks = burstChunks,
            GarbageAfterChunks = garbageAfterChunks,
            BodyBytes = bodyBytes,
        };
        error = parsed.FindProblem();
        if (error is not null)
        {
            return false;
        }

        fault = parsed;
        count = requests ?? 1;
        return true;
    }

    private static bool IsNumberMember(JsonProperty property) =>
        property.NameEquals("status"u8) || property.NameEquals("retry_after"u8) || property.NameEquals("retry_after_ms"u8)
        || property.NameEquals("cut_after_chunks"u8) || property.NameEquals("latency_ms"u8) || property.NameEquals("stall_ms"u8)
        || property.NameEquals("stall_after_chunks"u8) || property.NameEquals("burst_chunks"u8)
        || property.NameEquals("garbage_after_chunks"u8) || property.NameEquals("body_bytes"u8) || property.NameEquals("count"u8);

    private static bool TryReadNumber(JsonElement value, out int number)
    {
        number = 0;
        return value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out number) && number >= 0;
    }

    private static bool TryReadName<T>(JsonElement value, KeyValuePair<string, T>[] names, out T result)
    {
        if (value.ValueKind == JsonValueKind.String)
        {
            foreach (var (name, item) in names)
            {
                if (value.ValueEquals(name))
                {
                    result = item;
                    return true;
                }
            }
        }

        result = default!;
        return false;
    }

    private static string JoinNames<T>(KeyValuePair<string, T>[] names) => string.Join(", ", names.Select(static pair => pair.Key));

    private static TimeSpan? Milliseconds(int? value) => value is int ms ? TimeSpan.FromMilliseconds(ms) : null;
}
