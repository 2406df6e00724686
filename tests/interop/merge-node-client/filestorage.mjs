// Merge's File Storage common models through the official Node SDK, against a linked and synced
// Sandbox account: files (every list filter, expand, retrieve, downloads, exports, signed download
// links, meta/post, create), folders, drives, users and groups.
//
//   node filestorage.mjs --base-url http://127.0.0.1:5080 --api-key trb_... --account-token trb_acct_...
//
// Options (argv wins over the environment):
//   --base-url / TRIBUTARY_BASE_URL              the server, without /api
//   --api-key / TRIBUTARY_API_KEY                a key of the account's organization and environment
//   --account-token / TRIBUTARY_ACCOUNT_TOKEN    the Sandbox account's token
//   --deleted-remote-id / TRIBUTARY_DELETED_REMOTE_ID          a file marked deleted remotely (optional; checks include_deleted_data)
//   --remote-data-remote-id / TRIBUTARY_REMOTE_DATA_REMOTE_ID  the one file with stored remote_data (optional; checks include_remote_data)
//
// The script writes to the account (one file, one folder). Prints one JSON document; exit code 0 when every check
// passed, 1 on any mismatch ("failures"), 2 on bad usage.

import { createHash } from "node:crypto";
import { Checks, clientFactory, finish, iso, option, sdkVersion, usage, walkPages } from "./lib.mjs";

const baseUrl = option("base-url", "TRIBUTARY_BASE_URL")?.replace(/\/+$/, "");
const apiKey = option("api-key", "TRIBUTARY_API_KEY");
const accountToken = option("account-token", "TRIBUTARY_ACCOUNT_TOKEN");
const deletedRemoteId = option("deleted-remote-id", "TRIBUTARY_DELETED_REMOTE_ID");
const remoteDataRemoteId = option("remote-data-remote-id", "TRIBUTARY_REMOTE_DATA_REMOTE_ID");
if (!baseUrl) usage("pass --base-url or set TRIBUTARY_BASE_URL");
if (!apiKey) usage("pass --api-key or set TRIBUTARY_API_KEY");
if (!accountToken) usage("pass --account-token or set TRIBUTARY_ACCOUNT_TOKEN");

const { environment, create } = clientFactory(baseUrl);
const fs = create(apiKey, accountToken).filestorage;
const checks = new Checks();
const check = checks.check.bind(checks);
const equal = checks.equal.bind(checks);
const result = { ok: false, sdk_version: sdkVersion, environment };

const sha256 = (bytes) => createHash("sha256").update(bytes).digest("hex");
const sorted = (xs) => [...xs].sort();
const idOf = (ref) => (ref == null ? null : typeof ref === "string" ? ref : ref.id);
const PAGE = 5;

/** Every item of a listing, walking the pages by hand with a fresh copy of the request (the pager writes `cursor` into it). */
async function all(resource, request = {}) {
  return (await walkPages(await resource.list({ pageSize: PAGE, ...request }))).items;
}

async function bytesOf(readable) {
  const chunks = [];
  for await (const chunk of readable) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

/** The server's own download, with plain fetch: the reference the SDK's bytes are compared to. */
async function plainDownload(path, headers = { Authorization: `Bearer ${apiKey}`, "X-Account-Token": accountToken }) {
  const response = await fetch(path.startsWith("http") ? path : `${environment}${path}`, { headers });
  const body = Buffer.from(await response.arrayBuffer());
  return { status: response.status, contentType: response.headers.get("content-type"), body };
}

/** Thresholds for a date filter: before all, after all, and between two values at least 2 ms apart (the SDK's Dates keep ms only). */
function thresholds(values) {
  const ms = [...new Set(values.filter((v) => v instanceof Date).map((v) => v.getTime()))].sort((a, b) => a - b);
  if (ms.length === 0) return [];
  const result = [ms[0] - 1, ms[ms.length - 1] + 1];
  const gaps = [];
  for (let i = 1; i < ms.length; i++) if (ms[i] - ms[i - 1] >= 2) gaps.push(Math.floor((ms[i] + ms[i - 1]) / 2));
  if (gaps.length > 0) result.push(gaps[Math.floor(gaps.length / 2)]);
  return result.map((t) => new Date(t));
}

async function filesSection() {
  // Paging to the end: by hand, and with for await.
  const first = await fs.files.list({ pageSize: PAGE });
  const walked = await walkPages(first);
  const files = walked.items;
  const ids = files.map((f) => f.id);
  result.files = { count: files.length, page_sizes: walked.sizes };
  check(files.length > PAGE, `files.list: only ${files.length} files; expected more than one page of ${PAGE}`);
  check(new Set(ids).size === ids.length, "files.list: a file appeared on two pages");
  check(walked.sizes.slice(0, -1).every((s) => s === PAGE), `files.list: a page before the last is short: ${walked.sizes}`);
  const iterated = [];
  for await (const f of await fs.files.list({ pageSize: PAGE })) {
    iterated.push(f.id);
    if (iterated.length > 1000) break;
  }
  equal(iterated, ids, "files.list: for await vs. page walk");
  for (const f of files) {
    check(f.createdAt instanceof Date && f.modifiedAt instanceof Date, `files.list: ${f.name}: created_at/modified_at are not Dates`);
    check(typeof f.folder === "string" || f.folder == null, `files.list: ${f.name}: folder is not an id without expand`);
  }
  const byName = Object.fromEntries(files.map((f) => [f.name, f]));
  result.files.names = sorted(Object.keys(byName));

  const expectIds = async (label, request, predicate) => {
    const got = (await all(fs.files, request)).map((f) => f.id);
    const expected = files.filter(predicate).map((f) => f.id);
    equal(sorted(got), sorted(expected), `files.list(${label})`);
    return got.length;
  };
  const filterCounts = {};
  result.files.filters = filterCounts;

  // drive_id, folder_id (an id and "null"), mime_type (one and a comma list), name, remote_id.
  const driveIds = [...new Set(files.map((f) => idOf(f.drive)).filter(Boolean))];
  for (const d of driveIds) filterCounts[`drive_id ${d}`] = await expectIds(`driveId ${d}`, { driveId: d }, (f) => idOf(f.drive) === d);
  check(driveIds.length === 2, `files: ${driveIds.length} drives referenced, expected 2`);
  const folderIds = [...new Set(files.map((f) => idOf(f.folder)).filter(Boolean))];
  for (const d of folderIds) filterCounts[`folder_id ${d}`] = await expectIds(`folderId ${d}`, { folderId: d }, (f) => idOf(f.folder) === d);
  filterCounts["folder_id null"] = await expectIds("folderId null", { folderId: "null" }, (f) => idOf(f.folder) == null);
  check(filterCounts["folder_id null"] >= 1, "files.list(folderId null): no root files");
  filterCounts["mime_type text/plain"] = await expectIds("mimeType text/plain", { mimeType: "text/plain" }, (f) => f.mimeType === "text/plain");
  filterCounts["mime_type list"] = await expectIds("mimeType text/csv,text/markdown", { mimeType: "text/csv,text/markdown" },
    (f) => f.mimeType === "text/csv" || f.mimeType === "text/markdown");
  filterCounts.name = await expectIds("name notes.txt", { name: "notes.txt" }, (f) => f.name === "notes.txt");
  equal(filterCounts.name, 1, "files.list(name notes.txt): count");
  filterCounts.remote_id = await expectIds("remoteId", { remoteId: byName["notes.txt"]?.remoteId }, (f) => f.name === "notes.txt");
  filterCounts.name_none = await expectIds("name nothing", { name: "no such file" }, () => false);

  // order_by, every value: the walk over all pages is ordered and complete.
  for (const orderBy of ["created_at", "-created_at", "modified_at", "-modified_at"]) {
    const got = await all(fs.files, { orderBy });
    const key = orderBy.endsWith("created_at") ? "createdAt" : "modifiedAt";
    const descending = orderBy.startsWith("-");
    equal(sorted(got.map((f) => f.id)), sorted(ids), `files.list(orderBy ${orderBy}): the same files`);
    let ordered = true;
    for (let i = 1; i < got.length; i++) {
      const a = got[i - 1][key].getTime();
      const b = got[i][key].getTime();
      if (descending ? a < b : a > b) ordered = false;
    }
    check(ordered, `files.list(orderBy ${orderBy}): not ordered by ${key}`);
    filterCounts[`order_by ${orderBy}`] = got.length;
  }
  result.files.order_by_rejected = await checks.mergeError("files.list(orderBy name)", () => fs.files.list({ orderBy: "name" }));
  equal(result.files.order_by_rejected?.status_code, 400, "files.list(orderBy name): status");

  // The date filters: strictly after / strictly before.
  const dateFilters = [
    ["createdAfter", "createdAt", (v, t) => v > t],
    ["createdBefore", "createdAt", (v, t) => v < t],
    ["modifiedAfter", "modifiedAt", (v, t) => v > t],
    ["modifiedBefore", "modifiedAt", (v, t) => v < t],
    ["remoteCreatedAfter", "remoteCreatedAt", (v, t) => v != null && v > t],
    ["remoteCreatedBefore", "remoteCreatedAt", (v, t) => v != null && v < t],
  ];
  for (const [param, key, holds] of dateFilters) {
    for (const t of thresholds(files.map((f) => f[key]))) {
      filterCounts[`${param} ${t.toISOString()}`] = await expectIds(`${param} ${t.toISOString()}`, { [param]: t },
        (f) => holds(f[key]?.getTime(), t.getTime()));
    }
  }
  const remoteCreated = files.map((f) => f.remoteCreatedAt?.getTime()).filter((x) => x != null);
  check(new Set(remoteCreated).size > 1, "files: remote_created_at does not vary, so the remote-created filters prove little");

  // include_deleted_data, include_remote_data, include_shell_data.
  const withDeleted = await all(fs.files, { includeDeletedData: true });
  if (deletedRemoteId) {
    const deleted = withDeleted.filter((f) => f.remoteWasDeleted);
    equal(deleted.map((f) => f.remoteId), [deletedRemoteId], "files.list(includeDeletedData): the deleted files");
    check(!files.some((f) => f.remoteId === deletedRemoteId), "files.list(): lists the file deleted remotely");
    equal(sorted(withDeleted.filter((f) => !f.remoteWasDeleted).map((f) => f.id)), sorted(ids), "files.list(includeDeletedData): the other files");
  } else {
    equal(sorted(withDeleted.map((f) => f.id)), sorted(ids), "files.list(includeDeletedData)");
  }
  filterCounts.include_deleted_data = withDeleted.length;
  const withRemote = await all(fs.files, { includeRemoteData: true });
  equal(sorted(withRemote.map((f) => f.id)), sorted(ids), "files.list(includeRemoteData): the same files");
  // The Sandbox reports no raw payloads; the test stores one for a file (--remote-data-remote-id).
  const withRemoteData = withRemote.filter((f) => f.remoteData != null);
  if (remoteDataRemoteId) {
    equal(withRemoteData.map((f) => f.remoteId), [remoteDataRemoteId], "files.list(includeRemoteData): the files with remote_data");
  }
  check(withRemoteData.every((f) => Array.isArray(f.remoteData) && f.remoteData.every((r) => typeof r.path === "string")),
    "files.list(includeRemoteData): remote_data is not a list of {path, data}");
  check(files.every((f) => f.remoteData == null), "files.list(): remote_data without includeRemoteData");
  result.files.remote_data = withRemoteData.map((f) => ({ remote_id: f.remoteId, remote_data: f.remoteData }));
  const withShell = await all(fs.files, { includeShellData: true });
  equal(sorted(withShell.map((f) => f.id)), sorted(ids), "files.list(includeShellData)");

  // expand: an array (the SDK joins it with commas), and a combined string.
  const expandedArray = await all(fs.files, { expand: ["drive", "folder", "permissions"] });
  const expandedString = await all(fs.files, { expand: "drive,folder" });
  for (const [label, expanded] of [["array", expandedArray], ["string", expandedString]]) {
    equal(expanded.map((f) => f.id), ids, `files.list(expand ${label}): the same files in the same order`);
    for (const f of expanded) {
      const plain = files.find((p) => p.id === f.id);
      check(typeof f.drive === "object" && f.drive?.id === idOf(plain?.drive) && typeof f.drive?.name === "string",
        `files.list(expand ${label}): ${f.name}: drive is not the expanded drive: ${JSON.stringify(f.drive)}`);
      if (idOf(plain?.folder) == null) {
        check(f.folder == null, `files.list(expand ${label}): ${f.name}: a root file got a folder`);
      } else {
        check(typeof f.folder === "object" && f.folder?.id === idOf(plain?.folder) && typeof f.folder?.name === "string",
          `files.list(expand ${label}): ${f.name}: folder is not the expanded folder: ${JSON.stringify(f.folder)}`);
      }
    }
  }
  result.files.expanded_sample = { name: expandedArray[0]?.name, drive: expandedArray[0]?.drive?.name, folder: expandedArray[0]?.folder?.name ?? null };

  // retrieve.
  const notes = byName["notes.txt"];
  const retrieved = await fs.files.retrieve(notes.id, { expand: ["folder", "drive"], includeRemoteData: true });
  equal(retrieved.id, notes.id, "files.retrieve: id");
  equal(retrieved.name, "notes.txt", "files.retrieve: name");
  equal(retrieved.folder?.id, idOf(notes.folder), "files.retrieve(expand): folder id");
  equal(retrieved.drive?.id, idOf(notes.drive), "files.retrieve(expand): drive id");
  if (remoteDataRemoteId === notes.remoteId) {
    equal(retrieved.remoteData, withRemoteData.find((f) => f.id === notes.id)?.remoteData, "files.retrieve(includeRemoteData): remote_data");
  }
  check((await fs.files.retrieve(notes.id)).remoteData == null, "files.retrieve(): remote_data without includeRemoteData");
  const retrievedPlain = await fs.files.retrieve(notes.id);
  equal(retrievedPlain.folder, idOf(notes.folder), "files.retrieve(): folder is the id");
  result.files.retrieve_missing = await checks.mergeError("files.retrieve(unknown id)", () => fs.files.retrieve("00000000-0000-0000-0000-000000000000"));
  equal(result.files.retrieve_missing?.status_code, 404, "files.retrieve(unknown id): status");

  return { files, byName };
}

async function downloadsSection({ files, byName }) {
  const downloads = {};
  result.downloads = downloads;
  // Downloads of stored bytes: the SDK's stream, the server's own download and the stored checksum agree.
  for (const name of ["notes.txt", "large-dataset.csv", "pixel.png"]) {
    const file = byName[name];
    if (!check(file, `no file named ${name}`)) continue;
    const bytes = await bytesOf(await fs.files.downloadRetrieve(file.id));
    const reference = await plainDownload(`/filestorage/v1/files/${file.id}/download`);
    const hash = sha256(bytes);
    downloads[name] = { id: file.id, size: bytes.length, sha256: hash, checksum: file.checksum ?? null, content_type: reference.contentType };
    equal(reference.status, 200, `download ${name}: plain fetch status`);
    check(bytes.equals(reference.body), `download ${name}: the SDK's ${bytes.length} bytes differ from the server's ${reference.body.length}`);
    equal(file.checksum?.type, "sha256", `download ${name}: checksum type`);
    equal(hash, file.checksum?.content_hash, `download ${name}: sha256 vs. the stored checksum`);
    equal(bytes.length, file.size, `download ${name}: length vs. size`);
  }
  check((downloads["large-dataset.csv"]?.size ?? 0) > 500_000, "large-dataset.csv is not large");

  // Export of the native document.
  const review = byName["Quarterly Review"];
  if (check(review, "no file named Quarterly Review")) {
    const text = await bytesOf(await fs.files.downloadRetrieve(review.id, { mimeType: "text/plain" }));
    const reference = await plainDownload(`/filestorage/v1/files/${review.id}/download?mime_type=text%2Fplain`);
    downloads.export_text_plain = { id: review.id, size: text.length, sha256: sha256(text), text: text.toString("utf8"), content_type: reference.contentType };
    check(text.equals(reference.body), "export text/plain: the SDK's bytes differ from the server's");
    check(text.toString("utf8").startsWith("Quarterly Review\n"), `export text/plain: ${JSON.stringify(text.toString("utf8").slice(0, 40))}`);
    check(reference.contentType?.startsWith("text/plain"), `export text/plain: content type ${reference.contentType}`);
    const pdf = await bytesOf(await fs.files.downloadRetrieve(review.id, { mimeType: "application/pdf" }));
    check(pdf.subarray(0, 5).toString("latin1") === "%PDF-", "export application/pdf: not a PDF");
    downloads.export_bad_format = await checks.mergeError("downloadRetrieve(Quarterly Review, image/png)", () =>
      fs.files.downloadRetrieve(review.id, { mimeType: "image/png" }));
    equal(downloads.export_bad_format?.status_code, 400, "downloadRetrieve(Quarterly Review, image/png): status");

    // Signed download link for the export.
    const meta = await fs.files.downloadRequestMetaRetrieve(review.id, { mimeType: "text/plain" });
    equal(meta.id, review.id, "downloadRequestMetaRetrieve(export): id");
    const viaLink = await plainDownload(meta.url, {});
    check(viaLink.body.equals(text), "downloadRequestMetaRetrieve(export): the link's bytes differ from the export");
  }

  // Signed download links: retrieve, and fetched without any credentials.
  const dataset = byName["large-dataset.csv"];
  const meta = await fs.files.downloadRequestMetaRetrieve(dataset.id);
  downloads.request_meta = { id: meta.id, method: meta.method, headers: meta.headers, url_origin: new URL(meta.url).origin };
  equal(meta.id, dataset.id, "downloadRequestMetaRetrieve: id");
  equal(meta.method, "GET", "downloadRequestMetaRetrieve: method");
  equal(meta.headers, {}, "downloadRequestMetaRetrieve: headers");
  check(meta.url.startsWith(baseUrl), `downloadRequestMetaRetrieve: url ${meta.url} is not on ${baseUrl}`);
  const linked = await plainDownload(meta.url, {});
  equal(linked.status, 200, "downloadRequestMetaRetrieve: fetching the url");
  equal(sha256(linked.body), dataset.checksum?.content_hash, "downloadRequestMetaRetrieve: the url's bytes vs. the checksum");

  // The paged list of links, all files, then some ids with a preferred export format.
  const metas = (await walkPages(await fs.files.downloadRequestMetaList({ pageSize: PAGE }))).items;
  equal(sorted(metas.map((m) => m.id)), sorted(files.map((f) => f.id)), "downloadRequestMetaList(): one link per file");
  const chosen = [byName["notes.txt"], byName["Quarterly Review"], byName["budget.csv"]].filter(Boolean);
  const chosenMetas = (await walkPages(await fs.files.downloadRequestMetaList({ ids: chosen.map((f) => f.id), mimeTypes: "text/plain" }))).items;
  equal(sorted(chosenMetas.map((m) => m.id)), sorted(chosen.map((f) => f.id)), "downloadRequestMetaList(ids): the files asked for");
  downloads.request_meta_list = [];
  for (const m of chosenMetas) {
    const file = files.find((f) => f.id === m.id);
    const fetched = await plainDownload(m.url, {});
    const expected = file.name === "Quarterly Review"
      ? await bytesOf(await fs.files.downloadRetrieve(file.id, { mimeType: "text/plain" }))
      : await bytesOf(await fs.files.downloadRetrieve(file.id));
    check(fetched.body.equals(expected), `downloadRequestMetaList: ${file.name}: the link's bytes differ from downloadRetrieve`);
    downloads.request_meta_list.push({ name: file.name, status: fetched.status, size: fetched.body.length, sha256: sha256(fetched.body) });
  }
}

async function writesSection({ files, byName }) {
  const writes = {};
  result.writes = writes;
  const meta = await fs.files.metaPostRetrieve();
  writes.files_meta = { has_conditional_params: meta.hasConditionalParams, has_required_linked_account_params: meta.hasRequiredLinkedAccountParams, status: meta.status };
  const modelSchema = meta.requestSchema?.properties?.model;
  check(modelSchema?.properties?.name != null, `files.metaPostRetrieve: no model.name in ${JSON.stringify(meta.requestSchema).slice(0, 200)}`);
  check(modelSchema?.properties?.file_url != null, "files.metaPostRetrieve: no model.file_url");
  equal(meta.hasConditionalParams, false, "files.metaPostRetrieve: has_conditional_params");
  equal(meta.status?.can_make_request ?? meta.status?.canMakeRequest, true, "files.metaPostRetrieve: status.can_make_request");

  // files.create with a data: URI; then the upload downloads byte-equal.
  const folder = idOf(byName["notes.txt"].folder);
  const content = Buffer.from(`Uploaded through Merge's Node SDK ${sdkVersion}.\nÜmlauts and emoji 🚀 survive.\n`, "utf8");
  const created = await fs.files.create({
    isDebugMode: true,
    model: {
      name: "sdk-upload.txt",
      fileUrl: `data:text/plain;base64,${content.toString("base64")}`,
      mimeType: "text/plain",
      folder,
      checksum: { type: "sha256", content_hash: sha256(content) },
    },
  });
  writes.file_created = { id: created.model?.id, name: created.model?.name, size: created.model?.size, warnings: created.warnings, errors: created.errors, logs: created.logs?.length ?? null };
  equal(created.model?.name, "sdk-upload.txt", "files.create: name");
  equal(idOf(created.model?.folder), folder, "files.create: folder");
  equal(created.model?.size, content.length, "files.create: size");
  equal(created.errors, [], "files.create: errors");
  check(Array.isArray(created.logs) && created.logs.length >= 1, "files.create(isDebugMode): no logs");
  if (created.model?.id) {
    const downloaded = await bytesOf(await fs.files.downloadRetrieve(created.model.id));
    check(downloaded.equals(content), `files.create: the download (${downloaded.length} bytes) differs from the upload (${content.length})`);
    const found = await all(fs.files, { name: "sdk-upload.txt" });
    equal(found.map((f) => f.id), [created.model.id], "files.list(name sdk-upload.txt) after create");
    equal((await fs.files.retrieve(created.model.id)).checksum?.content_hash ?? null, created.model.checksum?.content_hash ?? null, "files.retrieve after create: checksum");
  }
  writes.file_create_refused = await checks.mergeError("files.create without a name", () =>
    fs.files.create({ model: { fileUrl: "data:text/plain;base64,eA==" } }));
  equal(writes.file_create_refused?.status_code, 400, "files.create without a name: status");

  // Folders: meta, create under a parent.
  const folderMeta = await fs.folders.metaPostRetrieve();
  check(folderMeta.requestSchema?.properties?.model?.properties?.parent_folder != null, "folders.metaPostRetrieve: no model.parent_folder");
  const parent = byName["notes.txt"].folder;
  const drive = idOf(byName["notes.txt"].drive);
  const folderCreated = await fs.folders.create({ model: { name: "SDK Folder", parentFolder: idOf(parent), drive } });
  writes.folder_created = { id: folderCreated.model?.id, name: folderCreated.model?.name, warnings: folderCreated.warnings };
  equal(folderCreated.model?.name, "SDK Folder", "folders.create: name");
  equal(idOf(folderCreated.model?.parentFolder), idOf(parent), "folders.create: parent_folder");
  equal(idOf(folderCreated.model?.drive), drive, "folders.create: drive");
  const children = await all(fs.folders, { parentFolderId: idOf(parent) });
  check(children.some((f) => f.id === folderCreated.model?.id), "folders.list(parentFolderId) does not list the new folder");
  return files;
}

async function foldersSection() {
  const folders = await all(fs.folders);
  result.folders = { count: folders.length, names: sorted(folders.map((f) => f.name)) };
  check(folders.length >= 6, `folders.list: ${folders.length} folders, expected at least 6`);
  const byName = Object.fromEntries(folders.map((f) => [f.name, f]));
  const projects = byName.Projects;
  const apollo = byName.Apollo;
  equal((await all(fs.folders, { parentFolderId: apollo.id })).map((f) => f.name), ["Designs"], "folders.list(parentFolderId Apollo)");
  const roots = await all(fs.folders, { parentFolderId: "null" });
  equal(sorted(roots.map((f) => f.id)), sorted(folders.filter((f) => f.parentFolder == null).map((f) => f.id)), "folders.list(parentFolderId null)");
  equal((await all(fs.folders, { name: "Apollo" })).map((f) => f.id), [apollo.id], "folders.list(name Apollo)");
  equal(sorted((await all(fs.folders, { driveId: idOf(apollo.drive) })).map((f) => f.id)),
    sorted(folders.filter((f) => idOf(f.drive) === idOf(apollo.drive)).map((f) => f.id)), "folders.list(driveId)");
  const expanded = await all(fs.folders, { expand: ["parent_folder", "drive"] });
  const apolloExpanded = expanded.find((f) => f.id === apollo.id);
  equal(apolloExpanded?.parentFolder?.id, projects.id, "folders.list(expand): Apollo's parent_folder");
  equal(apolloExpanded?.parentFolder?.name, "Projects", "folders.list(expand): Apollo's parent_folder name");
  equal(apolloExpanded?.drive?.id, idOf(apollo.drive), "folders.list(expand): Apollo's drive");
  const retrieved = await fs.folders.retrieve(apollo.id, { expand: "parent_folder,drive" });
  equal(retrieved.parentFolder?.name, "Projects", "folders.retrieve(expand string): parent_folder");
  check(typeof retrieved.drive?.name === "string", "folders.retrieve(expand string): drive not expanded");
  equal((await fs.folders.retrieve(apollo.id)).parentFolder, projects.id, "folders.retrieve(): parent_folder is the id");
  result.folders.apollo_permissions = apollo.permissions?.map((p) => ({ type: p.type, roles: p.roles })) ?? null;
}

async function peopleSection() {
  const drives = await all(fs.drives);
  result.drives = drives.map((d) => ({ id: d.id, name: d.name, remote_id: d.remoteId }));
  equal(sorted(drives.map((d) => d.name)), ["My Drive", "Team Drive"], "drives.list: names");
  const myDrive = drives.find((d) => d.name === "My Drive");
  equal((await fs.drives.retrieve(myDrive.id)).name, "My Drive", "drives.retrieve: name");
  equal((await all(fs.drives, { name: "Team Drive" })).map((d) => d.name), ["Team Drive"], "drives.list(name)");

  const users = await all(fs.users);
  result.users = users.map((u) => ({ name: u.name, email_address: u.emailAddress, is_me: u.isMe }));
  equal(users.length, 4, "users.list: count");
  equal((await all(fs.users, { emailAddress: "grace@sandbox.example" })).map((u) => u.name), ["Grace Hopper"], "users.list(emailAddress)");
  equal((await all(fs.users, { isMe: "true" })).map((u) => u.name), ["Ada Lovelace"], "users.list(isMe true)");
  equal(sorted((await all(fs.users, { isMe: "false" })).map((u) => u.name)), ["Alan Turing", "Grace Hopper", "Katherine Johnson"], "users.list(isMe false)");
  const grace = users.find((u) => u.name === "Grace Hopper");
  const graceRetrieved = await fs.users.retrieve(grace.id);
  equal([graceRetrieved.id, graceRetrieved.emailAddress, graceRetrieved.isMe], [grace.id, "grace@sandbox.example", false], "users.retrieve");

  const groups = await all(fs.groups, { expand: ["users", "child_groups"] });
  const everyone = groups.find((g) => g.name === "Everyone");
  const engineering = groups.find((g) => g.name === "Engineering");
  result.groups = groups.map((g) => ({
    name: g.name,
    users: g.users.map((u) => (typeof u === "object" ? u.name : u)),
    child_groups: (g.childGroups ?? []).map((c) => (typeof c === "object" ? c.name : c)),
  }));
  equal(sorted(groups.map((g) => g.name)), ["Engineering", "Everyone"], "groups.list: names");
  equal(sorted(everyone?.users?.map((u) => u?.name) ?? []), ["Ada Lovelace", "Alan Turing", "Grace Hopper", "Katherine Johnson"], "groups.list(expand): Everyone's users");
  equal(everyone?.childGroups?.map((c) => c?.name), ["Engineering"], "groups.list(expand): Everyone's child_groups");
  equal(sorted(engineering?.users?.map((u) => u?.name) ?? []), ["Alan Turing", "Grace Hopper"], "groups.list(expand): Engineering's users");
  const plain = await fs.groups.retrieve(everyone.id);
  check(plain.users.every((u) => typeof u === "string"), "groups.retrieve(): users are not ids without expand");
  equal(plain.childGroups, [engineering.id], "groups.retrieve(): child_groups");
  const expanded = await fs.groups.retrieve(everyone.id, { expand: "users,child_groups" });
  equal(expanded.childGroups?.map((c) => c?.name), ["Engineering"], "groups.retrieve(expand string): child_groups");
}

const sections = [["files", filesSection], ["folders", foldersSection], ["people", peopleSection]];
let fileState = null;
for (const [name, run] of sections) {
  try {
    const state = await run();
    if (name === "files") fileState = state;
  } catch (error) {
    checks.unexpected(error, name);
  }
}
if (fileState) {
  for (const [name, run] of [["downloads", downloadsSection], ["writes", writesSection]]) {
    try {
      await run(fileState);
    } catch (error) {
      checks.unexpected(error, name);
    }
  }
}
result.iso_now = iso(new Date());
finish(result, checks);
