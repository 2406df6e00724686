namespace Tributary.Data.Entities;

/// <summary>
/// Where a linked account's sync of one category stands: the connector's cursor (committed with the
/// rows it covers), progress while running, and the last outcome, for Merge's sync status.
/// </summary>
public sealed class SyncState
{
    public Guid Id { get; set; }
    public Guid LinkedAccountId { get; set; }
    public required string Category { get; set; }

    /// <summary>Resume point: the cursor of the last applied page, or null before the first sync.</summary>
    public string? Cursor { get; set; }

    /// <summary>True while the cursor points into an unfinished full read.</summary>
    public bool InFullRead { get; set; }

    public SyncStatusValue Status { get; set; }
    public DateTime? LastSyncStart { get; set; }
    public DateTime? LastSyncFinished { get; set; }
    public SyncStatusValue? LastSyncResult { get; set; }
    public bool InitialSyncDone { get; set; }
    public long RecordsThisRun { get; set; }
    public string? LastError { get; set; }
}

/// <summary>Merge's sync status values.</summary>
public enum SyncStatusValue
{
    Disabled = 0,
    Syncing = 1,
    Done = 2,
    Failed = 3,
    Paused = 4,
    PartiallySynced = 5,
}
