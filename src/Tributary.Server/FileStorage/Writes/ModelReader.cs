using System.Text.Json;

namespace Tributary.Server.FileStorage.Writes;

/// <summary>
/// Reads the fields of a write's <c>model</c> object the way Merge does: explicit nulls are absent
/// values, a wrong type is an <c>INCORRECT_FIELD_TYPE</c> error, a known field the integration does
/// not write is an <c>UNSUPPORTED_FIELD</c> warning, and an unknown key an <c>UNRECOGNIZED_FIELD</c>
/// warning (the field is ignored).
/// </summary>
internal sealed class ModelReader
{
    private readonly JsonElement _model;
    private readonly WriteProblems _problems;
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);

    private ModelReader(JsonElement model, WriteProblems problems)
    {
        _model = model;
        _problems = problems;
    }

    /// <summary>
    /// Reads <c>{"model": {...}}</c>. A body that is the model itself is not accepted: Merge's SDKs
    /// always wrap it, and guessing would turn typos into silent data loss.
    /// </summary>
    public static ModelReader FromEnvelope(JsonElement root, WriteProblems problems)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw problems.Reject(null, ProblemTypes.IncorrectFieldType, "Invalid Body", "The request body must be a JSON object: {\"model\": {...}}.");
        }
        foreach (var property in root.EnumerateObject().Where(p => p.Name != "model"))
        {
            problems.Warning("/" + property.Name, ProblemTypes.UnrecognizedField, "Unrecognized Field",
                $"The body has an unrecognized key \"{property.Name}\"; only \"model\" is read. It was ignored.");
        }
        if (!root.TryGetProperty("model", out var model) || model.ValueKind == JsonValueKind.Null)
        {
            throw problems.Reject("/model", ProblemTypes.MissingRequiredField, "Missing Required Field", "model is required: send {\"model\": {...}}.");
        }
        return FromModel(model, problems);
    }

    /// <summary>Reads a model object directly (the <c>model</c> part of a multipart upload).</summary>
    public static ModelReader FromModel(JsonElement model, WriteProblems problems)
    {
        if (model.ValueKind != JsonValueKind.Object)
        {
            throw problems.Reject("/model", ProblemTypes.IncorrectFieldType, "Incorrect Field Type", "model must be a JSON object.");
        }
        return new ModelReader(model, problems);
    }

    public static string Pointer(string field) => "/model/" + field;

    /// <summary>A string of at most <paramref name="maxLength"/> characters, or null when absent or null.</summary>
    public string? String(string name, int maxLength)
    {
        if (Find(name) is not { } value)
        {
            return null;
        }
        if (value.ValueKind != JsonValueKind.String)
        {
            TypeError(name, "a string");
            return null;
        }
        var text = value.GetString()!;
        if (text.Length > maxLength)
        {
            _problems.Error(Pointer(name), ProblemTypes.IncorrectFieldType, "Incorrect Field Type",
                $"{name} has {text.Length} characters; it may have at most {maxLength}.");
            return null;
        }
        return text;
    }

    /// <summary>A non-negative integer, or null.</summary>
    public long? NonNegativeInteger(string name)
    {
        if (Find(name) is not { } value)
        {
            return null;
        }
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out var number) || number < 0)
        {
            TypeError(name, "a non-negative integer");
            return null;
        }
        return number;
    }

    /// <summary>A Merge id (a UUID string), or null.</summary>
    public Guid? Id(string name)
    {
        if (Find(name) is not { } value)
        {
            return null;
        }
        if (value.ValueKind != JsonValueKind.String || !Guid.TryParse(value.GetString(), out var id))
        {
            TypeError(name, "a Merge id (UUID)");
            return null;
        }
        return id;
    }

    /// <summary>Merge's <c>checksum</c> object: <c>{"type", "content_hash"}</c>.</summary>
    public (string Type, string ContentHash)? Checksum(string name)
    {
        if (Find(name) is not { } value)
        {
            return null;
        }
        if (value.ValueKind != JsonValueKind.Object
            || !value.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String
            || !value.TryGetProperty("content_hash", out var hash) || hash.ValueKind != JsonValueKind.String)
        {
            TypeError(name, "an object {\"type\": \"sha256\", \"content_hash\": \"…\"}");
            return null;
        }
        return (type.GetString()!, hash.GetString()!);
    }

    /// <summary>A known field this integration does not write: an <c>UNSUPPORTED_FIELD</c> warning when it carries a value.</summary>
    public void Unsupported(string name, string why)
    {
        if (Find(name) is not { } value)
        {
            return;
        }
        var empty = value.ValueKind switch
        {
            JsonValueKind.Array => value.GetArrayLength() == 0,
            JsonValueKind.Object => !value.EnumerateObject().Any(),
            _ => false,
        };
        if (!empty)
        {
            _problems.Warning(Pointer(name), ProblemTypes.UnsupportedField, "Unsupported Field", $"{name} was ignored: {why}");
        }
    }

    /// <summary>Warns about every key that no read above asked for.</summary>
    public void WarnAboutUnknownFields()
    {
        foreach (var property in _model.EnumerateObject().Where(p => !_seen.Contains(p.Name)))
        {
            _problems.Warning(Pointer(property.Name), ProblemTypes.UnrecognizedField, "Unrecognized Field",
                $"This request contained a field that is not recognized: {property.Name}. It was ignored.");
        }
    }

    private JsonElement? Find(string name)
    {
        _seen.Add(name);
        return _model.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;
    }

    private void TypeError(string name, string expected) =>
        _problems.Error(Pointer(name), ProblemTypes.IncorrectFieldType, "Incorrect Field Type", $"{name} must be {expected}.");
}
