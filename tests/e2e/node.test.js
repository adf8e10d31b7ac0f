// prescan/node: the same files checked in Node (worker_threads, the Wasm
// module read from disk) and in the browser (ENGINE, Chromium by default)
// give the same verdicts, field for field (matches, distances, variants,
// hashes, decode errors), in local mode and, in Node, against `prescan
// serve` (remote mode); Node's options and errors; and the example upload
// endpoint (www/examples/node-upload.mjs) refusing a listed file and
// storing an unlisted one.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { basename, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { pathToFileURL } from "node:url";

import { DEMO, TIMEOUT, WWW, demoKey, makeFixtures, pngUndecodable, start, startMatcher } from "./helpers.js";

const { createChecker } = await import(pathToFileURL(join(WWW, "node.js")).href);
const { uploadHandler } = await import(pathToFileURL(join(WWW, "examples", "node-upload.mjs")).href);

/** A verdict less its timings, which differ from run to run. */
const untimed = ({ elapsedMs, totalMs, ...rest }) => rest;

describe("prescan/node", { timeout: 4 * TIMEOUT }, () => {
  let files;
  let paths;
  let checker;
  let env;

  before(async () => {
    files = makeFixtures();
    paths = [
      ...files.listed, files.unlisted, files.unlistedLarge, files.truncated, files.garbage, files.oriented,
      ...Object.values(files.orientations),
    ];
    checker = await createChecker({ list: join(DEMO, "demo.list"), publicKeys: [demoKey()] });
  });

  after(async () => {
    checker?.close();
    await env?.stop();
    files?.cleanup();
  });

  test("checks the same files as the browser, with the same verdicts", async () => {
    const inNode = await Promise.all(paths.map((p) => checker.checkBytes(readFileSync(p))));
    env = await start({ mounts: { "/fixtures/": files.dir } });
    const page = await env.newPage("/embed.html");
    const inBrowser = await page.evaluate(async (urls) => {
      const { createChecker } = await import("./prescan.js");
      const { publicKey } = await (await fetch("demo/demo-key.json")).json();
      const c = await createChecker({ list: "demo/demo.list", publicKeys: [publicKey], decode: "wasm" });
      const bytes = await Promise.all(urls.map(async (u) => new Uint8Array(await (await fetch(u)).arrayBuffer())));
      const verdicts = await Promise.all(bytes.map((b) => c.checkBytes(b)));
      c.close();
      return verdicts;
    }, paths.map((p) => (p.startsWith(DEMO) ? `demo/${basename(p)}` : `/fixtures/${basename(p)}`)));
    for (const [i, p] of paths.entries()) assert.deepEqual(untimed(inNode[i]), untimed(inBrowser[i]), basename(p));
    // Not vacuous: matches (by PDQ, at a distance, in a variant), clear files, undecodable ones.
    assert.ok(inNode[0].matches.some((m) => m.signal === "pdq" && m.distance === 0 && m.variant === "original"), JSON.stringify(inNode[0].matches));
    assert.ok(inNode.some((v) => v.matches.some((m) => m.signal === "pdq" && m.distance > 0)), "a PDQ match at a distance");
    assert.equal(inNode[3].matched, false);
    assert.equal(inNode[6].decodeError?.code, "unsupported_format");
    assert.equal(inNode[0].decodedBy, "wasm");
    assert.deepEqual(env.problems, []);
  });

  test("remote mode in Node: the matcher's verdicts are local mode's", async () => {
    const matcher = await startMatcher();
    try {
      const remote = await createChecker({ matcher: { url: matcher.url, timeoutMs: 5000 }, publicKeys: [demoKey()] });
      try {
        const some = [files.listed[0], files.listed[2], files.unlisted, files.garbage];
        const [r, l] = await Promise.all([remote, checker].map((c) => Promise.all(some.map((p) => c.checkBytes(readFileSync(p))))));
        for (const [i, p] of some.entries()) assert.deepEqual(untimed(r[i]), untimed(l[i]), basename(p));
        assert.equal(r[0].matched, true);
        assert.equal(remote.listInfo.id, checker.listInfo.id);
      } finally {
        remote.close();
      }
    } finally {
      await matcher.stop();
    }
  });

  test("a list from bytes, a file: URL, Blobs; Wasm decoding only; the list's errors", async () => {
    const list = readFileSync(join(DEMO, "demo.list"));
    const fromBytes = await createChecker({ list, publicKeys: [demoKey()], workers: 1 });
    const fromUrl = await createChecker({ list: pathToFileURL(join(DEMO, "demo.list")), publicKeys: [demoKey()], workers: 2 });
    try {
      const blob = new Blob([readFileSync(files.listed[1])]);
      assert.equal((await fromBytes.checkFile(blob)).matched, true);
      assert.equal((await fromUrl.checkBytes(readFileSync(files.unlisted))).matched, false);
      assert.equal((await fromUrl.checkBytes(pngUndecodable(64, 64))).decodeError?.code, "decode_failed");
      assert.equal(await fromBytes.checkBytes(list, { decode: "browser" }).catch((e) => e.code), "bad_argument");
      assert.throws(() => (fromBytes.decode = "auto"), { code: "bad_argument" });
      assert.equal(fromBytes.decode, "wasm");
      const aborted = new AbortController();
      aborted.abort();
      assert.equal(await fromBytes.checkBytes(list, { signal: aborted.signal }).catch((e) => e.code), "aborted");
    } finally {
      fromBytes.close();
      fromUrl.close();
    }
    const refused = (init) => createChecker({ publicKeys: [demoKey()], ...init }).then(() => "created", (e) => e.code);
    const tampered = Buffer.from(list);
    tampered[tampered.length >> 1] ^= 1;
    assert.equal(await refused({ list: tampered }), "list_bad_signature");
    assert.equal(await refused({ list: join(files.dir, "no.list") }), "list_fetch_failed");
    assert.equal(await refused({ list, decode: "auto" }), "bad_argument");
    assert.equal(await refused({ list, workerUrl: "x.js" }), "bad_argument");
    // The Wasm checker's own options apply as in the browser.
    assert.equal(await refused({ list, options: { minSequence: checker.listInfo.sequence + 1 } }), "list_rollback");
  });

  test("the example upload endpoint refuses a listed file (422, its code) and stores an unlisted one", async () => {
    const stored = [];
    const server = createServer(uploadHandler(checker, { maxBytes: 4 << 20, store: async (f) => void stored.push(...f) }));
    await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${server.address().port}/upload`;
    const post = async (list) => {
      const form = new FormData();
      for (const p of list) form.append("file", new Blob([readFileSync(p)]), basename(p));
      const r = await fetch(url, { method: "POST", body: form });
      return { status: r.status, body: await r.json() };
    };
    try {
      assert.deepEqual(await post([files.listed[0]]), {
        status: 422, body: { error: { code: "matched", message: "This image cannot be uploaded.", file: "scene.png" } } });
      assert.deepEqual(await post([files.unlisted, files.listed[2]]), {
        status: 422, body: { error: { code: "matched", message: "This image cannot be uploaded.", file: "photo-like.jpg" } } });
      assert.equal((await post([files.garbage])).body.error.code, "unsupported_format");
      assert.deepEqual(stored, [], "nothing refused is stored");
      const unlisted = readFileSync(files.unlisted);
      assert.deepEqual(await post([files.unlisted]), { status: 201, body: { accepted: [{ name: "unlisted.png", size: unlisted.length }] } });
      assert.deepEqual(stored.map((f) => [f.name, Buffer.from(f.bytes).equals(unlisted)]), [["unlisted.png", true]]);
      // A raw body is one file; one over maxBytes is refused unread.
      const raw = await fetch(url, { method: "POST", body: readFileSync(files.listed[1]), headers: { "X-File-Name": "g.png" } });
      assert.equal(raw.status, 422);
      const big = await fetch(url, { method: "POST", body: Buffer.alloc(5 << 20) }).then((r) => r.status, () => 413);
      assert.equal(big, 413);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
