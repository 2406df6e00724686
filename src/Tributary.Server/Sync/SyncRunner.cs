using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Tributary.Data;
using Tributary.Data.Entities;
using Tributary.Data.Entities.FileStorage;
using Tributary.Integrations.FileStorage;
using Tributary.Server.Events;
using Tributary.Server.FileStorage;
using Tributary.Server.Vault;

namespace Tributary.Server.Sync;

/// <summary>Why a run stopped, which decides what the scheduler does next.</summary>
internal enum SyncStop
{
    /// <summary>Reached the end of the change feed.</summary>
    Completed,

    /// <summary>The provider failed (5xx, timeouts, bad answers): try again after a back-off.</summary>
    Failed,

    /// <summary>The provider asked us to wait: resume from the checkpoint after <see cref="SyncOutcome.RetryAfter"/>.</summary>
    RateLimited,

    /// <summary>Another run of this account holds its lease (on this replica or another).</summary>
    Busy,

    /// <summary>The provider refused the credential for good; nothing runs until the end user relinks.</summary>
    RelinkNeeded,

    /// <summary>The linked account no longer exists.</summary>
    AccountGone,
}

/// <summary>What one run did.</summary>
internal sealed record SyncOutcome(SyncStatusValue Result, long Records, string? Error)
{
    public SyncStop Stop { get; init; }

    /// <summary>When to try again (rate limits, back-off, a busy lease); null when the normal schedule applies.</summary>
    public TimeSpan? RetryAfter { get; init; }
}

/// <summary>
/// Runs one linked account's File Storage sync: streams the connector's change feed and, per page,
/// upserts the rows, records their change events and advances the cursor in one transaction, so a run
/// killed at any point resumes from the last committed page without losing or duplicating anything.
/// One run per account at a time across replicas (a database lease, renewed while the run lives).
/// Deletes come only from the provider: its delete signals, or a completed full read, after which
/// rows it did not report are marked <c>remote_was_deleted</c>.
/// </summary>
internal sealed class SyncRunner(
    TributaryDbContext db, CredentialVault vault, ConnectorResolver connectors, CredentialRefresher refresher, TimeProvider time, Leases leases,
    SyncIssues issues, IAccountEvents events, ProviderBudget budget, IOptionsMonitor<SyncOptions> options, ILogger<SyncRunner> logger)
{
    public const string Category = "filestorage";

    /// <summary>Merge's common-model names, as <see cref="IAccountEvents.RecordsChangedAsync"/> receives them.</summary>
    public static string CommonModel(FileStorageModel model) => model switch
    {
        FileStorageModel.Drive => "FileStorageDrive",
        FileStorageModel.Folder => "FileStorageFolder",
        FileStorageModel.File => "FileStorageFile",
        FileStorageModel.User => "FileStorageUser",
        FileStorageModel.Group => "FileStorageGroup",
        _ => throw new ArgumentOutOfRangeException(nameof(model), model, null),
    };

    private bool _insertFirst;

    private TimeSpan LeaseDuration => TimeSpan.FromSeconds(options.CurrentValue.LeaseSeconds);

    /// <summary>Runs the sync now, waiting for a run of the same account that is under way (CLI verbs, tests).</summary>
    public async Task<SyncOutcome> RunAsync(Guid linkedAccountId, bool fullResync, CancellationToken ct)
    {
        await using var lease = await leases.AcquireAsync(Leases.Sync(linkedAccountId, Category), LeaseDuration, TimeSpan.FromMinutes(10), ct);
        return await RunHoldingAsync(lease, linkedAccountId, fullResync, ct);
    }

    /// <summary>Runs the sync unless another run of the account holds its lease (then <see cref="SyncStop.Busy"/>).</summary>
    public async Task<SyncOutcome> TryRunAsync(Guid linkedAccountId, bool fullResync, CancellationToken ct)
    {
        var lease = await leases.TryAcquireAsync(Leases.Sync(linkedAccountId, Category), LeaseDuration, ct);
        if (lease is null)
        {
            return new SyncOutcome(SyncStatusValue.Syncing, 0, null) { Stop = SyncStop.Busy, RetryAfter = LeaseDuration / 4 };
        }
        await using (lease)
        {
            return await RunHoldingAsync(lease, linkedAccountId, fullResync, ct);
        }
    }

    /// <summary>Whether a sync of the account ever started (it has a sync state).</summary>
    public Task<bool> HasStartedAsync(Guid linkedAccountId, CancellationToken ct) =>
        db.SyncStates.IgnoreQueryFilters().AnyAsync(s => s.LinkedAccountId == linkedAccountId && s.Category == Category, ct);

    private async Task<SyncOutcome> RunHoldingAsync(LeaseHandle lease, Guid linkedAccountId, bool fullResync, CancellationToken ct)
    {
        // The lease is renewed in the background while the run lives; losing it stops the run at once.
        using var run = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var renewal = RenewWhileRunningAsync(lease, run);
        try
        {
            return await RunAloneAsync(linkedAccountId, fullResync, run.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested && run.IsCancellationRequested)
        {
            throw new LeaseLostException($"The sync of linked account {linkedAccountId} lost its lease to another replica and stopped.");
        }
        finally
        {
            await run.CancelAsync();
            await renewal;
        }
    }

    private async Task RenewWhileRunningAsync(LeaseHandle lease, CancellationTokenSource run)
    {
        try
        {
            while (!run.IsCancellationRequested)
            {
                await Task.Delay(LeaseDuration / 3, time, run.Token);
                await lease.RenewAsync(run.Token);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (LeaseLostException e)
        {
            logger.LogWarning("{Message}", e.Message);
            await run.CancelAsync();
        }
    }

    private async Task<SyncOutcome> RunAloneAsync(Guid linkedAccountId, bool fullResync, CancellationToken ct)
    {
        var account = await db.LinkedAccounts.IgnoreQueryFilters().AsNoTracking().SingleOrDefaultAsync(a => a.Id == linkedAccountId, ct);
        if (account is null)
        {
            return new SyncOutcome(SyncStatusValue.Failed, 0, "The linked account no longer exists.") { Stop = SyncStop.AccountGone };
        }
        if (account.Status == LinkedAccountStatus.RelinkNeeded)
        {
            return new SyncOutcome(SyncStatusValue.Failed, 0, "The linked account needs relinking.") { Stop = SyncStop.RelinkNeeded };
        }
        var connector = connectors.Find(account.IntegrationSlug)
            ?? throw new InvalidOperationException($"No File Storage connector for '{account.IntegrationSlug}'.");
        if (await budget.RemainingWaitAsync(account.Id, ct) is { } remaining)
        {
            // A live call (or another run) was told to wait: this run waits too, without calling the provider.
            return new SyncOutcome(SyncStatusValue.Syncing, 0, null) { Stop = SyncStop.RateLimited, RetryAfter = remaining };
        }
        var context = await ContextAsync(account.Id, ct);

        var state = await db.SyncStates.IgnoreQueryFilters().SingleOrDefaultAsync(s => s.LinkedAccountId == account.Id && s.Category == Category, ct);
        if (state is null)
        {
            state = new SyncState { Id = Guid.CreateVersion7(time.GetUtcNow()), LinkedAccountId = account.Id, Category = Category };
            db.SyncStates.Add(state);
        }
        if (fullResync && !state.InFullRead)
        {
            state.Cursor = null;
        }
        logger.LogInformation("Sync of linked account {LinkedAccountId} running, {From}", account.Id,
            state.Cursor is null ? "from the start (full read)" : state.InFullRead ? "resuming a full read from its checkpoint" : "incremental from its checkpoint");
        state.Status = SyncStatusValue.Syncing;
        state.SyncStatusReason = null;
        state.NextSyncStart = null;
        state.LastSyncStart = time.GetUtcNow().UtcDateTime;
        state.RecordsThisRun = 0;
        await db.SaveChangesAsync(ct);

        long records = 0;
        // An initial full read fills an account that has nothing yet: insert first, upsert only what the database refuses.
        _insertFirst = !state.InitialSyncDone;
        Microsoft.EntityFrameworkCore.Storage.IDbContextTransaction? transaction = null;
        try
        {
            var batchRecords = 0L;
            var batchStarted = 0L;
            await foreach (var page in connector.ReadChangesAsync(context, state.Cursor, ct))
            {
                if (transaction is null)
                {
                    transaction = await db.Database.BeginTransactionAsync(ct);
                    batchStarted = time.GetTimestamp();
                }
                if (page.IsFullSnapshot && !state.InFullRead)
                {
                    // A full read begins: every row it reports gets the new generation number.
                    state.FullReadGeneration++;
                }
                var changes = await ApplyAsync(account.Id, page, page.IsFullSnapshot ? state.FullReadGeneration : null, _insertFirst && page.IsFullSnapshot, ct);
                if (page.IsFullSnapshot && page.IsFinal)
                {
                    // The page's own rows must carry the generation in the database before the sweep reads it.
                    await db.SaveChangesAsync(ct);
                    await ReconcileFullReadAsync(account.Id, state.FullReadGeneration, changes, ct);
                    state.LastFullReadFinished = time.GetUtcNow().UtcDateTime;
                }
                await changes.PublishAsync(events, db, account, ct);
                records += page.Records.Count + page.Deletions.Count;
                batchRecords += page.Records.Count + page.Deletions.Count;
                state.Cursor = page.Cursor;
                state.InFullRead = page.IsFullSnapshot && !page.IsFinal;
                state.RecordsThisRun = records;
                // Rows, events and cursor go into one transaction: each commit is a resume point.
                await db.SaveChangesAsync(ct);
                db.ChangeTracker.Clear();
                db.Attach(state);
                if (page.IsFinal || batchRecords >= options.CurrentValue.CommitEveryRecords
                    || time.GetElapsedTime(batchStarted).TotalMilliseconds >= options.CurrentValue.CommitEveryMilliseconds)
                {
                    await transaction.CommitAsync(ct);
                    await transaction.DisposeAsync();
                    transaction = null;
                    batchRecords = 0;
                }
            }
            if (transaction is not null)
            {
                await transaction.CommitAsync(ct);
                await transaction.DisposeAsync();
                transaction = null;
            }
            state.Status = SyncStatusValue.Done;
            state.LastSyncResult = SyncStatusValue.Done;
            state.InitialSyncDone = true;
            state.LastError = null;
            state.ConsecutiveFailures = 0;
            state.DataFreshAsOf = state.LastSyncStart;
            state.LastSyncFinished = time.GetUtcNow().UtcDateTime;
            await SyncIssues.ResolveSyncIssuesAsync(db, account, ct);
            await events.SyncCompletedAsync(db, account, Category, succeeded: true, records, ct);
            await db.SaveChangesAsync(ct);
            return new SyncOutcome(SyncStatusValue.Done, records, null) { Stop = SyncStop.Completed };
        }
        catch (ProviderException e) when (!ct.IsCancellationRequested)
        {
            if (transaction is not null)
            {
                // The provider failed between pages: the pages applied so far are whole, with their cursor; keep them.
                await transaction.CommitAsync(ct);
                await transaction.DisposeAsync();
                transaction = null;
            }
            db.ChangeTracker.Clear();
            db.Attach(state);
            return await StoppedAsync(account, state, e, records, ct);
        }
        finally
        {
            if (transaction is not null)
            {
                await transaction.DisposeAsync();
            }
        }
    }

    private async Task<SyncOutcome> StoppedAsync(LinkedAccount account, SyncState state, ProviderException e, long records, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        if (e.Kind == ProviderErrorKind.RateLimited)
        {
            // Not a failure: the run pauses and resumes from its checkpoint after the provider's wait.
            var wait = e.RetryAfter is { } w && w > TimeSpan.Zero ? w : TimeSpan.FromSeconds(30);
            logger.LogInformation("Sync of linked account {LinkedAccountId} paused by the provider's rate limit for {Wait}", account.Id, wait);
            state.SyncStatusReason = "RATE_LIMITED";
            state.NextSyncStart = now + wait;
            await db.SaveChangesAsync(ct);
            await budget.RecordWaitAsync(account.Id, wait, ct);
            return new SyncOutcome(SyncStatusValue.Syncing, records, null) { Stop = SyncStop.RateLimited, RetryAfter = wait };
        }

        logger.LogWarning("Sync of linked account {LinkedAccountId} failed: {Kind} {Message}", account.Id, e.Kind, e.Message);
        state.Status = SyncStatusValue.Failed;
        state.LastSyncResult = SyncStatusValue.Failed;
        state.LastError = Truncate($"{e.Kind}: {e.Message}", 2000);
        state.LastSyncFinished = now;
        state.ConsecutiveFailures++;
        var stop = SyncStop.Failed;
        TimeSpan? retry = Backoff(state.ConsecutiveFailures);
        if (e.Kind == ProviderErrorKind.Unauthorized)
        {
            await issues.RelinkNeededAsync(db, account.Id, e.Message, ct);
            stop = SyncStop.RelinkNeeded;
            retry = null;
        }
        else if (state.ConsecutiveFailures >= options.CurrentValue.FailuresBeforeIssue)
        {
            await issues.OpenAsync(db, account, SyncIssues.SyncFailing, e.Message, ct);
        }
        state.NextSyncStart = retry is { } r ? now + r : null;
        await events.SyncCompletedAsync(db, account, Category, succeeded: false, records, ct);
        await db.SaveChangesAsync(ct);
        return new SyncOutcome(SyncStatusValue.Failed, records, state.LastError) { Stop = stop, RetryAfter = retry };
    }

    /// <summary>30 s, 1 min, 2 min, … up to 30 min between failed runs.</summary>
    internal static TimeSpan Backoff(int failures) => TimeSpan.FromSeconds(Math.Min(30 * Math.Pow(2, Math.Max(0, failures - 1)), 1800));

    private static string Truncate(string text, int length) => text.Length <= length ? text : text[..length];

    /// <summary>The decrypted credential a connector call needs, refreshable on a 401; shared by syncs and live calls.</summary>
    public async Task<ConnectorContext> ContextAsync(Guid linkedAccountId, CancellationToken ct)
    {
        var credential = await db.Credentials.IgnoreQueryFilters().AsNoTracking().SingleOrDefaultAsync(c => c.LinkedAccountId == linkedAccountId, ct);
        var json = credential is null
            ? JsonDocument.Parse("{}").RootElement
            : JsonDocument.Parse(await vault.OpenAsync(db, credential.Secret, CredentialVault.CredentialPurpose(linkedAccountId), ct)).RootElement;
        return new ConnectorContext(linkedAccountId, new StoredCredentialSource(linkedAccountId, json.Clone(), refresher));
    }

    /// <summary>
    /// Puts what a live write returned (an uploaded file, a created folder) into the store at once,
    /// exactly as a sync would, so reads find it before the next sync. A sync that stored the same
    /// row concurrently wins the insert; the write then applies as an update. The row counts as seen
    /// by the current full read, if one is under way: the write proves it exists.
    /// </summary>
    public async Task StoreWrittenAsync(Guid linkedAccountId, RemoteRecord record, CancellationToken ct)
    {
        var page = new ChangePage([record], [], "", IsFinal: false, IsFullSnapshot: false);
        var generation = await db.SyncStates.IgnoreQueryFilters().Where(s => s.LinkedAccountId == linkedAccountId && s.Category == Category)
            .Select(s => (long?)s.FullReadGeneration).SingleOrDefaultAsync(ct);
        var account = await db.LinkedAccounts.IgnoreQueryFilters().AsNoTracking().SingleAsync(a => a.Id == linkedAccountId, ct);
        try
        {
            var changes = await ApplyAsync(linkedAccountId, page, generation, insertFirst: false, ct);
            await changes.PublishAsync(events, db, account, ct);
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            db.ChangeTracker.Clear();
            var changes = await ApplyAsync(linkedAccountId, page, generation, insertFirst: false, ct);
            await changes.PublishAsync(events, db, account, ct);
            await db.SaveChangesAsync(ct);
        }
        db.ChangeTracker.Clear();
    }

    private async Task<PageChanges> ApplyAsync(Guid account, ChangePage page, long? generation, bool insertFirst, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var changes = new PageChanges();
        await ApplyPathsAsync(account, page, now, changes, ct);
        var stored = 0;
        var refused = 0;
        async Task StoreAsync<T>(DbSet<T> set, IEnumerable<T> incoming, Action<T, T> copy, ModelChanges modelChanges) where T : SyncedRecord
        {
            var rows = incoming.GroupBy(r => r.Id).Select(g => g.Last()).ToList();
            if (insertFirst && rows.Count > 0)
            {
                foreach (var row in rows)
                {
                    row.CreatedAt = now;
                    row.ModifiedAt = now;
                    row.SeenInFullRead = generation ?? 0;
                    // This path bypasses EF's SaveChanges, where RenderedRowsInterceptor renders every other write.
                    row.ListJson = RenderedRows.Render(row);
                }
                var conflicts = await InsertFirst.InsertNewAsync(db, rows, ct);
                var existing = conflicts.Count == 0 ? null : conflicts.Select(r => r.Id).ToHashSet();
                modelChanges.Added.AddRange(rows.Where(r => existing is null || !existing.Contains(r.Id)).Select(r => r.Id));
                stored += rows.Count;
                refused += conflicts.Count;
                rows = conflicts;
            }
            await UpsertAsync(set, rows, now, copy, ct, modelChanges, generation);
        }
        await StoreAsync(db.Drives, page.Records.OfType<RemoteDrive>().Select(r => StoreMapper.ToDrive(account, r)), Copy, changes.For(FileStorageModel.Drive));
        await StoreAsync(db.Folders, page.Records.OfType<RemoteFolder>().Select(r => StoreMapper.ToFolder(account, r)), Copy, changes.For(FileStorageModel.Folder));
        await StoreAsync(db.Files, page.Records.OfType<RemoteFile>().Select(r => StoreMapper.ToFile(account, r)), Copy, changes.For(FileStorageModel.File));
        await StoreAsync(db.Users, page.Records.OfType<RemoteUser>().Select(r => StoreMapper.ToUser(account, r)), Copy, changes.For(FileStorageModel.User));
        await StoreAsync(db.Groups, page.Records.OfType<RemoteGroup>().Select(r => StoreMapper.ToGroup(account, r)), Copy, changes.For(FileStorageModel.Group));
        if (page.DeletedPaths.Count > 0)
        {
            // An item moved away from a deleted path and reported in this page lives on: it changed, it was not removed.
            foreach (var model in new[] { FileStorageModel.File, FileStorageModel.Folder })
            {
                var revived = changes.For(model).Changed.ToHashSet();
                changes.For(model).Removed.RemoveAll(revived.Contains);
            }
        }
        if (insertFirst && refused * 2 > stored)
        {
            // Most rows exist already (a full read restarted over an earlier one): the keyed path costs less from here on.
            logger.LogInformation("Sync of linked account {LinkedAccountId}: {Refused} of {Stored} rows existed, upserting by key from here on", account, refused, stored);
            _insertFirst = false;
        }
        if (page.Deletions.Count > 0)
        {
            // A delete in the same page as an upsert of the row wins: the upsert must reach the database first.
            await db.SaveChangesAsync(ct);
        }
        foreach (var group in page.Deletions.GroupBy(d => d.Model))
        {
            var ids = group.Select(d => StoreIds.For(account, StoreMapper.ModelName(group.Key), d.RemoteId)).Distinct().ToList();
            var removed = changes.For(group.Key).Removed;
            removed.AddRange(group.Key switch
            {
                FileStorageModel.Drive => await MarkDeletedAsync(db.Drives, r => ids.Contains(r.Id), now, ct),
                FileStorageModel.Folder => await MarkDeletedAsync(db.Folders, r => ids.Contains(r.Id), now, ct),
                FileStorageModel.File => await MarkDeletedAsync(db.Files, r => ids.Contains(r.Id), now, ct),
                FileStorageModel.User => await MarkDeletedAsync(db.Users, r => ids.Contains(r.Id), now, ct),
                FileStorageModel.Group => await MarkDeletedAsync(db.Groups, r => ids.Contains(r.Id), now, ct),
                _ => [],
            });
        }
        await FolderCascade.MarkDescendantsDeletedAsync(db, account, page, now, changes, ct);
        return changes;
    }

    /// <summary>A full read completed: what it did not report no longer exists at the provider.</summary>
    private async Task ReconcileFullReadAsync(Guid account, long generation, PageChanges changes, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        changes.For(FileStorageModel.Drive).Removed.AddRange(await MarkDeletedAsync(db.Drives, r => r.LinkedAccountId == account && r.SeenInFullRead < generation, now, ct));
        changes.For(FileStorageModel.Folder).Removed.AddRange(await MarkDeletedAsync(db.Folders, r => r.LinkedAccountId == account && r.SeenInFullRead < generation, now, ct));
        changes.For(FileStorageModel.File).Removed.AddRange(await MarkDeletedAsync(db.Files, r => r.LinkedAccountId == account && r.SeenInFullRead < generation, now, ct));
        changes.For(FileStorageModel.User).Removed.AddRange(await MarkDeletedAsync(db.Users, r => r.LinkedAccountId == account && r.SeenInFullRead < generation, now, ct));
        changes.For(FileStorageModel.Group).Removed.AddRange(await MarkDeletedAsync(db.Groups, r => r.LinkedAccountId == account && r.SeenInFullRead < generation, now, ct));
    }

    /// <summary>
    /// Deletes by path, for providers that name only the path of what went away (Dropbox, WebDAV):
    /// each deleted path takes the files and folders at or under it; then each record's path takes
    /// any <em>other</em> row still at that path (Dropbox reports a replaced item only by its
    /// successor). Runs before the page's upserts, so a record in the same page (an item moved away
    /// from a deleted path) comes back alive.
    /// </summary>
    private async Task ApplyPathsAsync(Guid account, ChangePage page, DateTime now, PageChanges changes, CancellationToken ct)
    {
        var files = changes.For(FileStorageModel.File).Removed;
        var folders = changes.For(FileStorageModel.Folder).Removed;
        foreach (var path in page.DeletedPaths.Distinct(StringComparer.Ordinal))
        {
            var under = path.TrimEnd('/') + "/";
            files.AddRange(await MarkDeletedAsync(db.Files, r => r.LinkedAccountId == account && r.RemotePath != null
                && (r.RemotePath == path || (r.RemotePath.StartsWith(under) && r.RemotePath.Substring(0, under.Length) == under)), now, ct));
            folders.AddRange(await MarkDeletedAsync(db.Folders, r => r.LinkedAccountId == account && r.RemotePath != null
                && (r.RemotePath == path || (r.RemotePath.StartsWith(under) && r.RemotePath.Substring(0, under.Length) == under)), now, ct));
        }

        var placed = page.Records
            .Select(r => r switch
            {
                RemoteFile f => (Path: StoreMapper.StoredPath(f.Path), Id: StoreIds.For(account, StoreMapper.FileModel, f.RemoteId)),
                RemoteFolder f => (Path: StoreMapper.StoredPath(f.Path), Id: StoreIds.For(account, StoreMapper.FolderModel, f.RemoteId)),
                _ => (Path: null, Id: Guid.Empty),
            })
            .Where(p => p.Path is not null)
            .ToList();
        if (placed.Count == 0)
        {
            return;
        }
        var paths = placed.Select(p => p.Path).Distinct().ToList();
        var ids = placed.Select(p => p.Id).ToList();
        files.AddRange(await MarkDeletedAsync(db.Files, r => r.LinkedAccountId == account && paths.Contains(r.RemotePath) && !ids.Contains(r.Id), now, ct));
        folders.AddRange(await MarkDeletedAsync(db.Folders, r => r.LinkedAccountId == account && paths.Contains(r.RemotePath) && !ids.Contains(r.Id), now, ct));
    }

    /// <summary>Inserts new rows and updates changed ones; unchanged rows keep their <c>modified_at</c>.</summary>
    internal static async Task UpsertAsync<T>(
        DbSet<T> set, IEnumerable<T> incoming, DateTime now, Action<T, T> copy, CancellationToken ct, ModelChanges? changes = null, long? generation = null)
        where T : SyncedRecord
    {
        var rows = incoming.GroupBy(r => r.Id).Select(g => g.Last()).ToList();
        if (rows.Count == 0)
        {
            return;
        }
        var ids = rows.Select(r => r.Id).ToList();
        var existing = await set.IgnoreQueryFilters().Where(r => ids.Contains(r.Id)).ToDictionaryAsync(r => r.Id, ct);
        foreach (var row in rows)
        {
            if (!existing.TryGetValue(row.Id, out var current))
            {
                row.CreatedAt = now;
                row.ModifiedAt = now;
                row.SeenInFullRead = generation ?? 0;
                set.Add(row);
                changes?.Added.Add(row.Id);
                continue;
            }
            if (current.RemoteWasDeleted || !current.Fingerprint.AsSpan().SequenceEqual(row.Fingerprint))
            {
                copy(row, current);
                current.RemoteWasDeleted = false;
                current.Fingerprint = row.Fingerprint;
                current.RemoteDataJson = row.RemoteDataJson;
                current.ModifiedAt = now;
                changes?.Changed.Add(row.Id);
            }
            if (generation is { } g && current.SeenInFullRead != g)
            {
                current.SeenInFullRead = g;
            }
        }
    }

    /// <summary>Marks the matching live rows deleted and returns their ids (rows already deleted are left alone).</summary>
    private static async Task<List<Guid>> MarkDeletedAsync<T>(DbSet<T> set, System.Linq.Expressions.Expression<Func<T, bool>> match, DateTime now, CancellationToken ct)
        where T : SyncedRecord
    {
        var query = set.IgnoreQueryFilters().Where(match).Where(r => !r.RemoteWasDeleted);
        var ids = await query.Select(r => r.Id).ToListAsync(ct);
        if (ids.Count > 0)
        {
            await set.IgnoreQueryFilters().Where(r => ids.Contains(r.Id))
                .ExecuteUpdateAsync(s => s.SetProperty(r => r.RemoteWasDeleted, true).SetProperty(r => r.ModifiedAt, now), ct);
        }
        return ids;
    }

    private static void Copy(StoredDrive from, StoredDrive to)
    {
        to.Name = from.Name;
        to.DriveUrl = from.DriveUrl;
        to.RemoteCreatedAt = from.RemoteCreatedAt;
    }

    private static void Copy(StoredFolder from, StoredFolder to)
    {
        to.Name = from.Name;
        to.FolderUrl = from.FolderUrl;
        to.Size = from.Size;
        to.Description = from.Description;
        to.ParentFolderId = from.ParentFolderId;
        to.DriveId = from.DriveId;
        to.PermissionsJson = from.PermissionsJson;
        to.RemoteCreatedAt = from.RemoteCreatedAt;
        to.RemoteUpdatedAt = from.RemoteUpdatedAt;
        to.RemotePath = from.RemotePath;
    }

    private static void Copy(StoredFile from, StoredFile to)
    {
        to.Name = from.Name;
        to.FileUrl = from.FileUrl;
        to.FileThumbnailUrl = from.FileThumbnailUrl;
        to.Size = from.Size;
        to.MimeType = from.MimeType;
        to.Description = from.Description;
        to.FolderId = from.FolderId;
        to.DriveId = from.DriveId;
        to.ChecksumJson = from.ChecksumJson;
        to.PermissionsJson = from.PermissionsJson;
        to.RemoteCreatedAt = from.RemoteCreatedAt;
        to.RemoteUpdatedAt = from.RemoteUpdatedAt;
        to.RemotePath = from.RemotePath;
    }

    private static void Copy(StoredUser from, StoredUser to)
    {
        to.Name = from.Name;
        to.EmailAddress = from.EmailAddress;
        to.IsMe = from.IsMe;
    }

    private static void Copy(StoredGroup from, StoredGroup to)
    {
        to.Name = from.Name;
        to.UsersJson = from.UsersJson;
        to.ChildGroupsJson = from.ChildGroupsJson;
    }
}

/// <summary>Store ids one model's rows gained, changed or lost in one committed page.</summary>
internal sealed class ModelChanges
{
    public List<Guid> Added { get; } = [];
    public List<Guid> Changed { get; } = [];
    public List<Guid> Removed { get; } = [];
}

/// <summary>What one page changed, per model, told to <see cref="IAccountEvents"/> inside the page's transaction.</summary>
internal sealed class PageChanges
{
    private readonly Dictionary<FileStorageModel, ModelChanges> _models = [];

    public ModelChanges For(FileStorageModel model)
    {
        if (!_models.TryGetValue(model, out var changes))
        {
            _models[model] = changes = new ModelChanges();
        }
        return changes;
    }

    public async Task PublishAsync(IAccountEvents events, TributaryDbContext db, LinkedAccount account, CancellationToken ct)
    {
        foreach (var (model, changes) in _models)
        {
            if (changes.Added.Count + changes.Changed.Count + changes.Removed.Count > 0)
            {
                await events.RecordsChangedAsync(db, account, SyncRunner.CommonModel(model), changes.Added, changes.Changed, changes.Removed, ct);
            }
        }
    }
}
