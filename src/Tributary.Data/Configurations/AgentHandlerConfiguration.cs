using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Tributary.Data.Entities;
using Tributary.Data.Entities.AgentHandler;

namespace Tributary.Data.Configurations;

internal sealed class RegisteredUserConfiguration : IEntityTypeConfiguration<RegisteredUser>
{
    public void Configure(EntityTypeBuilder<RegisteredUser> builder)
    {
        builder.ToTable("registered_users");
        builder.Property(u => u.OriginUserId).HasMaxLength(100);
        builder.Property(u => u.OriginUserName).HasMaxLength(100);
        builder.Property(u => u.OriginUserEmail).HasMaxLength(100);
        builder.Property(u => u.OriginCompanyId).HasMaxLength(256);
        builder.Property(u => u.OriginCompanyName).HasMaxLength(100);
        builder.Property(u => u.CustomGroupingsJson).HasMaxLength(4000);
        builder.Property(u => u.UserType).HasMaxLength(16);
        // Create is idempotent on origin_user_id, per organization and environment.
        builder.HasIndex(u => new { u.OrganizationId, u.Environment, u.OriginUserId }).IsUnique();
        builder.HasIndex(u => new { u.OrganizationId, u.CreatedAt, u.Id });
        builder.HasOne<Organization>().WithMany().HasForeignKey(u => u.OrganizationId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class ToolPackConfiguration : IEntityTypeConfiguration<ToolPack>
{
    public void Configure(EntityTypeBuilder<ToolPack> builder)
    {
        builder.ToTable("tool_packs");
        builder.Property(p => p.Name).HasMaxLength(256);
        builder.Property(p => p.Description).HasMaxLength(2000);
        builder.HasIndex(p => new { p.OrganizationId, p.CreatedAt, p.Id });
        builder.HasOne<Organization>().WithMany().HasForeignKey(p => p.OrganizationId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class ToolPackConnectorConfiguration : IEntityTypeConfiguration<ToolPackConnector>
{
    public void Configure(EntityTypeBuilder<ToolPackConnector> builder)
    {
        builder.ToTable("tool_pack_connectors");
        builder.Property(c => c.ConnectorSlug).HasMaxLength(64);
        builder.Property(c => c.AuthScope).HasMaxLength(16);
        builder.Property(c => c.ToolNamesJson).HasMaxLength(8000);
        builder.HasIndex(c => new { c.ToolPackId, c.ConnectorSlug }).IsUnique();
        builder.HasOne<ToolPack>().WithMany().HasForeignKey(c => c.ToolPackId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class AllowedCallbackOriginConfiguration : IEntityTypeConfiguration<AllowedCallbackOrigin>
{
    public void Configure(EntityTypeBuilder<AllowedCallbackOrigin> builder)
    {
        builder.ToTable("allowed_callback_origins");
        builder.Property(o => o.Origin).HasMaxLength(512);
        builder.HasIndex(o => new { o.OrganizationId, o.Origin }).IsUnique();
        builder.HasOne<Organization>().WithMany().HasForeignKey(o => o.OrganizationId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class ToolCallLogConfiguration : IEntityTypeConfiguration<ToolCallLog>
{
    public void Configure(EntityTypeBuilder<ToolCallLog> builder)
    {
        builder.ToTable("tool_call_logs");
        builder.Property(l => l.ToolName).HasMaxLength(200);
        builder.Property(l => l.ConnectorSlug).HasMaxLength(64);
        builder.Property(l => l.Status).HasMaxLength(16);
        builder.Property(l => l.ErrorReason).HasMaxLength(64);
        builder.Property(l => l.ClientTraceId).HasMaxLength(32);
        builder.HasIndex(l => new { l.OrganizationId, l.StartedAt, l.Id });
        builder.HasIndex(l => new { l.RegisteredUserId, l.StartedAt });
        builder.HasOne<Organization>().WithMany().HasForeignKey(l => l.OrganizationId).OnDelete(DeleteBehavior.Cascade);
    }
}
