using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Tributary.Integrations.FileStorage;

namespace Tributary.Integrations.Providers.MicrosoftGraph;

/// <summary>Where a Graph read stands, as an opaque cursor: the step it is in and every drive's delta link.</summary>
internal sealed record GraphCursor
{
    private const string Prefix = "graph1:";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Every page of this run belongs to a full snapshot (a first read, or a restart after Graph's 410).</summary>
    public bool Full { get; init; }

    public GraphStep Step { get; init; }

    /// <summary>The <c>@odata.nextLink</c> of the directory listing in progress (users or groups).</summary>
    public string? Link { get; init; }

    /// <summary>The signed-in user's id, so the user listing keeps <c>is_me</c> on them.</summary>
    public string? MeId { get; init; }

    /// <summary>When users, groups and drives were last listed.</summary>
    public DateTimeOffset? DirectoryReadAt { get; init; }

    public IReadOnlyList<GraphDriveCursor> Drives { get; init; } = [];

    public static GraphCursor NewFull() => new() { Full = true, Step = GraphStep.Me };

    public string Encode() => Prefix + Convert.ToBase64String(JsonSerializer.SerializeToUtf8Bytes(this, Json));

    public static GraphCursor Decode(string cursor)
    {
        ArgumentNullException.ThrowIfNull(cursor);
        if (!cursor.StartsWith(Prefix, StringComparison.Ordinal))
        {
            throw new ProviderException(ProviderErrorKind.InvalidRequest, "The sync cursor was not made by the Microsoft Graph connector.");
        }
        try
        {
            return JsonSerializer.Deserialize<GraphCursor>(Convert.FromBase64String(cursor[Prefix.Length..]), Json)
                ?? throw new ProviderException(ProviderErrorKind.InvalidRequest, "The Microsoft Graph sync cursor is empty.");
        }
        catch (Exception e) when (e is JsonException or FormatException)
        {
            throw new ProviderException(ProviderErrorKind.InvalidRequest, "The Microsoft Graph sync cursor is damaged.", inner: e);
        }
    }

    public override string ToString() => Encoding.UTF8.GetString(JsonSerializer.SerializeToUtf8Bytes(this, Json));
}

/// <summary>One drive's position: <see cref="Link"/> is a nextLink mid-round or the deltaLink once <see cref="CaughtUp"/>; null = not started.</summary>
internal sealed record GraphDriveCursor(string Id, string RootId, string? Link, bool CaughtUp);

[JsonConverter(typeof(JsonStringEnumConverter<GraphStep>))]
internal enum GraphStep
{
    Me,
    Users,
    Groups,
    Drives,
    Delta,

    /// <summary>Everything read; the next run starts incrementally from here.</summary>
    Idle,
}
