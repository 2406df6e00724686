using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Tributary.Data;
using Tributary.Data.Entities.AgentHandler;
using Tributary.Server.AgentHandler.Logs;
using Tributary.Server.Auth;
using Tributary.Server.Conventions;
using Tributary.Server.Errors;
using Tributary.Server.Linking;
using Tributary.Server.Organization;

namespace Tributary.Server.AgentHandler.CallbackOrigins;

internal sealed record AllowedCallbackOriginDto(Guid Id, string Origin, DateTime CreatedAt)
{
    public static AllowedCallbackOriginDto From(AllowedCallbackOrigin o) => new(o.Id, o.Origin, o.CreatedAt);
}

internal sealed record AllowedCallbackOriginRequest(string? Origin);

internal static class AllowedCallbackOriginsEndpoints
{
    public static RouteGroupBuilder MapAllowedCallbackOrigins(this RouteGroupBuilder v1)
    {
        var origins = v1.MapGroup("/allowed-callback-origins").WithTags("Agent Handler");
        origins.MapGet("", ListAsync).WithName("ListAllowedCallbackOrigins").WithSummary("Origins link-token callback URLs may point to");
        origins.MapPost("", CreateAsync).WithName("CreateAllowedCallbackOrigin")
            .WithSummary("Register an origin {origin}: https://host[:port], http://localhost[:port] for development, or a custom scheme such as myapp://")
            .Produces<AllowedCallbackOriginDto>(StatusCodes.Status201Created).Produces<AllowedCallbackOriginDto>(StatusCodes.Status200OK);
        origins.MapDelete("/{id:guid}", DeleteAsync).WithName("DeleteAllowedCallbackOrigin").WithSummary("Forget an origin");
        return v1;
    }

    internal static async Task<Ok<List<AllowedCallbackOriginDto>>> ListAsync(TributaryDbContext db, CancellationToken ct) =>
        TypedResults.Ok((await db.AllowedCallbackOrigins.AsNoTracking().OrderBy(o => o.CreatedAt).ToListAsync(ct))
            .Select(AllowedCallbackOriginDto.From).ToList());

    internal static async Task<IResult> CreateAsync(
        HttpContext http, TenantContext tenant, TributaryDbContext db, TimeProvider time, AuditTrail audit, CancellationToken ct)
    {
        var body = await JsonBody.ReadAsync<AllowedCallbackOriginRequest>(http.Request, ct);
        var errors = new FieldErrors();
        var raw = errors.Required("origin", body.Origin, 512);
        string origin = "";
        if (raw is not null && !CallbackOrigin.TryNormalize(raw, out origin, out var problem))
        {
            errors.Add("origin", problem!);
        }
        errors.ThrowIfAny();
        var existing = await db.AllowedCallbackOrigins.AsNoTracking().SingleOrDefaultAsync(o => o.Origin == origin, ct);
        if (existing is not null)
        {
            return TypedResults.Ok(AllowedCallbackOriginDto.From(existing));
        }
        var row = new AllowedCallbackOrigin
        {
            Id = Guid.CreateVersion7(time.GetUtcNow()), OrganizationId = tenant.RequiredOrganizationId, Origin = origin, CreatedAt = time.GetUtcNow().UtcDateTime,
        };
        db.AllowedCallbackOrigins.Add(row);
        audit.Record(db, row.OrganizationId, AuditActor.ApiKey(http, tenant.ApiKeyName!), AgentAuditEvents.AllowedCallbackOriginCreated, $"Allowed callback origin {origin}.");
        await db.SaveChangesAsync(ct);
        return TypedResults.Created($"/api/v1/allowed-callback-origins/{row.Id}", AllowedCallbackOriginDto.From(row));
    }

    internal static async Task<Ok<JsonObject>> DeleteAsync(Guid id, HttpContext http, TenantContext tenant, TributaryDbContext db, AuditTrail audit, CancellationToken ct)
    {
        var row = await db.AllowedCallbackOrigins.SingleOrDefaultAsync(o => o.Id == id, ct)
            ?? throw ApiException.NotFound($"No allowed callback origin {id} in this organization.");
        db.AllowedCallbackOrigins.Remove(row);
        audit.Record(db, row.OrganizationId, AuditActor.ApiKey(http, tenant.ApiKeyName!), AgentAuditEvents.AllowedCallbackOriginDeleted, $"Removed callback origin {row.Origin}.");
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(new JsonObject());
    }
}
