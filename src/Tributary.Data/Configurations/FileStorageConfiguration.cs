using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Tributary.Data.Entities;
using Tributary.Data.Entities.FileStorage;

namespace Tributary.Data.Configurations;

internal static class SyncedRecordConfiguration
{
    /// <summary>
    /// Shared shape: the derived id is the key (so (account, remote id) is unique by construction),
    /// rows go with their linked account, and the default and modified_at orders are indexed.
    /// </summary>
    public static void ConfigureSynced<T>(this EntityTypeBuilder<T> builder, string table) where T : SyncedRecord
    {
        builder.ToTable(table);
        builder.Property(r => r.Id).ValueGeneratedNever();
        builder.Property(r => r.RemoteId).HasMaxLength(1000);
        builder.Property(r => r.Fingerprint).HasMaxLength(32);
        builder.HasIndex(r => new { r.LinkedAccountId, r.CreatedAt, r.Id });
        builder.HasIndex(r => new { r.LinkedAccountId, r.ModifiedAt, r.Id });
        builder.HasOne<LinkedAccount>().WithMany().HasForeignKey(r => r.LinkedAccountId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class StoredDriveConfiguration : IEntityTypeConfiguration<StoredDrive>
{
    public void Configure(EntityTypeBuilder<StoredDrive> builder)
    {
        builder.ConfigureSynced("fs_drives");
        builder.Property(d => d.Name).HasMaxLength(254);
        builder.Property(d => d.DriveUrl).HasMaxLength(2000);
    }
}

internal sealed class StoredFolderConfiguration : IEntityTypeConfiguration<StoredFolder>
{
    public void Configure(EntityTypeBuilder<StoredFolder> builder)
    {
        builder.ConfigureSynced("fs_folders");
        builder.Property(f => f.Name).HasMaxLength(254);
        builder.Property(f => f.FolderUrl).HasMaxLength(2000);
        builder.Property(f => f.Description).HasMaxLength(2000);
        builder.Property(f => f.RemotePath).HasMaxLength(StoredFolder.MaxRemotePathLength);
        builder.HasIndex(f => new { f.LinkedAccountId, f.RemotePath });
        builder.HasIndex(f => new { f.LinkedAccountId, f.ParentFolderId, f.CreatedAt, f.Id });
        builder.HasIndex(f => new { f.LinkedAccountId, f.DriveId, f.CreatedAt, f.Id });
        builder.HasIndex(f => new { f.LinkedAccountId, f.Name });
    }
}

internal sealed class StoredFileConfiguration : IEntityTypeConfiguration<StoredFile>
{
    public void Configure(EntityTypeBuilder<StoredFile> builder)
    {
        builder.ConfigureSynced("fs_files");
        builder.Property(f => f.Name).HasMaxLength(254);
        builder.Property(f => f.FileUrl).HasMaxLength(2000);
        builder.Property(f => f.FileThumbnailUrl).HasMaxLength(2000);
        builder.Property(f => f.MimeType).HasMaxLength(128);
        builder.Property(f => f.Description).HasMaxLength(2000);
        builder.Property(f => f.RemotePath).HasMaxLength(StoredFolder.MaxRemotePathLength);
        builder.HasIndex(f => new { f.LinkedAccountId, f.RemotePath });
        builder.HasIndex(f => new { f.LinkedAccountId, f.FolderId, f.CreatedAt, f.Id });
        builder.HasIndex(f => new { f.LinkedAccountId, f.DriveId, f.CreatedAt, f.Id });
        builder.HasIndex(f => new { f.LinkedAccountId, f.Name });
        builder.HasIndex(f => new { f.LinkedAccountId, f.MimeType });
    }
}

internal sealed class StoredUserConfiguration : IEntityTypeConfiguration<StoredUser>
{
    public void Configure(EntityTypeBuilder<StoredUser> builder)
    {
        builder.ConfigureSynced("fs_users");
        builder.Property(u => u.Name).HasMaxLength(254);
        builder.Property(u => u.EmailAddress).HasMaxLength(2000);
        builder.Property(u => u.NormalizedEmailAddress).HasMaxLength(2000);
        builder.HasIndex(u => new { u.LinkedAccountId, u.NormalizedEmailAddress });
    }
}

internal sealed class StoredGroupConfiguration : IEntityTypeConfiguration<StoredGroup>
{
    public void Configure(EntityTypeBuilder<StoredGroup> builder)
    {
        builder.ConfigureSynced("fs_groups");
        builder.Property(g => g.Name).HasMaxLength(254);
    }
}
