// maxDecodeBytes in the page (issue 11, item 4): an image whose decode
// would need more memory than the option allows is refused from its
// header with limit_exceeded in every decode mode (the browser's decoder is
// not handed it either), its digests still checked; decodeLimits() is the
// module's, so the worker's browser path applies the same number.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { after, before, describe, test } from "node:test";

import { TIMEOUT, makeFixtures, signedList, start } from "./helpers.js";

const md5 = (bytes) => createHash("md5").update(bytes).digest("hex");

describe("maxDecodeBytes", { timeout: 3 * TIMEOUT }, () => {
  let env;
  let page;
  let files;

  before(async () => {
    files = makeFixtures();
    // 2400 x 1600: 11.5 MB of RGB, 15.4 MB of RGBA; listed by its MD5.
    const large = readFileSync(files.unlistedLarge);
    const { bytes, publicKey } = signedList([`md5 ${md5(large)} large`]);
    env = await start({ mounts: { "/fixtures/": files.dir } });
    page = await env.newPage("/embed.html");
    await page.evaluate(async ([list, key, url]) => {
      const prescan = await import("./prescan.js");
      const make = (options) => prescan.createChecker({ list: new Uint8Array(list), publicKeys: [key], options });
      window.__capped = await make({ maxDecodeBytes: 8 << 20 });
      window.__default = await make({});
      window.__large = new Uint8Array(await (await fetch(url)).arrayBuffer());
    }, [[...bytes], publicKey, `/fixtures/${basename(files.unlistedLarge)}`]);
  });

  after(async () => {
    await env?.stop();
    files?.cleanup();
  });

  test("over the cap: refused in every decode mode, the digest still matched", async () => {
    const got = await page.evaluate(async () => {
      const out = {};
      for (const decode of ["wasm", "browser", "auto"]) {
        const v = await window.__capped.checkBytes(window.__large, { decode });
        out[decode] = { code: v.decodeError?.code ?? null, matched: v.matched, pdq: v.pdq ?? null, decodedBy: v.decodedBy };
      }
      return out;
    });
    for (const decode of ["wasm", "browser", "auto"]) {
      assert.deepEqual(got[decode], { code: "limit_exceeded", matched: true, pdq: null, decodedBy: null }, decode);
    }
  });

  test("under the default (256 MiB): decoded, hashed and matched in every mode", async () => {
    const got = await page.evaluate(async () => {
      const out = {};
      for (const decode of ["wasm", "browser", "auto"]) {
        const v = await window.__default.checkBytes(window.__large, { decode });
        out[decode] = { code: v.decodeError?.code ?? null, matched: v.matched, hashed: typeof v.pdq === "string" };
      }
      return out;
    });
    for (const decode of ["wasm", "browser", "auto"]) {
      assert.deepEqual(got[decode], { code: null, matched: true, hashed: true }, decode);
    }
  });

  test("no page errors", () => {
    assert.deepEqual(env.problems, []);
  });
});
