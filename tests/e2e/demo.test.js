// The demo page (www/index.html) in Chromium, served under a strict CSP.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { CSP } from "./server.js";
import { TIMEOUT, makeFixtures, pick, start } from "./helpers.js";

/** Picks files and waits until each card has a verdict; returns their summaries. */
async function check(page, files) {
  files = [].concat(files);
  await pick(page, "#files", files);
  const cards = page.locator("#results > li").first();
  await page.waitForFunction(
    (n) => {
      const cards = [...document.querySelectorAll("#results > li")].slice(0, n);
      return cards.length === n && cards.every((c) => c.dataset.verdict !== "checking");
    },
    files.length,
    { timeout: TIMEOUT },
  );
  await cards.waitFor();
  return page.evaluate((n) =>
    [...document.querySelectorAll("#results > li")].slice(0, n).reverse().map((c) => ({
      name: c.querySelector(".name").textContent,
      verdict: c.dataset.verdict,
      badge: c.querySelector(".badge").textContent,
      facts: Object.fromEntries([...c.querySelectorAll("dd")].map((d) => [d.dataset.fact, d.textContent])),
      bits: c.querySelectorAll(".pdq-grid span").length,
      on: c.querySelectorAll(".pdq-grid span.on").length,
      input: document.getElementById("files").dataset.prescan,
    })), files.length);
}

function popcount(hex) {
  return [...hex].reduce((n, d) => n + [...parseInt(d, 16).toString(2)].filter((b) => b === "1").length, 0);
}

function pdqOf(card) {
  return card.facts.PDQ.split(" ")[0];
}

function hamming(a, b) {
  let n = 0;
  for (let i = 0; i < a.length; i++) n += popcount((parseInt(a[i], 16) ^ parseInt(b[i], 16)).toString(16));
  return n;
}

describe("demo page", { timeout: 5 * TIMEOUT }, () => {
  let env;
  let page;
  let files;

  before(async () => {
    files = makeFixtures();
    env = await start();
    page = await env.newPage("/");
    await page.evaluate(() => {
      window.__matches = [];
      window.__verdicts = [];
      const input = document.getElementById("files");
      input.addEventListener("prescan:match", (e) => window.__matches.push(e.detail));
      input.addEventListener("prescan:verdict", (e) => window.__verdicts.push(e.detail));
    });
    await page.waitForSelector('#list-status[data-state="ready"]');
  });

  after(async () => {
    await env?.stop();
    files?.cleanup();
  });

  test("is served with the strict CSP", async () => {
    const response = await page.request.get(env.server.url + "/");
    assert.equal(response.headers()["content-security-policy"], CSP);
    assert.equal(await page.locator("script:not([src])").count(), 0);
  });

  test("shows the verified list's info", async () => {
    assert.equal(await page.textContent("#list-id"), "demo");
    assert.equal(await page.textContent("#list-sequence"), "1");
    assert.ok(Number(await page.textContent("#list-entries")) > 0);
    assert.match(await page.textContent("#list-expires"), /^\d{4}-\d\d-\d\dT/);
    assert.match(await page.textContent("#list-sections"), /pdq: 3 \(threshold \d+\)/);
  });

  test("blocks a listed image and fires prescan:match", async () => {
    const [card] = await check(page, files.listed[0]);
    assert.equal(card.verdict, "blocked", JSON.stringify(card));
    assert.equal(card.badge, "BLOCKED");
    assert.equal(card.input, "match");
    assert.match(card.facts["PDQ distance"], /^nearest entry 0 ≤ threshold \d+$/);
    assert.match(card.facts.time, /ms check, .* ms in all/);
    assert.equal(card.bits, 256);
    assert.equal(card.on, popcount(pdqOf(card)));
    const matches = await page.evaluate(() => window.__matches);
    assert.equal(matches.length, 1);
    const [detail] = matches;
    assert.equal(detail.matched, true);
    assert.deepEqual(detail.file, { name: "scene.png", size: detail.file.size, type: "image/png" });
    assert.ok(detail.matches.some((m) => m.signal === "pdq" && m.distance === 0 && m.listId === "demo"));
    assert.ok(detail.matches.some((m) => m.signal === "sha256"));
    assert.deepEqual(detail.pdqNearest, { distance: 0, threshold: detail.pdqNearest.threshold, variant: "original" });
    for (const key of Object.keys(detail)) assert.doesNotMatch(key, /rgba|pixels|bytes|data/i);
    const validity = await page.locator("#files").evaluate((i) => i.validationMessage);
    assert.match(validity, /on the list/);
  });

  test("blocks every listed demo image, several in flight at once", async () => {
    const cards = await check(page, files.listed);
    assert.deepEqual(cards.map((c) => [c.name, c.verdict]), [
      ["scene.png", "blocked"], ["gradient.png", "blocked"], ["photo-like.jpg", "blocked"],
    ]);
  });

  test("allows an unlisted image", async () => {
    const [card] = await check(page, files.unlisted);
    assert.equal(card.verdict, "clear", JSON.stringify(card));
    assert.equal(card.input, "clear");
    // The demo asks for pdqNearest: how far the nearest entry is.
    const [, distance, threshold] = card.facts["PDQ distance"].match(/^nearest entry (\d+) > threshold (\d+)$/) ?? [];
    assert.ok(Number(distance) > Number(threshold), card.facts["PDQ distance"]);
    assert.equal(card.facts["decoded by"], "wasm");
    assert.equal(await page.locator("#files").evaluate((i) => i.validationMessage), "");
  });

  test("shows a clear error for a corrupt file, then checks the next file", async () => {
    const [bad] = await check(page, files.truncated);
    assert.equal(bad.verdict, "error");
    assert.match(bad.facts.error, /^decode_failed: /);
    assert.equal(bad.input, "error");
    const [garbage] = await check(page, files.garbage);
    assert.equal(garbage.verdict, "error");
    assert.match(garbage.facts.error, /^unsupported_format: /);
    const [next] = await check(page, files.listed[1]);
    assert.equal(next.verdict, "blocked");
  });

  test("the browser decoder undoes EXIF orientation and hashes the stored pixels", async () => {
    await page.selectOption("#decode", "wasm");
    const [wasm] = await check(page, files.oriented);
    await page.selectOption("#decode", "browser");
    const [browser] = await check(page, files.oriented);
    await page.selectOption("#decode", "auto");
    assert.equal(wasm.verdict, "blocked", JSON.stringify(wasm));
    assert.equal(browser.verdict, "blocked", JSON.stringify(browser));
    assert.equal(browser.facts["decoded by"], "browser");
    // Different JPEG decoders (zune-jpeg, libjpeg-turbo) may differ by a few bits.
    assert.ok(hamming(pdqOf(wasm), pdqOf(browser)) <= 8, `${pdqOf(wasm)} vs ${pdqOf(browser)}`);
    const v = await page.evaluate(() => window.__verdicts.at(-1));
    assert.ok(v.matches.some((m) => m.signal === "pdq" && m.variant === "original"), JSON.stringify(v.matches));
  });

  test("the browser decoder undoes each EXIF orientation, 2 to 8", async () => {
    await page.selectOption("#decode", "browser");
    try {
      for (const [o, file] of Object.entries(files.orientations)) {
        const [card] = await check(page, file);
        assert.equal(card.verdict, "blocked", `orientation ${o}: ${JSON.stringify(card)}`);
        const v = await page.evaluate(() => window.__verdicts.at(-1));
        const pdq = v.matches.filter((m) => m.signal === "pdq");
        assert.ok(pdq.some((m) => m.variant === "original"), `orientation ${o}: ${JSON.stringify(pdq)}`);
      }
    } finally {
      await page.selectOption("#decode", "auto");
    }
  });

  test("auto decoding falls back to the browser for AVIF", async (t) => {
    if (!files.avif) return t.skip("Pillow cannot write AVIF here");
    const [card] = await check(page, files.avif);
    assert.equal(card.facts["decoded by"], "browser", JSON.stringify(card));
    assert.equal(card.verdict, "blocked", JSON.stringify(card));
  });

  test("sends no file anywhere: only static files were requested", async () => {
    const allowed = /^\/($|index\.html|demo\.js|prescan\.js|prescan-worker\.js|video\.js|style\.css|pkg\/prescan\.js|pkg\/prescan_bg\.wasm|demo\/demo\.list|demo\/demo-key\.json)$/;
    for (const r of env.server.requests) {
      assert.equal(r.method, "GET", JSON.stringify(r));
      assert.match(r.path, allowed, JSON.stringify(r));
    }
  });

  test("refuses a tampered list and says why", async () => {
    const tampered = await env.newPage("/?list=demo/tampered.list");
    await tampered.waitForSelector('#list-status[data-state="error"]');
    assert.equal(await tampered.getAttribute("#list-status", "data-code"), "list_bad_signature");
    assert.match(await tampered.textContent("#list-status"), /^List refused \(list_bad_signature\): /);
    assert.ok(await tampered.locator("#list-info").isHidden());
    // A file picked now is not waved through.
    await pick(tampered, "#files", files.unlisted);
    await tampered.waitForSelector('#results > li[data-verdict="error"]');
    assert.equal(await tampered.locator("#files").getAttribute("data-prescan"), "error");
    await tampered.close();
  });

  test("ran with no console errors, page errors or CSP violations", async () => {
    assert.deepEqual(await page.evaluate(() => window.__csp), []);
    assert.deepEqual(env.problems, []);
  });
});
