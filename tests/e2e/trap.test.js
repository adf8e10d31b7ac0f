// A worker whose Wasm instance traps, or that dies, in the middle of a
// check: that check fails with its own code (wasm_trapped, worker_failed),
// the checks queued behind it are answered by a fresh worker (which
// verified the list again), and later checks work. The failures are made
// by tests/e2e/workers/trap-worker.js, prescan's worker with two test
// hooks, passed as createChecker's workerUrl.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";

import { REPO, TIMEOUT, png, signedList, start } from "./helpers.js";

const md5 = (bytes) => createHash("md5").update(bytes).digest("hex");

describe("trap recovery", { timeout: 4 * TIMEOUT }, () => {
  let env;
  let page;
  const listed = png(64, 48, (x, y) => [(x * 5) & 255, (y * 7) & 255, (x ^ y) & 255]);
  const unlisted = png(64, 48, (x, y) => [(y * 3) & 255, (x * 11) & 255, 90]);

  before(async () => {
    const { bytes, publicKey } = signedList([`md5 ${md5(listed)} listed`]);
    env = await start({ mounts: { "/test-workers/": join(REPO, "tests", "e2e", "workers") } });
    page = await env.newPage("/embed.html");
    await page.evaluate(async ([list, key]) => {
      window.__prescan = await import("./prescan.js");
      const progress = (window.__progress = []);
      window.__checker = await window.__prescan.createChecker({
        list: new Uint8Array(list), publicKeys: [key], workerUrl: "/test-workers/trap-worker.js",
        onProgress: (p) => progress.push(p.stage),
      });
      const marked = (mark, size) => {
        const bytes = new Uint8Array(size);
        bytes.set(new TextEncoder().encode(mark));
        return bytes;
      };
      // Big enough that the check must grow the instance's memory.
      window.__exhaust = marked("PRESCAN-TEST:exhaust-memory", 16 << 20);
      window.__die = marked("PRESCAN-TEST:die", 1024);
    }, [[...bytes], publicKey]);
  });

  after(async () => {
    await env?.stop();
  });

  /** Checks `good` after `bad` (asked for at once), then `good` again. */
  function around(bad, good) {
    return page.evaluate(async ([bad, good]) => {
      const c = window.__checker;
      const code = (p) => p.then((v) => ({ matched: v.matched }), (e) => ({ code: e.code, message: e.message }));
      const [failed, queued] = await Promise.all([code(c.checkBytes(window[bad])), code(c.checkBytes(new Uint8Array(good)))]);
      const later = await code(c.checkBytes(new Uint8Array(good)));
      return { failed, queued, later };
    }, [bad, [...good]]);
  }

  test("a trap fails its check with wasm_trapped; a fresh worker answers the rest", async () => {
    const got = await around("__exhaust", listed);
    assert.equal(got.failed.code, "wasm_trapped", JSON.stringify(got.failed));
    assert.deepEqual(got.queued, { matched: true });
    assert.deepEqual(got.later, { matched: true });
  });

  test("a worker that dies fails its check with worker_failed; a fresh worker answers the rest", async () => {
    const got = await around("__die", unlisted);
    assert.equal(got.failed.code, "worker_failed", JSON.stringify(got.failed));
    assert.deepEqual(got.queued, { matched: false });
    assert.deepEqual(got.later, { matched: false });
  });

  test("a trap twice over: each time a fresh worker, the list verified again", async () => {
    for (let round = 0; round < 2; round++) {
      const got = await around("__exhaust", listed);
      assert.equal(got.failed.code, "wasm_trapped");
      assert.deepEqual(got.later, { matched: true });
    }
    // The replacements loaded silently: the host saw one load.
    const stages = await page.evaluate(() => window.__progress);
    assert.equal(stages.filter((s) => s === "ready").length, 1, stages.join(","));
  });

  test("no page errors", () => {
    // The dying worker's uncaught error is the worker's, not the page's.
    assert.deepEqual(env.problems.filter((p) => !p.includes("test: the worker dies")), []);
  });
});
