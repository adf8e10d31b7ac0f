// Remote mode (docs/server.md): createChecker({ matcher }) in Chromium
// against the real `prescan serve` (a child process, on the demo list):
// verdicts as local mode's, in the schema; tokens; a matcher gone, too slow
// or answering nonsense; close() aborting; guard() on top; the demo page;
// and a spy on every request to a matcher, proving that only hashes go.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { after, before, describe, test } from "node:test";

import Ajv2020 from "ajv/dist/2020.js";

import { freePort } from "./engines.js";
import { REPO, TIMEOUT, addGuardedForm, demoKey, makeFixtures, pick, png, start, startMatcher } from "./helpers.js";

const SCHEMA = JSON.parse(readFileSync(join(REPO, "docs", "verdict.schema.json"), "utf8"));
const validate = new Ajv2020({ allErrors: true, strict: true }).compile(SCHEMA);

// What a file of a check request may hold: each hash field, its form.
const HEX = (n) => new RegExp(`^[0-9a-f]{${n}}$`);
const FIELDS = {
  pdq: HEX(64), md5: HEX(32), sha1: HEX(40), sha256: HEX(64),
  phash: HEX(16), dhash: HEX(16), ahash: HEX(16), blockhash: HEX(64),
};

/** A verdict less the fields the front adds (as verdict-schema.test.js). */
function bare(verdict) {
  const { decodedBy, totalMs, ...rest } = verdict;
  assert.ok(decodedBy !== undefined && typeof totalMs === "number", "the front adds decodedBy and totalMs");
  return rest;
}

function assertValid(verdict, what) {
  assert.ok(validate(bare(verdict)), `${what}: ${JSON.stringify(validate.errors, null, 1)}\n${JSON.stringify(verdict)}`);
}

/** Whether the verdict has a PDQ match at distance 0. */
const by0pdq = (v) => v.matches.some((m) => m.signal === "pdq" && m.distance === 0);

/**
 * A matcher that misbehaves, chosen by the URL's first segment: /hang
 * (lists as the real one, never answers a check), /slow-list (never
 * answers the list), /short (answers a check with no verdicts), /other-key
 * and /expired (list info the front must refuse). CORS for `origin`.
 * `checks` logs each check request: `{ path, aborted }`.
 */
async function startFakeMatcher(origin, info) {
  const checks = [];
  const server = createServer((req, res) => {
    const cors = {
      "Access-Control-Allow-Origin": origin,
      "Access-Control-Allow-Headers": "authorization, content-type",
      "Access-Control-Allow-Methods": "GET, POST",
    };
    if (req.method === "OPTIONS") return res.writeHead(204, cors).end();
    const [, mode, ...rest] = new URL(req.url, "http://x").pathname.split("/");
    const path = `/${rest.join("/")}`;
    const json = (body) => res.writeHead(200, { ...cors, "Content-Type": "application/json" }).end(JSON.stringify(body));
    if (path === "/v1/list") {
      if (mode === "slow-list") return;
      if (mode === "other-key") return json({ ...info, keyId: "0123456789abcdef" });
      if (mode === "expired") return json({ ...info, expires: 1_000_000 });
      return json(info);
    }
    const log = { path: req.url, aborted: false };
    checks.push(log);
    req.resume();
    res.on("close", () => (log.aborted = !res.writableEnded));
    if (mode === "short") return json({ verdicts: [] });
    // /hang: no answer.
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    checks,
    close: () => new Promise((resolve) => {
      server.close(resolve);
      server.closeAllConnections();
    }),
  };
}

describe("remote mode", { timeout: 6 * TIMEOUT }, () => {
  let env;
  let page; // everything meant to work
  let failures; // matchers refused, gone, slow: their failed requests are expected here
  let files;
  let matcher; // --no-auth
  let authed; // --token-file
  let doomed; // stopped by a test
  let fake;
  let deadUrl;
  let dir;
  const requests = []; // every request the browser made to a matcher

  before(async () => {
    files = makeFixtures();
    dir = mkdtempSync(join(tmpdir(), "prescan-e2e-remote-"));
    const tokenFile = join(dir, "tokens.txt");
    writeFileSync(tokenFile, "first-token-0123\nsecond-token-4567\n");
    env = await start();
    const origin = env.server.url;
    [matcher, authed, doomed] = await Promise.all([
      startMatcher({ origin }), startMatcher({ origin, tokenFile }), startMatcher({ origin }),
    ]);
    const info = await (await fetch(`${matcher.url}/v1/list`)).json();
    fake = await startFakeMatcher(origin, info);
    deadUrl = `http://127.0.0.1:${await freePort()}`;
    for (const m of [matcher, authed, doomed, fake]) env.server.allowConnect(m.url);
    env.server.allowConnect(deadUrl);
    const origins = [matcher, authed, doomed, fake].map((m) => m.url);
    env.context.on("request", (r) => {
      if (!origins.some((o) => r.url().startsWith(`${o}/`))) return;
      requests.push({ method: r.method(), url: r.url(), body: r.postData(), headers: r.headers() });
    });
    const setup = async () => {
      window.__prescan = await import("./prescan.js");
      window.__key = (await (await fetch("demo/demo-key.json")).json()).publicKey;
    };
    page = await env.newPage("/embed.html");
    await page.evaluate(setup);
    failures = await env.newPage("/embed.html?failures");
    await failures.evaluate(setup);
  });

  after(async () => {
    await env?.stop();
    await Promise.all([matcher, authed, doomed].map((m) => m?.stop()));
    await fake?.close();
    files?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const bytesOf = (...paths) => paths.map((p) => [...readFileSync(p)]);

  test("prescan serve says where it listens on its first line of stderr", () => {
    assert.match(matcher.firstLine, /^(prescan serve: )?listening on http:\/\/127\.0\.0\.1:\d+$/);
  });

  test("matches the listed demo images and clears an unlisted one, with local mode's verdicts", async () => {
    const paths = [...files.listed, files.unlisted, files.garbage];
    const before = requests.length;
    const out = await page.evaluate(async ([url, blobs]) => {
      const { __prescan: prescan, __key: key } = window;
      const init = { publicKeys: [key], sequenceStore: false, decode: "wasm" };
      const remote = await prescan.createChecker({ ...init, matcher: { url } });
      const local = await prescan.createChecker({ ...init, list: "demo/demo.list" });
      const bytes = blobs.map((b) => new Uint8Array(b));
      // In one task: one request.
      const remoteVerdicts = await Promise.all(bytes.map((b) => remote.checkBytes(b)));
      const localVerdicts = await Promise.all(bytes.map((b) => local.checkBytes(b)));
      const file = await remote.checkFile(new File([bytes[0]], "scene.png"), { decode: "browser" });
      const bmp = await createImageBitmap(new Blob([bytes[0]]));
      const ctx = new OffscreenCanvas(bmp.width, bmp.height).getContext("2d");
      ctx.drawImage(bmp, 0, 0);
      const rgba = await remote.checkRgba(ctx.getImageData(0, 0, bmp.width, bmp.height).data, bmp.width, bmp.height);
      const localRgba = await local.checkRgba(ctx.getImageData(0, 0, bmp.width, bmp.height).data, bmp.width, bmp.height);
      const info = { remote: remote.listInfo, local: local.listInfo };
      remote.close();
      local.close();
      return { remoteVerdicts, localVerdicts, file, rgba, localRgba, info };
    }, [matcher.url, bytesOf(...paths)]);
    const { remoteVerdicts: remote, localVerdicts: local } = out;

    assert.deepEqual(out.info.remote, out.info.local, "listInfo is the server's list's");
    for (const [i, path] of files.listed.entries()) {
      const v = remote[i];
      assert.equal(v.matched, true, `${path}: ${JSON.stringify(v)}`);
      const by = (signal) => v.matches.some((m) => m.signal === signal && m.distance === 0 && m.label === basename(path) && m.listId === "demo");
      assert.ok(by("sha256"), JSON.stringify(v.matches));
      // gradient.png is too flat for PDQ (quality 25, below the floor).
      assert.equal(by("pdq"), !v.pdqSkippedLowQuality, JSON.stringify(v.matches));
      assert.equal(v.decodedBy, "wasm");
    }
    assert.ok(by0pdq(remote[0]) && by0pdq(remote[2]), "scene.png and photo-like.jpg match by PDQ");
    assert.equal(remote[3].matched, false, JSON.stringify(remote[3]));
    assert.equal(remote[3].decodeError, null);
    assert.equal(remote[4].decodeError?.code, "unsupported_format", "the local hashing's decode error");
    assert.equal(remote[4].decodedBy, null);
    assert.equal(remote[4].pdq, null);
    for (const [i, v] of [...remote, out.file, out.rgba].entries()) assertValid(v, `remote verdict ${i}`);
    // The same object as local mode's: fields, matches, hashes.
    for (const [i, v] of remote.entries()) {
      const l = local[i];
      assert.deepEqual(Object.keys(v).sort(), Object.keys(l).sort(), `fields of ${paths[i]}`);
      const { elapsedMs: _r, totalMs: _rt, ...rv } = v;
      const { elapsedMs: _l, totalMs: _lt, ...lv } = l;
      assert.deepEqual(rv, lv, paths[i]);
    }
    assert.equal(out.file.matched, true);
    assert.equal(out.file.decodedBy, "browser");
    assert.equal(out.rgba.matched, true);
    assert.equal(out.rgba.decodedBy, "browser");
    assert.equal(out.rgba.sha256, undefined, "no digests without the file's bytes");
    assert.deepEqual(Object.keys(out.rgba).sort(), Object.keys(out.localRgba).sort());

    const mine = requests.slice(before);
    const posts = mine.filter((r) => r.method === "POST");
    assert.deepEqual(mine.filter((r) => r.method === "GET").map((r) => new URL(r.url).pathname), ["/v1/list"]);
    assert.deepEqual(posts.map((r) => JSON.parse(r.body).files.length), [5, 1, 1], "5 checks asked together: one request");
    assert.ok(mine.every((r) => !("authorization" in r.headers) && !("cookie" in r.headers)), "no token, no cookie");
  });

  test("sends at most 64 files a request", async () => {
    // Noise: like nothing on the list, by any signal.
    let seed = 3;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 24);
    const small = png(64, 48, () => [rand(), rand(), rand()]);
    const before = requests.length;
    const out = await page.evaluate(async ([url, bytes]) => {
      const c = await window.__prescan.createChecker({ matcher: { url }, publicKeys: [window.__key], sequenceStore: false });
      const verdicts = await Promise.all(Array.from({ length: 70 }, () => c.checkBytes(new Uint8Array(bytes))));
      c.close();
      return verdicts.map((v) => v.matched && v.matches.map((m) => m.signal));
    }, [matcher.url, [...small]]);
    assert.equal(out.length, 70);
    assert.deepEqual(out.filter((m) => m !== false), []);
    const posts = requests.slice(before).filter((r) => r.method === "POST");
    assert.deepEqual(posts.map((r) => JSON.parse(r.body).files.length).sort((a, b) => a - b), [6, 64]);
  });

  test("a matcher with tokens: the right one works; a wrong or missing one is refused", async () => {
    const before = requests.length;
    const out = await failures.evaluate(async ([url, listed]) => {
      const { __prescan: prescan, __key: key } = window;
      const make = (token) => prescan.createChecker({ matcher: { url, token }, publicKeys: [key], sequenceStore: false });
      const c = await make("second-token-4567");
      const verdict = await c.checkBytes(new Uint8Array(listed));
      c.close();
      const failure = (e) => ({ code: e.code, status: e.status, message: e.message });
      return {
        verdict,
        wrong: await make("third-token-89ab").then(() => "created", failure),
        missing: await make(undefined).then(() => "created", failure),
      };
    }, [authed.url, bytesOf(files.listed[1])[0]]);
    assert.equal(out.verdict.matched, true);
    for (const what of ["wrong", "missing"]) {
      assert.equal(out[what].code, "matcher_refused", `${what}: ${JSON.stringify(out[what])}`);
      assert.equal(out[what].status, 401, what);
      assert.match(out[what].message, /unauthorized/, what);
    }
    const mine = requests.slice(before).filter((r) => r.method !== "OPTIONS");
    assert.deepEqual(mine.map((r) => r.headers.authorization), [
      "Bearer second-token-4567", "Bearer second-token-4567", "Bearer third-token-89ab", undefined,
    ]);
  });

  test("refuses a matcher whose list is not signed by a trusted key, and bad arguments", async () => {
    const out = await failures.evaluate(async ([url, fake, dead]) => {
      const { __prescan: prescan, __key: key } = window;
      // A valid Ed25519 key that is not the demo key (as api.test.js).
      const other = "46e039a2985a358b6f9113b7aba044299307b7db49ff0d4ea524676c4b036edf";
      const make = (init) => prescan.createChecker({ matcher: { url }, publicKeys: [key], sequenceStore: false, ...init })
        .then((c) => (c.close(), "created"), (e) => e.code);
      return {
        otherKey: await make({ publicKeys: [other] }),
        eitherKey: await make({ publicKeys: [other, key] }),
        badKey: await make({ publicKeys: ["zz"] }),
        claimsOtherKey: await make({ matcher: { url: `${fake}/other-key` } }),
        expired: await make({ matcher: { url: `${fake}/expired` } }),
        belowMinimum: await make({ options: { minSequence: 2 } }),
        both: await make({ list: "demo/demo.list" }),
        threshold: await make({ options: { thresholds: { pdq: 40 } } }),
        pdqNearest: await make({ options: { pdqNearest: true } }),
        hasherOption: await make({ options: { maxPixels: "many" } }),
        notHttp: await make({ matcher: { url: "ftp://127.0.0.1/" } }),
        noUrl: await make({ matcher: {} }),
        badTimeout: await make({ matcher: { url, timeoutMs: 0 } }),
        unknownField: await make({ matcher: { url, retries: 3 } }),
        dead: await make({ matcher: { url: dead } }),
      };
    }, [matcher.url, fake.url, deadUrl]);
    assert.deepEqual(out, {
      otherKey: "list_unknown_key",
      eitherKey: "created",
      badKey: "bad_key",
      claimsOtherKey: "list_unknown_key",
      expired: "list_expired",
      belowMinimum: "list_rollback",
      both: "bad_argument",
      threshold: "bad_option",
      pdqNearest: "bad_option",
      hasherOption: "bad_option",
      notHttp: "bad_argument",
      noUrl: "bad_argument",
      badTimeout: "bad_argument",
      unknownField: "bad_argument",
      dead: "matcher_unavailable",
    });
  });

  test("rollback protection applies to the matcher's list", async () => {
    // The key id, as lists name keys: the first 8 bytes of the key's SHA-256.
    const stored = `prescan:sequence:${createHash("sha256").update(Buffer.from(demoKey(), "hex")).digest("hex").slice(0, 16)}:demo`;
    const out = await failures.evaluate(async ([url, stored]) => {
      const seen = new Map([[stored, 5]]);
      const store = { get: (k) => seen.get(k) ?? null, set: (k, v) => void seen.set(k, v) };
      const { __prescan: prescan, __key: key } = window;
      const refused = await prescan.createChecker({ matcher: { url }, publicKeys: [key], sequenceStore: store })
        .then(() => "created", (e) => e.code);
      seen.clear();
      const c = await prescan.createChecker({ matcher: { url }, publicKeys: [key], sequenceStore: store });
      c.close();
      return { refused, stored: [...seen] };
    }, [matcher.url, stored]);
    assert.equal(out.refused, "list_rollback");
    assert.deepEqual(out.stored, [[stored, 1]]);
  });

  test("a matcher too slow, answering nonsense, or stopped: checks reject", async () => {
    const out = await failures.evaluate(async ([fake, doomed, listed]) => {
      const { __prescan: prescan, __key: key } = window;
      const make = (url, timeoutMs) => prescan.createChecker({ matcher: { url, timeoutMs }, publicKeys: [key], sequenceStore: false });
      const failure = (e) => ({ code: e.code, message: e.message });
      const bytes = new Uint8Array(listed);
      const slowList = await make(`${fake}/slow-list`, 300).then(() => "created", failure);
      const hang = await make(`${fake}/hang`, 400);
      const started = performance.now();
      const timedOut = await hang.checkBytes(bytes).then(() => "answered", failure);
      const waited = performance.now() - started;
      hang.close();
      const short = await make(`${fake}/short`);
      const nonsense = await short.checkBytes(bytes).then(() => "answered", failure);
      short.close();
      window.__doomed = await make(doomed);
      const first = await window.__doomed.checkBytes(bytes);
      return { slowList, timedOut, waited, nonsense, first: first.matched };
    }, [fake.url, doomed.url, bytesOf(files.listed[1])[0]]);
    assert.equal(out.slowList.code, "matcher_unavailable", JSON.stringify(out.slowList));
    assert.equal(out.timedOut.code, "matcher_unavailable", JSON.stringify(out.timedOut));
    assert.match(out.timedOut.message, /400 ms/);
    assert.ok(out.waited >= 350 && out.waited < 5000, `timed out after ${out.waited} ms`);
    assert.equal(out.nonsense.code, "matcher_refused", JSON.stringify(out.nonsense));
    assert.equal(out.first, true);

    await doomed.stop();
    const after = await failures.evaluate(async (listed) => {
      const r = await window.__doomed.checkBytes(new Uint8Array(listed)).then(() => "answered", (e) => e.code);
      window.__doomed.close();
      return r;
    }, bytesOf(files.listed[1])[0]);
    assert.equal(after, "matcher_unavailable");
  });

  test("close() aborts a request in flight", async () => {
    const before = fake.checks.length;
    await failures.evaluate(async ([url, listed]) => {
      const c = await window.__prescan.createChecker({ matcher: { url, timeoutMs: 60_000 }, publicKeys: [window.__key], sequenceStore: false });
      window.__hanging = c;
      window.__outcome = c.checkBytes(new Uint8Array(listed)).then(() => "answered", (e) => e.code);
    }, [`${fake.url}/hang`, bytesOf(files.listed[1])[0]]);
    const deadline = Date.now() + 20_000;
    while (fake.checks.length === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(fake.checks.length, before + 1, "the check reached the matcher");
    assert.equal(fake.checks.at(-1).aborted, false);
    const code = await failures.evaluate(() => {
      window.__hanging.close();
      return window.__outcome;
    });
    assert.equal(code, "closed");
    while (!fake.checks.at(-1).aborted && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(fake.checks.at(-1).aborted, true, "the matcher saw the request go");
  });

  test("guard() in remote mode blocks a listed file and lets an unlisted one through", async () => {
    await page.evaluate(async (url) => {
      window.__remote = window.__prescan.createChecker({ matcher: { url }, publicKeys: [window.__key], sequenceStore: false });
      await window.__remote;
    }, matcher.url);
    await addGuardedForm(page, "g1", "__remote");
    const settled = (sel) => page.waitForSelector(`${sel}:is([data-prescan="clear"], [data-prescan="match"], [data-prescan="error"])`);
    const submitted = async () => Number(await page.locator("#g1").getAttribute("data-submitted"));
    const submit = () => page.evaluate(() => document.getElementById("g1").requestSubmit());

    await pick(page, "#g1-in", files.listed[0]);
    await settled("#g1-in");
    assert.equal(await page.getAttribute("#g1-in", "data-prescan"), "match");
    await submit();
    assert.equal(await submitted(), 0, "a listed file is not submitted");

    await pick(page, "#g1-in", files.unlisted);
    await settled("#g1-in");
    assert.equal(await page.getAttribute("#g1-in", "data-prescan"), "clear");
    await submit();
    assert.equal(await submitted(), 1);
  });

  test("guard() follows onListError when the matcher cannot answer", async () => {
    // `doomed` was stopped above.
    await failures.evaluate(async (url) => {
      window.__gone = window.__prescan.createChecker({ matcher: { url }, publicKeys: [window.__key], sequenceStore: false });
      await window.__gone.catch(() => {});
    }, doomed.url);
    await addGuardedForm(failures, "g2", "__gone");
    await failures.evaluate(() => {
      window.__errors = [];
      document.getElementById("g2-in").addEventListener("prescan:error", (e) => window.__errors.push(e.detail.code));
    });
    await pick(failures, "#g2-in", files.unlisted);
    await failures.waitForSelector('#g2-in[data-prescan="error"]');
    await failures.evaluate(() => document.getElementById("g2").requestSubmit());
    assert.equal(await failures.locator("#g2").getAttribute("data-submitted"), "0");
    assert.deepEqual(await failures.evaluate(() => window.__errors), ["matcher_unavailable"]);
  });

  test("the demo page in remote mode (?matcher=) shows the same verdicts", async () => {
    const demo = await env.newPage(`/?matcher=${encodeURIComponent(matcher.url)}`);
    await demo.waitForSelector('#list-status[data-state="ready"]');
    assert.match(await demo.textContent("#list-status"), new RegExp(matcher.url.replace(/[.:/]/g, "\\$&")));
    assert.equal(await demo.textContent("#list-id"), "demo");
    assert.equal(await demo.inputValue("#matcher"), matcher.url);
    const card = async (file) => {
      await pick(demo, "#files", file);
      await demo.waitForSelector('#results > li:first-child:not([data-verdict="checking"])');
      return demo.evaluate(() => {
        const c = document.querySelector("#results > li");
        return { verdict: c.dataset.verdict, match: c.querySelector('dd[data-fact="match"]')?.textContent ?? null };
      });
    };
    const listed = await card(files.listed[0]);
    assert.equal(listed.verdict, "blocked", JSON.stringify(listed));
    assert.match(listed.match, /^pdq entry 0 of demo, distance 0\//);
    const unlisted = await card(files.unlisted);
    assert.equal(unlisted.verdict, "clear", JSON.stringify(unlisted));
    assert.deepEqual(await demo.evaluate(() => window.__csp), []);
    await demo.close();
  });

  test("no request to a matcher held more than hashes", () => {
    const smallest = Math.min(...[...files.listed, files.unlisted].map((p) => statSync(p).size));
    const posts = requests.filter((r) => r.method === "POST");
    assert.ok(posts.length >= 8, `${posts.length} check requests seen`);
    for (const r of requests) {
      const path = new URL(r.url).pathname;
      if (r.method === "GET") {
        assert.match(path, /\/v1\/list$/, r.url);
        assert.equal(r.body, null, r.url);
        continue;
      }
      assert.equal(r.method, "POST", r.url);
      assert.match(path, /\/v1\/check$/, r.url);
      const body = JSON.parse(r.body);
      assert.deepEqual(Object.keys(body), ["files"], r.body.slice(0, 200));
      assert.ok(Array.isArray(body.files) && body.files.length >= 1 && body.files.length <= 64);
      assert.ok(r.body.length < 2048 * body.files.length, `${r.body.length} bytes for ${body.files.length} files`);
      if (body.files.length === 1) assert.ok(r.body.length < smallest / 4, `${r.body.length} bytes, images ${smallest} or more`);
      for (const f of body.files) {
        for (const [k, v] of Object.entries(f)) {
          if (k === "pdqQuality") assert.ok(Number.isInteger(v) && v >= 0 && v <= 100, `pdqQuality ${v}`);
          else if (k === "pdqDihedral") {
            assert.ok(Array.isArray(v) && v.length === 8 && v.every((h) => FIELDS.pdq.test(h)), JSON.stringify(v));
            assert.equal(v[0], f.pdq);
          } else {
            assert.ok(Object.hasOwn(FIELDS, k), `a field that is not a hash: ${k}`);
            assert.match(v, FIELDS[k], `field ${k}`);
          }
        }
      }
    }
  });

  test("ran with no console errors, page errors or CSP violations where nothing was meant to fail", async () => {
    assert.deepEqual(await page.evaluate(() => window.__csp), []);
    assert.deepEqual(await failures.evaluate(() => window.__csp), []);
    assert.deepEqual(env.problems.filter((p) => !p.includes(" on /embed.html?failures:")), []);
  });
});
