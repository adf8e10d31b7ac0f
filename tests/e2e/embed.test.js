// The guarded form (www/embed.html).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { TIMEOUT, makeFixtures, pick, start } from "./helpers.js";

describe("embedded guard", { timeout: 5 * TIMEOUT }, () => {
  let env;
  let page;
  let files;

  const state = () => page.locator("#picture").getAttribute("data-prescan");
  const submitted = async () => Number((await page.locator("#upload").getAttribute("data-submitted")) ?? 0);
  const settled = () => page.waitForSelector('#picture:is([data-prescan="clear"], [data-prescan="match"], [data-prescan="error"])');

  before(async () => {
    files = makeFixtures();
    env = await start();
    page = await env.newPage("/embed.html");
    await page.evaluate(() => {
      window.__events = [];
      for (const type of ["prescan:verdict", "prescan:match", "prescan:error"]) {
        document.addEventListener(type, (e) => window.__events.push({ type, detail: e.detail }));
      }
    });
  });

  after(async () => {
    await env?.stop();
    files?.cleanup();
  });

  test("blocks the form on a listed image", async () => {
    await pick(page, "#picture", files.listed[2]);
    await settled();
    assert.equal(await state(), "match");
    assert.equal(await page.locator("#picture").evaluate((i) => i.validationMessage), "This picture cannot be uploaded.");
    await page.click('button[type="submit"]');
    await page.evaluate(() => document.getElementById("upload").requestSubmit());
    assert.equal(await submitted(), 0);
    assert.match(await page.textContent("#outcome"), /^Blocked/);
    const types = (await page.evaluate(() => window.__events)).map((e) => e.type);
    assert.deepEqual(types, ["prescan:verdict", "prescan:match"]);
  });

  test("lets an unlisted image through", async () => {
    await pick(page, "#picture", files.unlisted);
    await settled();
    assert.equal(await state(), "clear");
    await page.click('button[type="submit"]');
    assert.equal(await submitted(), 1);
    assert.equal(await page.textContent("#outcome"), "Submitted.");
  });

  test("holds a submission while checking, then submits when clear", async () => {
    const before = await submitted();
    const bytes = [...(await import("node:fs")).readFileSync(files.unlistedLarge)];
    const during = await page.evaluate((bytes) => {
      const input = document.getElementById("picture");
      const dt = new DataTransfer();
      dt.items.add(new File([new Uint8Array(bytes)], "big.png", { type: "image/png" }));
      input.files = dt.files;
      input.dispatchEvent(new Event("change", { bubbles: true }));
      const state = input.dataset.prescan;
      document.getElementById("upload").requestSubmit();
      return state;
    }, bytes);
    assert.equal(during, "checking");
    assert.equal(await submitted(), before, "not submitted while checking");
    await page.waitForFunction((n) => Number(document.getElementById("upload").dataset.submitted) === n + 1, before);
    assert.equal(await state(), "clear");
  });

  test("blocks a file that cannot be decoded", async () => {
    const before = await submitted();
    await pick(page, "#picture", files.truncated);
    await settled();
    assert.equal(await state(), "error");
    await page.evaluate(() => document.getElementById("upload").requestSubmit());
    assert.equal(await submitted(), before);
  });

  test("ran with no console errors, page errors or CSP violations", async () => {
    assert.deepEqual(await page.evaluate(() => window.__csp), []);
    assert.deepEqual(env.problems, []);
  });
});
