// Loading a list, failing closed: the fetch is capped by maxListBytes,
// options reach the Wasm checker unchanged (and a bad one is refused), and
// a list older than one seen before is refused (rollback protection).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { TIMEOUT, start } from "./helpers.js";

// How long a load may take before the test calls it stuck.
const STUCK_MS = 15_000;

describe("loading a list", { timeout: 5 * TIMEOUT }, () => {
  let env;
  let page;

  before(async () => {
    env = await start();
    page = await env.newPage("/embed.html");
    await page.evaluate(async () => {
      window.__prescan = await import("./prescan.js");
      window.__key = (await (await fetch("demo/demo-key.json")).json()).publicKey;
      window.__list = new Uint8Array(await (await fetch("demo/demo.list")).arrayBuffer());
    });
  });

  after(async () => {
    await env?.stop();
  });

  /** createChecker(init) in the page (list and key default to the demo's): "loaded" or the error's code and message. */
  function load(init) {
    return page.evaluate(async ([init, stuckMs]) => {
      const stuck = new Promise((resolve) => setTimeout(() => resolve({ code: "stuck" }), stuckMs));
      const loading = window.__prescan.createChecker({ list: window.__list, publicKeys: [window.__key], ...init }).then(
        (c) => (c.close(), { code: "loaded", info: c.listInfo }),
        (e) => ({ code: e.code, message: e.message }));
      return Promise.race([loading, stuck]);
    }, [init, STUCK_MS]);
  }

  async function streamClosed(path) {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const s = env.server.streams.find((x) => x.path === path);
      if (s?.closed || Date.now() > deadline) return s;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  test("stops reading a body without Content-Length once it passes maxListBytes", async () => {
    const out = await load({ list: "test/endless.list", options: { maxListBytes: 1 << 20 } });
    assert.equal(out.code, "list_too_large", JSON.stringify(out));
    const stream = await streamClosed("/test/endless.list");
    assert.equal(stream?.closed, true, "the browser stopped reading: the connection closed");
  });

  test("refuses a body whose Content-Length is over the default maxListBytes (1 GiB) before reading it", async () => {
    const out = await load({ list: "test/declared.list" });
    assert.equal(out.code, "list_too_large", JSON.stringify(out));
    assert.match(out.message, /1073741824/);
    const stream = await streamClosed("/test/declared.list");
    assert.equal(stream?.closed, true);
  });

  test("passes the options to the Wasm checker, which refuses a bad one", async () => {
    const wrongType = await load({ options: { minSequence: "42" } });
    assert.equal(wrongType.code, "bad_option", JSON.stringify(wrongType));
    assert.match(wrongType.message, /minSequence/);
    const unknown = await load({ options: { minSequense: 42 } });
    assert.equal(unknown.code, "bad_option", JSON.stringify(unknown));
    assert.match(unknown.message, /minSequense/);
    const fine = await load({ options: { minSequence: 1, now: Date.now() / 1000, maxListBytes: 1 << 20 } });
    assert.equal(fine.code, "loaded", JSON.stringify(fine));
  });

  test("rollback protection: refuses a list older than the newest seen, by localStorage or a store given", async () => {
    const { info } = await load({ sequenceStore: false });
    assert.equal(info.sequence, 1);
    const key = `prescan:sequence:${info.keyId}:${info.id}`;
    const stored = () => page.evaluate((key) => localStorage.getItem(key), key);

    // By default, localStorage keeps the highest sequence seen.
    await page.evaluate((key) => localStorage.removeItem(key), key);
    assert.equal((await load({})).code, "loaded");
    assert.equal(await stored(), "1");

    await page.evaluate((key) => localStorage.setItem(key, "5"), key);
    const refused = await page.evaluate(async () => {
      const stages = [];
      const code = await window.__prescan.createChecker({
        list: window.__list, publicKeys: [window.__key], onProgress: (p) => stages.push(p.stage),
      }).then(() => "loaded", (e) => ({ code: e.code, message: e.message }));
      return { ...code, stages };
    });
    assert.equal(refused.code, "list_rollback", JSON.stringify(refused));
    assert.match(refused.message, /\b1\b.*\b5\b/);
    assert.equal(refused.stages.at(-1), "error");
    assert.ok(!refused.stages.includes("ready"), JSON.stringify(refused.stages));
    assert.equal(await stored(), "5", "a refused list does not lower what was seen");

    // Off: the same list loads.
    assert.equal((await load({ sequenceStore: false })).code, "loaded");

    // A store of the host's, sync or async.
    const custom = await page.evaluate(async () => {
      const { createChecker } = window.__prescan;
      const calls = [];
      const make = (value) => ({
        get: (k) => (calls.push(["get", k]), value),
        set: (k, v) => void calls.push(["set", k, v]),
      });
      const init = { list: window.__list, publicKeys: [window.__key] };
      const codes = [];
      for (const store of [make(null), make(Promise.resolve(7)), make(1), make(Promise.resolve(0))]) {
        codes.push(await createChecker({ ...init, sequenceStore: store }).then((c) => (c.close(), "loaded"), (e) => e.code));
      }
      return { calls, codes };
    });
    assert.deepEqual(custom.codes, ["loaded", "list_rollback", "loaded", "loaded"]);
    assert.deepEqual(custom.calls, [
      ["get", key], ["set", key, 1], // nothing stored: stores 1
      ["get", key], // 7 stored: refused
      ["get", key], // 1 stored: nothing to raise
      ["get", key], ["set", key, 1], // 0 stored: raised to 1
    ]);
  });

  test("ran with no console errors, page errors or CSP violations", async () => {
    assert.deepEqual(await page.evaluate(() => window.__csp), []);
    // The two endless bodies end as aborted requests: that is the point.
    // (Chromium: net::ERR_ABORTED or ERR_FAILED; Firefox: NS_BASE_STREAM_CLOSED.)
    const problems = env.problems.filter((p) => !/\/test\/(endless|declared)\.list (net::ERR_(ABORTED|FAILED)|NS_BASE_STREAM_CLOSED|NS_BINDING_ABORTED)$/.test(p));
    assert.deepEqual(problems, []);
  });
});
