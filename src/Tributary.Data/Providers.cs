using Microsoft.EntityFrameworkCore;
using Tributary.Data.Tenancy;

namespace Tributary.Data;

/// <summary>The embedded default: one SQLite file in the data directory.</summary>
public sealed class SqliteTributaryDbContext(DbContextOptions<SqliteTributaryDbContext> options, ITenantScope tenant)
    : TributaryDbContext(options, tenant);

/// <summary>PostgreSQL, for many replicas on one database.</summary>
public sealed class PostgresTributaryDbContext(DbContextOptions<PostgresTributaryDbContext> options, ITenantScope tenant)
    : TributaryDbContext(options, tenant);
