using System.Data.Common;
using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Tributary.Server.Tests.Infrastructure;

namespace Tributary.Server.Tests.FileStorage;

/// <summary>
/// Counts the SQL commands EF runs on the File Storage tables (<c>fs_*</c>) of one test's database
/// (tests run in parallel, each on its own database, so commands are told apart by their database).
/// </summary>
internal sealed class QueryCounter : IObserver<DiagnosticListener>, IObserver<KeyValuePair<string, object?>>, IDisposable
{
    private readonly string _database;
    private readonly List<IDisposable> _subscriptions = [];
    private readonly IDisposable _allListeners;
    private int _count;

    public QueryCounter(TributaryApplication app)
    {
        _database = Identity(app.Database.Kind, app.Database.ConnectionString);
        _allListeners = DiagnosticListener.AllListeners.Subscribe(this);
    }

    public int Count => Volatile.Read(ref _count);

    public void Dispose()
    {
        _allListeners.Dispose();
        lock (_subscriptions)
        {
            _subscriptions.ForEach(s => s.Dispose());
        }
    }

    void IObserver<DiagnosticListener>.OnNext(DiagnosticListener value)
    {
        if (value.Name == DbLoggerCategory.Name)
        {
            lock (_subscriptions)
            {
                _subscriptions.Add(value.Subscribe(this));
            }
        }
    }

    void IObserver<KeyValuePair<string, object?>>.OnNext(KeyValuePair<string, object?> value)
    {
        if (value.Key == RelationalEventId.CommandExecuted.Name && value.Value is CommandExecutedEventData data
            && data.Command.CommandText.Contains("fs_", StringComparison.Ordinal)
            && data.Command.Connection is { } connection && Identity(connection) == _database)
        {
            Interlocked.Increment(ref _count);
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
}
