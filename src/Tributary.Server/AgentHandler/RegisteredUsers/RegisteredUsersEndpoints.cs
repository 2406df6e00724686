using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Tributary.Data;
using Tributary.Data.Entities;
using Tributary.Data.Entities.AgentHandler;
using Tributary.Server.AgentHandler.Logs;
using Tributary.Server.Auth;
using Tributary.Server.Conventions;
using Tributary.Server.Errors;
using Tributary.Server.Linking;
using Tributary.Server.Organization;

namespace Tributary.Server.AgentHandler.RegisteredUsers;

internal sealed record SharedCredentialGroupDto(string? OriginCompanyId, string? OriginCompanyName, JsonObject? CustomGroupings);

/// <summary>Merge Agent Handler's <c>RegisteredUser</c>.</summary>
internal sealed record RegisteredUserDto(
    Guid Id, string OriginUserId, string? OriginUserName, string? OriginUserEmail, SharedCredentialGroupDto? SharedCredentialGroup,
    string UserType, IReadOnlyList<string> AuthenticatedConnectors, bool IsTest, DateTime CreatedAt, DateTime ModifiedAt)
{
    public static RegisteredUserDto From(RegisteredUser u, IReadOnlyList<string> authenticated) => new(
        u.Id, u.OriginUserId, u.OriginUserName, u.OriginUserEmail,
        u.OriginCompanyId is null && u.OriginCompanyName is null && u.CustomGroupingsJson is null
            ? null
            : new SharedCredentialGroupDto(u.OriginCompanyId, u.OriginCompanyName,
                u.CustomGroupingsJson is null ? null : JsonNode.Parse(u.CustomGroupingsJson) as JsonObject),
        u.UserType, authenticated, u.Environment == ApiEnvironment.Test, u.CreatedAt, u.ModifiedAt);
}

internal static class RegisteredUsersEndpoints
{
    public static readonly IReadOnlyList<string> UserTypes = ["HUMAN", "SYSTEM"];

    public static RouteGroupBuilder MapRegisteredUsers(this RouteGroupBuilder v1)
    {
        var users = v1.MapGroup("/registered-users").WithTags("Agent Handler");
        users.MapGet("", ListAsync).WithName("ListRegisteredUsers")
            .WithSummary("Registered users, oldest first; production users unless is_test=true");
        users.MapPost("", CreateAsync).WithName("CreateRegisteredUser")
            .WithSummary("Create a registered user; idempotent on origin_user_id (an existing user is returned with 200)")
            .Produces<RegisteredUserDto>(StatusCodes.Status201Created).Produces<RegisteredUserDto>(StatusCodes.Status200OK);
        users.MapGet("/{id:guid}", GetAsync).WithName("GetRegisteredUser").WithSummary("One registered user");
        users.MapPatch("/{id:guid}", PatchAsync).WithName("UpdateRegisteredUser")
            .WithSummary("Change a registered user's name, email, shared_credential_group or user_type (fields left out stay)");
        users.MapDelete("/{id:guid}", DeleteAsync).WithName("DeleteRegisteredUser")
            .WithSummary("Delete a registered user with their own credentials (linked accounts) and link sessions");
        return v1;
    }

    internal static async Task<Ok<Paginated<RegisteredUserDto>>> ListAsync(
        HttpRequest request, TenantContext tenant, TributaryDbContext db, CursorCodec cursors, CancellationToken ct)
    {
        var query = QueryReader.From(request);
        var cursor = query.String("cursor");
        var pageSize = query.PageSize();
        var originUserId = query.String("origin_user_id", 100);
        var isTest = query.Bool("is_test");
        query.ThrowIfInvalid();

        var environment = tenant.Environment == ApiEnvironment.Test || isTest == true ? ApiEnvironment.Test : ApiEnvironment.Production;
        var users = db.RegisteredUsers.AsNoTracking().Where(u => u.Environment == environment);
        if (originUserId is not null)
        {
            users = users.Where(u => u.OriginUserId == originUserId);
        }
        var page = await users.ToPageAsync(cursors, "registered-users", cursor, pageSize, u => u.CreatedAt, u => u.Id, descending: false, u => u, ct);
        var results = new List<RegisteredUserDto>(page.Results.Count);
        foreach (var user in page.Results)
        {
            results.Add(RegisteredUserDto.From(user, await AgentCredentials.AuthenticatedConnectorsAsync(db, user, ct)));
        }
        return TypedResults.Ok(new Paginated<RegisteredUserDto>(page.Next, page.Previous, results));
    }

    internal static async Task<IResult> CreateAsync(
        HttpContext http, TenantContext tenant, TributaryDbContext db, TimeProvider time, AuditTrail audit, CancellationToken ct)
    {
        var body = await JsonBody.ReadAsync<JsonObject>(http.Request, ct);
        var query = QueryReader.From(http.Request);
        var isTest = query.Bool("is_test");
        query.ThrowIfInvalid();
        var errors = new FieldErrors();
        var originUserId = errors.Required("origin_user_id", StringField(body, "origin_user_id", errors), 100);
        var fields = ReadFields(body, errors);
        errors.ThrowIfAny();

        // A test key only ever makes test users; a production key makes production users unless asked.
        var environment = tenant.Environment == ApiEnvironment.Test || isTest == true || body["is_test"] is JsonValue t && t.TryGetValue<bool>(out var b) && b
            ? ApiEnvironment.Test
            : ApiEnvironment.Production;
        var existing = await db.RegisteredUsers.AsNoTracking()
            .SingleOrDefaultAsync(u => u.OriginUserId == originUserId && u.Environment == environment, ct);
        if (existing is not null)
        {
            return TypedResults.Ok(RegisteredUserDto.From(existing, await AgentCredentials.AuthenticatedConnectorsAsync(db, existing, ct)));
        }

        var now = time.GetUtcNow();
        var user = new RegisteredUser
        {
            Id = Guid.CreateVersion7(now),
            OrganizationId = tenant.RequiredOrganizationId,
            Environment = environment,
            OriginUserId = originUserId!,
            UserType = "HUMAN",
            CreatedAt = now.UtcDateTime,
            ModifiedAt = now.UtcDateTime,
        };
        fields.Apply(user);
        db.RegisteredUsers.Add(user);
        audit.Record(db, user.OrganizationId, AuditActor.ApiKey(http, tenant.ApiKeyName!), AgentAuditEvents.RegisteredUserCreated,
            $"Created registered user {user.Id} (origin_user_id \"{user.OriginUserId}\"{(environment == ApiEnvironment.Test ? ", test" : "")}).");
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            // Two creates raced on the same origin_user_id: the unique index let one win; return that one.
            db.ChangeTracker.Clear();
            var winner = await db.RegisteredUsers.AsNoTracking()
                .SingleAsync(u => u.OriginUserId == originUserId && u.Environment == environment, ct);
            return TypedResults.Ok(RegisteredUserDto.From(winner, []));
        }
        return TypedResults.Created($"/api/v1/registered-users/{user.Id}", RegisteredUserDto.From(user, []));
    }

    internal static async Task<Ok<RegisteredUserDto>> GetAsync(Guid id, TributaryDbContext db, CancellationToken ct)
    {
        var user = await FindAsync(db, id, ct);
        return TypedResults.Ok(RegisteredUserDto.From(user, await AgentCredentials.AuthenticatedConnectorsAsync(db, user, ct)));
    }

    internal static async Task<Ok<RegisteredUserDto>> PatchAsync(
        Guid id, HttpContext http, TributaryDbContext db, TimeProvider time, CancellationToken ct)
    {
        var user = await db.RegisteredUsers.SingleOrDefaultAsync(u => u.Id == id, ct) ?? throw NotFound(id);
        var body = await JsonBody.ReadAsync<JsonObject>(http.Request, ct);
        var errors = new FieldErrors();
        if (body.ContainsKey("origin_user_id"))
        {
            errors.Add("origin_user_id", "origin_user_id cannot change: it is how your system and Tributary match this user. Create another user instead.");
        }
        var fields = ReadFields(body, errors);
        errors.ThrowIfAny();
        fields.Apply(user);
        user.ModifiedAt = time.GetUtcNow().UtcDateTime;
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(RegisteredUserDto.From(user, await AgentCredentials.AuthenticatedConnectorsAsync(db, user, ct)));
    }

    internal static async Task<Ok<JsonObject>> DeleteAsync(
        Guid id, HttpContext http, TenantContext tenant, TributaryDbContext db, AuditTrail audit, CancellationToken ct)
    {
        var user = await db.RegisteredUsers.SingleOrDefaultAsync(u => u.Id == id, ct) ?? throw NotFound(id);
        // Their own credentials, synced data and link sessions go with them (cascading foreign keys).
        db.RegisteredUsers.Remove(user);
        audit.Record(db, user.OrganizationId, AuditActor.ApiKey(http, tenant.ApiKeyName!), AgentAuditEvents.RegisteredUserDeleted,
            $"Deleted registered user {user.Id} (origin_user_id \"{user.OriginUserId}\") with their credentials.");
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(new JsonObject());
    }

    public static async Task<RegisteredUser> FindAsync(TributaryDbContext db, Guid id, CancellationToken ct) =>
        await db.RegisteredUsers.AsNoTracking().SingleOrDefaultAsync(u => u.Id == id, ct) ?? throw NotFound(id);

    private static ApiException NotFound(Guid id) =>
        ApiException.NotFound($"No registered user {id} in this organization and environment (a test key sees only test users).");

    private sealed class UserFields
    {
        public (bool Set, string? Value) Name;
        public (bool Set, string? Value) Email;
        public (bool Set, string? Value) CompanyId;
        public (bool Set, string? Value) CompanyName;
        public (bool Set, string? Value) Groupings;
        public string? UserType;

        public void Apply(RegisteredUser user)
        {
            if (Name.Set)
            {
                user.OriginUserName = Name.Value;
            }
            if (Email.Set)
            {
                user.OriginUserEmail = Email.Value;
            }
            if (CompanyId.Set)
            {
                user.OriginCompanyId = CompanyId.Value;
            }
            if (CompanyName.Set)
            {
                user.OriginCompanyName = CompanyName.Value;
            }
            if (Groupings.Set)
            {
                user.CustomGroupingsJson = Groupings.Value;
            }
            if (UserType is not null)
            {
                user.UserType = UserType;
            }
        }
    }

    private static UserFields ReadFields(JsonObject body, FieldErrors errors)
    {
        var fields = new UserFields();
        if (body.ContainsKey("origin_user_name"))
        {
            fields.Name = (true, Optional(errors, "origin_user_name", StringField(body, "origin_user_name", errors), 100));
        }
        if (body.ContainsKey("origin_user_email"))
        {
            fields.Email = (true, Optional(errors, "origin_user_email", StringField(body, "origin_user_email", errors), 100));
        }
        if (body["user_type"] is { } typeNode)
        {
            var type = typeNode is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
            if (type is null || !UserTypes.Contains(type))
            {
                errors.Add("user_type", $"\"{typeNode.ToJsonString()}\" is not a valid choice. Use HUMAN or SYSTEM.");
            }
            fields.UserType = type;
        }
        if (body.ContainsKey("shared_credential_group"))
        {
            switch (body["shared_credential_group"])
            {
                case null:
                    fields.CompanyId = fields.CompanyName = fields.Groupings = (true, null);
                    break;
                case JsonObject group:
                    fields.CompanyId = (true, Optional(errors, "shared_credential_group.origin_company_id", StringField(group, "origin_company_id", errors, "shared_credential_group."), 256));
                    fields.CompanyName = (true, Optional(errors, "shared_credential_group.origin_company_name", StringField(group, "origin_company_name", errors, "shared_credential_group."), 100));
                    switch (group["custom_groupings"])
                    {
                        case null:
                            fields.Groupings = (true, null);
                            break;
                        case JsonObject groupings when groupings.All(g => g.Value is JsonValue gv && gv.GetValueKind() == JsonValueKind.String):
                            var json = groupings.ToJsonString();
                            if (json.Length > 4000)
                            {
                                errors.Add("shared_credential_group.custom_groupings", "Keep custom_groupings under 4000 characters of JSON.");
                            }
                            fields.Groupings = (true, json);
                            break;
                        default:
                            errors.Add("shared_credential_group.custom_groupings", "Expected an object of string values, e.g. {\"region\": \"EU\"}.");
                            break;
                    }
                    break;
                default:
                    errors.Add("shared_credential_group", "Expected an object {origin_company_id, origin_company_name, custom_groupings} or null.");
                    break;
            }
        }
        return fields;
    }

    private static string? StringField(JsonObject body, string name, FieldErrors errors, string prefix = "")
    {
        var node = body[name];
        if (node is null)
        {
            return null;
        }
        if (node is JsonValue value && value.TryGetValue<string>(out var s))
        {
            return s;
        }
        errors.Add(prefix + name, "Invalid value: expected a string.");
        return null;
    }

    private static string? Optional(FieldErrors errors, string field, string? value, int maxLength)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }
        if (value.Length > maxLength)
        {
            errors.Add(field, $"Ensure this field has no more than {maxLength} characters.");
            return null;
        }
        return value.Trim();
    }
}
