// Merge's linking flow through the official Node SDK, in two phases around Link itself, which
// an end user finishes in a browser (the xunit test finishes it server-side in between). The
// production key's link token preselects Google Drive; the test key's has no integration and is
// finished with the Sandbox (whose accounts are always test accounts):
//
//   node linking.mjs create   issues link tokens with linkToken.create and prints them
//   node linking.mjs use      exchanges the public tokens, lists, inspects and deletes the account
//
// Options (argv wins over the environment):
//   --base-url / TRIBUTARY_BASE_URL            the server, without /api
//   --api-key / TRIBUTARY_API_KEY              a production key
//   --test-api-key / TRIBUTARY_TEST_API_KEY    the organization's test key
//   --origin-id / TRIBUTARY_ORIGIN_ID          end_user_origin_id of the production account (default "sdk-end-user")
//  phase "use" only:
//   --public-token / TRIBUTARY_PUBLIC_TOKEN            from Link for the production link token
//   --test-public-token / TRIBUTARY_TEST_PUBLIC_TOKEN  from Link for the test link token
//   --issue-id / TRIBUTARY_ISSUE_ID                    an issue of the production account
//
// Prints one JSON document. Exit code 0 when every check passed, 1 on any mismatch ("failures"), 2 on bad usage.

import { Checks, clientFactory, finish, iso, option, sdkVersion, usage, walkPages } from "./lib.mjs";

const phase = process.argv[2];
if (phase !== "create" && phase !== "use") usage("the first argument is the phase: create or use");
const baseUrl = option("base-url", "TRIBUTARY_BASE_URL")?.replace(/\/+$/, "");
const apiKey = option("api-key", "TRIBUTARY_API_KEY");
const testApiKey = option("test-api-key", "TRIBUTARY_TEST_API_KEY");
const originId = option("origin-id", "TRIBUTARY_ORIGIN_ID", "sdk-end-user");
if (!baseUrl) usage("pass --base-url or set TRIBUTARY_BASE_URL");
if (!apiKey) usage("pass --api-key or set TRIBUTARY_API_KEY (a production key)");
if (!testApiKey) usage("pass --test-api-key or set TRIBUTARY_TEST_API_KEY (a test key)");

const { environment, create } = clientFactory(baseUrl);
const checks = new Checks();
const { check, equal } = { check: checks.check.bind(checks), equal: checks.equal.bind(checks) };
const result = { ok: false, sdk_version: sdkVersion, environment, phase, origin_id: originId };

// The end user of the production account, as linkToken.create describes it.
const endUser = {
  endUserEmailAddress: "sdk.user@example.com",
  endUserOrganizationName: "SDK Interop Corp",
  endUserOriginId: originId,
};
const testOriginId = `${originId}-test`;

async function createPhase() {
  const production = create(apiKey);
  // Every field of EndUserDetailsRequest.
  const request = {
    ...endUser,
    categories: ["filestorage"],
    integration: "google-drive",
    linkExpiryMins: 60,
    shouldCreateMagicLinkUrl: true,
    hideAdminMagicLink: true,
    commonModels: [{ modelId: "filestorage.File", enabledActions: ["READ"], disabledFields: ["description"] }],
    categoryCommonModelScopes: {
      filestorage: [
        {
          modelName: "File",
          modelPermissions: { READ: { isEnabled: true }, WRITE: { isEnabled: true } },
          fieldPermissions: { enabledFields: ["name", "mime_type"], disabledFields: ["description"] },
        },
        { modelName: "Folder", modelPermissions: { READ: { isEnabled: true } } },
      ],
    },
    language: "de",
    areSyncsDisabled: false,
    integrationSpecificConfig: { note: "sdk interop" },
  };
  result.request = request;
  const token = await production.filestorage.linkToken.create(request);
  result.link_token = token.linkToken;
  result.integration_name = token.integrationName ?? null;
  result.magic_link_url = token.magicLinkUrl ?? null;
  check(typeof token.linkToken === "string" && token.linkToken.length >= 20, `linkToken.create: link_token is not a secret string: ${JSON.stringify(token.linkToken)}`);
  equal(token.integrationName, "Google Drive", "linkToken.create: integration_name");
  check(typeof token.magicLinkUrl === "string" && token.magicLinkUrl.startsWith(`${baseUrl}/magic-link/`),
    `linkToken.create: magic_link_url ${JSON.stringify(token.magicLinkUrl)} does not start with ${baseUrl}/magic-link/`);

  // A second, minimal link token under the test key: a test account to tell apart with is_test_account.
  const test = await create(testApiKey).filestorage.linkToken.create({
    endUserEmailAddress: "sdk.tester@example.com",
    endUserOrganizationName: "SDK Interop Corp",
    endUserOriginId: testOriginId,
    categories: ["filestorage"],
  });
  result.test_link_token = test.linkToken;
  check(test.magicLinkUrl == null, `linkToken.create without should_create_magic_link_url returned a magic link: ${test.magicLinkUrl}`);
  check(test.integrationName == null, `linkToken.create without integration returned integration_name ${test.integrationName}`);

  // What the server refuses comes back as MergeError 400 with the field named.
  result.invalid_language = await checks.mergeError("linkToken.create with language xx", () =>
    production.filestorage.linkToken.create({ ...request, language: "xx", shouldCreateMagicLinkUrl: false }));
  equal(result.invalid_language?.status_code, 400, "linkToken.create with language xx: status");
  check(result.invalid_language?.body?.language !== undefined, `linkToken.create with language xx: no "language" error in ${JSON.stringify(result.invalid_language?.body)}`);
  result.invalid_scopes = await checks.mergeError("linkToken.create with an unknown scope category", () =>
    production.filestorage.linkToken.create({ ...request, shouldCreateMagicLinkUrl: false, categoryCommonModelScopes: { nope: [{ modelName: "File" }] } }));
  equal(result.invalid_scopes?.status_code, 400, "linkToken.create with an unknown scope category: status");
}

async function usePhase() {
  const publicToken = option("public-token", "TRIBUTARY_PUBLIC_TOKEN");
  const testPublicToken = option("test-public-token", "TRIBUTARY_TEST_PUBLIC_TOKEN");
  const issueId = option("issue-id", "TRIBUTARY_ISSUE_ID");
  if (!publicToken || !testPublicToken || !issueId) usage("phase use needs --public-token, --test-public-token and --issue-id");

  const keyOnly = create(apiKey);
  const exchanged = await keyOnly.filestorage.accountToken.retrieve(publicToken);
  result.account_token = {
    id: exchanged.id,
    integration: { name: exchanged.integration?.name, slug: exchanged.integration?.slug, categories: exchanged.integration?.categories },
    account_token_length: exchanged.accountToken?.length ?? 0,
  };
  check(typeof exchanged.accountToken === "string" && exchanged.accountToken.length >= 20, "accountToken.retrieve: account_token is not a secret string");
  equal(exchanged.integration?.name, "Google Drive", "accountToken.retrieve: integration.name");
  equal(exchanged.integration?.slug, "google-drive", "accountToken.retrieve: integration.slug");
  check(exchanged.integration?.categories?.includes("filestorage"), "accountToken.retrieve: integration.categories lacks filestorage");
  const accountId = exchanged.id;

  // Public tokens are single use.
  result.public_token_reused = await checks.mergeError("accountToken.retrieve a second time", () => keyOnly.filestorage.accountToken.retrieve(publicToken));
  equal(result.public_token_reused?.status_code, 404, "accountToken.retrieve a second time: status");

  const testExchanged = await create(testApiKey).filestorage.accountToken.retrieve(testPublicToken);
  const testAccountId = testExchanged.id;
  result.test_account_id = testAccountId;

  // linked-accounts with its filters.
  const list = async (filter) => (await walkPages(await keyOnly.filestorage.linkedAccounts.list({ ...filter }))).items;
  const ids = (accounts) => accounts.map((a) => a.id).sort();
  const all = await list({});
  result.linked_accounts = all.map((a) => ({
    id: a.id, category: a.category, status: a.status, end_user_origin_id: a.endUserOriginId, end_user_email_address: a.endUserEmailAddress,
    end_user_organization_name: a.endUserOrganizationName, integration: a.integration?.slug ?? a.integration?.name ?? a.integration,
    account_type: a.accountType, completed_at: iso(a.completedAt), completed_at_is_date: a.completedAt instanceof Date,
    webhook_listener_url: a.webhookListenerUrl,
  }));
  equal(ids(all), [accountId], "linkedAccounts.list(): production accounts");
  const mine = all.find((a) => a.id === accountId);
  if (mine) {
    equal(mine.category, "filestorage", "linkedAccounts.list: category");
    equal(mine.status, "COMPLETE", "linkedAccounts.list: status");
    equal(mine.endUserOriginId, originId, "linkedAccounts.list: end_user_origin_id");
    equal(mine.endUserEmailAddress, endUser.endUserEmailAddress, "linkedAccounts.list: end_user_email_address");
    equal(mine.endUserOrganizationName, endUser.endUserOrganizationName, "linkedAccounts.list: end_user_organization_name");
    equal(mine.accountType, "PRODUCTION", "linkedAccounts.list: account_type");
    check(mine.completedAt instanceof Date, `linkedAccounts.list: completed_at is not a Date: ${mine.completedAt}`);
    check(typeof mine.webhookListenerUrl === "string" && mine.webhookListenerUrl.includes(accountId), "linkedAccounts.list: webhook_listener_url does not name the account");
  }
  const filters = {
    is_test_account_true: [{ isTestAccount: "true" }, [testAccountId]],
    is_test_account_false: [{ isTestAccount: "false" }, [accountId]],
    category: [{ category: "filestorage" }, [accountId]],
    category_other: [{ category: "hris" }, []],
    end_user_email_address: [{ endUserEmailAddress: endUser.endUserEmailAddress }, [accountId]],
    end_user_email_address_other: [{ endUserEmailAddress: "nobody@example.com" }, []],
    end_user_organization_name: [{ endUserOrganizationName: endUser.endUserOrganizationName }, [accountId]],
    end_user_origin_id: [{ endUserOriginId: originId }, [accountId]],
    end_user_origin_ids: [{ endUserOriginIds: `${originId},someone-else` }, [accountId]],
    id: [{ id: accountId }, [accountId]],
    ids: [{ ids: `${accountId},${testAccountId}` }, [accountId]],
    ids_test: [{ ids: `${accountId},${testAccountId}`, isTestAccount: "true" }, [testAccountId]],
    integration_name: [{ integrationName: "Google Drive" }, [accountId]],
    integration_name_slug: [{ integrationName: "google-drive" }, [accountId]],
    integration_name_other: [{ integrationName: "Sandbox" }, []],
    integration_name_test: [{ integrationName: "Sandbox", isTestAccount: "true" }, [testAccountId]],
    status: [{ status: "COMPLETE" }, [accountId]],
    status_other: [{ status: "RELINK_NEEDED" }, []],
    page_size: [{ pageSize: 1 }, [accountId]],
  };
  result.linked_account_filters = {};
  for (const [name, [filter, expected]] of Object.entries(filters)) {
    const got = ids(await list(filter));
    result.linked_account_filters[name] = got;
    equal(got, [...expected].sort(), `linkedAccounts.list(${JSON.stringify(filter)})`);
  }

  // account-details with the account token.
  const account = create(apiKey, exchanged.accountToken);
  const details = await account.filestorage.accountDetails.retrieve();
  result.account_details = {
    id: details.id, integration: details.integration, integration_slug: details.integrationSlug, category: details.category,
    end_user_origin_id: details.endUserOriginId, end_user_organization_name: details.endUserOrganizationName,
    end_user_email_address: details.endUserEmailAddress, status: details.status, account_type: details.accountType,
    is_duplicate: details.isDuplicate ?? null, completed_at: iso(details.completedAt), webhook_listener_url: details.webhookListenerUrl,
  };
  equal(details.id, accountId, "accountDetails.retrieve: id");
  equal(details.integration, "Google Drive", "accountDetails.retrieve: integration");
  equal(details.integrationSlug, "google-drive", "accountDetails.retrieve: integration_slug");
  equal(details.category, "filestorage", "accountDetails.retrieve: category");
  equal(details.endUserOriginId, originId, "accountDetails.retrieve: end_user_origin_id");
  equal(details.endUserEmailAddress, endUser.endUserEmailAddress, "accountDetails.retrieve: end_user_email_address");
  equal(details.status, "COMPLETE", "accountDetails.retrieve: status");
  equal(details.accountType, "PRODUCTION", "accountDetails.retrieve: account_type");
  check(details.completedAt instanceof Date, "accountDetails.retrieve: completed_at is not a Date");

  // issues: the one the test inserted, by account token and by linked account id.
  const issues = (await walkPages(await keyOnly.filestorage.issues.list({ accountToken: exchanged.accountToken }))).items;
  result.issues = issues.map((i) => ({
    id: i.id, status: i.status, error_description: i.errorDescription, is_muted: i.isMuted, error_details: i.errorDetails,
    first_incident_time: iso(i.firstIncidentTime), last_incident_time: iso(i.lastIncidentTime), end_user: i.endUser ?? null,
  }));
  equal(issues.map((i) => i.id), [issueId], "issues.list({accountToken})");
  const byAccount = (await walkPages(await keyOnly.filestorage.issues.list({ linkedAccountId: accountId, status: "ONGOING" }))).items;
  equal(byAccount.map((i) => i.id), [issueId], "issues.list({linkedAccountId, status: ONGOING})");
  const resolved = (await walkPages(await keyOnly.filestorage.issues.list({ linkedAccountId: accountId, status: "RESOLVED" }))).items;
  equal(resolved.map((i) => i.id), [], "issues.list({linkedAccountId, status: RESOLVED})");
  const issue = await keyOnly.filestorage.issues.retrieve(issueId);
  equal(issue.id, issueId, "issues.retrieve: id");
  equal(issue.status, "ONGOING", "issues.retrieve: status");
  check(issue.firstIncidentTime instanceof Date, "issues.retrieve: first_incident_time is not a Date");
  result.issue = { id: issue.id, status: issue.status, error_description: issue.errorDescription, error_details: issue.errorDetails, end_user: issue.endUser ?? null };

  // delete-account: the SDK's POST without a body; afterwards the token is dead.
  result.delete_account_returned = (await account.filestorage.deleteAccount.delete()) ?? null;
  equal(result.delete_account_returned, null, "deleteAccount.delete: returned");
  result.after_delete = await checks.mergeError("accountDetails.retrieve after deleteAccount.delete", () => account.filestorage.accountDetails.retrieve());
  equal(result.after_delete?.status_code, 401, "accountDetails.retrieve after deleteAccount.delete: status");
  result.after_delete_list = ids(await list({}));
  equal(result.after_delete_list, [], "linkedAccounts.list() after deleteAccount.delete");
  result.after_delete_by_id = ids(await list({ id: accountId }));
  equal(result.after_delete_by_id, [], "linkedAccounts.list({id}) after deleteAccount.delete");
  // The account's issues went with it.
  result.issue_after_delete = await checks.mergeError("issues.retrieve after deleteAccount.delete", () => keyOnly.filestorage.issues.retrieve(issueId));
  equal(result.issue_after_delete?.status_code, 404, "issues.retrieve after deleteAccount.delete: status");
}

try {
  if (phase === "create") await createPhase();
  else await usePhase();
} catch (error) {
  checks.unexpected(error);
}
finish(result, checks);
