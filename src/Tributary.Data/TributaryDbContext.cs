using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using Tributary.Data.Entities;
using Tributary.Data.Entities.AgentHandler;
using Tributary.Data.Entities.FileStorage;
using Tributary.Data.Entities.Webhooks;
using Tributary.Data.Tenancy;

namespace Tributary.Data;

/// <summary>
/// The one model of Tributary's store. Each database provider has a thin subclass that carries its
/// own migrations (see docs/decisions/0002-migrations-per-provider.md).
/// </summary>
public abstract class TributaryDbContext(DbContextOptions options) : DbContext(options)
{
    // Contexts are pooled (ADR 0023): the scope's tenant is set on every lease and cleared when the
    // context goes back, so a context never carries one request's tenant into the next.
    private ITenantScope tenant = NoTenant.Instance;

    /// <summary>Binds this leased context to its scope's tenant; only the scoped registration calls it.</summary>
    internal void UseTenant(ITenantScope scope) => tenant = scope;

    public override void Dispose()
    {
        tenant = NoTenant.Instance;
        base.Dispose();
        GC.SuppressFinalize(this);
    }

    public override ValueTask DisposeAsync()
    {
        tenant = NoTenant.Instance;
        GC.SuppressFinalize(this);
        return base.DisposeAsync();
    }

    // Read by the query filters below; EF re-evaluates them per query, so one context per request
    // sees exactly its own tenant.
    internal Guid? CurrentOrganizationId => tenant.OrganizationId;
    internal bool CurrentIsTest => tenant.Environment == ApiEnvironment.Test;
    internal Guid? CurrentLinkedAccountId => tenant.LinkedAccountId;

    public DbSet<Organization> Organizations => Set<Organization>();
    public DbSet<ApiKey> ApiKeys => Set<ApiKey>();
    public DbSet<LinkedAccount> LinkedAccounts => Set<LinkedAccount>();
    public DbSet<AuditEvent> AuditEvents => Set<AuditEvent>();
    public DbSet<VaultKey> VaultKeys => Set<VaultKey>();
    public DbSet<Credential> Credentials => Set<Credential>();
    public DbSet<OAuthApp> OAuthApps => Set<OAuthApp>();
    public DbSet<LinkSession> LinkSessions => Set<LinkSession>();
    public DbSet<Issue> Issues => Set<Issue>();
    public DbSet<SyncState> SyncStates => Set<SyncState>();
    public DbSet<Lease> Leases => Set<Lease>();
    public DbSet<SyncFrequency> SyncFrequencies => Set<SyncFrequency>();
    public DbSet<StoredDrive> Drives => Set<StoredDrive>();
    public DbSet<StoredFolder> Folders => Set<StoredFolder>();
    public DbSet<StoredFile> Files => Set<StoredFile>();
    public DbSet<StoredUser> Users => Set<StoredUser>();
    public DbSet<StoredGroup> Groups => Set<StoredGroup>();
    public DbSet<RegisteredUser> RegisteredUsers => Set<RegisteredUser>();
    public DbSet<ToolPack> ToolPacks => Set<ToolPack>();
    public DbSet<ToolPackConnector> ToolPackConnectors => Set<ToolPackConnector>();
    public DbSet<AllowedCallbackOrigin> AllowedCallbackOrigins => Set<AllowedCallbackOrigin>();
    public DbSet<ToolCallLog> ToolCallLogs => Set<ToolCallLog>();
    public DbSet<WebhookEndpoint> WebhookEndpoints => Set<WebhookEndpoint>();
    public DbSet<WebhookSigningKey> WebhookSigningKeys => Set<WebhookSigningKey>();
    public DbSet<WebhookDelivery> WebhookDeliveries => Set<WebhookDelivery>();
    public DbSet<WebhookAttempt> WebhookAttempts => Set<WebhookAttempt>();
    public DbSet<WebhookReceiver> WebhookReceivers => Set<WebhookReceiver>();
    public DbSet<PushChannel> PushChannels => Set<PushChannel>();

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        ArgumentNullException.ThrowIfNull(configurationBuilder);
        // Every timestamp is UTC; the converter restores DateTimeKind.Utc on read so values compare
        // and serialize the same on SQLite (TEXT) and PostgreSQL (timestamptz).
        configurationBuilder.Properties<DateTime>().HaveConversion<UtcDateTimeConverter>();
        configurationBuilder.Properties<ApiEnvironment>().HaveConversion<string>().HaveMaxLength(16);
        configurationBuilder.Properties<LinkedAccountStatus>().HaveConversion<string>().HaveMaxLength(16);
        configurationBuilder.Properties<LinkSessionStatus>().HaveConversion<string>().HaveMaxLength(16);
        configurationBuilder.Properties<IssueStatus>().HaveConversion<string>().HaveMaxLength(16);
        configurationBuilder.Properties<SyncStatusValue>().HaveConversion<string>().HaveMaxLength(24);
    }

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        ArgumentNullException.ThrowIfNull(modelBuilder);
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(TributaryDbContext).Assembly);
        UseSnakeCaseColumns(modelBuilder);

        // Tenant isolation, in one place. Code that must see across tenants (API key lookup, the
        // operator CLI) says so with IgnoreQueryFilters().
        modelBuilder.Entity<Organization>().HasQueryFilter(o => o.Id == CurrentOrganizationId);
        modelBuilder.Entity<ApiKey>().HasQueryFilter(k => k.OrganizationId == CurrentOrganizationId);
        modelBuilder.Entity<AuditEvent>().HasQueryFilter(e => e.OrganizationId == CurrentOrganizationId);
        modelBuilder.Entity<LinkedAccount>().HasQueryFilter(a =>
            a.OrganizationId == CurrentOrganizationId && (!CurrentIsTest || a.Environment == ApiEnvironment.Test));
        modelBuilder.Entity<Issue>().HasQueryFilter(i =>
            i.OrganizationId == CurrentOrganizationId && (!CurrentIsTest || i.Environment == ApiEnvironment.Test));
        modelBuilder.Entity<Credential>().HasQueryFilter(c => c.OrganizationId == CurrentOrganizationId);
        modelBuilder.Entity<OAuthApp>().HasQueryFilter(a => a.OrganizationId == CurrentOrganizationId);
        // Link pages authenticate by the link token itself and look sessions up with IgnoreQueryFilters().
        modelBuilder.Entity<LinkSession>().HasQueryFilter(l => l.OrganizationId == CurrentOrganizationId);
        modelBuilder.Entity<SyncState>().HasQueryFilter(s => s.LinkedAccountId == CurrentLinkedAccountId);
        // Synced data is visible only through its own linked account's token.
        modelBuilder.Entity<StoredDrive>().HasQueryFilter(r => r.LinkedAccountId == CurrentLinkedAccountId);
        modelBuilder.Entity<StoredFolder>().HasQueryFilter(r => r.LinkedAccountId == CurrentLinkedAccountId);
        modelBuilder.Entity<StoredFile>().HasQueryFilter(r => r.LinkedAccountId == CurrentLinkedAccountId);
        modelBuilder.Entity<StoredUser>().HasQueryFilter(r => r.LinkedAccountId == CurrentLinkedAccountId);
        modelBuilder.Entity<StoredGroup>().HasQueryFilter(r => r.LinkedAccountId == CurrentLinkedAccountId);
        // Agent Handler: a test key reaches only test registered users and their logs.
        modelBuilder.Entity<RegisteredUser>().HasQueryFilter(u =>
            u.OrganizationId == CurrentOrganizationId && (!CurrentIsTest || u.Environment == ApiEnvironment.Test));
        modelBuilder.Entity<ToolPack>().HasQueryFilter(p => p.OrganizationId == CurrentOrganizationId);
        modelBuilder.Entity<ToolPackConnector>().HasQueryFilter(c => c.OrganizationId == CurrentOrganizationId);
        modelBuilder.Entity<AllowedCallbackOrigin>().HasQueryFilter(o => o.OrganizationId == CurrentOrganizationId);
        modelBuilder.Entity<ToolCallLog>().HasQueryFilter(l =>
            l.OrganizationId == CurrentOrganizationId && (!CurrentIsTest || l.Environment == ApiEnvironment.Test));
        // Outbound webhooks are organization settings and logs; the dispatcher and push endpoints,
        // which run outside a request's tenant, read them with IgnoreQueryFilters().
        modelBuilder.Entity<WebhookEndpoint>().HasQueryFilter(e => e.OrganizationId == CurrentOrganizationId);
        modelBuilder.Entity<WebhookSigningKey>().HasQueryFilter(k => k.OrganizationId == CurrentOrganizationId);
        modelBuilder.Entity<WebhookDelivery>().HasQueryFilter(d => d.OrganizationId == CurrentOrganizationId);
        modelBuilder.Entity<WebhookAttempt>().HasQueryFilter(a => a.OrganizationId == CurrentOrganizationId);
        modelBuilder.Entity<WebhookReceiver>().HasQueryFilter(r => r.LinkedAccountId == CurrentLinkedAccountId);
        modelBuilder.Entity<PushChannel>().HasQueryFilter(c => c.OrganizationId == CurrentOrganizationId);
    }

    // snake_case columns read naturally in psql and sqlite3 and need no quoting on PostgreSQL.
    private static void UseSnakeCaseColumns(ModelBuilder modelBuilder)
    {
        foreach (var entity in modelBuilder.Model.GetEntityTypes())
        {
            foreach (var property in entity.GetProperties())
            {
                property.SetColumnName(JsonNamingPolicy.SnakeCaseLower.ConvertName(property.Name));
            }
        }
    }

    private sealed class UtcDateTimeConverter() : ValueConverter<DateTime, DateTime>(
        v => v.Kind == DateTimeKind.Utc ? v : DateTime.SpecifyKind(v.ToUniversalTime(), DateTimeKind.Utc),
        v => DateTime.SpecifyKind(v, DateTimeKind.Utc));
}
