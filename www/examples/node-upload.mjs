// An upload endpoint with Node's own http module that checks again, on the
// server, the bytes each upload brought, with prescan/node against the
// same signed list the pages check with: what the browser let through is
// not taken on trust. No framework: a multipart body is read by the fetch
// API's Response.formData() (Node 20+).
//
//   node www/examples/node-upload.mjs LIST PUBLIC_KEY_HEX [PORT]
//
// POST /upload, multipart/form-data (its file fields) or a raw body (one file):
//   201 { accepted: [{ name, size }] }            every file clear: stored
//   422 { error: { code, message, file } }        a file refused: code "matched", or
//                                                 its decodeError's code (not checkable)
//   413 { error: { code: "too_large", … } }       body over maxBytes
//   503 { error: { code, message } }              the check failed (the list, a worker)
import { createServer } from "node:http";
import { pathToFileURL } from "node:url";

import { createChecker } from "../node.js"; // in an app: from "prescan/node"

const json = (res, status, body) => res.writeHead(status, { "Content-Type": "application/json" }).end(JSON.stringify(body));

/** The body, or null once it goes over `maxBytes` (the request is then answered 413). */
async function readBody(req, maxBytes) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > maxBytes) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** The uploaded files: `{ name, bytes }` each. */
async function filesOf(req, body) {
  const type = req.headers["content-type"] ?? "";
  if (!type.startsWith("multipart/form-data")) return [{ name: req.headers["x-file-name"] ?? "upload", bytes: body }];
  const form = await new Response(body, { headers: { "Content-Type": type } }).formData();
  const files = [...form.values()].filter((v) => typeof v !== "string");
  return Promise.all(files.map(async (f) => ({ name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) })));
}

/**
 * A request handler for POST /upload: every file is checked with
 * `checker` before `store(files)` is called; one refused file refuses the
 * upload. An undecodable file is refused: the server cannot vouch for it.
 */
export function uploadHandler(checker, { maxBytes = 64 << 20, store = async () => {} } = {}) {
  return async (req, res) => {
    if (req.method !== "POST" || new URL(req.url, "http://x").pathname !== "/upload") return json(res, 404, { error: { code: "not_found" } });
    const body = await readBody(req, maxBytes);
    if (body === null) {
      json(res, 413, { error: { code: "too_large", message: `the upload is over ${maxBytes} bytes` } });
      return req.destroy();
    }
    const files = await filesOf(req, body);
    let verdicts;
    try {
      // Here is the check: the bytes received, against the list.
      verdicts = await Promise.all(files.map((f) => checker.checkBytes(f.bytes)));
    } catch (e) {
      return json(res, 503, { error: { code: e.code ?? "check_failed", message: e.message } });
    }
    const refused = verdicts.findIndex((v) => v.matched || v.decodeError);
    if (refused >= 0) {
      const v = verdicts[refused];
      // The matches stay on the server (log them): the uploader learns only that the file is refused.
      const [code, message] = v.matched ? ["matched", "This image cannot be uploaded."] : [v.decodeError.code, "This file could not be checked."];
      return json(res, 422, { error: { code, message, file: files[refused].name } });
    }
    await store(files);
    json(res, 201, { accepted: files.map((f) => ({ name: f.name, size: f.bytes.length })) });
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [list, publicKey, port = "8080"] = process.argv.slice(2);
  if (!list || !publicKey) {
    console.error("usage: node node-upload.mjs LIST PUBLIC_KEY_HEX [PORT]");
    process.exit(2);
  }
  const checker = await createChecker({ list, publicKeys: [publicKey] });
  const server = createServer(uploadHandler(checker)).listen(Number(port), "127.0.0.1", () => {
    console.error(`POST http://127.0.0.1:${server.address().port}/upload (list "${checker.listInfo.id}", sequence ${checker.listInfo.sequence})`);
  });
  process.once("SIGTERM", () => server.close(() => checker.close()));
}
