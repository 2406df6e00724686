// Shared plumbing of linking.mjs and filestorage.mjs: options, checks and the JSON report.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { MergeClient, MergeError } from "@mergeapi/merge-node-client";

const require = createRequire(import.meta.url);
export const sdkVersion = JSON.parse(readFileSync(require.resolve("@mergeapi/merge-node-client/package.json"), "utf8")).version;

/** `--name value` on the command line, else the environment variable, else the fallback. */
export function option(name, envName, fallback) {
  const index = process.argv.indexOf(`--${name}`);
  if (index >= 0 && index + 1 < process.argv.length) {
    return process.argv[index + 1];
  }
  const fromEnv = process.env[envName];
  return fromEnv !== undefined && fromEnv !== "" ? fromEnv : fallback;
}

export function usage(message) {
  process.stdout.write(JSON.stringify({ ok: false, usage_error: message }, null, 2) + "\n");
  process.stderr.write(`usage error: ${message}\n`);
  process.exit(2);
}

/** A fresh SDK client per key and account token, pointed at `<base>/api`, never retrying. */
export function clientFactory(baseUrl) {
  const environment = `${baseUrl}/api`;
  const create = (apiKey, accountToken) =>
    new MergeClient({ apiKey, accountToken, environment, maxRetries: 0, timeoutInSeconds: 60 });
  return { environment, create };
}

/** Collects mismatches; the script reports them all at the end rather than stopping at the first. */
export class Checks {
  constructor() {
    this.failures = [];
  }

  check(condition, message) {
    if (!condition) this.failures.push(message);
    return Boolean(condition);
  }

  equal(actual, expected, label) {
    const a = JSON.stringify(actual);
    const e = JSON.stringify(expected);
    return this.check(a === e, `${label}: got ${a}, expected ${e}`);
  }

  /** Runs an SDK call expected to fail; returns {status_code, body} of the MergeError (or records a failure). */
  async mergeError(label, call) {
    try {
      await call();
      this.failures.push(`${label}: expected a MergeError, but the call succeeded`);
      return null;
    } catch (error) {
      if (!(error instanceof MergeError)) {
        this.failures.push(`${label}: expected a MergeError, got ${error?.constructor?.name}: ${error?.message}`);
        return null;
      }
      return { status_code: error.statusCode ?? null, body: error.body ?? null };
    }
  }

  /** Records an unexpected exception (with the MergeError's status and body). */
  unexpected(error, where) {
    this.failures.push(
      `${where ? `${where}: ` : ""}unexpected ${error?.constructor?.name ?? "error"}: ${error?.message}` +
        (error instanceof MergeError ? ` (status ${error.statusCode}, body ${JSON.stringify(error.body)})` : "") +
        (error instanceof MergeError ? "" : `\n${error?.stack ?? ""}`));
  }
}

/** Prints the report and sets the exit code: 0 when every check passed, else 1. */
export function finish(result, checks) {
  result.ok = checks.failures.length === 0;
  result.failures = checks.failures;
  process.stdout.write(JSON.stringify(result, null, 2) + "\n");
  if (!result.ok) {
    process.stderr.write(checks.failures.map((f) => `mismatch: ${f}\n`).join(""));
  }
  process.exitCode = result.ok ? 0 : 1;
}

/** Every item of a paged SDK listing, following `next` by hand; also returns the page sizes. */
export async function walkPages(firstPage, maxPages = 1000) {
  const items = [];
  const sizes = [];
  let page = firstPage;
  for (;;) {
    items.push(...page.data);
    sizes.push(page.data.length);
    if (!page.hasNextPage()) break;
    if (sizes.length >= maxPages) throw new Error(`more than ${maxPages} pages; is 'next' ever null?`);
    page = await page.getNextPage();
  }
  return { items, sizes };
}

export const iso = (d) => (d instanceof Date ? d.toISOString() : d ?? null);
