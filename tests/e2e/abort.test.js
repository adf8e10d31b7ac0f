// Cancelling a check with an AbortSignal (issue 11, items 5 and 6): the
// promise rejects as fetch's does (code "aborted", name "AbortError",
// cause the signal's reason), and the work stops: a check waiting for its
// worker is never posted, a hashing worker busy with it is replaced, the
// list's worker's answer for it is dropped (and goes to no other check);
// in remote mode a check left out of its request; guard() aborting the
// checks of files removed or replaced. What the workers are sent is seen
// by instrumenting the page: `Worker` wrapped to count constructions and
// terminations and to log each message posted (its type, id and the size
// of its bytes) and each answer, on a page of its own (no other checker).
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { after, before, describe, test } from "node:test";

import { TIMEOUT, addGuardedForm, makeFixtures, start, startMatcher } from "./helpers.js";

/**
 * Runs in the page, before prescan is imported: `window.__log` = { workers
 * (constructed), terminated, events: [{ worker, dir: "post" | "answer" |
 * a mark, type, id, size }] }; `window.__onPost(entry)`, when set, is
 * called after each post; `window.__onFetch(url)` after each fetch starts.
 */
function instrument() {
  const Native = window.Worker;
  const log = (window.__log = { workers: 0, terminated: 0, events: [] });
  window.__onPost = null;
  window.Worker = class extends Native {
    constructor(...args) {
      super(...args);
      const n = (this.__n = ++log.workers);
      this.addEventListener("message", ({ data }) => {
        if (data?.id !== undefined) log.events.push({ worker: n, dir: "answer", type: data.type, id: data.id });
      });
    }

    postMessage(message, ...rest) {
      // Measured before: the bytes are transferred.
      const bytes = message?.bytes ?? message?.rgba;
      const entry = { worker: this.__n, dir: "post", type: message?.type, id: message?.id, size: bytes ? bytes.byteLength : null };
      log.events.push(entry);
      const out = super.postMessage(message, ...rest);
      window.__onPost?.(entry);
      return out;
    }

    terminate() {
      log.terminated++;
      return super.terminate();
    }
  };
  const nativeFetch = window.fetch;
  window.__onFetch = null;
  window.fetch = function (...args) {
    const out = nativeFetch.apply(this, args);
    window.__onFetch?.(String(args[0]?.url ?? args[0]));
    return out;
  };
  /** What a check ended with: its verdict's gist, or its error's code, name and cause. */
  window.__outcome = (p) => p.then(
    (v) => ({ matched: v.matched, decodeError: v.decodeError?.code ?? null }),
    (e) => ({
      code: e.code, name: e.name, isError: e instanceof Error,
      cause: typeof e.cause === "string" ? e.cause : e.cause?.name ?? null,
    }));
  /**
   * A controller aborted with `reason` in a microtask after the first post
   * that `when(entry)` accepts (kept in `window.__abortedAt`): the check is
   * surely in flight then, as its answer would come in a task.
   */
  window.__abortAtPost = (when, reason) => {
    const controller = new AbortController();
    window.__onPost = (entry) => {
      if (!when(entry)) return;
      window.__onPost = null;
      window.__abortedAt = entry;
      queueMicrotask(() => controller.abort(reason));
    };
    return controller;
  };
  /** Now, for `__after`. */
  window.__markNow = () => ({ at: log.events.length, workers: log.workers, terminated: log.terminated });
  /** Since `mark`: workers constructed and terminated, and the events (those of `dir` and `type` when given). */
  window.__after = (mark, dir, type) => ({
    workers: log.workers - mark.workers,
    terminated: log.terminated - mark.terminated,
    events: log.events.slice(mark.at).filter((e) => (!dir || e.dir === dir) && (!type || e.type === type)),
  });
  window.__since = (mark, dir, type) => window.__after(mark, dir, type).events;
  /** Whether `entry` (a post) has been answered. */
  window.__answered = (entry) => log.events.some((e) => e.dir === "answer" && e.worker === entry.worker && e.id === entry.id);
  /** `p`, noting in the log when it settles (as `{ dir: what }`). */
  window.__noted = (p, what = "settled") => p.finally(() => log.events.push({ dir: what }));
  /** Resolves once `test()` holds (polled in the page). */
  window.__until = (test) => new Promise((resolve) => {
    const poll = () => (test() ? resolve() : setTimeout(poll, 10));
    poll();
  });
}

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>abort</title><link rel="icon" href="data:,"></head>
<body><p>prescan: cancelling checks</p></body></html>
`;

describe("cancelling a check", { timeout: 6 * TIMEOUT }, () => {
  let env;
  let page;
  let files;
  let matcher;
  const posts = []; // the bodies of the check requests to the matcher, parsed

  before(async () => {
    files = makeFixtures();
    writeFileSync(join(files.dir, "page.html"), PAGE);
    env = await start({ mounts: { "/fixtures/": files.dir } });
    matcher = await startMatcher({ origin: env.server.url });
    env.server.allowConnect(matcher.url);
    env.context.on("request", (r) => {
      if (r.method() === "POST" && r.url().startsWith(`${matcher.url}/`)) posts.push(JSON.parse(r.postData()));
    });
    page = await env.newPage("/fixtures/page.html");
    await page.evaluate(instrument);
    const urls = {
      large: `/fixtures/${basename(files.unlistedLarge)}`,
      unlisted: `/fixtures/${basename(files.unlisted)}`,
      listed0: `/demo/${basename(files.listed[0])}`,
      listed1: `/demo/${basename(files.listed[1])}`,
      listed2: `/demo/${basename(files.listed[2])}`,
    };
    await page.evaluate(async ([urls, matcherUrl]) => {
      const prescan = (window.__prescan = await import("/prescan.js"));
      const key = (await (await fetch("/demo/demo-key.json")).json()).publicKey;
      window.__bytes = {};
      for (const [name, url] of Object.entries(urls)) window.__bytes[name] = new Uint8Array(await (await fetch(url)).arrayBuffer());
      const init = { publicKeys: [key], sequenceStore: false };
      window.__single = await prescan.createChecker({ ...init, list: "/demo/demo.list", workers: 1 });
      window.__pool = await prescan.createChecker({ ...init, list: "/demo/demo.list", workers: 2 });
      window.__remote = await prescan.createChecker({ ...init, matcher: { url: matcherUrl }, decode: "wasm" });
    }, [urls, matcher.url]);
  });

  after(async () => {
    await env?.stop();
    await matcher?.stop();
    files?.cleanup();
  });

  const ABORTED = { code: "aborted", name: "AbortError", isError: true };

  test("a signal already aborted rejects at once: nothing read, nothing posted", async () => {
    const out = await page.evaluate(async () => {
      const { __single: c, __pool: pool, __bytes: bytes } = window;
      const controller = new AbortController();
      controller.abort("gone");
      let read = 0;
      const file = new File([bytes.listed0], "scene.png", { type: "image/png" });
      file.arrayBuffer = () => (read++, File.prototype.arrayBuffer.call(file));
      const mark = window.__markNow();
      const signal = controller.signal;
      const outcomes = await Promise.all([
        c.checkFile(file, { signal }), c.checkBytes(bytes.listed0, { signal }),
        c.checkRgba(new Uint8ClampedArray(16), 2, 2, { signal }), pool.checkFile(file, { signal, decode: "browser" }),
        window.__remote.checkBytes(bytes.listed0, { signal }),
      ].map(window.__outcome));
      const plain = new AbortController();
      plain.abort();
      const byDefault = await window.__outcome(c.checkBytes(bytes.listed0, { signal: plain.signal }));
      return { outcomes, byDefault, read, posted: window.__since(mark, "post").length };
    });
    for (const o of out.outcomes) assert.deepEqual(o, { ...ABORTED, cause: "gone" });
    assert.deepEqual(out.byDefault, { ...ABORTED, cause: "AbortError" }, "the default reason, a DOMException AbortError");
    assert.equal(out.read, 0, "the file was not read");
    assert.equal(out.posted, 0, "nothing was posted to a worker");
  });

  test("a signal that is not an AbortSignal is refused; null is none", async () => {
    const out = await page.evaluate(async () => {
      const { __single: c, __bytes: bytes } = window;
      const codes = [];
      for (const signal of [{}, "yes", new AbortController(), { aborted: false, addEventListener() {} }]) {
        for (const check of [
          () => c.checkBytes(bytes.listed0, { signal }), () => c.checkFile(new Blob([bytes.listed0]), { signal }),
          () => c.checkRgba(new Uint8ClampedArray(16), 2, 2, { signal }),
        ]) codes.push((await window.__outcome(check())).code);
      }
      return { codes, none: await window.__outcome(c.checkBytes(bytes.listed0, { signal: null })) };
    });
    assert.deepEqual(out.codes, Array(12).fill("bad_argument"));
    assert.deepEqual(out.none, { matched: true, decodeError: null });
  });

  test("checks aborted while queued on one worker are never posted; the others get their verdicts", async () => {
    const out = await page.evaluate(async () => {
      const { __single: c, __bytes: b } = window;
      const inputs = [b.large, b.listed0, b.unlisted, b.listed1, b.listed2];
      const controllers = inputs.map(() => new AbortController());
      const mark = window.__markNow();
      const checks = inputs.map((bytes, i) => c.checkBytes(bytes, { signal: controllers[i].signal }));
      controllers[1].abort("queued");
      controllers[3].abort("queued");
      const outcomes = await Promise.all(checks.map(window.__outcome));
      return {
        outcomes,
        posted: window.__since(mark, "post", "check").map((e) => e.size),
        sizes: inputs.map((x) => x.byteLength),
        workers: window.__after(mark).workers,
      };
    });
    const { sizes } = out;
    assert.deepEqual(out.outcomes, [
      { matched: false, decodeError: null }, { ...ABORTED, cause: "queued" }, { matched: false, decodeError: null },
      { ...ABORTED, cause: "queued" }, { matched: true, decodeError: null },
    ]);
    assert.deepEqual(out.posted, [sizes[0], sizes[2], sizes[4]], "only the checks not aborted were posted, one at a time");
    assert.equal(out.workers, 0, "no worker was started");
  });

  test("pool: a check aborted in flight on a hasher stops with it; the hasher is replaced, the queued checks go on", async () => {
    const out = await page.evaluate(async () => {
      const { __pool: c, __bytes: b } = window;
      const mark = window.__markNow();
      const controller = window.__abortAtPost((e) => e.type === "check" && e.size === b.large.byteLength, "in flight");
      // Two hashers: the large file on the first, listed0 on the second, listed1 queued behind the large one.
      const checks = [b.large, b.listed0, b.listed1].map((bytes, i) => c.checkBytes(bytes, i === 0 ? { signal: controller.signal } : {}));
      const outcomes = await Promise.all(checks.map(window.__outcome));
      const later = await window.__outcome(c.checkBytes(b.listed2));
      const { workers, terminated } = window.__after(mark);
      return {
        outcomes, later, workers, terminated,
        firstOfNew: window.__since(mark, "post").find((e) => e.worker > mark.workers)?.type,
        answered: window.__answered(window.__abortedAt),
        matches: window.__since(mark, "post", "match").length,
      };
    });
    assert.deepEqual(out.outcomes, [
      { ...ABORTED, cause: "in flight" }, { matched: true, decodeError: null }, { matched: true, decodeError: null },
    ]);
    assert.deepEqual(out.later, { matched: true, decodeError: null });
    assert.equal(out.workers, 1, "one worker started: the hasher's replacement");
    assert.equal(out.terminated, 1, "the hasher was terminated");
    assert.equal(out.firstOfNew, "hasher", "the new worker is a hasher (no list loaded again)");
    assert.equal(out.answered, false, "the aborted check was never answered");
    assert.equal(out.matches, 3, "no match was asked for the aborted check");
  });

  test("pool: a check aborted during its match rejects; the list's worker is kept, its answer dropped", async () => {
    const out = await page.evaluate(async () => {
      const { __pool: c, __bytes: b } = window;
      const mark = window.__markNow();
      const controller = window.__abortAtPost((e) => e.type === "match", "matching");
      const outcome = await window.__outcome(window.__noted(c.checkBytes(b.listed0, { signal: controller.signal })));
      const match = window.__abortedAt;
      const answeredBefore = window.__answered(match);
      await window.__until(() => window.__answered(match));
      const later = await window.__outcome(c.checkBytes(b.unlisted));
      const { workers, terminated } = window.__after(mark);
      return { outcome, later, workers, terminated, settledFirst: !answeredBefore };
    });
    assert.deepEqual(out.outcome, { ...ABORTED, cause: "matching" });
    assert.ok(out.settledFirst, "the check rejected before the list's worker answered");
    assert.deepEqual(out.later, { matched: false, decodeError: null });
    assert.equal(out.workers, 0, "no worker started");
    assert.equal(out.terminated, 0, "no worker terminated");
  });

  test("one worker: a check aborted in flight is left to finish; its answer goes to no other check", async () => {
    const out = await page.evaluate(async () => {
      const { __single: c, __bytes: b } = window;
      const mark = window.__markNow();
      const controller = window.__abortAtPost((e) => e.type === "check" && e.size === b.large.byteLength, "in flight");
      const first = window.__noted(c.checkBytes(b.large, { signal: controller.signal }));
      // Queued behind it, a listed file: had it been given the large file's answer, it would not match.
      const second = c.checkBytes(b.listed0);
      const outcomes = await Promise.all([first, second].map(window.__outcome));
      const later = await window.__outcome(c.checkBytes(b.unlisted));
      const { workers, terminated, events } = window.__after(mark);
      const aborted = window.__abortedAt.id;
      return { outcomes, later, workers, terminated, events: events.map((e) => `${e.dir}${e.type ? ` ${e.type}` : ""}${e.id === aborted ? " (aborted)" : ""}`) };
    });
    assert.deepEqual(out.outcomes, [{ ...ABORTED, cause: "in flight" }, { matched: true, decodeError: null }]);
    assert.deepEqual(out.later, { matched: false, decodeError: null });
    assert.equal(out.workers, 0, "no worker started");
    assert.equal(out.terminated, 0, "the list's worker was kept");
    assert.deepEqual(out.events, [
      "post check (aborted)", "settled", "answer verdict (aborted)", // rejected at once; the answer, dropped
      "post check", "answer verdict", "post check", "answer verdict",
    ]);
  });

  test("remote: a check aborted before its batch is sent is left out of the request", async () => {
    const before = posts.length;
    const out = await page.evaluate(async () => {
      const { __remote: c, __bytes: b } = window;
      const mark = window.__markNow();
      const controller = new AbortController();
      const checks = [b.listed0, b.unlisted, b.listed1].map((bytes, i) => c.checkBytes(bytes, i === 1 ? { signal: controller.signal } : {}));
      controller.abort("left out");
      const outcomes = await Promise.all(checks.map(window.__outcome));
      return { outcomes, hashed: window.__since(mark, "post", "check").length };
    });
    assert.deepEqual(out.outcomes, [{ matched: true, decodeError: null }, { ...ABORTED, cause: "left out" }, { matched: true, decodeError: null }]);
    assert.equal(out.hashed, 2, "the aborted check was not posted to the worker");
    assert.deepEqual(posts.slice(before).map((p) => p.files.length), [2], "one request, of the two other files");
  });

  test("remote: a check aborted while its worker hashes it: the worker is replaced, the file not sent", async () => {
    const before = posts.length;
    const out = await page.evaluate(async () => {
      const { __remote: c, __bytes: b } = window;
      const mark = window.__markNow();
      const controller = window.__abortAtPost((e) => e.type === "check" && e.size === b.large.byteLength, "hashing");
      const checks = [c.checkBytes(b.large, { signal: controller.signal }), c.checkBytes(b.listed2)];
      const outcomes = await Promise.all(checks.map(window.__outcome));
      const { workers, terminated } = window.__after(mark);
      return { outcomes, workers, terminated, firstOfNew: window.__since(mark, "post").find((e) => e.worker > mark.workers)?.type };
    });
    assert.deepEqual(out.outcomes, [{ ...ABORTED, cause: "hashing" }, { matched: true, decodeError: null }]);
    assert.equal(out.workers, 1);
    assert.equal(out.terminated, 1);
    assert.equal(out.firstOfNew, "hasher");
    assert.deepEqual(posts.slice(before).map((p) => p.files.length), [1], "the request holds the other file only");
  });

  test("remote: a check aborted once its request is sent rejects at once; the request goes on for the others", async () => {
    const before = posts.length;
    const out = await page.evaluate(async () => {
      const { __remote: c, __bytes: b } = window;
      const controller = new AbortController();
      window.__onFetch = (url) => {
        if (!url.endsWith("/v1/check")) return;
        window.__onFetch = null;
        controller.abort("sent");
      };
      const mark = window.__markNow();
      const aborted = window.__noted(c.checkBytes(b.listed1, { signal: controller.signal }), "aborted settled");
      const other = window.__noted(c.checkBytes(b.listed0), "other settled");
      const outcomes = await Promise.all([aborted, other].map(window.__outcome));
      return { outcomes, order: window.__since(mark).filter((e) => e.dir.endsWith("settled")).map((e) => e.dir) };
    });
    assert.deepEqual(out.outcomes, [{ ...ABORTED, cause: "sent" }, { matched: true, decodeError: null }]);
    assert.deepEqual(out.order, ["aborted settled", "other settled"], "rejected before the matcher answered");
    assert.deepEqual(posts.slice(before).map((p) => p.files.length), [2], "the request was sent with both files");
  });

  test("aborting after the verdict changes nothing, and no listener stays on the signal", async () => {
    const out = await page.evaluate(async () => {
      const { __bytes: b } = window;
      const controller = new AbortController();
      const { signal } = controller;
      let listening = 0;
      let added = 0;
      signal.addEventListener = function (type, ...rest) {
        if (type === "abort") listening++, added++;
        return EventTarget.prototype.addEventListener.call(this, type, ...rest);
      };
      signal.removeEventListener = function (type, ...rest) {
        if (type === "abort") listening--;
        return EventTarget.prototype.removeEventListener.call(this, type, ...rest);
      };
      const checks = [];
      for (const c of [window.__single, window.__pool, window.__remote]) {
        for (const bytes of [b.listed0, b.unlisted, b.listed2]) checks.push(c.checkBytes(bytes, { signal }));
        checks.push(c.checkFile(new Blob([b.listed1]), { signal }));
        checks.push(c.checkRgba(new Uint8ClampedArray(64 * 64 * 4).fill(200), 64, 64, { signal }));
      }
      const verdicts = (await Promise.all(checks.map(window.__outcome))).map((o) => o.matched);
      const stillListening = listening;
      controller.abort("too late");
      const again = (await Promise.all(checks.map(window.__outcome))).map((o) => o.matched);
      return { verdicts, again, added, stillListening };
    });
    const expected = [true, false, true, true, false];
    assert.deepEqual(out.verdicts, [...expected, ...expected, ...expected]);
    assert.deepEqual(out.again, out.verdicts, "the promises stayed fulfilled");
    assert.ok(out.added >= 15, `${out.added} listeners added`);
    assert.equal(out.stillListening, 0, "every listener was removed when its check settled");
  });

  describe("guard()", () => {
    let n = 0;
    const settled = (id) =>
      page.waitForSelector(`#${id}-in:is([data-prescan="clear"], [data-prescan="match"], [data-prescan="error"])`);

    /**
     * A guarded form (of `checker`) whose inside input logs the events;
     * Files A (large, unlisted), B (listed), C (unlisted) in the page.
     */
    async function setup(checker) {
      const id = `g${++n}`;
      await addGuardedForm(page, id, checker);
      await page.evaluate((id) => {
        const { __bytes: b } = window;
        const input = document.getElementById(`${id}-in`);
        window.__events = [];
        for (const type of ["prescan:verdict", "prescan:match", "prescan:error"]) {
          input.addEventListener(type, (e) => window.__events.push(`${type.slice(8)} ${e.detail.file?.name ?? e.detail.code}`));
        }
        window.__files = {
          A: new File([b.large], "A.png", { type: "image/png" }),
          B: new File([b.listed0], "B.png", { type: "image/png" }),
          C: new File([b.unlisted], "C.png", { type: "image/png" }),
        };
        /** Picks `names` on the input, as the person does (a change event), the same File objects each time. */
        window.__pick = (names) => {
          const dt = new DataTransfer();
          for (const name of names) dt.items.add(window.__files[name]);
          input.files = dt.files;
          input.dispatchEvent(new Event("change", { bubbles: true }));
        };
        /** Whether the file `name`'s check is in flight: posted since setup, not answered. */
        window.__inFlight = (name) => window.__since(window.__mark, "post", "check")
          .some((p) => p.size === window.__files[name].size && !window.__answered(p));
        /** Picks `names`; resolves once a check is posted. */
        window.__pickUntilPosted = (names) => new Promise((resolve) => {
          window.__onPost = (e) => {
            if (e.type !== "check") return;
            window.__onPost = null;
            resolve();
          };
          window.__pick(names);
        });
        /** Picks `names` on the input as soon as A's check is posted (A in flight), and notes whether B's was in flight then. */
        window.__pickAtA = (names) => {
          window.__onPost = (e) => {
            if (e.type !== "check" || e.size !== window.__files.A.size) return;
            window.__onPost = null;
            queueMicrotask(() => {
              window.__bInFlight = window.__inFlight("B");
              window.__pick(names);
            });
          };
        };
        window.__mark = window.__markNow();
      }, id);
      return id;
    }

    /** What happened since setup(): the sizes posted for checks (as file names), workers started and terminated, events. */
    const since = () => page.evaluate(() => {
      const { __files: files } = window;
      const name = (size) => Object.keys(files).find((k) => files[k].size === size) ?? size;
      const { workers, terminated, events } = window.__after(window.__mark, "post", "check");
      return {
        checked: events.map((e) => name(e.size)),
        workers, terminated,
        events: window.__events.slice(),
        bInFlight: window.__bInFlight,
      };
    });

    /**
     * On a new guarded form of `checker`: picks `first`, then `then` as
     * soon as A's check is posted; resolves once the input has settled, to
     * its status and since().
     */
    async function replaced(checker, first, then) {
      const id = await setup(checker);
      await page.evaluate(([first, then]) => {
        window.__pickAtA(then);
        window.__pick(first);
      }, [first, then]);
      await settled(id);
      return { id, status: await page.getAttribute(`#${id}-in`, "data-prescan"), ...(await since()) };
    }

    test("pool: A and B replaced by C before they finish: both aborted, events and status for C only", async () => {
      // A in flight on a hasher, B on the other (or being read): the person picks C instead.
      const got = await replaced("__pool", ["A", "B"], ["C"]);
      assert.equal(got.status, "clear");
      assert.equal(got.checked.at(-1), "C");
      assert.deepEqual(got.checked.filter((f) => f === "A" || f === "C").sort(), ["A", "C"]);
      assert.ok(got.checked.filter((f) => f === "B").length <= 1);
      // A's hasher replaced, and B's too when B was in flight then.
      assert.equal(got.workers, got.bInFlight ? 2 : 1, JSON.stringify(got));
      assert.equal(got.terminated, got.workers);
      assert.deepEqual(got.events, ["verdict C.png"]);
    });

    test("pool: A and B replaced by B and C: A aborted, B's check kept; then C alone reuses C's result", async () => {
      let got = await replaced("__pool", ["A", "B"], ["B", "C"]);
      const { id } = got;
      assert.equal(got.status, "match");
      assert.deepEqual(got.checked.slice().sort(), ["A", "B", "C"], "B was checked once");
      assert.equal(got.workers, 1, "A's hasher replaced");
      assert.deepEqual(got.events, ["verdict B.png", "match B.png", "verdict C.png"]);

      await page.evaluate(() => window.__pick(["C"]));
      await page.waitForSelector(`#${id}-in[data-prescan="clear"]`);
      got = await since();
      assert.deepEqual(got.checked.slice().sort(), ["A", "B", "C"], "C not checked again");
      assert.deepEqual(got.events.slice(3), ["verdict C.png"]);
    });

    test("one worker: A in flight and B queued, replaced by C: A's answer dropped, B never posted", async () => {
      const got = await replaced("__single", ["A", "B"], ["C"]);
      assert.equal(got.status, "clear");
      assert.deepEqual(got.checked, ["A", "C"], "B was never posted");
      assert.equal(got.workers, 0);
      assert.equal(got.terminated, 0, "the list's worker was kept");
      assert.deepEqual(got.events, ["verdict C.png"]);
    });

    test("input.value = \"\" then check(), and dispose(): the checks running are aborted, no events", async () => {
      const id = await setup("__pool");
      const cleared = await page.evaluate(async (id) => {
        const input = document.getElementById(`${id}-in`);
        await window.__pickUntilPosted(["A"]);
        input.value = "";
        const status = await window.__guards[id].check(input);
        return { status, attribute: input.getAttribute("data-prescan") };
      }, id);
      assert.deepEqual(cleared, { status: null, attribute: null });
      let got = await since();
      assert.deepEqual(got.checked, ["A"]);
      assert.equal(got.workers, 1, "A's hasher replaced");

      const disposed = await page.evaluate(async (id) => {
        const input = document.getElementById(`${id}-in`);
        await window.__pickUntilPosted(["A"]);
        window.__guards[id].dispose();
        const attribute = input.getAttribute("data-prescan");
        // The shared checker goes on.
        const later = await window.__outcome(window.__pool.checkBytes(window.__bytes.listed1));
        return { attribute, later };
      }, id);
      assert.deepEqual(disposed, { attribute: null, later: { matched: true, decodeError: null } });
      got = await since();
      assert.deepEqual(got.checked.slice(0, 2), ["A", "A"], "A, picked again, checked afresh");
      assert.equal(got.workers, 2, "the second A's hasher replaced too");
      assert.deepEqual(got.events, []);
    });
  });

  test("no page errors", async () => {
    assert.deepEqual(await page.evaluate(() => window.__csp), []);
    assert.deepEqual(env.problems, []);
  });
});
