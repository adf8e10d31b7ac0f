// The worker pool (issue 11, item 5): with `workers` > 1 the files are
// decoded and hashed by that many workers while one worker holds the list
// and matches their hashes. The verdicts are those of a single worker
// (matches, decode errors, hashes), in every decode mode, and checks asked
// for at once are all answered.
import assert from "node:assert/strict";
import { basename } from "node:path";
import { after, before, describe, test } from "node:test";

import { TIMEOUT, makeFixtures, start } from "./helpers.js";

describe("worker pool", { timeout: 3 * TIMEOUT }, () => {
  let env;
  let page;
  let files;
  let urls;

  before(async () => {
    files = makeFixtures();
    urls = [
      ...files.listed.map((p) => `/demo/${basename(p)}`),
      ...[files.oriented, files.unlisted, files.unlistedLarge, files.truncated, files.garbage, files.avif]
        .filter(Boolean).map((p) => `/fixtures/${basename(p)}`),
    ];
    env = await start({ mounts: { "/fixtures/": files.dir } });
    page = await env.newPage("/embed.html");
  });

  after(async () => {
    await env?.stop();
    files?.cleanup();
  });

  test("a pool of 3 gives one worker's verdicts, in every decode mode, all asked at once", async () => {
    const got = await page.evaluate(async (urls) => {
      // What must agree between the two.
      const answer = (v) => ({
        matched: v.matched, decodeError: v.decodeError?.code ?? null, decodedBy: v.decodedBy ?? null,
        pdq: v.pdq ?? null, pdqQuality: v.pdqQuality ?? null, md5: v.md5 ?? null, sha256: v.sha256 ?? null,
        matches: v.matches.map(({ signal, entry, distance, variant, label }) => ({ signal, entry, distance, variant, label })),
      });
      const prescan = await import("./prescan.js");
      const key = (await (await fetch("demo/demo-key.json")).json()).publicKey;
      const init = { list: "demo/demo.list", publicKeys: [key], sequenceStore: false };
      const one = await prescan.createChecker({ ...init, workers: 1 });
      const pool = await prescan.createChecker({ ...init, workers: 3 });
      const bytes = await Promise.all(urls.map(async (u) => new Uint8Array(await (await fetch(u)).arrayBuffer())));
      const out = {};
      for (const decode of ["wasm", "browser", "auto"]) {
        const [a, b] = await Promise.all([one, pool].map((c) => Promise.all(bytes.map((x) => c.checkBytes(x, { decode })))));
        out[decode] = { one: a.map(answer), pool: b.map(answer) };
      }
      one.close();
      pool.close();
      return out;
    }, urls);
    for (const decode of ["wasm", "browser", "auto"]) {
      urls.forEach((u, i) => assert.deepEqual(got[decode].pool[i], got[decode].one[i], `${u}, ${decode}`));
      assert.ok(got[decode].one.some((a) => a.matched), "some file matched");
    }
  });

  test("workers out of range are refused", async () => {
    const codes = await page.evaluate(async () => {
      const prescan = await import("./prescan.js");
      const out = [];
      for (const workers of [0, 1.5, 17, "2"]) {
        try {
          await prescan.createChecker({ list: "demo/demo.list", publicKeys: ["00".repeat(32)], workers });
          out.push("created");
        } catch (e) {
          out.push(e.code);
        }
      }
      return out;
    });
    assert.deepEqual(codes, ["bad_argument", "bad_argument", "bad_argument", "bad_argument"]);
  });

  test("no page errors", () => {
    assert.deepEqual(env.problems, []);
  });
});
