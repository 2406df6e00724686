using System.Globalization;
using Tributary.Server.Errors;

namespace Tributary.Server.Conventions;

/// <summary>
/// Reads Merge's query parameters the way its SDKs send them and collects every problem before
/// answering, so one 400 names all the parameters to fix. Parameters it is not asked about are
/// ignored, as Merge ignores them.
/// </summary>
internal sealed class QueryReader(IQueryCollection query)
{
    public const int MaxPageSize = 100;
    private const string NulMessage = "Must not contain NUL characters (%00).";
    private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

    public static QueryReader From(HttpRequest request) => new(request.Query);

    public string? String(string name, int maxLength = 1000)
    {
        var value = Single(name);
        if (value is not null && value.Length > maxLength)
        {
            AddError(name, $"Ensure this value has at most {maxLength} characters (it has {value.Length}).");
            return null;
        }
        return RejectNul(name, value);
    }

    public int PageSize(string name = "page_size")
    {
        var raw = Single(name);
        if (raw is null)
        {
            return MaxPageSize;
        }
        if (!int.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var size))
        {
            AddError(name, "A valid integer is required.");
            return MaxPageSize;
        }
        if (size is < 1 or > MaxPageSize)
        {
            AddError(name, $"Ensure this value is between 1 and {MaxPageSize}.");
            return MaxPageSize;
        }
        return size;
    }

    public bool? Bool(string name)
    {
        var raw = Single(name);
        switch (raw?.ToUpperInvariant())
        {
            case null:
                return null;
            case "TRUE" or "1":
                return true;
            case "FALSE" or "0":
                return false;
            default:
                AddError(name, "Must be a valid boolean: true or false.");
                return null;
        }
    }

    /// <summary>ISO-8601 with or without fraction and zone; a value without a zone is UTC (what Merge's C# SDK sends).</summary>
    public DateTime? DateTime(string name)
    {
        var raw = Single(name);
        if (raw is null)
        {
            return null;
        }
        var styles = DateTimeStyles.AllowWhiteSpaces | DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal;
        // '+' in an offset arrives as a space when the client did not percent-encode it.
        var text = raw.Length > 19 && raw[^6] == ' ' ? string.Concat(raw.AsSpan(0, raw.Length - 6), "+", raw.AsSpan(raw.Length - 5)) : raw;
        if (System.DateTime.TryParse(text, CultureInfo.InvariantCulture, styles, out var value) && LooksLikeIso8601(text))
        {
            return System.DateTime.SpecifyKind(value, DateTimeKind.Utc);
        }
        AddError(name, "Datetime has wrong format. Use ISO 8601, e.g. 2024-01-31T12:00:00Z.");
        return null;
    }

    /// <summary>One of <paramref name="allowed"/>, compared exactly.</summary>
    public string? Choice(string name, IReadOnlyCollection<string> allowed)
    {
        var raw = Single(name);
        if (raw is not null && !allowed.Contains(raw))
        {
            AddError(name, $"\"{raw}\" is not a valid choice. Use one of: {string.Join(", ", allowed)}.");
            return null;
        }
        return raw;
    }

    /// <summary>A comma list, a repeated key, or both (Merge's SDKs send either).</summary>
    public IReadOnlyList<string> List(string name)
    {
        if (!query.TryGetValue(name, out var values))
        {
            return [];
        }
        var items = values
            .SelectMany(v => (v ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Distinct(StringComparer.Ordinal)
            .ToList();
        if (items.Exists(i => i.Contains('\0', StringComparison.Ordinal)))
        {
            AddError(name, NulMessage);
            return [];
        }
        return items;
    }

    /// <summary>The <c>expand</c> relations, each checked against what the model allows.</summary>
    public IReadOnlySet<string> Expand(IReadOnlyCollection<string> allowed, string name = "expand")
    {
        var requested = List(name);
        var unknown = requested.Where(r => !allowed.Contains(r)).ToList();
        if (unknown.Count > 0)
        {
            AddError(name, allowed.Count == 0
                ? "This model has no relations to expand."
                : $"Cannot expand {string.Join(", ", unknown.Select(u => $"\"{u}\""))}. Allowed: {string.Join(", ", allowed)}.");
        }
        return requested.Where(allowed.Contains).ToHashSet(StringComparer.Ordinal);
    }

    public IReadOnlyList<Guid> Guids(string name)
    {
        var ids = new List<Guid>();
        foreach (var item in List(name))
        {
            if (System.Guid.TryParse(item, out var id))
            {
                ids.Add(id);
            }
            else
            {
                AddError(name, $"\"{item}\" is not a valid UUID.");
            }
        }
        return ids;
    }

    public Guid? Guid(string name)
    {
        var raw = Single(name);
        if (raw is null)
        {
            return null;
        }
        if (System.Guid.TryParse(raw, out var id))
        {
            return id;
        }
        AddError(name, $"\"{raw}\" is not a valid UUID.");
        return null;
    }

    public void AddError(string name, string message)
    {
        if (!_errors.TryGetValue(name, out var list))
        {
            _errors[name] = list = [];
        }
        list.Add(message);
    }

    /// <summary>Throws one 400 listing every invalid parameter seen so far.</summary>
    public void ThrowIfInvalid()
    {
        if (_errors.Count > 0)
        {
            throw new ValidationException(_errors);
        }
    }

    private string? Single(string name)
    {
        if (!query.TryGetValue(name, out var values) || values.Count == 0)
        {
            return null;
        }
        var value = values[^1];
        return string.IsNullOrEmpty(value) ? null : value;
    }

    // PostgreSQL cannot compare text holding NUL (it fails the query), and no filter value needs one.
    private string? RejectNul(string name, string? value)
    {
        if (value is not null && value.Contains('\0', StringComparison.Ordinal))
        {
            AddError(name, NulMessage);
            return null;
        }
        return value;
    }

    private static bool LooksLikeIso8601(string text) =>
        text.Length >= 10 && char.IsAsciiDigit(text[0]) && text[4] == '-' && text[7] == '-';
}
