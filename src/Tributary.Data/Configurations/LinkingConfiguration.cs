using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Tributary.Data.Entities;

namespace Tributary.Data.Configurations;

internal sealed class VaultKeyConfiguration : IEntityTypeConfiguration<VaultKey>
{
    public void Configure(EntityTypeBuilder<VaultKey> builder)
    {
        builder.ToTable("vault_keys");
        builder.Property(k => k.WrappedKey).HasMaxLength(64);
    }
}

internal sealed class CredentialConfiguration : IEntityTypeConfiguration<Credential>
{
    public void Configure(EntityTypeBuilder<Credential> builder)
    {
        builder.ToTable("credentials");
        builder.HasIndex(c => c.LinkedAccountId).IsUnique();
        builder.HasIndex(c => c.VaultKeyId);
        builder.HasOne<LinkedAccount>().WithMany().HasForeignKey(c => c.LinkedAccountId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class OAuthAppConfiguration : IEntityTypeConfiguration<OAuthApp>
{
    public void Configure(EntityTypeBuilder<OAuthApp> builder)
    {
        builder.ToTable("oauth_apps");
        builder.Property(a => a.IntegrationSlug).HasMaxLength(64);
        builder.Property(a => a.ClientId).HasMaxLength(500);
        builder.Property(a => a.Scopes).HasMaxLength(2000);
        builder.HasIndex(a => new { a.OrganizationId, a.IntegrationSlug }).IsUnique();
        builder.HasIndex(a => a.VaultKeyId);
        builder.HasOne<Organization>().WithMany().HasForeignKey(a => a.OrganizationId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class LinkSessionConfiguration : IEntityTypeConfiguration<LinkSession>
{
    public void Configure(EntityTypeBuilder<LinkSession> builder)
    {
        builder.ToTable("link_sessions");
        builder.Property(l => l.LinkTokenHash).HasMaxLength(32);
        builder.Property(l => l.PublicTokenHash).HasMaxLength(32);
        builder.Property(l => l.EndUserEmailAddress).HasMaxLength(100);
        builder.Property(l => l.EndUserOrganizationName).HasMaxLength(100);
        builder.Property(l => l.EndUserOriginId).HasMaxLength(100);
        builder.Property(l => l.Categories).HasMaxLength(200);
        builder.Property(l => l.Integration).HasMaxLength(64);
        builder.Property(l => l.Language).HasMaxLength(2);
        builder.Property(l => l.OAuthStateHash).HasMaxLength(32);
        builder.Property(l => l.OAuthIntegration).HasMaxLength(64);
        builder.Property(l => l.OAuthCodeVerifier).HasMaxLength(256);
        builder.HasIndex(l => l.LinkTokenHash).IsUnique();
        builder.HasIndex(l => l.OAuthStateHash).IsUnique();
        builder.HasIndex(l => l.PublicTokenHash).IsUnique();
        builder.HasIndex(l => l.ExpiresAt);
        builder.Property(l => l.AgentAuthScope).HasMaxLength(16);
        builder.Property(l => l.SharedCredentialGroup).HasMaxLength(256);
        builder.Property(l => l.CallbackUrl).HasMaxLength(2000);
        builder.Property(l => l.CallbackState).HasMaxLength(1000);
        builder.Property(l => l.AuthorizationCodeHash).HasMaxLength(32);
        builder.HasIndex(l => l.AuthorizationCodeHash).IsUnique();
        builder.HasOne<Entities.AgentHandler.RegisteredUser>().WithMany().HasForeignKey(l => l.RegisteredUserId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<Organization>().WithMany().HasForeignKey(l => l.OrganizationId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class IssueConfiguration : IEntityTypeConfiguration<Issue>
{
    public void Configure(EntityTypeBuilder<Issue> builder)
    {
        builder.ToTable("issues");
        builder.Property(i => i.ErrorDescription).HasMaxLength(500);
        builder.HasIndex(i => new { i.OrganizationId, i.FirstIncidentTime, i.Id });
        builder.HasIndex(i => new { i.LinkedAccountId, i.Status });
        builder.HasOne<LinkedAccount>().WithMany().HasForeignKey(i => i.LinkedAccountId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class SyncStateConfiguration : IEntityTypeConfiguration<SyncState>
{
    public void Configure(EntityTypeBuilder<SyncState> builder)
    {
        builder.ToTable("sync_states");
        builder.Property(s => s.Category).HasMaxLength(32);
        builder.Property(s => s.Cursor).HasMaxLength(4000);
        builder.Property(s => s.LastError).HasMaxLength(2000);
        builder.Property(s => s.SyncStatusReason).HasMaxLength(32);
        builder.HasIndex(s => new { s.LinkedAccountId, s.Category }).IsUnique();
        builder.HasOne<LinkedAccount>().WithMany().HasForeignKey(s => s.LinkedAccountId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class LeaseConfiguration : IEntityTypeConfiguration<Lease>
{
    public void Configure(EntityTypeBuilder<Lease> builder)
    {
        builder.ToTable("leases");
        builder.HasKey(l => l.Name);
        builder.Property(l => l.Name).HasMaxLength(200);
        builder.Property(l => l.Holder).HasMaxLength(100);
    }
}

internal sealed class SyncFrequencyConfiguration : IEntityTypeConfiguration<SyncFrequency>
{
    public void Configure(EntityTypeBuilder<SyncFrequency> builder)
    {
        builder.ToTable("sync_frequencies");
        builder.Property(f => f.IntegrationSlug).HasMaxLength(64);
        builder.HasIndex(f => new { f.OrganizationId, f.IntegrationSlug, f.LinkedAccountId });
        builder.HasOne<Organization>().WithMany().HasForeignKey(f => f.OrganizationId).OnDelete(DeleteBehavior.Cascade);
    }
}
