namespace Tributary.Data.Entities.FileStorage;

/// <summary>
/// What every synced common-model row has. The id is derived from (linked account, model, remote id)
/// (see StoreIds), so a sync is idempotent and a reference to a parent that has not arrived yet is
/// already its final id.
/// </summary>
public abstract class SyncedRecord
{
    public Guid Id { get; set; }
    public Guid LinkedAccountId { get; set; }
    public required string RemoteId { get; set; }
    public bool RemoteWasDeleted { get; set; }

    /// <summary>The provider's raw object(s) as Merge's <c>remote_data</c> JSON, or null.</summary>
    public string? RemoteDataJson { get; set; }

    /// <summary>Hash of the mapped fields: <c>modified_at</c> moves only when it changes.</summary>
    public required byte[] Fingerprint { get; set; }

    /// <summary>The <c>SyncState.FullReadGeneration</c> of the last full read that reported this row (delete reconciliation).</summary>
    public long SeenInFullRead { get; set; }

    public DateTime CreatedAt { get; set; }
    public DateTime ModifiedAt { get; set; }

    /// <summary>
    /// The row as Merge's JSON object in the default list and retrieve shape (no <c>expand</c>, no
    /// <c>remote_data</c>), rendered as UTF-8 whenever the sync writes the row, so a list page is the
    /// keyset query plus copying these bytes. Valid only while <see cref="RemoteWasDeleted"/> is false
    /// (a delete moves <c>modified_at</c> without re-rendering); null for rows written before the
    /// column existed. Readers fall back to rendering from the columns in both cases (ADR 0019).
    /// </summary>
    public byte[]? ListJson { get; set; }
}
