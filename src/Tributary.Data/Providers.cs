using Microsoft.EntityFrameworkCore;

namespace Tributary.Data;

/// <summary>The embedded default: one SQLite file in the data directory.</summary>
public sealed class SqliteTributaryDbContext(DbContextOptions<SqliteTributaryDbContext> options) : TributaryDbContext(options);

/// <summary>PostgreSQL, for many replicas on one database.</summary>
public sealed class PostgresTributaryDbContext(DbContextOptions<PostgresTributaryDbContext> options) : TributaryDbContext(options);
