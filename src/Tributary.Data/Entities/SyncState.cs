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

    /// <summary>
    /// Numbers full reads: rows a full read reports are stamped with it, so when a full read
    /// completes, rows of this account left with an older number no longer exist at the provider.
    /// </summary>
    public long FullReadGeneration { get; set; }

    /// <summary>Merge's <c>sync_status_reason</c>: <c>RATE_LIMITED</c> while a sync waits for the provider, else null.</summary>
    public string? SyncStatusReason { get; set; }

    /// <summary>When the next run is due (the schedule, or the end of a provider's wait).</summary>
    public DateTime? NextSyncStart { get; set; }

    /// <summary>Start of the last run that finished successfully: data is at least this fresh.</summary>
    public DateTime? DataFreshAsOf { get; set; }

    /// <summary>When the last full read (with delete reconciliation) completed.</summary>
    public DateTime? LastFullReadFinished { get; set; }

    /// <summary>Failed runs in a row, for back-off and for opening an issue.</summary>
    public int ConsecutiveFailures { get; set; }
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
