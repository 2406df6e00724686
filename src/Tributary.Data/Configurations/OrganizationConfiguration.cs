using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Tributary.Data.Entities;

namespace Tributary.Data.Configurations;

internal sealed class OrganizationConfiguration : IEntityTypeConfiguration<Organization>
{
    public void Configure(EntityTypeBuilder<Organization> builder)
    {
        builder.ToTable("organizations");
        builder.Property(o => o.Name).HasMaxLength(200);
    }
}

internal sealed class ApiKeyConfiguration : IEntityTypeConfiguration<ApiKey>
{
    public void Configure(EntityTypeBuilder<ApiKey> builder)
    {
        builder.ToTable("api_keys");
        builder.Property(k => k.Name).HasMaxLength(200);
        builder.Property(k => k.Prefix).HasMaxLength(32);
        builder.Property(k => k.SecretHash).HasMaxLength(32);
        builder.HasIndex(k => k.SecretHash).IsUnique();
        builder.HasIndex(k => new { k.OrganizationId, k.CreatedAt });
        builder.HasOne<Organization>().WithMany().HasForeignKey(k => k.OrganizationId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class LinkedAccountConfiguration : IEntityTypeConfiguration<LinkedAccount>
{
    public void Configure(EntityTypeBuilder<LinkedAccount> builder)
    {
        builder.ToTable("linked_accounts");
        builder.Property(a => a.Category).HasMaxLength(32);
        builder.Property(a => a.IntegrationSlug).HasMaxLength(64);
        builder.Property(a => a.EndUserOriginId).HasMaxLength(100);
        builder.Property(a => a.EndUserOrganizationName).HasMaxLength(100);
        builder.Property(a => a.EndUserEmailAddress).HasMaxLength(100);
        builder.Property(a => a.StatusDetail).HasMaxLength(2000);
        builder.Property(a => a.AccountTokenHash).HasMaxLength(32);
        builder.HasIndex(a => a.AccountTokenHash).IsUnique();
        builder.HasIndex(a => new { a.OrganizationId, a.CreatedAt, a.Id });
        builder.HasIndex(a => new { a.OrganizationId, a.EndUserOriginId, a.Category });
        builder.Property(a => a.AgentAuthScope).HasMaxLength(16);
        builder.Property(a => a.SharedCredentialGroup).HasMaxLength(256);
        builder.HasIndex(a => new { a.RegisteredUserId, a.IntegrationSlug });
        builder.HasIndex(a => new { a.OrganizationId, a.AgentAuthScope, a.IntegrationSlug });
        // A registered user's own credentials go with it.
        builder.HasOne<Entities.AgentHandler.RegisteredUser>().WithMany().HasForeignKey(a => a.RegisteredUserId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<Organization>().WithMany().HasForeignKey(a => a.OrganizationId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class AuditEventConfiguration : IEntityTypeConfiguration<AuditEvent>
{
    public void Configure(EntityTypeBuilder<AuditEvent> builder)
    {
        builder.ToTable("audit_events");
        builder.Property(e => e.Role).HasMaxLength(16);
        builder.Property(e => e.IpAddress).HasMaxLength(45);
        builder.Property(e => e.EventType).HasMaxLength(64);
        builder.Property(e => e.EventDescription).HasMaxLength(2000);
        builder.Property(e => e.UserName).HasMaxLength(200);
        builder.Property(e => e.UserEmail).HasMaxLength(254);
        builder.HasIndex(e => new { e.OrganizationId, e.CreatedAt, e.Id });
        builder.HasOne<Organization>().WithMany().HasForeignKey(e => e.OrganizationId).OnDelete(DeleteBehavior.Cascade);
    }
}
