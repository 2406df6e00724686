// One provider's data as Merge's official Node SDK sees it after Tributary synced it: every file,
// folder, drive, user and group (paging to the end), and one file downloaded.
//
//   node provider.mjs --base-url http://127.0.0.1:5080 --api-key trb_... --account-token trb_acct_... --download-remote-id <id>
//
// Options (argv wins over the environment):
//   --base-url / TRIBUTARY_BASE_URL                  the server, without /api
//   --api-key / TRIBUTARY_API_KEY                    a key of the account's organization and environment
//   --account-token / TRIBUTARY_ACCOUNT_TOKEN        the linked account's token
//   --download-remote-id / TRIBUTARY_DOWNLOAD_REMOTE_ID  the provider's id of the file to download
//
// Prints one JSON document (remote ids and names of everything listed, the download's sha256); the
// calling test compares it with the provider fake. Exit code 0 when the SDK calls worked, 1 on a
// mismatch, 2 on bad usage.

import { createHash } from "node:crypto";
import { Checks, clientFactory, finish, option, sdkVersion, usage, walkPages } from "./lib.mjs";

const baseUrl = option("base-url", "TRIBUTARY_BASE_URL")?.replace(/\/+$/, "");
const apiKey = option("api-key", "TRIBUTARY_API_KEY");
const accountToken = option("account-token", "TRIBUTARY_ACCOUNT_TOKEN");
const downloadRemoteId = option("download-remote-id", "TRIBUTARY_DOWNLOAD_REMOTE_ID");
if (!baseUrl) usage("pass --base-url or set TRIBUTARY_BASE_URL");
if (!apiKey) usage("pass --api-key or set TRIBUTARY_API_KEY");
if (!accountToken) usage("pass --account-token or set TRIBUTARY_ACCOUNT_TOKEN");
if (!downloadRemoteId) usage("pass --download-remote-id or set TRIBUTARY_DOWNLOAD_REMOTE_ID");

const { environment, create } = clientFactory(baseUrl);
const fs = create(apiKey, accountToken).filestorage;
const checks = new Checks();
const result = { ok: false, sdk_version: sdkVersion, environment };

const all = async (resource) => (await walkPages(await resource.list({ pageSize: 7 }))).items;
const idOf = (ref) => (ref == null ? null : typeof ref === "string" ? ref : ref.id);

try {
  const [files, folders, drives, users, groups] = await Promise.all([fs.files, fs.folders, fs.drives, fs.users, fs.groups].map(all));
  const remoteIdOf = new Map([...folders, ...drives].map((x) => [x.id, x.remoteId]));
  result.files = files.map((f) => ({
    remote_id: f.remoteId, name: f.name, size: f.size ?? null, mime_type: f.mimeType ?? null,
    folder_remote_id: remoteIdOf.get(idOf(f.folder)) ?? null, drive_remote_id: remoteIdOf.get(idOf(f.drive)) ?? null,
    permission_types: (f.permissions ?? []).map((p) => p.type).sort(),
  }));
  result.folders = folders.map((f) => ({ remote_id: f.remoteId, name: f.name, parent_remote_id: remoteIdOf.get(idOf(f.parentFolder)) ?? null }));
  result.drives = drives.map((d) => ({ remote_id: d.remoteId, name: d.name }));
  result.users = users.map((u) => ({ remote_id: u.remoteId, name: u.name, email_address: u.emailAddress ?? null, is_me: u.isMe ?? null }));
  result.groups = groups.map((g) => ({ remote_id: g.remoteId, name: g.name }));

  const target = files.find((f) => f.remoteId === downloadRemoteId);
  if (checks.check(target, `no file with remote id ${downloadRemoteId} was listed`)) {
    const hash = createHash("sha256");
    let size = 0;
    for await (const chunk of await fs.files.downloadRetrieve(target.id)) {
      hash.update(chunk);
      size += chunk.length;
    }
    result.download = { remote_id: downloadRemoteId, size, sha256: hash.digest("hex") };
  }
} catch (error) {
  checks.unexpected(error);
}
finish(result, checks);
