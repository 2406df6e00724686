namespace Tributary.Data.Entities;

/// <summary>One end user's connection to one integration, as Merge's Linked Account.</summary>
public sealed class LinkedAccount
{
    public Guid Id { get; set; }
    public Guid OrganizationId { get; set; }

    /// <summary>Merge's <c>account_type</c>: test accounts are the only ones a test key reaches.</summary>
    public ApiEnvironment Environment { get; set; }

    public required string Category { get; set; }
    public required string IntegrationSlug { get; set; }
    public required string EndUserOriginId { get; set; }
    public required string EndUserOrganizationName { get; set; }
    public required string EndUserEmailAddress { get; set; }
    public LinkedAccountStatus Status { get; set; }
    public string? StatusDetail { get; set; }

    /// <summary>SHA-256 of the account token; the token itself is shown once and never stored.</summary>
    public byte[]? AccountTokenHash { get; set; }

    /// <summary>Merge's common-model scopes of this account (JSON), or null for the defaults.</summary>
    public string? CommonModelScopesJson { get; set; }

    /// <summary>The Agent Handler registered user whose INDIVIDUAL credential this is; null for Merge-style accounts.</summary>
    public Guid? RegisteredUserId { get; set; }

    /// <summary>Agent Handler credential scope: INDIVIDUAL, SHARED or ORGANIZATION; null for Merge-style accounts.</summary>
    public string? AgentAuthScope { get; set; }

    /// <summary>For SHARED credentials, the <c>origin_company_id</c> whose users share it.</summary>
    public string? SharedCredentialGroup { get; set; }

    public DateTime CreatedAt { get; set; }
    public DateTime ModifiedAt { get; set; }
    public DateTime? CompletedAt { get; set; }
}

public enum LinkedAccountStatus
{
    Incomplete = 0,
    Complete = 1,
    RelinkNeeded = 2,
    Idle = 3,
}
