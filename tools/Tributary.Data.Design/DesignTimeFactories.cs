using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Tributary.Data;

// `dotnet ef` needs an entry point in its startup project.
Console.WriteLine("Design-time host for `dotnet ef`; see docs/decisions/0002-migrations-per-provider.md.");

internal sealed class SqliteFactory : IDesignTimeDbContextFactory<SqliteTributaryDbContext>
{
    public SqliteTributaryDbContext CreateDbContext(string[] args) => new(
        new DbContextOptionsBuilder<SqliteTributaryDbContext>().UseSqlite("Data Source=design.db").Options);
}

internal sealed class PostgresFactory : IDesignTimeDbContextFactory<PostgresTributaryDbContext>
{
    public PostgresTributaryDbContext CreateDbContext(string[] args) => new(
        new DbContextOptionsBuilder<PostgresTributaryDbContext>().UseNpgsql("Host=localhost;Database=design").Options);
}
