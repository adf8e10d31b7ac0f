// createChecker used directly (as a host would), on a page under the CSP.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";

import { TIMEOUT, makeFixtures, start } from "./helpers.js";

describe("createChecker", { timeout: 3 * TIMEOUT }, () => {
  let env;
  let page;
  let files;

  before(async () => {
    files = makeFixtures();
    env = await start();
    page = await env.newPage("/embed.html");
  });

  after(async () => {
    await env?.stop();
    files?.cleanup();
  });

  /** Runs `body(prescan, key, listBytes, file bytes...)` in the page. */
  async function run(body, ...paths) {
    await page.evaluate(async () => {
      window.__prescan = await import("./prescan.js");
      window.__key = (await (await fetch("demo/demo-key.json")).json()).publicKey;
      window.__list = new Uint8Array(await (await fetch("demo/demo.list")).arrayBuffer());
    });
    const blobs = paths.map((p) => [...readFileSync(p)]);
    // Playwright evaluates `body` itself (through DevTools, outside the CSP).
    return page.evaluate(body, blobs);
  }

  test("loads from bytes, reports progress, checks bytes and pixels, closes", async () => {
    const out = await run(async ([listed]) => {
      const { __prescan: prescan, __key: key, __list: list } = window;
      listed = new Uint8Array(listed);
      const stages = [];
      const c = await prescan.createChecker({ list, publicKeys: [key], onProgress: (p) => stages.push(p.stage), options: { now: Date.now() / 1000 } });
      const listStillUsable = list.byteLength > 0;
      const bytes = await c.checkBytes(listed);
      const bmp = await createImageBitmap(new Blob([listed]));
      const ctx = new OffscreenCanvas(bmp.width, bmp.height).getContext("2d");
      ctx.drawImage(bmp, 0, 0);
      const rgba = await c.checkRgba(ctx.getImageData(0, 0, bmp.width, bmp.height).data, bmp.width, bmp.height);
      const both = await Promise.all([c.checkBytes(listed), c.checkBytes(listed, { decode: "browser" })]);
      c.close();
      const closed = await c.checkBytes(listed).catch((e) => e.code);
      return { stages, listStillUsable, info: c.listInfo, bytes, rgba, both, closed };
    }, files.listed[0]);
    assert.deepEqual(out.stages, ["loading-module", "verifying", "indexing", "ready"]);
    assert.ok(out.listStillUsable);
    assert.equal(out.info.id, "demo");
    assert.equal(out.bytes.matched, true);
    assert.equal(out.bytes.decodedBy, "wasm");
    assert.equal(out.rgba.matched, true);
    assert.equal(out.rgba.pdq, out.bytes.pdq);
    assert.equal(out.rgba.sha256, undefined);
    assert.deepEqual(out.both.map((v) => v.matched), [true, true]);
    assert.equal(out.closed, "closed");
  });

  test("applies the decoding limits on both paths", async () => {
    const out = await run(async ([big]) => {
      const { __prescan: prescan, __key: key, __list: list } = window;
      big = new Uint8Array(big);
      const c = await prescan.createChecker({ list, publicKeys: [key], options: { maxPixels: 100_000 } });
      const r = await Promise.all(["wasm", "browser", "auto"].map((decode) => c.checkBytes(big, { decode })));
      c.close();
      return r.map((v) => v.decodeError?.code);
    }, files.unlistedLarge);
    assert.deepEqual(out, ["limit_exceeded", "limit_exceeded", "limit_exceeded"]);
  });

  test("refuses a list signed by another key, and a bad key", async () => {
    const out = await run(async () => {
      const { __prescan: prescan, __key: key, __list: list } = window;
      // A valid Ed25519 public key that is not the demo key. (Editing a digit
      // of the demo key is not one: half of all 32-byte strings are not
      // curve points, and those are refused as bad_key instead.)
      const other = "46e039a2985a358b6f9113b7aba044299307b7db49ff0d4ea524676c4b036edf";
      if (other === key) throw new Error("the demo key collided with the fixed other key");
      const codes = [];
      for (const keys of [[other], ["zz"], []]) {
        codes.push(await prescan.createChecker({ list, publicKeys: keys }).then(() => "loaded", (e) => e.code));
      }
      codes.push(await prescan.createChecker({ list: "demo/missing.list", publicKeys: [key] }).then(() => "loaded", (e) => e.code));
      return codes;
    });
    assert.equal(out[0], "list_unknown_key");
    assert.equal(out[1], "bad_key");
    assert.equal(out[2], "bad_argument");
    assert.equal(out[3], "list_fetch_failed");
  });
});
