using Tributary.Data;
using Tributary.Data.Entities.FileStorage;
using Tributary.Server.Auth;
using Tributary.Server.Conventions;

namespace Tributary.Server.FileStorage;

/// <summary>The query parameters every common-model list shares, read and checked once.</summary>
internal sealed record CommonModelQuery(
    string? Cursor,
    int PageSize,
    DateTime? CreatedAfter,
    DateTime? CreatedBefore,
    DateTime? ModifiedAfter,
    DateTime? ModifiedBefore,
    bool IncludeDeletedData,
    bool IncludeRemoteData,
    bool IncludeShellData,
    string? RemoteId,
    IReadOnlySet<string> Expand)
{
    public static CommonModelQuery Read(QueryReader query, IReadOnlyCollection<string> expandable) => new(
        query.String("cursor"),
        query.PageSize(),
        query.DateTime("created_after"),
        query.DateTime("created_before"),
        query.DateTime("modified_after"),
        query.DateTime("modified_before"),
        query.Bool("include_deleted_data") ?? false,
        query.Bool("include_remote_data") ?? false,
        // Tributary never creates shell records, so this flag is accepted and changes nothing.
        query.Bool("include_shell_data") ?? false,
        query.String("remote_id", 1000),
        query.Expand(expandable));

    /// <summary>
    /// What a retrieve-by-id takes: <c>expand</c>, <c>include_remote_data</c> and <c>include_shell_data</c>.
    /// A retrieve shows the row even when it was deleted remotely.
    /// </summary>
    public static CommonModelQuery ReadRetrieve(QueryReader query, IReadOnlyCollection<string> expandable) => new(
        null, 1, null, null, null, null,
        IncludeDeletedData: true,
        query.Bool("include_remote_data") ?? false,
        query.Bool("include_shell_data") ?? false,
        null,
        query.Expand(expandable));

    /// <summary>The shared filters. <paramref name="model"/> turns remote_id into the derived id, an indexed key lookup.</summary>
    public List<ListFilter> Filters(TenantContext tenant, string model)
    {
        var filters = new List<ListFilter>(4);
        if (!IncludeDeletedData)
        {
            filters.Add(ListFilter.Equal(nameof(SyncedRecord.RemoteWasDeleted), false));
        }
        if (CreatedAfter is { } ca)
        {
            filters.Add(ListFilter.After(nameof(SyncedRecord.CreatedAt), ca));
        }
        if (CreatedBefore is { } cb)
        {
            filters.Add(ListFilter.Before(nameof(SyncedRecord.CreatedAt), cb));
        }
        if (ModifiedAfter is { } ma)
        {
            filters.Add(ListFilter.After(nameof(SyncedRecord.ModifiedAt), ma));
        }
        if (ModifiedBefore is { } mb)
        {
            filters.Add(ListFilter.Before(nameof(SyncedRecord.ModifiedAt), mb));
        }
        if (RemoteId is not null)
        {
            filters.Add(ListFilter.Equal(nameof(SyncedRecord.Id), StoreIds.For(tenant.RequiredLinkedAccountId, model, RemoteId)));
        }
        return filters;
    }

    /// <summary>Applies the shared filters (<see cref="Filters"/>).</summary>
    public IQueryable<T> Apply<T>(IQueryable<T> rows, TenantContext tenant, string model) where T : SyncedRecord =>
        ListFilter.Apply(rows, Filters(tenant, model));
}

/// <summary>A reference filter that is a Merge id, or the literal <c>null</c> (e.g. <c>folder_id=null</c> = root).</summary>
internal readonly record struct ReferenceFilter(bool Present, Guid? Id)
{
    public static ReferenceFilter Read(QueryReader query, string name)
    {
        var raw = query.String(name, 100);
        if (raw is null)
        {
            return default;
        }
        if (raw == "null")
        {
            return new ReferenceFilter(true, null);
        }
        if (Guid.TryParse(raw, out var id))
        {
            return new ReferenceFilter(true, id);
        }
        query.AddError(name, $"\"{raw}\" is not a valid UUID. Pass a Merge id, or null for the root.");
        return default;
    }
}

/// <summary>Merge's <c>order_by</c> on files: created_at or modified_at, ascending or descending (-).</summary>
internal sealed record ListOrder(bool ByModified, bool Descending)
{
    public static readonly IReadOnlyList<string> Choices = ["created_at", "-created_at", "modified_at", "-modified_at"];
    public static readonly ListOrder Default = new(false, false);

    public static ListOrder Read(QueryReader query) => query.Choice("order_by", Choices) switch
    {
        "-created_at" => new(false, true),
        "modified_at" => new(true, false),
        "-modified_at" => new(true, true),
        _ => Default,
    };

    /// <summary>Part of the cursor binding: a cursor minted under one order is refused under another.</summary>
    public string Name => (Descending ? "-" : "") + (ByModified ? "modified_at" : "created_at");
}
