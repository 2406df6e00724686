using Tributary.Server.Auth;
using Tributary.Server.FileStorage.Files;

namespace Tributary.Server.FileStorage;

/// <summary>Merge's <c>/api/filestorage/v1</c> common-model endpoints; every one needs <c>X-Account-Token</c>.</summary>
internal static class FileStorageApi
{
    public static IEndpointRouteBuilder MapFileStorage(this IEndpointRouteBuilder app)
    {
        var fileStorage = app.MapGroup("/api/filestorage/v1").RequireAccountToken();
        fileStorage.MapFiles();
        return app;
    }
}
