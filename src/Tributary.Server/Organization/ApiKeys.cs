using Tributary.Data;
using Tributary.Data.Entities;
using Tributary.Server.Auth;

namespace Tributary.Server.Organization;

/// <summary>A key just created: the only moment its secret exists outside the caller's hands.</summary>
internal sealed record IssuedKey(ApiKey Key, string Secret);

/// <summary>Creating, rotating and revoking API keys, with their audit events; shared by the API and the CLI.</summary>
internal sealed class ApiKeys(TimeProvider time, AuditTrail audit)
{
    public IssuedKey Create(TributaryDbContext db, Guid organizationId, ApiEnvironment environment, string name, AuditActor actor)
    {
        var issued = Add(db, organizationId, environment, name);
        audit.Record(db, organizationId, actor,
            environment == ApiEnvironment.Production ? AuditEventTypes.CreatedRemoteProductionApiKey : AuditEventTypes.CreatedTestApiKey,
            $"Created {Describe(issued.Key)}.");
        return issued;
    }

    public void Revoke(TributaryDbContext db, ApiKey key, AuditActor actor)
    {
        key.RevokedAt = time.GetUtcNow().UtcDateTime;
        audit.Record(db, key.OrganizationId, actor,
            key.Environment == ApiEnvironment.Production ? AuditEventTypes.DeletedRemoteProductionApiKey : AuditEventTypes.DeletedTestApiKey,
            $"Revoked {Describe(key)}.");
    }

    /// <summary>Revokes <paramref name="old"/> and issues its replacement in the same unit of work.</summary>
    public IssuedKey Regenerate(TributaryDbContext db, ApiKey old, string name, AuditActor actor)
    {
        if (old.Environment == ApiEnvironment.Test)
        {
            // Merge has no "regenerated test key" event; the trail shows the two halves.
            Revoke(db, old, actor);
            return Create(db, old.OrganizationId, ApiEnvironment.Test, name, actor);
        }
        old.RevokedAt = time.GetUtcNow().UtcDateTime;
        var issued = Add(db, old.OrganizationId, ApiEnvironment.Production, name);
        var key = issued.Key;
        audit.Record(db, old.OrganizationId, actor, AuditEventTypes.RegeneratedProductionApiKey,
            $"Regenerated {Describe(old)} as {Describe(key)}; the old key stopped working.");
        return issued;
    }

    private IssuedKey Add(TributaryDbContext db, Guid organizationId, ApiEnvironment environment, string name)
    {
        var secret = Secrets.Create(environment == ApiEnvironment.Production ? Secrets.ProductionKeyPrefix : Secrets.TestKeyPrefix);
        var now = time.GetUtcNow();
        var key = new ApiKey
        {
            Id = Guid.CreateVersion7(now),
            OrganizationId = organizationId,
            Name = name,
            Environment = environment,
            Prefix = Secrets.Preview(secret),
            SecretHash = Secrets.Hash(secret),
            CreatedAt = now.UtcDateTime,
        };
        db.ApiKeys.Add(key);
        return new IssuedKey(key, secret);
    }

    private static string Describe(ApiKey key) =>
        $"{key.Environment.ToString().ToLowerInvariant()} API key \"{key.Name}\" ({key.Prefix})";
}
