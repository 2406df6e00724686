using System.Security.Cryptography;

namespace Tributary.Server.Tests.Connectors.Fakes;

/// <summary>A permission on a fake item, in provider-neutral terms each fake renders in its own dialect.</summary>
internal sealed record FakePermission(string Id, FakePermissionKind Kind, FakeRole Role, string? UserId = null, string? GroupId = null, string? Domain = null);

internal enum FakePermissionKind
{
    User,
    Group,
    Domain,
    Anyone,
}

internal enum FakeRole
{
    Owner,
    Writer,
    Reader,
}

internal sealed record FakeUser(string Id, string Name, string Email, bool IsMe);

internal sealed record FakeGroup(string Id, string Name, IReadOnlyList<string> MemberIds);

internal sealed record FakeDrive(string Id, string Name, DateTimeOffset CreatedAt);

/// <summary>
/// A file's bytes: either stored, or generated from a seed (so a multi-GB file costs no memory). A
/// generated file may pause after <see cref="PauseAfter"/> bytes until <see cref="Resume"/> completes:
/// a test can then prove a download streams (the first bytes arrive before the rest exist).
/// </summary>
internal sealed class FakeContent
{
    private readonly byte[]? _bytes;

    private FakeContent(byte[]? bytes, long length, int seed)
    {
        _bytes = bytes;
        Length = length;
        Seed = seed;
    }

    public long Length { get; }
    public int Seed { get; }
    public long? PauseAfter { get; init; }
    public TaskCompletionSource Resume { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public static FakeContent Of(byte[] bytes) => new(bytes, bytes.Length, 0);

    public static FakeContent Generated(long length, int seed, long? pauseAfter = null) => new(null, length, seed) { PauseAfter = pauseAfter };

    /// <summary>The byte at <paramref name="position"/> of a generated file.</summary>
    public static byte GeneratedByte(int seed, long position) => (byte)((position * 31 + seed * 7 + (position >> 11)) & 0xFF);

    public byte[] ToArray()
    {
        if (_bytes is not null)
        {
            return _bytes;
        }
        var result = new byte[checked((int)Length)];
        for (long i = 0; i < Length; i++)
        {
            result[i] = GeneratedByte(Seed, i);
        }
        return result;
    }

    /// <summary>Writes bytes [from, to] to <paramref name="output"/> in 64 KiB chunks, honouring the pause.</summary>
    public async Task WriteToAsync(Stream output, long from, long to, CancellationToken ct)
    {
        var buffer = new byte[64 * 1024];
        var position = from;
        while (position <= to)
        {
            if (PauseAfter is { } pause && position >= pause && !Resume.Task.IsCompleted)
            {
                await output.FlushAsync(ct);
                await Resume.Task.WaitAsync(ct);
            }
            var count = (int)Math.Min(buffer.Length, to - position + 1);
            if (PauseAfter is { } p && position < p && position + count > p)
            {
                count = (int)(p - position);
            }
            if (_bytes is not null)
            {
                Array.Copy(_bytes, position, buffer, 0, count);
            }
            else
            {
                for (var i = 0; i < count; i++)
                {
                    buffer[i] = GeneratedByte(Seed, position + i);
                }
            }
            await output.WriteAsync(buffer.AsMemory(0, count), ct);
            position += count;
        }
    }

    public string Sha256Hex()
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(ToArray());
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}

/// <summary>A file or folder in a fake provider.</summary>
internal sealed class FakeItem
{
    public required string Id { get; init; }
    public required string DriveId { get; init; }
    public required bool IsFolder { get; init; }
    public required string Name { get; set; }

    /// <summary>Null for an item at the drive root.</summary>
    public string? ParentId { get; set; }

    public string? MimeType { get; set; }
    public FakeContent? Content { get; set; }

    /// <summary>A provider-native document (Google Docs): no bytes of its own, exported on download.</summary>
    public bool IsNativeDocument { get; init; }

    public string? Description { get; set; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset ModifiedAt { get; set; }

    /// <summary>Bumped on every change; fakes use it for ETags and revision ids.</summary>
    public long Version { get; set; } = 1;

    public List<FakePermission> Permissions { get; init; } = [];
    public bool Deleted { get; set; }
}

/// <summary>One entry of the fake's change journal: the item as of <see cref="Sequence"/>.</summary>
internal sealed record FakeChange(long Sequence, string ItemId, bool Removed);

/// <summary>
/// A provider's data held in memory, shared by every provider fake: drives, a folder tree, files
/// with content and permissions, users and groups, and a change journal with a sequence number per
/// mutation. Each fake renders this model in its own wire dialect (Drive's files/changes, Graph's
/// driveItems/delta, Dropbox's list_folder cursors, Box's folder items/events). Thread safe.
/// </summary>
internal sealed class FakeFileTree(Func<bool, string> newId, TimeProvider? time = null)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, FakeItem> _items = new(StringComparer.Ordinal);
    private readonly List<FakeChange> _journal = [];
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private long _sequence;

    public List<FakeDrive> Drives { get; } = [];
    public List<FakeUser> Users { get; } = [];

    public List<FakeGroup> Groups { get; } = [];

    public FakeUser Me => Users.First(u => u.IsMe);

    /// <summary>
    /// Raised after every journalled mutation, with the change and the item as changed (providers that push
    /// notify their subscribers from it).
    /// </summary>
    public event Action<FakeChange, FakeItem>? Changed;

    /// <summary>The latest journal sequence (0 when nothing happened yet).</summary>
    public long Sequence
    {
        get
        {
            lock (_lock)
            {
                return _sequence;
            }
        }
    }

    /// <summary>A new id from the provider's own id format (<c>true</c> for a folder).</summary>
    public string NewId(bool folder) => newId(folder);

    public FakeItem? Find(string id)
    {
        lock (_lock)
        {
            return _items.GetValueOrDefault(id);
        }
    }

    /// <summary>Every item that exists (not deleted), in creation order.</summary>
    public IReadOnlyList<FakeItem> Items
    {
        get
        {
            lock (_lock)
            {
                return [.. _items.Values.Where(i => !i.Deleted)];
            }
        }
    }

    public IReadOnlyList<FakeItem> Files => [.. Items.Where(i => !i.IsFolder)];
    public IReadOnlyList<FakeItem> Folders => [.. Items.Where(i => i.IsFolder)];

    public IReadOnlyList<FakeItem> Children(string driveId, string? parentId) =>
        [.. Items.Where(i => i.DriveId == driveId && i.ParentId == parentId)];

    public FakeItem AddFolder(string name, string? parentId = null, string? driveId = null, string? id = null) =>
        Add(new FakeItem
        {
            Id = id ?? newId(true), DriveId = driveId ?? DriveOf(parentId), IsFolder = true, Name = name, ParentId = parentId,
            CreatedAt = _time.GetUtcNow(), ModifiedAt = _time.GetUtcNow(), Permissions = DefaultPermissions(),
        });

    public FakeItem AddFile(string name, FakeContent content, string? parentId = null, string mimeType = "application/octet-stream", string? driveId = null, string? id = null) =>
        Add(new FakeItem
        {
            Id = id ?? newId(false), DriveId = driveId ?? DriveOf(parentId), IsFolder = false, Name = name, ParentId = parentId, MimeType = mimeType,
            Content = content, CreatedAt = _time.GetUtcNow(), ModifiedAt = _time.GetUtcNow(), Permissions = DefaultPermissions(),
        });

    public FakeItem AddNativeDocument(string name, string mimeType, string text, string? parentId = null) =>
        Add(new FakeItem
        {
            Id = newId(false), DriveId = DriveOf(parentId), IsFolder = false, Name = name, ParentId = parentId, MimeType = mimeType,
            Content = FakeContent.Of(System.Text.Encoding.UTF8.GetBytes(text)), IsNativeDocument = true,
            CreatedAt = _time.GetUtcNow(), ModifiedAt = _time.GetUtcNow(), Permissions = DefaultPermissions(),
        });

    public void Rename(string id, string name) => Change(id, i => i.Name = name);

    public void Move(string id, string? newParentId) => Change(id, i => i.ParentId = newParentId);

    public void Rewrite(string id, FakeContent content) => Change(id, i => i.Content = content);

    /// <summary>Deletes an item; a folder takes its whole subtree with it (each journalled).</summary>
    public void Delete(string id)
    {
        lock (_lock)
        {
            var item = _items[id];
            foreach (var child in _items.Values.Where(i => i.ParentId == id && !i.Deleted).ToList())
            {
                Delete(child.Id);
            }
            item.Deleted = true;
            item.Version++;
            item.ModifiedAt = _time.GetUtcNow();
            _journal.Add(new FakeChange(++_sequence, id, Removed: true));
        }
        Raise(id);
    }

    private void Raise(string id)
    {
        if (Changed is not { } changed)
        {
            return;
        }
        FakeChange change;
        FakeItem item;
        lock (_lock)
        {
            // Callers raise right after journalling the item, so its newest entry is this change (the lock is reentrant).
            change = _journal.FindLast(c => c.ItemId == id)!;
            item = _items[id];
        }
        changed(change, item);
    }

    /// <summary>The latest change per item after <paramref name="sequence"/>, oldest first.</summary>
    public IReadOnlyList<(FakeChange Change, FakeItem Item)> ChangesSince(long sequence)
    {
        lock (_lock)
        {
            return [.. _journal.Where(c => c.Sequence > sequence)
                .GroupBy(c => c.ItemId).Select(g => g.Last())
                .OrderBy(c => c.Sequence)
                .Select(c => (c, _items[c.ItemId]))];
        }
    }

    /// <summary>The item's path from its drive root, e.g. <c>/Projects/Alpha/notes.txt</c>.</summary>
    public string PathOf(FakeItem item)
    {
        lock (_lock)
        {
            var parts = new List<string> { item.Name };
            var parent = item.ParentId;
            while (parent is not null && _items.TryGetValue(parent, out var p))
            {
                parts.Add(p.Name);
                parent = p.ParentId;
            }
            parts.Reverse();
            return "/" + string.Join('/', parts);
        }
    }

    /// <summary>
    /// The standard account every compliance test starts from: three users (one is "me"), a group,
    /// one drive, folders two levels deep and <paramref name="files"/> files spread over them, with
    /// owner, user, group, domain and anyone permissions.
    /// </summary>
    public FakeFileTree SeedStandard(int files = 25)
    {
        var now = _time.GetUtcNow();
        Users.Add(new FakeUser("user-me", "Ada Lovelace", "ada@example.com", IsMe: true));
        Users.Add(new FakeUser("user-2", "Grace Hopper", "grace@example.com", IsMe: false));
        Users.Add(new FakeUser("user-3", "Alan Turing", "alan@example.com", IsMe: false));
        Groups.Add(new FakeGroup("group-1", "Engineering", ["user-me", "user-2"]));
        if (Drives.Count == 0)
        {
            Drives.Add(new FakeDrive("drive-1", "My Drive", now.AddDays(-30)));
        }
        var projects = AddFolder("Projects");
        var alpha = AddFolder("Alpha", projects.Id);
        var archive = AddFolder("Archive");
        alpha.Permissions.Add(new FakePermission("perm-group-" + alpha.Id, FakePermissionKind.Group, FakeRole.Writer, GroupId: "group-1"));
        string?[] parents = [null, projects.Id, alpha.Id, archive.Id];
        for (var i = 0; i < files; i++)
        {
            var file = AddFile($"file-{i:D3}.txt", FakeContent.Of(System.Text.Encoding.UTF8.GetBytes($"content of file {i}\n")), parents[i % parents.Length], "text/plain");
            if (i % 5 == 1)
            {
                file.Permissions.Add(new FakePermission("perm-u2-" + file.Id, FakePermissionKind.User, FakeRole.Reader, UserId: "user-2"));
            }
            if (i % 7 == 2)
            {
                file.Permissions.Add(new FakePermission("perm-anyone-" + file.Id, FakePermissionKind.Anyone, FakeRole.Reader));
            }
            if (i % 11 == 3)
            {
                file.Permissions.Add(new FakePermission("perm-domain-" + file.Id, FakePermissionKind.Domain, FakeRole.Reader, Domain: "example.com"));
            }
        }
        return this;
    }

    private List<FakePermission> DefaultPermissions() =>
        Users.Any(u => u.IsMe) ? [new FakePermission("perm-owner-" + Guid.NewGuid().ToString("N")[..8], FakePermissionKind.User, FakeRole.Owner, UserId: Me.Id)] : [];

    private string DriveOf(string? parentId) =>
        parentId is not null ? Find(parentId)?.DriveId ?? throw new InvalidOperationException($"No item {parentId}.")
        : Drives.FirstOrDefault()?.Id ?? throw new InvalidOperationException("The fake has no drive yet.");

    private FakeItem Add(FakeItem item)
    {
        lock (_lock)
        {
            _items.Add(item.Id, item);
            _journal.Add(new FakeChange(++_sequence, item.Id, Removed: false));
        }
        Raise(item.Id);
        return item;
    }

    private void Change(string id, Action<FakeItem> change)
    {
        lock (_lock)
        {
            var item = _items[id];
            change(item);
            item.Version++;
            item.ModifiedAt = _time.GetUtcNow();
            _journal.Add(new FakeChange(++_sequence, id, Removed: false));
        }
        Raise(id);
    }
}
