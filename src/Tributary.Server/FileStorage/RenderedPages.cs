using System.Buffers;
using System.Data;
using System.Data.Common;
using System.Diagnostics;
using System.Linq.Expressions;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Tributary.Data;
using Tributary.Data.Entities.FileStorage;
using Tributary.Server.Conventions;

namespace Tributary.Server.FileStorage;

/// <summary>
/// The list endpoints' default shape (no <c>expand</c>, no <c>include_remote_data</c>), answered from
/// the stored renderings (ADR 0019) and read without EF's materializer (ADR 0023): on SQLite by
/// <see cref="SqliteRenderedPages"/>, elsewhere by a data reader over the command EF builds.
/// </summary>
internal static class RenderedPages
{
    /// <summary>
    /// Page reads bypass EF, so EF's command diagnostics do not see them; they are reported here instead
    /// (event <see cref="PageReadEvent"/>, payload <see cref="PageRead"/>), for tracing and for tests that count queries.
    /// </summary>
    public static readonly DiagnosticListener Diagnostics = new(DiagnosticsName);

    /// <summary>The name of <see cref="Diagnostics"/>: a constant, so subscribers can look for it without creating it.</summary>
    public const string DiagnosticsName = "Tributary.RenderedPages";

    public const string PageReadEvent = "PageRead";

    internal sealed record PageRead(DbConnection Connection, string CommandText);

    internal static void Report(DbConnection connection, string commandText)
    {
        if (Diagnostics.IsEnabled(PageReadEvent))
        {
            Diagnostics.Write(PageReadEvent, new PageRead(connection, commandText));
        }
    }

    /// <summary>Whether a list request can be answered from the stored renderings: the default shape only.</summary>
    public static bool Serve(CommonModelQuery common) => !common.IncludeRemoteData && common.Expand.Count == 0;

    /// <summary>
    /// One page of <typeparamref name="TEntity"/> rows passing <paramref name="filters"/>. Rows whose rendering is
    /// missing (written before it existed) or no longer valid (deleted remotely) are read in full
    /// through the same filters and written by <paramref name="writeFull"/>.
    /// </summary>
    public static async Task<JsonPageResult<TDto>> ListAsync<TEntity, TRow, TDto>(
        TributaryDbContext db, SqliteRenderedPages sqlite, IReadOnlyList<ListFilter> filters, Guid linkedAccountId,
        CursorCodec cursors, string listing, CommonModelQuery common, bool byModified, bool descending,
        Expression<Func<TEntity, TRow>> fullProjection, Action<Utf8JsonWriter, TRow> writeFull, CancellationToken ct)
        where TEntity : SyncedRecord
        where TRow : CommonModelRow
    {
        var walk = KeysetWalk.Start(cursors, listing, common.Cursor, descending);
        var page = db is SqliteTributaryDbContext
            ? sqlite.Read<TEntity>(db, linkedAccountId, filters, walk, common.PageSize, byModified, ct)
            : await ReadAsync(ListFilter.Apply(db.Set<TEntity>().AsNoTracking(), filters), walk, common.PageSize, byModified, ct);
        if (page.Rows.UnrenderedCount == 0)
        {
            return JsonPageResult<TDto>.Rendered(page.Next, page.Previous, page.Rows);
        }
        var missing = page.Rows.UnrenderedIds();
        var full = await ListFilter.Apply(db.Set<TEntity>().AsNoTracking(), filters).Where(e => missing.Contains(e.Id)).Select(fullProjection).ToDictionaryAsync(r => r.Id, ct);
        var buffer = page.Rows;
        return JsonPageResult<TDto>.Rendered(page.Next, page.Previous, buffer, (w, i) =>
        {
            // Absent only if it left the filter between the two reads (deleted meanwhile): it is then left out.
            if (full.TryGetValue(buffer.UnrenderedId(i), out var loaded))
            {
                writeFull(w, loaded);
            }
        });
    }

    /// <summary>
    /// Reads one page with a plain data reader over the command EF builds for the query (so the tenant
    /// filter is EF's). Per row it reads only the deleted flag and the rendering; the keys are read
    /// for the two rows cursors are minted from.
    /// </summary>
    public static async Task<RenderedPage> ReadAsync<TEntity>(IQueryable<TEntity> filtered, KeysetWalk walk, int pageSize, bool byModified,
        CancellationToken ct)
        where TEntity : SyncedRecord
    {
        var order = RenderedRows.Listed<TEntity>.Order(byModified);
        await using var command = KeysetQuery.Build(filtered, walk, pageSize, order.SortKey, order.Id)
            .Select(RenderedRows.Listed<TEntity>.Projection).CreateDbCommand();
        var connection = command.Connection!;
        var opened = connection.State != ConnectionState.Open;
        if (opened)
        {
            await connection.OpenAsync(ct);
        }
        var rows = new RenderedRowBuffer(pageSize);
        var keys = new PageKeys(pageSize);
        try
        {
            await using var reader = await command.ExecuteReaderAsync(ct);
            Report(connection, command.CommandText);
            // EF names each selected column after the projection's member.
            var idColumn = reader.GetOrdinal(nameof(RenderedRows.ListedRow.Id));
            var sortColumn = reader.GetOrdinal(byModified ? nameof(RenderedRows.ListedRow.ModifiedAt) : nameof(RenderedRows.ListedRow.CreatedAt));
            var deletedColumn = reader.GetOrdinal(nameof(RenderedRows.ListedRow.RemoteWasDeleted));
            var jsonColumn = reader.GetOrdinal(nameof(RenderedRows.ListedRow.ListJson));
            while (await reader.ReadAsync(ct))
            {
                if (rows.Count == pageSize)
                {
                    keys.HasMore = true;
                    break;
                }
                if (keys.Wanted(rows.Count))
                {
                    keys.Set(rows.Count, (DateTime.SpecifyKind(reader.GetDateTime(sortColumn), DateTimeKind.Utc), reader.GetGuid(idColumn)));
                }
                if (reader.GetBoolean(deletedColumn) || reader.IsDBNull(jsonColumn))
                {
                    rows.AddUnrendered(reader.GetGuid(idColumn));
                }
                else
                {
                    rows.Add(reader.GetFieldValue<byte[]>(jsonColumn));
                }
            }
        }
        finally
        {
            if (opened)
            {
                await connection.CloseAsync();
            }
        }
        return keys.Page(walk, rows);
    }
}

/// <summary>A page as read: rows in the order shown, and its cursors.</summary>
internal sealed record RenderedPage(string? Next, string? Previous, RenderedRowBuffer Rows);

/// <summary>
/// The keys a page's cursors are minted from: those of the first row read and of the last row kept
/// (row page size − 1, when the extra row shows more follow). No other row's timestamp or id is read.
/// </summary>
internal sealed class PageKeys(int pageSize)
{
    private (DateTime Sort, Guid Id) firstRead, lastKept;

    public bool HasMore { get; set; }

    public bool Wanted(int index) => index == 0 || index == pageSize - 1;

    public void Set(int index, (DateTime Sort, Guid Id) key)
    {
        if (index == 0)
        {
            firstRead = key;
        }
        lastKept = key;
    }

    public RenderedPage Page(KeysetWalk walk, RenderedRowBuffer rows)
    {
        if (rows.Count == 0)
        {
            return new RenderedPage(null, null, rows);
        }
        if (walk.Backward)
        {
            rows.Reverse();
        }
        // Without more rows only the first row read mints a cursor (a forward page's previous, a
        // backward page's next); with more, the last row kept mints the other.
        var (first, last) = walk.Backward ? (lastKept, firstRead) : (firstRead, lastKept);
        var (next, previous) = walk.Cursors(HasMore, first, last);
        return new RenderedPage(next, previous, rows);
    }
}

/// <summary>
/// A page's renderings copied into one pooled buffer (no array per row), in the order shown, plus
/// the ids of rows that must be written in full. Rows are laid out as the body of the response,
/// comma-separated after room for the envelope's head, so a forward page of rendered rows is sent as
/// one contiguous write (<see cref="TryGetBody"/>). Returned to the pool once the response is written.
/// </summary>
internal sealed class RenderedRowBuffer(int capacity) : IDisposable
{
    /// <summary>Room kept before the first row for <c>{"next":…,"previous":…,"results":[</c>.</summary>
    private const int HeadRoom = 512;

    private readonly List<(int Offset, int Length, Guid Unrendered)> rows = new(Math.Min(capacity, 128));
    private byte[] bytes = ArrayPool<byte>.Shared.Rent(128 * 1024);
    private int used = HeadRoom;
    private bool reversed;

    public int Count => rows.Count;

    public int UnrenderedCount { get; private set; }

    /// <summary>The bytes of every rendered row together, without separators.</summary>
    public long RenderedBytes { get; private set; }

    public void Add(ReadOnlySpan<byte> json)
    {
        Ensure(json.Length + 3);
        if (rows.Count > 0)
        {
            bytes[used++] = (byte)',';
        }
        json.CopyTo(bytes.AsSpan(used));
        rows.Add((used, json.Length, Guid.Empty));
        used += json.Length;
        RenderedBytes += json.Length;
    }

    public void AddUnrendered(Guid id)
    {
        rows.Add((0, -1, id));
        UnrenderedCount++;
    }

    public void Reverse()
    {
        rows.Reverse();
        reversed = rows.Count > 1;
    }

    public bool IsRendered(int index) => rows[index].Length >= 0;

    public ReadOnlySpan<byte> Json(int index) => bytes.AsSpan(rows[index].Offset, rows[index].Length);

    public Guid UnrenderedId(int index) => rows[index].Unrendered;

    public List<Guid> UnrenderedIds() => [.. rows.Where(r => r.Length < 0).Select(r => r.Unrendered)];

    /// <summary>
    /// The whole response body, <paramref name="head"/> + rows + <c>]}</c>, in place: possible when every
    /// row is rendered, in the order read, and the head fits the room kept for it.
    /// </summary>
    public bool TryGetBody(ReadOnlySpan<byte> head, out ReadOnlyMemory<byte> body)
    {
        if (UnrenderedCount > 0 || reversed || head.Length > HeadRoom)
        {
            body = default;
            return false;
        }
        Ensure(2);
        var start = HeadRoom - head.Length;
        head.CopyTo(bytes.AsSpan(start));
        bytes[used] = (byte)']';
        bytes[used + 1] = (byte)'}';
        body = bytes.AsMemory(start, used + 2 - start);
        return true;
    }

    private void Ensure(int more)
    {
        if (bytes.Length - used >= more)
        {
            return;
        }
        var larger = ArrayPool<byte>.Shared.Rent(Math.Max(bytes.Length * 2, used + more));
        bytes.AsSpan(0, used).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(bytes);
        bytes = larger;
    }

    public void Dispose()
    {
        var returned = Interlocked.Exchange(ref bytes, []);
        if (returned.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(returned);
        }
    }
}
