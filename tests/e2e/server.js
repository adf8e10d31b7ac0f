// A tiny static server for www/, with a strict Content-Security-Policy so
// the browser tests prove the pages work under it, and test-only routes:
// /demo/tampered.list, the demo list with one byte flipped;
// /test/endless.list, a body without Content-Length (chunked) that never
// ends; /test/declared.list, which declares a 1 GiB + 1 body, sends a
// little and then stalls. The two never finish: only a client that stops
// reading ends them. POST /test/upload (any query) is an upload endpoint
// that records what it received (`uploads`). `connect` (an option, or allowConnect() later) adds
// origins to the CSP's connect-src: a matcher's, for remote mode.
import { createHash } from "node:crypto";
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join, normalize, sep } from "node:path";

/** The policy, with `connect` (origins) added to connect-src. */
export function cspWith(connect = []) {
  return [
    "default-src 'self'",
    "script-src 'self' 'wasm-unsafe-eval'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    // The <video> fallback of videos plays the picked file from a blob: URL.
    "media-src blob:",
    ["connect-src 'self'", ...connect].join(" "),
    "worker-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

export const CSP = cspWith();

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".wasm": "application/wasm",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".list": "application/octet-stream",
  ".ts": "text/plain; charset=utf-8",
  ".md": "text/markdown; charset=utf-8",
};

/** Flips one byte in the middle of the list body (inside the signed part). */
export function tamper(bytes) {
  const out = Buffer.from(bytes);
  const at = Math.floor(out.length / 2);
  out[at] ^= 0x01;
  return out;
}

/**
 * Streams 64 KiB chunks (after `declared`: that Content-Length) until the
 * client goes away; `log` records how much was written and when it closed.
 */
function endless(res, log, declared, csp) {
  const headers = { "Content-Type": "application/octet-stream", "Content-Security-Policy": csp, "Cache-Control": "no-store" };
  if (declared) headers["Content-Length"] = String(declared);
  res.writeHead(200, headers);
  const chunk = Buffer.alloc(64 * 1024, 0x5a);
  res.on("close", () => (log.closed = true));
  const write = () => {
    if (log.closed) return;
    log.written += chunk.length;
    // Declared bodies stall after the first chunk: only the header can say they are too large.
    if (declared) return void res.write(chunk);
    // Paced (about 13 MB/s), so that a client which never stops reading
    // fills its memory slowly enough for a test to fail first.
    if (res.write(chunk)) setTimeout(write, 5);
    else res.once("drain", write);
  };
  write();
}

/**
 * The files of an upload's body: a multipart form's (each file field), or
 * the body itself. Each: `{ field, name, size, sha256 }`.
 */
async function uploadedFiles(req, body) {
  const type = req.headers["content-type"] ?? "";
  const sha256 = (bytes) => createHash("sha256").update(bytes).digest("hex");
  if (!type.startsWith("multipart/form-data")) return [{ field: null, name: null, size: body.length, sha256: sha256(body) }];
  const form = await new Response(body, { headers: { "Content-Type": type } }).formData();
  const files = [];
  for (const [field, value] of form) {
    if (typeof value === "string") continue;
    const bytes = Buffer.from(await value.arrayBuffer());
    files.push({ field, name: value.name, size: bytes.length, sha256: sha256(bytes) });
  }
  return files;
}

/**
 * Serves `root` on 127.0.0.1 (`port` 0: any free port), and each directory of
 * `mounts` under its URL prefix (e.g. `{ "/bench-inputs/": dir }`).
 * `requests` logs every request; `streams` each endless response: `{ path,
 * written, closed }`. `connect`: origins the pages may connect to besides
 * their own (a matcher's URL or origin); allowConnect(url) adds one.
 */
export async function startServer(root, port = 0, mounts = {}, { connect = [] } = {}) {
  const requests = [];
  const uploads = [];
  const streams = [];
  const origins = new Set(connect.map((u) => new URL(u).origin));
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, "http://x");
    requests.push({ method: req.method, path: url.pathname, search: url.search });
    const send = (status, body, type) => {
      res.writeHead(status, {
        "Content-Type": type,
        "Content-Security-Policy": cspWith([...origins]),
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
      });
      res.end(req.method === "HEAD" ? undefined : body);
    };
    if (req.method === "POST" && url.pathname === "/test/upload") {
      const chunks = [];
      for await (const c of req) chunks.push(c);
      const files = await uploadedFiles(req, Buffer.concat(chunks));
      uploads.push({ search: url.search, tag: url.searchParams.get("tag"), files });
      // An id as FilePond's process endpoint answers, in a JSON body as XHRUpload reads one.
      return send(200, JSON.stringify({ id: String(uploads.length) }), "application/json");
    }
    if (req.method !== "GET" && req.method !== "HEAD") return send(405, "method not allowed", "text/plain");
    if (url.pathname === "/test/endless.list" || url.pathname === "/test/declared.list") {
      const log = { path: url.pathname, written: 0, closed: false };
      streams.push(log);
      return endless(res, log, url.pathname === "/test/declared.list" ? 2 ** 30 + 1 : 0, cspWith([...origins]));
    }
    let path = decodeURIComponent(url.pathname);
    let dir = root;
    for (const [prefix, mounted] of Object.entries(mounts)) {
      if (path.startsWith(prefix)) {
        dir = mounted;
        path = path.slice(prefix.length - 1);
        break;
      }
    }
    if (path.endsWith("/")) path += "index.html";
    const file = normalize(join(dir, path));
    if (!file.startsWith(normalize(dir) + sep)) return send(403, "forbidden", "text/plain");
    try {
      if (path === "/demo/tampered.list") {
        return send(200, tamper(await readFile(join(root, "demo/demo.list"))), TYPES[".list"]);
      }
      const body = await readFile(file);
      send(200, body, TYPES[extname(file)] ?? "application/octet-stream");
    } catch {
      send(404, "not found", "text/plain");
    }
  });
  await new Promise((resolve) => server.listen(port, "127.0.0.1", resolve));
  const { port: bound } = server.address();
  return {
    url: `http://127.0.0.1:${bound}`,
    requests,
    streams,
    /** What POST /test/upload received: `{ search, tag, files }` a request (uploadedFiles). */
    uploads,
    /** Lets the pages served from now on connect to `url`'s origin. */
    allowConnect: (url) => void origins.add(new URL(url).origin),
    close: () => new Promise((resolve) => {
      server.close(resolve);
      // An endless response a client left open would keep close() waiting.
      server.closeAllConnections();
    }),
  };
}
