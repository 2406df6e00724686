using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Tributary.Data.Entities;
using Tributary.Data.Entities.Webhooks;

namespace Tributary.Data.Configurations;

internal sealed class WebhookEndpointConfiguration : IEntityTypeConfiguration<WebhookEndpoint>
{
    public void Configure(EntityTypeBuilder<WebhookEndpoint> builder)
    {
        builder.ToTable("webhook_endpoints");
        builder.Property(e => e.Url).HasMaxLength(2000);
        builder.Property(e => e.Events).HasMaxLength(4000);
        builder.HasIndex(e => new { e.OrganizationId, e.CreatedAt, e.Id });
        builder.HasOne<Organization>().WithMany().HasForeignKey(e => e.OrganizationId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class WebhookSigningKeyConfiguration : IEntityTypeConfiguration<WebhookSigningKey>
{
    public void Configure(EntityTypeBuilder<WebhookSigningKey> builder)
    {
        builder.ToTable("webhook_signing_keys");
        builder.Property(k => k.Secret).HasMaxLength(256);
        builder.HasIndex(k => new { k.OrganizationId, k.CreatedAt });
        builder.HasIndex(k => k.VaultKeyId);
        builder.HasOne<Organization>().WithMany().HasForeignKey(k => k.OrganizationId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class WebhookDeliveryConfiguration : IEntityTypeConfiguration<WebhookDelivery>
{
    public void Configure(EntityTypeBuilder<WebhookDelivery> builder)
    {
        builder.ToTable("webhook_deliveries");
        builder.Property(d => d.Event).HasMaxLength(100);
        builder.Property(d => d.Status).HasConversion<string>().HasMaxLength(16);
        builder.Property(d => d.LastError).HasMaxLength(1000);
        // A dispatcher saves a delivery only while it still holds the lease it claimed it with.
        builder.Property(d => d.LeaseToken).IsConcurrencyToken();
        // The dispatcher's claim: due pending rows in order.
        builder.HasIndex(d => new { d.Status, d.NextAttemptAt });
        // The delivery log, newest first, and the backlog count per endpoint.
        builder.HasIndex(d => new { d.OrganizationId, d.CreatedAt, d.Id });
        builder.HasIndex(d => new { d.EndpointId, d.Status });
        // Retention: the oldest finished rows first.
        builder.HasIndex(d => d.CompletedAt);
        builder.HasOne<WebhookEndpoint>().WithMany().HasForeignKey(d => d.EndpointId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class WebhookAttemptConfiguration : IEntityTypeConfiguration<WebhookAttempt>
{
    public void Configure(EntityTypeBuilder<WebhookAttempt> builder)
    {
        builder.ToTable("webhook_attempts");
        builder.Property(a => a.Error).HasMaxLength(1000);
        builder.HasIndex(a => new { a.OrganizationId, a.StartedAt, a.Id });
        builder.HasIndex(a => new { a.DeliveryId, a.Number });
        builder.HasOne<WebhookDelivery>().WithMany().HasForeignKey(a => a.DeliveryId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class WebhookReceiverConfiguration : IEntityTypeConfiguration<WebhookReceiver>
{
    public void Configure(EntityTypeBuilder<WebhookReceiver> builder)
    {
        builder.ToTable("webhook_receivers");
        builder.Property(r => r.Event).HasMaxLength(200);
        builder.Property(r => r.Key).HasMaxLength(4096);
        builder.HasIndex(r => new { r.LinkedAccountId, r.Event }).IsUnique();
        builder.HasIndex(r => r.VaultKeyId);
        builder.HasOne<LinkedAccount>().WithMany().HasForeignKey(r => r.LinkedAccountId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class PushChannelConfiguration : IEntityTypeConfiguration<PushChannel>
{
    public void Configure(EntityTypeBuilder<PushChannel> builder)
    {
        builder.ToTable("push_channels");
        builder.Property(c => c.Provider).HasMaxLength(32);
        builder.Property(c => c.ExternalId).HasMaxLength(256);
        builder.Property(c => c.ResourceId).HasMaxLength(256);
        builder.Property(c => c.Secret).HasMaxLength(1024);
        // One provider id may name several linked accounts (the same Dropbox user linked by two organizations).
        builder.HasIndex(c => new { c.Provider, c.ExternalId, c.LinkedAccountId }).IsUnique();
        builder.HasIndex(c => c.LinkedAccountId);
        builder.HasIndex(c => c.VaultKeyId);
        builder.HasOne<LinkedAccount>().WithMany().HasForeignKey(c => c.LinkedAccountId).OnDelete(DeleteBehavior.Cascade);
    }
}
