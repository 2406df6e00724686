using System.Net;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Tributary.Data;
using Tributary.Data.Entities;
using Tributary.Integrations.FileStorage;
using Tributary.Server.Errors;
using Tributary.Server.Sync;

namespace Tributary.Server.FileStorage.Live;

/// <summary>
/// Live calls to a linked account's provider (downloads and writes), as opposed to reads from the
/// store. Provider failures leave as <see cref="ProviderException"/> (rendered by
/// <see cref="ApiExceptionHandler"/>) with every secret of the account's credential masked in the
/// message, so a connector that echoes a token can never leak it to the caller or the log.
/// </summary>
internal sealed class LiveConnectors(TributaryDbContext db, ConnectorResolver connectors, SyncRunner sync, ProviderBudget budget)
{
    /// <summary>The account, looked up by id with no tenant filter: callers have already authorized it.</summary>
    public async Task<LinkedAccount> AccountAsync(Guid linkedAccountId, CancellationToken ct) =>
        await db.LinkedAccounts.IgnoreQueryFilters().AsNoTracking().SingleOrDefaultAsync(a => a.Id == linkedAccountId, ct)
            ?? throw ApiException.NotFound();

    public IFileStorageConnector ConnectorFor(LinkedAccount account) =>
        connectors.Find(account.IntegrationSlug)
            ?? throw ApiException.Detail(HttpStatusCode.BadRequest,
                $"The {account.IntegrationSlug} integration does not support live File Storage calls (downloads and writes) yet.");

    /// <summary>Runs one provider call with the account's decrypted credential.</summary>
    public async Task<T> CallAsync<T>(LinkedAccount account, Func<IFileStorageConnector, ConnectorContext, Task<T>> call, CancellationToken ct)
    {
        var connector = ConnectorFor(account);
        var context = await sync.ContextAsync(account.Id, ct);
        try
        {
            // The account's provider budget is shared with its syncs: a provider's wait holds for both.
            return await budget.CallAsync(account.Id, () => call(connector, context), ct);
        }
        catch (ProviderException e)
        {
            // The original (and its inner exceptions) may quote the credential: only the masked copy leaves.
            throw new ProviderException(e.Kind, Mask(e.Message, context.Credential), e.RetryAfter);
        }
    }

    internal static string Mask(string message, JsonElement credential)
    {
        foreach (var secret in Strings(credential).Where(s => s.Length >= 6).OrderByDescending(s => s.Length))
        {
            message = message.Replace(secret, "[redacted]", StringComparison.Ordinal);
        }
        return message;
    }

    private static IEnumerable<string> Strings(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => [element.GetString()!],
        JsonValueKind.Object => element.EnumerateObject().SelectMany(p => Strings(p.Value)),
        JsonValueKind.Array => element.EnumerateArray().SelectMany(Strings),
        _ => [],
    };
}
