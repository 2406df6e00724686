namespace Tributary.Data.Entities.AgentHandler;

/// <summary>
/// Merge Agent Handler's Registered User: the unit of isolation for agents. Every credential, link
/// session and tool call belongs to one. Its authenticated connectors are linked accounts it owns
/// (see docs/decisions/0008-agent-handler-registered-users.md).
/// </summary>
public sealed class RegisteredUser
{
    public Guid Id { get; set; }
    public Guid OrganizationId { get; set; }

    /// <summary>Merge's <c>is_test</c>: a test key reaches only test users.</summary>
    public ApiEnvironment Environment { get; set; }

    public required string OriginUserId { get; set; }
    public string? OriginUserName { get; set; }
    public string? OriginUserEmail { get; set; }

    /// <summary><c>shared_credential_group.origin_company_id</c>: the key of SHARED credentials.</summary>
    public string? OriginCompanyId { get; set; }

    public string? OriginCompanyName { get; set; }

    /// <summary><c>shared_credential_group.custom_groupings</c>, a JSON object of strings.</summary>
    public string? CustomGroupingsJson { get; set; }

    /// <summary><c>HUMAN</c> or <c>SYSTEM</c>.</summary>
    public required string UserType { get; set; }

    public DateTime CreatedAt { get; set; }
    public DateTime ModifiedAt { get; set; }
}

/// <summary>A bundle of connectors and the subset of their tools an MCP URL exposes.</summary>
public sealed class ToolPack
{
    public Guid Id { get; set; }
    public Guid OrganizationId { get; set; }
    public required string Name { get; set; }
    public string? Description { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime ModifiedAt { get; set; }
}

/// <summary>One connector of a tool pack: whose credential it uses and which of its tools are enabled.</summary>
public sealed class ToolPackConnector
{
    public Guid Id { get; set; }
    public Guid OrganizationId { get; set; }
    public Guid ToolPackId { get; set; }
    public required string ConnectorSlug { get; set; }

    /// <summary><c>INDIVIDUAL</c>, <c>SHARED</c> or <c>ORGANIZATION</c>.</summary>
    public required string AuthScope { get; set; }

    /// <summary>JSON array of enabled tool names; null = every tool of the connector.</summary>
    public string? ToolNamesJson { get; set; }

    public DateTime CreatedAt { get; set; }
}

/// <summary>An origin (scheme + host[:port]) that link-token callback URLs may point to.</summary>
public sealed class AllowedCallbackOrigin
{
    public Guid Id { get; set; }
    public Guid OrganizationId { get; set; }
    public required string Origin { get; set; }
    public DateTime CreatedAt { get; set; }
}

/// <summary>One MCP tool call, with arguments and result as the agent saw them (secrets redacted).</summary>
public sealed class ToolCallLog
{
    public Guid Id { get; set; }
    public Guid OrganizationId { get; set; }
    public ApiEnvironment Environment { get; set; }
    public Guid ToolPackId { get; set; }
    public Guid RegisteredUserId { get; set; }
    public required string ToolName { get; set; }
    public string? ConnectorSlug { get; set; }

    /// <summary>The arguments, JSON, secrets redacted.</summary>
    public required string ToolArgs { get; set; }

    /// <summary>The result text, JSON or plain, secrets redacted and size-capped.</summary>
    public string? Result { get; set; }

    /// <summary>The request's <c>X-</c> headers as a JSON object, credentials redacted.</summary>
    public required string Headers { get; set; }

    /// <summary><c>SUCCESS</c> or <c>ERROR</c>.</summary>
    public required string Status { get; set; }

    public string? ErrorReason { get; set; }

    /// <summary>The trace id of the request's W3C <c>traceparent</c>.</summary>
    public string? ClientTraceId { get; set; }

    public DateTime StartedAt { get; set; }
    public int DurationMs { get; set; }
}
