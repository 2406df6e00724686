// Drives Tributary's Agent Handler MCP endpoint with the official MCP TypeScript SDK client.
// Two phases, because the end user's part (the magic link) happens in a browser in between:
//   node agent.mjs auth  -> lists tools, calls authenticate_sandbox, prints the magic link
//   node agent.mjs use   -> lists tools again, calls the Sandbox data tools, prints what they returned
// Environment: TRIBUTARY_MCP_URL, TRIBUTARY_API_KEY. Prints one JSON document; exit code 1 on failure.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { readFileSync } from "node:fs";

const phase = process.argv[2];
const url = process.env.TRIBUTARY_MCP_URL;
const key = process.env.TRIBUTARY_API_KEY;
const sdkVersion = JSON.parse(readFileSync(new URL("./node_modules/@modelcontextprotocol/sdk/package.json", import.meta.url))).version;
const out = { ok: true, sdk_version: sdkVersion, phase, problems: [] };

function expect(condition, message) {
  if (!condition) {
    out.ok = false;
    out.problems.push(message);
  }
}

function payload(result) {
  const text = result.content?.find((c) => c.type === "text")?.text;
  return { is_error: result.isError === true, json: text ? JSON.parse(text) : null };
}

const client = new Client({ name: "tributary-interop", version: "1.0.0" });
const transport = new StreamableHTTPClientTransport(new URL(url), {
  requestInit: { headers: { Authorization: `Bearer ${key}`, "X-Chat-Id": "interop-chat-1" } },
});
try {
  await client.connect(transport);
  out.server = client.getServerVersion();
  out.protocol_version = transport.protocolVersion ?? null;
  const tools = (await client.listTools()).tools;
  out.tools = tools.map((t) => t.name);
  for (const tool of tools) {
    expect(typeof tool.description === "string" && tool.inputSchema?.type === "object", `tool ${tool.name} lacks description or object input schema`);
  }
  if (phase === "auth") {
    expect(out.tools.includes("authenticate_sandbox"), "authenticate_sandbox is not listed before authentication");
    expect(!out.tools.includes("sandbox__list_files"), "data tools are listed before authentication");
    const auth = payload(await client.callTool({ name: "authenticate_sandbox", arguments: {} }));
    out.authenticate = auth;
    expect(!auth.is_error && typeof auth.json?.magic_link_url === "string", "authenticate_sandbox returned no magic_link_url");
    const early = payload(await client.callTool({ name: "sandbox__list_files", arguments: {} }));
    out.data_tool_before_auth = early;
  } else if (phase === "use") {
    expect(out.tools.includes("sandbox__list_files"), "sandbox__list_files is not listed after authentication");
    expect(!out.tools.includes("authenticate_sandbox"), "authenticate_sandbox is still listed after authentication");
    const files = payload(await client.callTool({ name: "sandbox__list_files", arguments: { page_size: 100 } }));
    out.files = files;
    expect(!files.is_error && Array.isArray(files.json?.results) && files.json.results.length > 0, "sandbox__list_files returned no files");
    const text = files.json?.results?.find((f) => (f.mime_type ?? "").startsWith("text/"));
    if (text) {
      out.read = payload(await client.callTool({ name: "sandbox__read_file_content", arguments: { file_id: text.id, max_bytes: 4096 } }));
      expect(!out.read.is_error && typeof out.read.json?.content === "string", "sandbox__read_file_content returned no content");
    }
    const invalid = payload(await client.callTool({ name: "sandbox__get_file_metadata", arguments: { file_id: 42 } }));
    out.invalid = invalid;
    expect(invalid.is_error && invalid.json?.error === "invalid_input", "invalid input was not an invalid_input error result");
    out.ping = await client.ping();
  } else {
    expect(false, `unknown phase ${phase}: use auth or use`);
  }
} catch (e) {
  out.ok = false;
  out.problems.push(String(e?.stack ?? e));
} finally {
  await client.close().catch(() => {});
}
console.log(JSON.stringify(out, null, 2));
process.exit(out.ok ? 0 : 1);
