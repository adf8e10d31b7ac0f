// The uploader adapters (prescan/uppy, prescan/filepond, prescan/dropzone,
// prescan/files) against the real libraries from npm (Uppy 6 with its
// Dashboard and XHRUpload, FilePond 4, Dropzone 6): the pages of
// tests/adapters/, built with Vite (prescan taken as a package by name, its
// "exports"), served under the strict CSP with an upload endpoint that
// records what it receives. Files are picked through each widget's own
// file input (dropped and pasted, for checkFiles). In every widget: a
// listed file is refused with the message and never reaches the endpoint;
// an unlisted one is uploaded, its bytes exactly; an undecodable one and a
// list that does not verify follow the policy; of a mixed pick only the
// unlisted files are uploaded.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { cpSync, mkdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { basename, join } from "node:path";
import { after, before, describe, test } from "node:test";

import { DEMO, REPO, TIMEOUT, WWW, makeFixtures, start } from "./helpers.js";

const WORK = join(REPO, "target", "adapters-test");
const APP = join(WORK, "app");
const DIST = join(WORK, "dist");
const WIDGETS = ["uppy", "filepond", "dropzone", "files"];

const MESSAGE = "This image cannot be uploaded.";
const UNDECODABLE = "This file could not be checked, so it cannot be uploaded.";
const LIST_ERROR = "Images cannot be checked right now, so they cannot be uploaded.";

const sha256 = (path) => createHash("sha256").update(readFileSync(path)).digest("hex");

/**
 * How each page is driven: `add(page, id, paths)` picks the files (and
 * starts the upload where the widget waits for a click), `settled(page,
 * id, n)` waits until all n files are uploaded or refused and resolves to
 * the refusals the person is shown, `[name, message]` each.
 */
const DRIVERS = {
  uppy: {
    async add(page, id, paths) {
      await page.setInputFiles(`#${id} input.uppy-Dashboard-input[name="files[]"]`, paths);
      await page.waitForFunction(([id, n]) => window.__uppys[id].uppy.getFiles().length === n, [id, paths.length]);
      // A click that lands while the Dashboard draws again can be lost (seen
      // once in WebKit, in a CI run: the upload never began). Clicked again
      // until Uppy says the upload began; a check that never ends still
      // fails the test, in settled().
      for (let tries = 1; ; tries++) {
        await page.click(`#${id} .uppy-StatusBar-actionBtn--upload`);
        try {
          await page.waitForFunction((id) => window.__uppys[id].log.started, id, { timeout: 10_000 });
          return;
        } catch (e) {
          if (tries === 3) throw e;
        }
      }
    },
    async settled(page, id) {
      await page.waitForFunction((id) => window.__uppys[id].log.complete || window.__uppys[id].log.error, id);
      const { info } = await page.evaluate((id) => window.__uppys[id].log, id);
      return info.filter((i) => i.type === "error" && i.details)
        .flatMap((i) => i.details.split(", ").map((name) => [name, i.message]));
    },
  },
  filepond: {
    async add(page, id, paths) {
      await page.setInputFiles(`#${id} input.filepond--browser`, paths);
    },
    async settled(page, id, n) {
      // FilePond's item statuses: 5 processed (uploaded), 6 upload failed, 8 load failed (refused);
      // a refused one's label drawn (it is drawn in the next frame).
      await page.waitForFunction(([id, n]) => {
        const items = window.__items(id);
        const loading = window.__ponds[id].labelFileLoading;
        return items.length === n && items.every((i) => [5, 6].includes(i.status) || (i.status === 8 && i.label !== loading));
      }, [id, n]);
      const items = await page.evaluate((id) => window.__items(id), id);
      return items.filter((i) => i.status === 8).map((i) => [i.name, i.label]);
    },
  },
  dropzone: {
    async add(page, id, paths) {
      await page.setInputFiles(`#${id}-inputs input.dz-hidden-input`, paths);
    },
    async settled(page, id, n) {
      await page.waitForFunction(([id, n]) => window.__zones[id].done.length === n, [id, n]);
      const done = await page.evaluate((id) => window.__zones[id].done, id);
      return done.filter((f) => f.status === "error").map((f) => [f.name, f.message]);
    },
  },
  files: {
    // Dropped on the custom drop zone, as a DragEvent's DataTransfer.
    async add(page, id, paths) {
      await transfer(page, paths);
      await page.evaluate((id) => document.getElementById(id).dispatchEvent(
        new DragEvent("drop", { dataTransfer: window.__dt, bubbles: true, cancelable: true })), id);
    },
    async settled(page, id) {
      await page.waitForFunction((id) => window.__results[id]?.length === 1, id);
      const [result] = await page.evaluate((id) => window.__results[id], id);
      return result.refused.map(([name, , message]) => [name, message]);
    },
  },
};

/** The files at `paths` fetched in the page (from the fixtures' folder) as a DataTransfer's, in window.__dt. */
function transfer(page, paths) {
  return page.evaluate(async (urls) => {
    window.__dt = new DataTransfer();
    for (const url of urls) window.__dt.items.add(new File([await (await fetch(url)).blob()], url.split("/").pop(), { type: "image/png" }));
  }, paths.map(fixtureUrl));
}

let fixtures;
/** The URL the pages fetch a fixture from: the demo images under /demo/, the others under /fixtures/. */
function fixtureUrl(path) {
  return path.startsWith(DEMO) ? `/demo/${basename(path)}` : `/fixtures/${basename(path)}`;
}

describe("uploader adapters", { timeout: 10 * TIMEOUT }, () => {
  let env;
  const pages = {};
  let n = 0;

  before(async () => {
    fixtures = makeFixtures();
    rmSync(WORK, { recursive: true, force: true });
    mkdirSync(join(APP, "node_modules"), { recursive: true });
    cpSync(join(REPO, "tests", "adapters"), APP, { recursive: true });
    // The package by name, as an app has it; Uppy, FilePond and Dropzone from the repository's node_modules.
    symlinkSync(WWW, join(APP, "node_modules", "prescan"), "dir");
    const { build } = await import("vite");
    await build({
      root: APP,
      configFile: false,
      logLevel: "warn",
      build: {
        outDir: DIST,
        emptyOutDir: true,
        rolldownOptions: { input: Object.fromEntries(WIDGETS.map((w) => [w, join(APP, `${w}.html`)])) },
      },
    });
    cpSync(DEMO, join(DIST, "demo"), { recursive: true });
    env = await start({ root: DIST, mounts: { "/fixtures/": fixtures.dir } });
  });

  after(async () => {
    await env?.stop();
    fixtures?.cleanup();
  });

  /** What the endpoint received for widget `id`: `[name, sha256]` each file, sorted. */
  const received = (id) => env.server.uploads.filter((u) => u.tag === id).flatMap((u) => u.files)
    .map((f) => [f.name, f.sha256]).sort();
  const expected = (paths) => paths.map((p) => [basename(p), sha256(p)]).sort();

  /** A new widget on its page, given `paths`; resolves to { id, refusals, events }. */
  async function run(widget, paths, policy = {}) {
    const page = pages[widget];
    const id = `${widget}${++n}`;
    await page.evaluate(([id, policy]) => {
      window.__events.length = 0;
      window.__make(id, policy);
    }, [id, policy]);
    await DRIVERS[widget].add(page, id, paths);
    const refusals = (await DRIVERS[widget].settled(page, id, paths.length)).sort();
    const events = await page.evaluate(() => window.__events);
    return { id, refusals, events };
  }

  for (const widget of WIDGETS) {
    describe(widget, () => {
      // One page at a time, the newest: FilePond draws (and so loads files)
      // in animation frames, which a page behind another does not get. The
      // one before is closed once this one is open (WebKitWebDriver ends
      // the session with its last window).
      before(async () => {
        pages[widget] = await env.newPage(`/${widget}.html`);
        await pages[widget].waitForFunction(() => window.__ready === true);
        const previous = WIDGETS[WIDGETS.indexOf(widget) - 1];
        if (previous) await pages[previous].close();
      });

      after(async () => {
        assert.deepEqual(await pages[widget].evaluate(() => window.__csp), [], `CSP violations on ${widget}.html`);
      });

      test("a listed file is refused with the message and never reaches the endpoint", async () => {
        const { id, refusals, events } = await run(widget, [fixtures.listed[0]]);
        assert.deepEqual(refusals, [["scene.png", MESSAGE]]);
        assert.deepEqual(received(id), []);
        assert.ok(env.server.requests.every((r) => r.search !== `?tag=${id}`), "a request reached the upload endpoint");
        // guard()'s events, from the widget's element.
        assert.deepEqual(events.map((e) => [e.type, e.name, e.matched]), [
          ["prescan:verdict", "scene.png", true], ["prescan:match", "scene.png", true]]);
        assert.ok(events.every((e) => e.on), "the events come from the widget's element");
      });

      test("an unlisted file is uploaded: exactly its bytes", async () => {
        const { id, refusals, events } = await run(widget, [fixtures.unlisted]);
        assert.deepEqual(refusals, []);
        assert.deepEqual(received(id), expected([fixtures.unlisted]));
        assert.deepEqual(events.map((e) => [e.type, e.matched]), [["prescan:verdict", false]]);
      });

      test("an undecodable file is refused by default, uploaded with onUndecodable: allow", async () => {
        const blocked = await run(widget, [fixtures.garbage]);
        assert.deepEqual(blocked.refusals, [["garbage.jpg", UNDECODABLE]]);
        assert.deepEqual(received(blocked.id), []);
        const allowed = await run(widget, [fixtures.garbage], { onUndecodable: "allow" });
        assert.deepEqual(allowed.refusals, []);
        assert.deepEqual(received(allowed.id), expected([fixtures.garbage]));
      });

      test("a list that does not verify refuses every file by default, none with onListError: allow", async () => {
        const blocked = await run(widget, [fixtures.unlisted], { list: "broken" });
        assert.deepEqual(blocked.refusals, [["unlisted.png", LIST_ERROR]]);
        assert.deepEqual(received(blocked.id), []);
        assert.deepEqual(blocked.events.map((e) => [e.type, e.code]), [["prescan:error", "list_bad_signature"]]);
        const allowed = await run(widget, [fixtures.unlisted], { list: "broken", onListError: "allow" });
        assert.deepEqual(allowed.refusals, []);
        assert.deepEqual(received(allowed.id), expected([fixtures.unlisted]));
      });

      test("of a mixed pick, only the unlisted files are uploaded", async () => {
        const picked = [fixtures.listed[0], fixtures.unlisted, fixtures.listed[2], fixtures.unlistedLarge];
        const { id, refusals } = await run(widget, picked, { message: "Not this one." });
        assert.deepEqual(refusals, [["photo-like.jpg", "Not this one."], ["scene.png", "Not this one."]]);
        assert.deepEqual(received(id), expected([fixtures.unlisted, fixtures.unlistedLarge]));
      });

      if (widget === "uppy") {
        test("each file's check is reported as preprocessing, and a bundled upload is blocked whole", async () => {
          const page = pages.uppy;
          const { id, refusals } = await run("uppy", [fixtures.listed[0], fixtures.unlisted], { bundle: true });
          // XHRUpload's bundle sends the files in one request: one cannot be taken out, so none goes.
          assert.deepEqual(refusals, [["scene.png", MESSAGE]]);
          assert.deepEqual(received(id), []);
          const log = await page.evaluate((id) => window.__uppys[id].log, id);
          assert.match(log.error, /cannot be uploaded/);
          assert.deepEqual(log.preprocess.sort(), [
            "complete scene.png", "complete unlisted.png", "progress scene.png indeterminate", "progress unlisted.png indeterminate"]);
        });
      }

      if (widget === "files") {
        test("a paste is checked as a drop is", async (t) => {
          const page = pages.files;
          const id = `files${++n}`;
          await transfer(page, [fixtures.listed[1], fixtures.unlisted]);
          const carried = await page.evaluate((id) => {
            window.__make(id, {});
            const paste = new ClipboardEvent("paste", { clipboardData: window.__dt, bubbles: true });
            document.getElementById(id).dispatchEvent(paste);
            return paste.clipboardData?.files.length ?? 0;
          }, id);
          // Firefox gives a paste event made by script no files (its DataTransfer is protected).
          if (carried === 0) return t.skip("a paste made by script carries no files in this engine");
          const refusals = (await DRIVERS.files.settled(page, id)).sort();
          assert.deepEqual(refusals, [["gradient.png", MESSAGE]]);
          assert.deepEqual(received(id), expected([fixtures.unlisted]));
        });

        test("an aborted checkFiles rejects and gives no events; a bad signal is refused", async () => {
          const page = pages.files;
          await transfer(page, [fixtures.listed[1], fixtures.unlisted]);
          const out = await page.evaluate(async () => {
            const { checkFiles } = window.__adapters;
            const events = [];
            const target = new EventTarget();
            for (const type of ["prescan:verdict", "prescan:match", "prescan:error"]) target.addEventListener(type, (e) => events.push(e.type));
            const controller = new AbortController();
            const aborted = checkFiles(window.__dt.files, { checker: window.__checker, signal: controller.signal, target });
            controller.abort();
            const code = await aborted.then(() => "resolved", (e) => `${e.name} ${e.code}`);
            const bad = await checkFiles(window.__dt.files, { checker: window.__checker, signal: "no" }).then(() => "resolved", (e) => e.code);
            // The same call, not aborted: its events come (the listeners work).
            await checkFiles(window.__dt.files, { checker: window.__checker, target });
            return { code, bad, events };
          });
          assert.deepEqual(out, {
            code: "AbortError aborted", bad: "bad_argument",
            events: ["prescan:verdict", "prescan:match", "prescan:verdict"],
          });
        });
      }
    });
  }

  test("ran with no console errors, page errors or CSP violations (each page's checked after its tests)", () => {
    assert.deepEqual(env.problems, []);
  });
});
