using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using SQLitePCL;
using Tributary.Data;
using Tributary.Data.Entities.FileStorage;
using Tributary.Server.Conventions;
using Tributary.Server.Hosting;

namespace Tributary.Server.FileStorage;

/// <summary>
/// Reads a page of renderings from SQLite with one statement on a pooled connection, bypassing EF's
/// query pipeline and Microsoft.Data.Sqlite's reader: each row's rendering is copied straight from
/// SQLite's memory into the page buffer, which is laid out as the response body. On the list benchmark EF's pipeline (building
/// the command, materializing rows) cost more than SQLite's own work (ADR 0023).
/// <para>
/// The SQL is written here from EF's model (table and column names), so tenant isolation is stated
/// here too: the first predicate is always the linked account's, taken from the caller's tenant, and
/// there is no way to build a statement without it. Values are bound as EF stores them on SQLite:
/// ids as upper-case text, timestamps as UTC text in Microsoft.Data.Sqlite's format.
/// </para>
/// </summary>
internal sealed class SqliteRenderedPages(EffectiveSettings settings) : IDisposable
{
    private const string DateTimeFormat = @"yyyy\-MM\-dd HH\:mm\:ss.FFFFFFF";
    private const int IdleConnections = 16;

    private static readonly ConcurrentDictionary<string, string> Statements = new();
    private static readonly ConcurrentDictionary<(Type, string), string> Columns = new();

    private readonly ConcurrentBag<PageConnection> idle = [];
    // ConcurrentBag.Count locks every thread's bag; this is the count kept alongside.
    private int idleCount;
    private int disposed;

    /// <summary>One page, read synchronously: SQLite runs in-process and a page is a few dozen microseconds of work.</summary>
    public RenderedPage Read<TEntity>(TributaryDbContext db, Guid linkedAccountId, IReadOnlyList<ListFilter> filters,
        KeysetWalk walk, int pageSize, bool byModified, CancellationToken ct)
        where TEntity : SyncedRecord
    {
        ct.ThrowIfCancellationRequested();
        var values = new List<object?>(filters.Count + 5) { linkedAccountId };
        var sql = Statement<TEntity>(db.Model, filters, walk, byModified, values);
        values.Add(pageSize + 1);

        var rows = new RenderedRowBuffer(pageSize);
        var keys = new PageKeys(pageSize);
        PageConnection connection;
        if (idle.TryTake(out var ready))
        {
            Interlocked.Decrement(ref idleCount);
            connection = ready;
        }
        else
        {
            connection = new PageConnection(settings.ConnectionString);
        }
        var reusable = false;
        try
        {
            var statement = connection.Prepared(sql);
            RenderedPages.Report(connection.Connection, sql);
            try
            {
                for (var i = 0; i < values.Count; i++)
                {
                    Check(Bind(statement, i + 1, values[i]), connection.Handle);
                }
                int result;
                while ((result = raw.sqlite3_step(statement)) == raw.SQLITE_ROW)
                {
                    if (rows.Count == pageSize)
                    {
                        keys.HasMore = true;
                        break;
                    }
                    if (keys.Wanted(rows.Count))
                    {
                        keys.Set(rows.Count, (SortKey(statement), Id(statement)));
                    }
                    // A missing rendering reads as empty (NULL); no rendering is empty.
                    var json = raw.sqlite3_column_int(statement, 2) != 0 ? default : raw.sqlite3_column_blob(statement, 3);
                    if (json.IsEmpty)
                    {
                        rows.AddUnrendered(Id(statement));
                    }
                    else
                    {
                        rows.Add(json);
                    }
                }
                if (result is not (raw.SQLITE_ROW or raw.SQLITE_DONE))
                {
                    Check(result, connection.Handle);
                }
            }
            finally
            {
                // Ends the statement's read transaction at once: an idle statement must not hold a
                // snapshot (it would keep checkpoints from emptying the WAL).
                raw.sqlite3_reset(statement);
                raw.sqlite3_clear_bindings(statement);
            }
            reusable = true;
        }
        catch
        {
            rows.Dispose();
            throw;
        }
        finally
        {
            if (reusable && Volatile.Read(ref disposed) == 0 && Interlocked.Increment(ref idleCount) <= IdleConnections)
            {
                idle.Add(connection);
            }
            else
            {
                if (reusable && Volatile.Read(ref disposed) == 0)
                {
                    Interlocked.Decrement(ref idleCount);
                }
                connection.Dispose();
            }
        }
        return keys.Page(walk, rows);
    }

    public void Dispose()
    {
        Volatile.Write(ref disposed, 1);
        while (idle.TryTake(out var connection))
        {
            connection.Dispose();
        }
    }

    /// <summary>
    /// An open connection from the same pool as EF's, with the page statements it has prepared: a
    /// statement is prepared once per connection and shape, not once per request. EF's connection
    /// object is not used because it re-registers nine SQL functions on every open. Readers in WAL
    /// mode rarely wait; when they must, they wait as long as EF's connections do (SqlitePragmas).
    /// </summary>
    private sealed class PageConnection : IDisposable
    {
        private const int MaxStatements = 64;
        private readonly Dictionary<string, sqlite3_stmt> statements = new(StringComparer.Ordinal);

        public PageConnection(string connectionString)
        {
            Connection = new SqliteConnection(connectionString);
            Connection.Open();
            Handle = Connection.Handle!;
            raw.sqlite3_busy_timeout(Handle, 10_000);
        }

        public SqliteConnection Connection { get; }

        public sqlite3 Handle { get; }

        public sqlite3_stmt Prepared(string sql)
        {
            if (statements.TryGetValue(sql, out var statement))
            {
                return statement;
            }
            if (statements.Count >= MaxStatements)
            {
                FinalizeAll();
            }
            Check(raw.sqlite3_prepare_v2(Handle, sql, out statement), Handle);
            statements[sql] = statement;
            return statement;
        }

        public void Dispose()
        {
            FinalizeAll();
            Connection.Dispose();
        }

        private void FinalizeAll()
        {
            foreach (var statement in statements.Values)
            {
                statement.Dispose();
            }
            statements.Clear();
        }
    }

    // Columns: 0 id, 1 sort key, 2 deleted flag, 3 rendering.
    internal static string Statement<TEntity>(IModel model, IReadOnlyList<ListFilter> filters, KeysetWalk walk, bool byModified, List<object?> values)
        where TEntity : SyncedRecord
    {
        var shape = new StringBuilder(typeof(TEntity).Name).Append(byModified ? "|m" : "|c").Append(walk.Descending ? "|d" : "|a")
            .Append(walk.Position is null ? "|start" : "|after");
        foreach (var filter in filters)
        {
            shape.Append('|').Append(filter.Property).Append(filter switch
            {
                ListFilter.EqualTo { Value: null } => " null",
                ListFilter.EqualTo => " =",
                ListFilter.OneOf oneOf => " in " + oneOf.Values.Count.ToString(CultureInfo.InvariantCulture),
                ListFilter.Later => " >",
                ListFilter.Earlier => " <",
                _ => throw new InvalidOperationException($"Unknown list filter {filter.GetType().Name}."),
            });
            switch (filter)
            {
                case ListFilter.EqualTo { Value: not null } equal:
                    values.Add(equal.Value);
                    break;
                case ListFilter.OneOf oneOf:
                    values.AddRange(oneOf.Values);
                    break;
                case ListFilter.Later later:
                    values.Add(later.Value);
                    break;
                case ListFilter.Earlier earlier:
                    values.Add(earlier.Value);
                    break;
                default:
                    break;
            }
        }
        if (walk.Position is { } position)
        {
            values.Add(walk.PositionSortKey);
            values.Add(position.Id);
        }
        return Statements.GetOrAdd(shape.ToString(), _ => Write<TEntity>(model, filters, walk, byModified));
    }

    private static string Write<TEntity>(IModel model, IReadOnlyList<ListFilter> filters, KeysetWalk walk, bool byModified)
        where TEntity : SyncedRecord
    {
        var entity = model.FindEntityType(typeof(TEntity))!;
        string Column(string property) => Columns.GetOrAdd((typeof(TEntity), property),
            _ => Quote(entity.FindProperty(property)?.GetColumnName() ?? throw new InvalidOperationException($"{typeof(TEntity).Name} has no mapped property {property}.")));
        var id = Column(nameof(SyncedRecord.Id));
        var sort = Column(byModified ? nameof(SyncedRecord.ModifiedAt) : nameof(SyncedRecord.CreatedAt));
        var parameter = 1;
        string Next() => "?" + (parameter++).ToString(CultureInfo.InvariantCulture);

        var sql = new StringBuilder()
            .Append("SELECT ").Append(id).Append(", ").Append(sort).Append(", ").Append(Column(nameof(SyncedRecord.RemoteWasDeleted)))
            .Append(", ").Append(Column(nameof(SyncedRecord.ListJson)))
            .Append(" FROM ").Append(Quote(entity.GetTableName()!))
            .Append(" WHERE ").Append(Column(nameof(SyncedRecord.LinkedAccountId))).Append(" = ").Append(Next());
        foreach (var filter in filters)
        {
            var column = Column(filter.Property);
            sql.Append(" AND ").Append(filter switch
            {
                ListFilter.EqualTo { Value: null } => $"{column} IS NULL",
                ListFilter.EqualTo { Value: bool } => $"{column} = {Next()}",
                ListFilter.EqualTo => $"{column} = {Next()}",
                ListFilter.OneOf oneOf => $"{column} IN ({string.Join(", ", oneOf.Values.Select(_ => Next()))})",
                ListFilter.Later => $"{column} > {Next()}",
                ListFilter.Earlier => $"{column} < {Next()}",
                _ => throw new InvalidOperationException($"Unknown list filter {filter.GetType().Name}."),
            });
        }
        var direction = walk.Descending ? " DESC" : "";
        if (walk.Position is not null)
        {
            // One parameter for both mentions of the sort key: SQLite then reads "k > ?3 OR (k = ?3 AND …)"
            // as the range k >= ?3 on the keyset index. With two parameters it scanned from the start
            // (page 10,000 took 135 ms instead of 1).
            var beyond = walk.Descending ? "<" : ">";
            var key = Next();
            sql.Append(" AND (").Append(sort).Append(' ').Append(beyond).Append(' ').Append(key)
                .Append(" OR (").Append(sort).Append(" = ").Append(key).Append(" AND ").Append(id).Append(' ').Append(beyond).Append(' ').Append(Next()).Append("))");
        }
        sql.Append(" ORDER BY ").Append(sort).Append(direction).Append(", ").Append(id).Append(direction)
            .Append(" LIMIT ").Append(Next());
        return sql.ToString();
    }

    private static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static int Bind(sqlite3_stmt statement, int index, object? value) => value switch
    {
        null => raw.sqlite3_bind_null(statement, index),
        Guid id => raw.sqlite3_bind_text(statement, index, id.ToString().ToUpperInvariant()),
        DateTime time => raw.sqlite3_bind_text(statement, index,
            (time.Kind == DateTimeKind.Utc ? time : time.ToUniversalTime()).ToString(DateTimeFormat, CultureInfo.InvariantCulture)),
        bool flag => raw.sqlite3_bind_int(statement, index, flag ? 1 : 0),
        int number => raw.sqlite3_bind_int(statement, index, number),
        string text => raw.sqlite3_bind_text(statement, index, text),
        _ => throw new InvalidOperationException($"No SQLite binding for {value.GetType().Name}."),
    };

    private static Guid Id(sqlite3_stmt statement) =>
        Utf8Parser.TryParse(raw.sqlite3_column_blob(statement, 0), out Guid id, out _) ? id
            : throw new InvalidOperationException("A stored id is not a GUID.");

    private static DateTime SortKey(sqlite3_stmt statement) =>
        DateTime.SpecifyKind(DateTime.Parse(Encoding.UTF8.GetString(raw.sqlite3_column_blob(statement, 1)), CultureInfo.InvariantCulture), DateTimeKind.Utc);

    private static void Check(int result, sqlite3 handle)
    {
        if (result != raw.SQLITE_OK)
        {
            SqliteException.ThrowExceptionForRC(result, handle);
        }
    }
}
