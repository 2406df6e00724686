namespace Tributary.Server.Webhooks;

/// <summary>Merge's webhook event names (<c>hook.event</c>) that Tributary emits.</summary>
internal static class WebhookEvents
{
    public const string Linked = "LinkedAccount.linked";
    public const string Deleted = "LinkedAccount.deleted";
    public const string SyncCompleted = "LinkedAccount.sync_completed";

    /// <summary>Listed by Merge, sent here when a refused credential turns the account <c>RELINK_NEEDED</c>.</summary>
    public const string StatusChanged = "LinkedAccount.status_changed";

    public const string All = "*";

    /// <summary>File Storage common models as Merge names them in events (<c>FileStorageFile</c>) and in sync status (<c>filestorage.FileStorageFile</c>).</summary>
    public static readonly IReadOnlyList<string> FileStorageModels = ["File", "Folder", "Drive", "User", "Group"];

    public static readonly IReadOnlyList<string> RecordActions = ["added", "changed", "removed"];

    public static readonly IReadOnlyList<string> Known =
    [
        Linked, Deleted, SyncCompleted, StatusChanged,
        .. FileStorageModels.SelectMany(m => RecordActions.Select(a => $"FileStorage{m}.{a}")),
    ];

    /// <summary>"File", "FileStorageFile" or "filestorage.FileStorageFile" → "File"; null for a model we do not know.</summary>
    public static string? NormalizeModel(string commonModel)
    {
        var name = commonModel;
        var dot = name.LastIndexOf('.');
        if (dot >= 0)
        {
            name = name[(dot + 1)..];
        }
        if (name.StartsWith("FileStorage", StringComparison.Ordinal))
        {
            name = name["FileStorage".Length..];
        }
        return FileStorageModels.FirstOrDefault(m => string.Equals(m, name, StringComparison.OrdinalIgnoreCase));
    }

    public static string RecordEvent(string model, string action) => $"FileStorage{model}.{action}";

    /// <summary>The model of a record event ("FileStorageFile.added" → "File"), or null for an account event.</summary>
    public static string? ModelOf(string eventName) =>
        eventName.StartsWith("FileStorage", StringComparison.Ordinal) && eventName.IndexOf('.', StringComparison.Ordinal) is > 0 and var dot
            ? eventName["FileStorage".Length..dot]
            : null;

    public static bool Subscribes(string events, string eventName) =>
        events == All || events.Split(',').Contains(eventName, StringComparer.Ordinal);
}
