using System.Collections.Concurrent;
using System.Data.Common;
using System.Diagnostics;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Tributary.Server.FileStorage;
using Tributary.Server.Tests.Infrastructure;

namespace Tributary.Server.Tests.FileStorage;

/// <summary>
/// Counts the SQL commands run on the File Storage tables (<c>fs_*</c>) of one test's database
/// (tests run in parallel, each on its own database, so commands are told apart by their database).
/// EF commands are seen by <see cref="Interceptor"/>, which every test server has: EF's own
/// diagnostics are not used because a pooled context caches "nobody listens" for a second. The list
/// endpoints' page reads bypass EF and report through <see cref="RenderedPages.Diagnostics"/>.
/// </summary>
internal sealed class QueryCounter : IObserver<DiagnosticListener>, IObserver<KeyValuePair<string, object?>>, IDisposable
{
    public static readonly IInterceptor Interceptor = new Counting();

    private static readonly ConcurrentDictionary<QueryCounter, bool> Active = new();

    private readonly string _database;
    private readonly List<IDisposable> _subscriptions = [];
    private readonly IDisposable _allListeners;
    private int _count;

    public QueryCounter(TributaryApplication app)
    {
        _database = Identity(app.Database.Kind, app.Database.ConnectionString);
        Active[this] = true;
        _allListeners = DiagnosticListener.AllListeners.Subscribe(this);
    }

    public int Count => Volatile.Read(ref _count);

    public void Dispose()
    {
        Active.TryRemove(this, out _);
        _allListeners.Dispose();
        lock (_subscriptions)
        {
            _subscriptions.ForEach(s => s.Dispose());
        }
    }

    private void Saw(DbConnection? connection, string commandText)
    {
        if (commandText.Contains("fs_", StringComparison.Ordinal) && connection is not null && Identity(connection) == _database)
        {
            Interlocked.Increment(ref _count);
        }
    }

    void IObserver<DiagnosticListener>.OnNext(DiagnosticListener value)
    {
        if (value.Name == RenderedPages.DiagnosticsName)
        {
            lock (_subscriptions)
            {
                _subscriptions.Add(value.Subscribe(this));
            }
        }
    }

    void IObserver<KeyValuePair<string, object?>>.OnNext(KeyValuePair<string, object?> value)
    {
        if (value.Key == RenderedPages.PageReadEvent && value.Value is RenderedPages.PageRead read)
        {
            Saw(read.Connection, read.CommandText);
        }
    }

    void IObserver<DiagnosticListener>.OnCompleted()
    {
    }

    void IObserver<DiagnosticListener>.OnError(Exception error)
    {
    }

    void IObserver<KeyValuePair<string, object?>>.OnCompleted()
    {
    }

    void IObserver<KeyValuePair<string, object?>>.OnError(Exception error)
    {
    }

    private static string Identity(DatabaseKind kind, string connectionString) => kind == DatabaseKind.Sqlite
        ? Path.GetFullPath(new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(connectionString).DataSource)
        : new Npgsql.NpgsqlConnectionStringBuilder(connectionString).Database!;

    private static string Identity(DbConnection connection) => connection is Microsoft.Data.Sqlite.SqliteConnection sqlite
        ? Path.GetFullPath(sqlite.DataSource)
        : connection.Database;

    private sealed class Counting : DbCommandInterceptor
    {
        public override DbDataReader ReaderExecuted(DbCommand command, CommandExecutedEventData eventData, DbDataReader result)
        {
            Count(command);
            return result;
        }

        public override ValueTask<DbDataReader> ReaderExecutedAsync(DbCommand command, CommandExecutedEventData eventData, DbDataReader result,
            CancellationToken cancellationToken = default)
        {
            Count(command);
            return ValueTask.FromResult(result);
        }

        private static void Count(DbCommand command)
        {
            foreach (var counter in Active.Keys)
            {
                counter.Saw(command.Connection, command.CommandText);
            }
        }
    }
}
