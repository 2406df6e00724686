using Tributary.Integrations.FileStorage;

namespace Tributary.Integrations.Providers.MicrosoftGraph;

/// <summary>
/// A driveItem's identity. Graph item ids are unique only within their drive, and every item call
/// needs the drive (<c>/drives/{drive}/items/{item}</c>), so the remote id Tributary stores is
/// <c>{driveId}~{itemId}</c>: downloads, uploads into a folder and folder creation then need no lookup.
/// Neither Graph drive ids (base64url plus <c>!</c>) nor item ids contain <c>~</c>.
/// </summary>
public readonly record struct GraphItemId(string DriveId, string ItemId)
{
    public const char Separator = '~';

    public override string ToString() => DriveId + Separator + ItemId;

    public static string Format(string driveId, string itemId) => driveId + Separator + itemId;

    /// <summary>Splits a remote id; a malformed one is an invalid request that names the expected form.</summary>
    public static GraphItemId Parse(string remoteId)
    {
        ArgumentNullException.ThrowIfNull(remoteId);
        var at = remoteId.IndexOf(Separator, StringComparison.Ordinal);
        if (at <= 0 || at == remoteId.Length - 1 || remoteId.IndexOf(Separator, at + 1) >= 0)
        {
            throw new ProviderException(ProviderErrorKind.InvalidRequest,
                $"\"{remoteId}\" is not a Microsoft Graph item id of the form {{driveId}}~{{itemId}}.");
        }
        return new GraphItemId(remoteId[..at], remoteId[(at + 1)..]);
    }
}
