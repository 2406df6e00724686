// Drives a Tributary server with Merge's official Node SDK (@mergeapi/merge-node-client, pinned in
// package.json) the way a Merge customer's code would, and checks what comes back.
//
//   node interop.mjs --base-url http://127.0.0.1:5080 --api-key trb_live_...
//   TRIBUTARY_BASE_URL=... TRIBUTARY_API_KEY=... node interop.mjs
//
// Options (argv wins over the environment):
//   --base-url / TRIBUTARY_BASE_URL      the server, without /api (the SDK gets "<base>/api")
//   --api-key / TRIBUTARY_API_KEY        a production key of an organization; it is regenerated
//   --start-date / TRIBUTARY_START_DATE  audit-trail start_date filter (ISO 8601; default: now)
//   --generate / TRIBUTARY_GENERATE      how many keys to create with generate-key (default 3)
//   --page-size / TRIBUTARY_PAGE_SIZE    audit-trail page size (default 2)
//
// Prints one JSON document on stdout. Exits 0 when every check passed, 1 on any mismatch (the
// document then has "ok": false and "failures"), 2 on bad usage.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { MergeClient, MergeError } from "@mergeapi/merge-node-client";

const require = createRequire(import.meta.url);
const sdkVersion = JSON.parse(readFileSync(require.resolve("@mergeapi/merge-node-client/package.json"), "utf8")).version;

function option(name, envName, fallback) {
  const index = process.argv.indexOf(`--${name}`);
  if (index >= 0 && index + 1 < process.argv.length) {
    return process.argv[index + 1];
  }
  const fromEnv = process.env[envName];
  return fromEnv !== undefined && fromEnv !== "" ? fromEnv : fallback;
}

function usage(message) {
  process.stdout.write(JSON.stringify({ ok: false, usage_error: message }, null, 2) + "\n");
  process.stderr.write(`usage error: ${message}\n`);
  process.exit(2);
}

const baseUrl = option("base-url", "TRIBUTARY_BASE_URL")?.replace(/\/+$/, "");
const apiKey = option("api-key", "TRIBUTARY_API_KEY");
const startDate = option("start-date", "TRIBUTARY_START_DATE", new Date().toISOString());
const generateCount = Number.parseInt(option("generate", "TRIBUTARY_GENERATE", "3"), 10);
const pageSize = Number.parseInt(option("page-size", "TRIBUTARY_PAGE_SIZE", "2"), 10);
if (!baseUrl) usage("pass --base-url or set TRIBUTARY_BASE_URL (e.g. http://127.0.0.1:5080)");
if (!apiKey) usage("pass --api-key or set TRIBUTARY_API_KEY (a production key)");
if (Number.isNaN(Date.parse(startDate))) usage(`--start-date is not a date: ${startDate}`);
if (!(generateCount >= 1)) usage("--generate must be at least 1");
if (!(pageSize >= 1)) usage("--page-size must be at least 1");

const environment = `${baseUrl}/api`;
const clientFor = (key) => new MergeClient({ apiKey: key, environment, maxRetries: 0, timeoutInSeconds: 30 });

const failures = [];
function check(condition, message) {
  if (!condition) failures.push(message);
  return condition;
}

/** Runs an SDK call expected to fail; returns {status, body} of the MergeError (or records a failure). */
async function expectMergeError(label, call) {
  try {
    await call();
    failures.push(`${label}: expected a MergeError, but the call succeeded`);
    return null;
  } catch (error) {
    if (!(error instanceof MergeError)) {
      failures.push(`${label}: expected a MergeError, got ${error?.constructor?.name}: ${error?.message}`);
      return null;
    }
    return { status_code: error.statusCode ?? null, body: error.body ?? null };
  }
}

const result = { ok: false, sdk_version: sdkVersion, environment, start_date: startDate, page_size: pageSize };

try {
  const original = clientFor(apiKey);

  // generate-key: each call creates a production key, named as asked, shown once.
  result.generated = [];
  for (let i = 1; i <= generateCount; i++) {
    const name = `interop generated ${i}`;
    const created = await original.filestorage.generateKey.create({ name });
    check(created.name === name, `generateKey.create: name ${JSON.stringify(created.name)} != ${JSON.stringify(name)}`);
    check(typeof created.key === "string" && created.key.length >= 20, `generateKey.create: key is not a secret string: ${JSON.stringify(created.key)}`);
    check(created.key !== apiKey, "generateKey.create returned the calling key");
    result.generated.push({ name: created.name, key: created.key });
  }
  const generatedKeys = result.generated.map((g) => g.key);
  check(new Set(generatedKeys).size === generatedKeys.length, "generateKey.create returned the same key twice");

  // A generated key authenticates on its own.
  const probe = await clientFor(generatedKeys[0]).filestorage.auditTrail.list({ pageSize: 1 });
  result.generated_key_works = Array.isArray(probe.data);
  check(result.generated_key_works, "auditTrail.list with a generated key returned no results array");

  // regenerate-key: the calling key is exchanged; the old one is rejected at once.
  const regeneratedName = "interop regenerated";
  const regenerated = await original.filestorage.regenerateKey.create({ name: regeneratedName });
  check(regenerated.name === regeneratedName, `regenerateKey.create: name ${JSON.stringify(regenerated.name)} != ${JSON.stringify(regeneratedName)}`);
  check(typeof regenerated.key === "string" && regenerated.key.length >= 20, "regenerateKey.create: key is not a secret string");
  check(regenerated.key !== apiKey && !generatedKeys.includes(regenerated.key), "regenerateKey.create returned a key that already existed");
  result.regenerated = { name: regenerated.name, key: regenerated.key };

  result.old_key_rejected = await expectMergeError("auditTrail.list with the regenerated (old) key", () =>
    original.filestorage.auditTrail.list({ pageSize: 1 }));
  check(result.old_key_rejected?.status_code === 401, `old key: expected status 401, got ${result.old_key_rejected?.status_code}`);

  // audit-trail with filters, walked page by page with the new key.
  const current = clientFor(regenerated.key);
  // Each call gets its own copy: the SDK's pager writes `cursor` into the request object it was given.
  const filter = Object.freeze({ eventType: "CREATED_REMOTE_PRODUCTION_API_KEY", startDate, pageSize });
  result.audit_trail = { filter, pages: [], events: [] };
  let page = await current.filestorage.auditTrail.list({ ...filter });
  for (;;) {
    result.audit_trail.pages.push(page.data.map((e) => e.id));
    for (const e of page.data) {
      result.audit_trail.events.push({
        id: e.id,
        event_type: e.eventType,
        role: e.role,
        ip_address: e.ipAddress,
        user_name: e.userName ?? null,
        event_description: e.eventDescription,
        created_at: e.createdAt instanceof Date ? e.createdAt.toISOString() : e.createdAt,
        created_at_is_date: e.createdAt instanceof Date,
      });
    }
    check(page.data.length <= pageSize, `audit trail page ${result.audit_trail.pages.length} has ${page.data.length} events, page size ${pageSize}`);
    if (!page.hasNextPage()) break;
    check(page.data.length === pageSize, `audit trail page ${result.audit_trail.pages.length} is short (${page.data.length}) but has a next page`);
    if (result.audit_trail.pages.length > 100) {
      failures.push("audit trail: more than 100 pages; is 'next' ever null?");
      break;
    }
    page = await page.getNextPage();
  }

  const events = result.audit_trail.events;
  const ids = events.map((e) => e.id);
  check(new Set(ids).size === ids.length, "audit trail: an event appeared on two pages");
  check(events.length === generateCount, `audit trail: ${events.length} CREATED_REMOTE_PRODUCTION_API_KEY events since ${startDate}, expected ${generateCount}`);
  for (const e of events) {
    check(e.event_type === filter.eventType, `audit trail: event ${e.id} has type ${e.event_type} despite the event_type filter`);
    check(e.created_at_is_date, `audit trail: event ${e.id} created_at did not parse as a Date: ${JSON.stringify(e.created_at)}`);
    check(Date.parse(e.created_at) >= Date.parse(startDate), `audit trail: event ${e.id} at ${e.created_at} is before start_date ${startDate}`);
    check(e.role === "API", `audit trail: event ${e.id} role ${e.role}, expected API`);
    check(typeof e.ip_address === "string" && e.ip_address.length > 0, `audit trail: event ${e.id} has no ip_address`);
  }
  for (let i = 1; i < events.length; i++) {
    check(Date.parse(events[i - 1].created_at) >= Date.parse(events[i].created_at), "audit trail: events are not newest first");
  }
  for (const g of result.generated) {
    check(events.some((e) => e.event_description.includes(`"${g.name}"`)), `audit trail: no event describes the key "${g.name}"`);
  }

  // The SDK's async iterator walks the same pages.
  const iterated = [];
  for await (const e of await current.filestorage.auditTrail.list({ ...filter })) {
    iterated.push(e.id);
    if (iterated.length > 1000) break;
  }
  result.audit_trail.iterated_ids = iterated;
  check(JSON.stringify(iterated) === JSON.stringify(ids), "audit trail: for-await iteration differs from the page walk");

  // The regenerate event is there too, under its own filter.
  const regeneratedEvents = await current.filestorage.auditTrail.list({ eventType: "REGENERATED_PRODUCTION_API_KEY", startDate, pageSize });
  result.audit_trail.regenerated_events = regeneratedEvents.data.map((e) => ({ id: e.id, event_type: e.eventType, event_description: e.eventDescription }));
  check(regeneratedEvents.data.length === 1, `audit trail: ${regeneratedEvents.data.length} REGENERATED_PRODUCTION_API_KEY events, expected 1`);

  // An unknown event_type is a 400, not an empty list.
  result.invalid_event_type = await expectMergeError("auditTrail.list with an unknown eventType", () =>
    current.filestorage.auditTrail.list({ eventType: "NOT_AN_EVENT" }));
  check(result.invalid_event_type?.status_code === 400, `unknown eventType: expected status 400, got ${result.invalid_event_type?.status_code}`);
} catch (error) {
  failures.push(
    `unexpected ${error?.constructor?.name ?? "error"}: ${error?.message}` +
      (error instanceof MergeError ? ` (status ${error.statusCode}, body ${JSON.stringify(error.body)})` : ""));
}

result.ok = failures.length === 0;
result.failures = failures;
process.stdout.write(JSON.stringify(result, null, 2) + "\n");
if (!result.ok) {
  process.stderr.write(failures.map((f) => `mismatch: ${f}\n`).join(""));
}
process.exitCode = result.ok ? 0 : 1;
