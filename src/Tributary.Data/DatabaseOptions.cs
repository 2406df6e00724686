namespace Tributary.Data;

public enum DatabaseProvider
{
    Sqlite,
    Postgres,
}

/// <summary>The <c>Database</c> configuration section.</summary>
public sealed class DatabaseOptions
{
    public const string SectionName = "Database";

    public DatabaseProvider Provider { get; set; } = DatabaseProvider.Sqlite;

    /// <summary>
    /// For SQLite, optional: defaults to <c>tributary.db</c> in the data directory. For PostgreSQL,
    /// required, e.g. <c>Host=127.0.0.1;Username=tributary;Password=…;Database=tributary</c>.
    /// </summary>
    public string? ConnectionString { get; set; }
}
