// The npm package from a bundler: www/ packed with `npm pack` (so the
// package's "files" decide what ships), unpacked into a fresh app's
// node_modules, imported by name and built with Vite; the built app then
// guards a form in headless Chromium under the strict CSP.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, readdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";

import { DEMO, REPO, TIMEOUT, WWW, makeFixtures, pick, start } from "./helpers.js";

const WORK = join(REPO, "target", "bundler-test");
const APP = join(WORK, "app");
const DIST = join(WORK, "dist");

/** Every file under `dir`, relative to it. */
function filesUnder(dir, prefix = "") {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`]);
}

describe("npm package built with Vite", { timeout: 4 * TIMEOUT }, () => {
  let env;
  let page;
  let files;
  let packed;

  before(async () => {
    rmSync(WORK, { recursive: true, force: true });
    mkdirSync(join(APP, "node_modules"), { recursive: true });
    const [info] = JSON.parse(execFileSync("npm", ["pack", WWW, "--json", "--pack-destination", WORK], {
      encoding: "utf8", stdio: ["ignore", "pipe", "inherit"],
    }));
    packed = info.files.map((f) => f.path).sort();
    execFileSync("tar", ["-xzf", join(WORK, info.filename), "-C", join(APP, "node_modules")]);
    renameSync(join(APP, "node_modules", "package"), join(APP, "node_modules", "prescan"));
    cpSync(join(REPO, "tests", "bundler"), APP, { recursive: true });

    const { build } = await import("vite");
    await build({
      root: APP,
      configFile: false,
      logLevel: "warn",
      build: { outDir: DIST, emptyOutDir: true },
    });
    files = makeFixtures();
    env = await start({ root: DIST, mounts: { "/demo/": DEMO } });
    page = await env.newPage("/");
    await page.waitForFunction(() => document.getElementById("status").textContent !== "loading");
  });

  after(async () => {
    await env?.stop();
    files?.cleanup();
  });

  test("the tarball ships the module, the worker, the types and the Wasm", () => {
    for (const f of ["package.json", "README.md", "prescan.js", "prescan-worker.js", "video.js", "prescan.d.ts",
      "pkg/prescan.js", "pkg/prescan_bg.wasm"]) {
      assert.ok(packed.includes(f), `${f} not in the package: ${packed.join(", ")}`);
    }
  });

  test("Vite bundles the worker and emits the Wasm module", () => {
    const built = filesUnder(DIST);
    assert.ok(built.some((f) => f.endsWith(".wasm")), built.join(", "));
    assert.ok(built.some((f) => /prescan-worker.*\.js$/.test(f)), `no worker chunk: ${built.join(", ")}`);
  });

  test("the built app loads the list and blocks a listed image, allows an unlisted one", async () => {
    assert.equal(await page.textContent("#status"), "ready");
    await pick(page, "#file", files.listed[0]);
    await page.waitForFunction(() => ["match", "clear", "error"].includes(document.getElementById("file").dataset.prescan));
    assert.equal(await page.getAttribute("#file", "data-prescan"), "match");
    await pick(page, "#file", files.unlisted);
    await page.waitForFunction(() => ["clear", "error"].includes(document.getElementById("file").dataset.prescan));
    assert.equal(await page.getAttribute("#file", "data-prescan"), "clear");
    const verdict = await page.evaluate(async () => {
      const bytes = await (await fetch("/demo/scene.png")).blob();
      const { matched, decodedBy } = await window.__checker.checkFile(bytes);
      return { matched, decodedBy };
    });
    assert.deepEqual(verdict, { matched: true, decodedBy: "wasm" });
    assert.deepEqual(env.problems, []);
    assert.deepEqual(await page.evaluate(() => window.__csp), []);
  });
});
