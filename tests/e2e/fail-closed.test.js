// Checks that fail closed: a file no decoder reads is still checked by its
// digests in every decode mode; the browser decoder is not handed an image
// whose header is over the limits; a file over maxFileBytes is refused
// before it is read.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";

import { TIMEOUT, addGuardedForm, icoOf, makeFixtures, pick, png, pngUndecodable, signedList, start } from "./helpers.js";

const md5 = (bytes) => createHash("md5").update(bytes).digest("hex");

describe("fail closed", { timeout: 5 * TIMEOUT }, () => {
  let env;
  let page;
  let files;
  let notImage; // bytes no decoder reads, listed by MD5
  let wide; // a PNG header declaring 40000x10, listed by MD5
  let paths;

  before(async () => {
    files = makeFixtures();
    let seed = 11;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 24);
    notImage = Buffer.concat([Buffer.from("not an image\n"), Buffer.from(Array.from({ length: 4096 }, rand))]);
    wide = pngUndecodable(40000, 10);
    paths = { notImage: join(files.dir, "not-an-image.bin") };
    writeFileSync(paths.notImage, notImage);
    const { bytes, publicKey } = signedList([`md5 ${md5(notImage)} not-an-image`, `md5 ${md5(wide)} wide-png`]);
    env = await start();
    page = await env.newPage("/embed.html");
    await page.evaluate(async ([list, key]) => {
      window.__prescan = await import("./prescan.js");
      window.__list = new Uint8Array(list);
      window.__key = key;
      const make = (init) => window.__prescan.createChecker({ list: window.__list, publicKeys: [key], ...init });
      window.__make = make;
      window.__browser = make({ decode: "browser" });
      window.__auto = make({ decode: "auto" });
      window.__small = make({ options: { maxFileBytes: 1000 } });
      await Promise.all([window.__browser, window.__auto, window.__small]);
    }, [[...bytes], publicKey]);
  });

  after(async () => {
    await env?.stop();
    files?.cleanup();
  });

  /** Checks `bytes` with window[checker] in each decode mode. */
  function checkModes(checker, bytes) {
    return page.evaluate(async ([checker, bytes]) => {
      const c = await window[checker];
      const out = {};
      for (const decode of ["wasm", "browser", "auto"]) out[decode] = await c.checkBytes(new Uint8Array(bytes), { decode });
      return out;
    }, [checker, [...bytes]]);
  }

  test("a listed MD5 of a file no decoder reads matches in every decode mode", async () => {
    const out = await checkModes("__auto", notImage);
    for (const [decode, v] of Object.entries(out)) {
      assert.equal(v.matched, true, `${decode}: ${JSON.stringify(v)}`);
      assert.deepEqual(v.matches.map((m) => [m.signal, m.label]), [["md5", "not-an-image"]], decode);
      assert.equal(v.md5, md5(notImage), decode);
      assert.equal(v.decodedBy, null, decode);
      assert.equal(typeof v.decodeError?.message, "string", decode);
    }
    assert.equal(out.browser.decodeError.code, "browser_decode_failed");
    assert.equal(out.wasm.decodeError.code, "unsupported_format");
    assert.equal(out.auto.decodeError.code, "unsupported_format");
  });

  test("a guard that allows undecodable files still blocks one whose digest matched", async () => {
    for (const checker of ["__browser", "__auto"]) {
      const id = `undecodable${checker}`;
      await addGuardedForm(page, id, checker, { onUndecodable: "allow" });
      await pick(page, `#${id}-in`, paths.notImage);
      await page.waitForSelector(`#${id}-in:not([data-prescan="checking"])[data-prescan]`, { timeout: 20_000 });
      assert.equal(await page.locator(`#${id}-in`).getAttribute("data-prescan"), "match", checker);
      await page.evaluate((id) => document.getElementById(id).requestSubmit(), id);
      assert.equal(await page.locator(`#${id}`).getAttribute("data-submitted"), "0", checker);
    }
  });

  test("browser decoding refuses a header over the limits without decoding it, and checks the digests", async () => {
    // The PNG's pixel data is not zlib: a browser that tried to decode it
    // would fail (browser_decode_failed); limit_exceeded comes from its header.
    const { browser: v } = await checkModes("__browser", wide);
    assert.equal(v.decodeError?.code, "limit_exceeded", JSON.stringify(v));
    assert.match(v.decodeError.message, /40000/);
    assert.equal(v.decodedBy, null);
    assert.equal(v.matched, true);
    assert.deepEqual(v.matches.map((m) => m.label), ["wide-png"]);
  });

  test("browser decoding checks the decoded size against the checker's limits when the header is not read", async () => {
    // ICO: a format the browser decodes and the Wasm header reader does not.
    const ico = icoOf(png(64, 64, (x, y) => [x * 4, y * 4, (x ^ y) * 4]), 64);
    const out = await page.evaluate(async (bytes) => {
      bytes = new Uint8Array(bytes);
      const narrow = await window.__make({ decode: "browser", options: { maxWidth: 32 } });
      const wide = await window.__browser;
      const r = [await narrow.checkBytes(bytes), await wide.checkBytes(bytes)];
      narrow.close();
      return r;
    }, [...ico]);
    assert.equal(out[0].decodeError?.code, "limit_exceeded", JSON.stringify(out[0]));
    assert.match(out[0].decodeError.message, /64x64/);
    assert.equal(out[1].decodeError, null, JSON.stringify(out[1]));
    assert.equal(out[1].decodedBy, "browser");
  });

  test("a file over maxFileBytes is refused without being read", async () => {
    const out = await page.evaluate(async () => {
      const small = await window.__small;
      const reads = [];
      const blob = new Blob([new Uint8Array(2000)]);
      blob.arrayBuffer = () => (reads.push("small"), Blob.prototype.arrayBuffer.call(blob));
      const file = await small.checkFile(blob);
      const bytes = await small.checkBytes(new Uint8Array(1001));
      const under = await small.checkBytes(new Uint8Array(1000));
      // At the default limit, 256 MiB: a Blob-like of one byte more, never read.
      const huge = { size: 2 ** 28 + 1, type: "", arrayBuffer: () => (reads.push("huge"), new ArrayBuffer(0)) };
      const dflt = await (await window.__auto).checkFile(huge);
      return { file, bytes, under, dflt, reads };
    });
    assert.deepEqual(out.reads, []);
    for (const [name, v, size, max] of [["file", out.file, 2000, 1000], ["bytes", out.bytes, 1001, 1000], ["default", out.dflt, 2 ** 28 + 1, 2 ** 28]]) {
      assert.equal(v.matched, false, name);
      assert.deepEqual(v.matches, [], name);
      assert.equal(v.decodedBy, null, name);
      assert.deepEqual(v.decodeError, { code: "limit_exceeded", message: `file of ${size} bytes exceeds the limit of ${max} bytes` }, name);
    }
    assert.notEqual(out.under.decodeError?.code, "limit_exceeded", JSON.stringify(out.under));
  });

  test("a guard applies its onUndecodable policy to a file over maxFileBytes", async () => {
    for (const policy of ["block", "allow"]) {
      const id = `size-${policy}`;
      await addGuardedForm(page, id, "__small", { onUndecodable: policy });
      await pick(page, `#${id}-in`, files.unlisted);
      await page.waitForSelector(`#${id}-in:not([data-prescan="checking"])[data-prescan]`, { timeout: 20_000 });
      assert.equal(await page.locator(`#${id}-in`).getAttribute("data-prescan"), "error", policy);
      await page.evaluate((id) => document.getElementById(id).requestSubmit(), id);
      assert.equal(await page.locator(`#${id}`).getAttribute("data-submitted"), policy === "block" ? "0" : "1", policy);
    }
  });

  test("ran with no console errors, page errors or CSP violations", async () => {
    assert.deepEqual(await page.evaluate(() => window.__csp), []);
    assert.deepEqual(env.problems, []);
  });
});
