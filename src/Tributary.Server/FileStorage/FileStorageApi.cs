using Tributary.Server.Auth;
using Tributary.Server.FileStorage.Drives;
using Tributary.Server.FileStorage.Files;
using Tributary.Server.FileStorage.Folders;
using Tributary.Server.FileStorage.Groups;
using Tributary.Server.FileStorage.Users;

namespace Tributary.Server.FileStorage;

/// <summary>
/// Merge's <c>/api/filestorage/v1</c> common-model endpoints; every one needs <c>X-Account-Token</c>,
/// except the signed download links, where the link itself is the credential.
/// </summary>
internal static class FileStorageApi
{
    public static IEndpointRouteBuilder MapFileStorage(this IEndpointRouteBuilder app)
    {
        var fileStorage = app.MapGroup("/api/filestorage/v1").RequireAccountToken();
        fileStorage.MapFiles();
        fileStorage.MapFolders();
        fileStorage.MapDrives();
        fileStorage.MapUsers();
        fileStorage.MapGroups();
        fileStorage.MapFileDownloads();
        fileStorage.MapFileWrites();
        fileStorage.MapFolderWrites();
        app.MapSignedDownloads();
        return app;
    }
}
