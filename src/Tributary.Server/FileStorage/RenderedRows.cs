using System.Buffers;
using System.Linq.Expressions;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Tributary.Data.Entities.FileStorage;
using Tributary.Server.Conventions;

namespace Tributary.Server.FileStorage;

/// <summary>
/// The stored rendering of a row (<see cref="SyncedRecord.ListJson"/>): Merge's JSON object in the
/// default shape, written by <see cref="CommonModelJson"/> when the sync writes the row, so the list
/// endpoints copy bytes instead of reading and re-encoding twenty columns per row (ADR 0019).
/// </summary>
internal static class RenderedRows
{
    private static readonly Func<StoredFile, FileRow> FileRowOf = CommonModelRows.File(remoteData: false).Compile();
    private static readonly Func<StoredFolder, FolderRow> FolderRowOf = CommonModelRows.Folder(remoteData: false).Compile();
    private static readonly Func<StoredDrive, DriveRow> DriveRowOf = CommonModelRows.Drive(remoteData: false).Compile();
    private static readonly Func<StoredUser, UserRow> UserRowOf = CommonModelRows.User(remoteData: false).Compile();
    private static readonly Func<StoredGroup, GroupRow> GroupRowOf = CommonModelRows.Group(remoteData: false).Compile();

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? writer;

    /// <summary>
    /// The row's JSON as the list and retrieve endpoints write it without <c>expand</c> or
    /// <c>remote_data</c>. First cuts the row's timestamps to whole microseconds, which is what
    /// PostgreSQL keeps: the rendering must show what a retrieve will read back, on either database.
    /// </summary>
    public static byte[] Render(SyncedRecord row)
    {
        TruncateToMicroseconds(row);
        buffer ??= new ArrayBufferWriter<byte>(2048);
        buffer.ResetWrittenCount();
        if (writer is null)
        {
            writer = new Utf8JsonWriter(buffer, CommonModelJson.WriterOptions);
        }
        else
        {
            writer.Reset(buffer);
        }
        switch (row)
        {
            case StoredFile f:
                CommonModelJson.WriteFile(writer, FileRowOf(f), remoteData: false);
                break;
            case StoredFolder f:
                CommonModelJson.WriteFolder(writer, FolderRowOf(f), remoteData: false);
                break;
            case StoredDrive d:
                CommonModelJson.WriteDrive(writer, DriveRowOf(d), remoteData: false);
                break;
            case StoredUser u:
                CommonModelJson.WriteUser(writer, UserRowOf(u), remoteData: false);
                break;
            case StoredGroup g:
                CommonModelJson.WriteGroup(writer, GroupRowOf(g), remoteData: false);
                break;
            default:
                throw new ArgumentException($"No rendering for {row.GetType().Name}.", nameof(row));
        }
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    private static void TruncateToMicroseconds(SyncedRecord row)
    {
        row.CreatedAt = Microseconds(row.CreatedAt);
        row.ModifiedAt = Microseconds(row.ModifiedAt);
        switch (row)
        {
            case StoredFile f:
                f.RemoteCreatedAt = Microseconds(f.RemoteCreatedAt);
                f.RemoteUpdatedAt = Microseconds(f.RemoteUpdatedAt);
                break;
            case StoredFolder f:
                f.RemoteCreatedAt = Microseconds(f.RemoteCreatedAt);
                f.RemoteUpdatedAt = Microseconds(f.RemoteUpdatedAt);
                break;
            case StoredDrive d:
                d.RemoteCreatedAt = Microseconds(d.RemoteCreatedAt);
                break;
            default:
                break;
        }
    }

    private static DateTime Microseconds(DateTime value) => new(value.Ticks - value.Ticks % 10, value.Kind);

    private static DateTime? Microseconds(DateTime? value) => value is { } v ? Microseconds(v) : null;

    /// <summary>What the fast list path selects per row: the keyset key, the deleted flag and the rendering.</summary>
    internal sealed class ListedRow
    {
        public Guid Id { get; init; }
        public DateTime CreatedAt { get; init; }
        public DateTime ModifiedAt { get; init; }
        public bool RemoteWasDeleted { get; init; }
        public byte[]? ListJson { get; init; }
    }

    internal static class Listed<TEntity> where TEntity : SyncedRecord
    {
        public static readonly Expression<Func<TEntity, ListedRow>> Projection = e => new ListedRow
        {
            Id = e.Id, CreatedAt = e.CreatedAt, ModifiedAt = e.ModifiedAt, RemoteWasDeleted = e.RemoteWasDeleted, ListJson = e.ListJson,
        };

        private static readonly KeysetOrder<TEntity, ListedRow> ByCreated = new(e => e.CreatedAt, e => e.Id, r => r.CreatedAt, r => r.Id);
        private static readonly KeysetOrder<TEntity, ListedRow> ByModified = new(e => e.ModifiedAt, e => e.Id, r => r.ModifiedAt, r => r.Id);

        public static KeysetOrder<TEntity, ListedRow> Order(bool modified) => modified ? ByModified : ByCreated;
    }
}

/// <summary>
/// Keeps <see cref="SyncedRecord.ListJson"/> true in one place: every common-model row saved through EF
/// (the sync's upserts, anything else that edits a row) is re-rendered before it is written, so no
/// writer can leave a stale rendering behind. Bulk <c>ExecuteUpdate</c>s bypass this; the only ones on
/// these tables mark rows deleted, which makes their rendering invalid by definition.
/// </summary>
internal sealed class RenderedRowsInterceptor : SaveChangesInterceptor
{
    public override InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        Render(eventData.Context);
        return result;
    }

    public override ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result,
        CancellationToken cancellationToken = default)
    {
        Render(eventData.Context);
        return ValueTask.FromResult(result);
    }

    private static void Render(DbContext? context)
    {
        if (context is null)
        {
            return;
        }
        // Interceptors run before SaveChanges detects changes made through property setters; Entries() detects them first.
        foreach (var entry in context.ChangeTracker.Entries<SyncedRecord>())
        {
            if (entry.State == EntityState.Added || (entry.State == EntityState.Modified && ShownFieldChanged(entry)))
            {
                entry.Entity.ListJson = RenderedRows.Render(entry.Entity);
            }
        }
    }

    private static bool ShownFieldChanged(EntityEntry<SyncedRecord> entry)
    {
        foreach (var property in entry.Properties)
        {
            if (property.IsModified && property.Metadata.Name is not (nameof(SyncedRecord.ListJson) or nameof(SyncedRecord.SeenInFullRead)
                or nameof(SyncedRecord.Fingerprint) or nameof(SyncedRecord.RemoteDataJson)))
            {
                return true;
            }
        }
        // Written before renderings were stored: render it now that it is saved again.
        return entry.Entity.ListJson is null;
    }
}
