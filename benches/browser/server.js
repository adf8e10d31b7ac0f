// Static server of the browser benchmark: www/ under the same strict
// Content-Security-Policy as the browser tests (tests/e2e/server.js), plus
// the benchmark's generated inputs under /bench-inputs/. No caching
// ("no-store"), as in the tests, so every list load really fetches.
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join, normalize, sep } from "node:path";

import { CSP } from "../../tests/e2e/server.js";

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".wasm": "application/wasm",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".list": "application/octet-stream",
};

const INPUTS = "/bench-inputs/";

/** Serves `www` at / and `inputs` at /bench-inputs/ on a free port of 127.0.0.1. */
export async function startBenchServer({ www, inputs }) {
  const server = createServer(async (req, res) => {
    const send = (status, body, type) => {
      res.writeHead(status, {
        "Content-Type": type,
        "Content-Security-Policy": CSP,
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
      });
      res.end(req.method === "HEAD" ? undefined : body);
    };
    if (req.method !== "GET" && req.method !== "HEAD") return send(405, "method not allowed", "text/plain");
    let path = decodeURIComponent(new URL(req.url, "http://x").pathname);
    let root = www;
    if (path.startsWith(INPUTS)) {
      root = inputs;
      path = path.slice(INPUTS.length - 1);
    }
    if (path.endsWith("/")) path += "index.html";
    const file = normalize(join(root, path));
    if (!file.startsWith(normalize(root) + sep)) return send(403, "forbidden", "text/plain");
    try {
      send(200, await readFile(file), TYPES[extname(file)] ?? "application/octet-stream");
    } catch {
      send(404, "not found", "text/plain");
    }
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
