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
}
