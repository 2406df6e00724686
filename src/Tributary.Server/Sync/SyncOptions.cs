using System.ComponentModel.DataAnnotations;

namespace Tributary.Server.Sync;

/// <summary>The <c>Sync</c> configuration section: how often, how many at once, how patiently.</summary>
internal sealed class SyncOptions
{
    public const string SectionName = "Sync";

    /// <summary>Run scheduled jobs in this process (the default). Off: this process only adds jobs for other replicas to run.</summary>
    public bool RunJobs { get; set; } = true;

    /// <summary>Default time between incremental syncs of an account, unless its organization, integration or account says otherwise.</summary>
    [Range(1, 7 * 24 * 60, ErrorMessage = "Sync:DefaultFrequencyMinutes must be between 1 and 10080 minutes, e.g. Sync__DefaultFrequencyMinutes=15.")]
    public int DefaultFrequencyMinutes { get; set; } = 15;

    /// <summary>The shortest frequency an organization may set for itself, an integration or an account (API and CLI).</summary>
    [Range(1, 7 * 24 * 60, ErrorMessage = "Sync:MinFrequencyMinutes must be between 1 and 10080 minutes, e.g. Sync__MinFrequencyMinutes=5.")]
    public int MinFrequencyMinutes { get; set; } = 5;

    /// <summary>How often a full read re-lists the account to find deletes the provider did not signal.</summary>
    [Range(1, 90 * 24, ErrorMessage = "Sync:FullReconciliationHours must be between 1 and 2160 hours, e.g. Sync__FullReconciliationHours=72.")]
    public int FullReconciliationHours { get; set; } = 72;

    /// <summary>Syncs running at once in this process, across accounts (one account never holds more than one).</summary>
    [Range(1, 256, ErrorMessage = "Sync:MaxConcurrentSyncs must be between 1 and 256, e.g. Sync__MaxConcurrentSyncs=4.")]
    public int MaxConcurrentSyncs { get; set; } = 4;

    /// <summary>How long a push or a write waits for more changes before the requested sync starts (debounce).</summary>
    [Range(0, 600_000)]
    public int SoonDelayMilliseconds { get; set; } = 1000;

    /// <summary>
    /// A sync commits its pages (rows, events and cursor together) once this many records are applied
    /// since the last commit, or after <see cref="CommitEveryMilliseconds"/>, whichever comes first,
    /// and always at the end of the feed. Fewer, larger transactions write each touched index page
    /// once per commit instead of once per page; a killed run re-reads at most this much.
    /// </summary>
    [Range(1, 1_000_000)]
    public int CommitEveryRecords { get; set; } = 10_000;

    /// <summary>Longest time a sync keeps its transaction open (on SQLite other writers wait for it meanwhile).</summary>
    [Range(0, 60_000)]
    public int CommitEveryMilliseconds { get; set; } = 2_000;

    /// <summary>How long an account's sync lease lasts without renewal: a dead replica's sync is taken over after this.</summary>
    [Range(5, 3600)]
    public int LeaseSeconds { get; set; } = 60;

    /// <summary>How often replicas record they are alive (Quartz cluster check-in); a dead one is taken over after about twice this.</summary>
    [Range(1, 600)]
    public int ClusterCheckinSeconds { get; set; } = 10;

    /// <summary>Consecutive failed runs after which an issue is opened (revoked credentials open one at once).</summary>
    [Range(1, 100)]
    public int FailuresBeforeIssue { get; set; } = 3;

    /// <summary>Tests only: serve the "loopback" integration from this base URL (a provider fake).</summary>
    public string? LoopbackProviderUrl { get; set; }
}
