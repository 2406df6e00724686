using System.Collections.Concurrent;
using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using Tributary.Data;
using Tributary.Data.Entities.FileStorage;

namespace Tributary.Server.Sync;

/// <summary>
/// The initial full read's fast path: rows are inserted with <c>INSERT … ON CONFLICT (id) DO NOTHING</c>
/// straight on the page's connection and transaction, without first reading which ids exist and
/// without EF Core's change tracking. The rows the database refused (their id exists: an item the
/// provider repeated, a row a live write stored, a full read restarted over an earlier one) are
/// returned so the caller upserts them the normal way, so idempotency and <c>modified_at</c> rules
/// hold exactly as on the keyed path.
/// </summary>
/// <remarks>
/// Columns, SQL types and value conversions come from the EF model (the same type mappings
/// <c>SaveChanges</c> uses), so the stored values are byte-for-byte what EF would write on either
/// database. SQLite runs one prepared statement re-bound per row (SQLite's fastest insert);
/// PostgreSQL sends a page's rows as one <see cref="DbBatch"/> (one round trip).
/// </remarks>
internal static class InsertFirst
{
    private sealed record Column(DbParameterFactory Parameter, IClrPropertyGetter Getter, ValueConverter? Converter);

    private delegate DbParameter DbParameterFactory(DbCommand command, string name);

    private sealed record Table(string Sql, string[] ParameterNames, Column[] Columns);

    private static readonly ConcurrentDictionary<(IModel, Type), Table> Tables = new();

    /// <summary>Inserts the rows that are new and returns the ones whose id already exists (not touched).</summary>
    public static async Task<List<T>> InsertNewAsync<T>(TributaryDbContext db, IReadOnlyList<T> rows, CancellationToken ct) where T : SyncedRecord
    {
        var conflicts = new List<T>();
        if (rows.Count == 0)
        {
            return conflicts;
        }
        var table = Tables.GetOrAdd((db.Model, typeof(T)), static (key, context) => Describe(context, key.Item2), db);
        var connection = db.Database.GetDbConnection();
        var transaction = db.Database.CurrentTransaction?.GetDbTransaction()
            ?? throw new InvalidOperationException("The insert-first path runs inside the page's transaction.");

        if (connection.CanCreateBatch)
        {
            // The command only makes parameters configured by the type mappings; the batch carries them.
            await using var factory = connection.CreateCommand();
            await using var batch = connection.CreateBatch();
            batch.Transaction = transaction;
            foreach (var row in rows)
            {
                var command = batch.CreateBatchCommand();
                command.CommandText = table.Sql;
                for (var i = 0; i < table.Columns.Length; i++)
                {
                    var parameter = table.Columns[i].Parameter(factory, table.ParameterNames[i]);
                    parameter.Value = Value(table.Columns[i], row);
                    command.Parameters.Add(parameter);
                }
                batch.BatchCommands.Add(command);
            }
            await batch.ExecuteNonQueryAsync(ct);
            for (var r = 0; r < rows.Count; r++)
            {
                if (batch.BatchCommands[r].RecordsAffected == 0)
                {
                    conflicts.Add(rows[r]);
                }
            }
            return conflicts;
        }

        await using var insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = table.Sql;
        var parameters = new DbParameter[table.Columns.Length];
        for (var i = 0; i < parameters.Length; i++)
        {
            parameters[i] = table.Columns[i].Parameter(insert, table.ParameterNames[i]);
            insert.Parameters.Add(parameters[i]);
        }
        await insert.PrepareAsync(ct);
        foreach (var row in rows)
        {
            for (var i = 0; i < parameters.Length; i++)
            {
                parameters[i].Value = Value(table.Columns[i], row);
            }
            if (await insert.ExecuteNonQueryAsync(ct) == 0)
            {
                conflicts.Add(row);
            }
        }
        return conflicts;
    }

    private static object Value(Column column, object row)
    {
        var value = column.Getter.GetClrValueUsingContainingEntity(row);
        if (value is not null && column.Converter is { } converter)
        {
            value = converter.ConvertToProvider(value);
        }
        return value ?? DBNull.Value;
    }

    private static Table Describe(TributaryDbContext db, Type clrType)
    {
        var entity = db.Model.FindEntityType(clrType) ?? throw new InvalidOperationException($"{clrType.Name} is not in the model.");
        var sql = db.GetService<ISqlGenerationHelper>();
        var tableName = entity.GetTableName() ?? throw new InvalidOperationException($"{clrType.Name} has no table.");
        var store = StoreObjectIdentifier.Table(tableName, entity.GetSchema());
        var properties = entity.GetProperties().ToList();
        var names = new string[properties.Count];
        var placeholders = new string[properties.Count];
        var columns = new Column[properties.Count];
        for (var i = 0; i < properties.Count; i++)
        {
            var property = properties[i];
            var mapping = property.GetRelationalTypeMapping();
            names[i] = sql.DelimitIdentifier(property.GetColumnName(store) ?? property.GetColumnName());
            placeholders[i] = sql.GenerateParameterNamePlaceholder("p" + i);
            columns[i] = new Column(
                (command, name) => mapping.CreateParameter(command, name, null, property.IsNullable),
                property.GetGetter(),
                mapping.Converter);
        }
        var key = sql.DelimitIdentifier(entity.FindPrimaryKey()!.Properties.Single().GetColumnName(store)!);
        var text = $"INSERT INTO {sql.DelimitIdentifier(tableName, entity.GetSchema())} ({string.Join(", ", names)}) " +
            $"VALUES ({string.Join(", ", placeholders)}) ON CONFLICT ({key}) DO NOTHING";
        return new Table(text, properties.Select((_, i) => sql.GenerateParameterName("p" + i)).ToArray(), columns);
    }
}
