// The same answers everywhere: the same files through local mode (Wasm in
// Chromium, decode "wasm"), remote mode (Chromium hashing, `prescan serve`
// matching) and `prescan check --json` match the same entries, with the
// same signal, distance, variant, label, list id and sequence.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { basename, join } from "node:path";
import { after, before, describe, test } from "node:test";

import { CLI, DEMO, TIMEOUT, demoKey, makeFixtures, start, startMatcher } from "./helpers.js";

/** Rotated and mirrored copies of the demo images, as PNG (lossless: every decoder reads the same pixels). */
function variants(dir) {
  const made = {
    "scene-rotate90.png": ["scene.png", "ROTATE_90"],
    "scene-mirrored.png": ["scene.png", "FLIP_LEFT_RIGHT"],
    "photo-rotate270.png": ["photo-like.jpg", "ROTATE_270"],
    "photo-flipped.png": ["photo-like.jpg", "FLIP_TOP_BOTTOM"],
  };
  const script = [
    "import sys", "from PIL import Image",
    "for src, op, out in zip(*[iter(sys.argv[1:])] * 3):",
    "    Image.open(src).convert('RGB').transpose(getattr(Image.Transpose, op)).save(out)",
  ].join("\n");
  const args = Object.entries(made).flatMap(([out, [src, op]]) => [join(DEMO, src), op, join(dir, out)]);
  execFileSync("python3", ["-c", script, ...args], { stdio: ["ignore", "ignore", "inherit"] });
  return Object.keys(made).map((out) => join(dir, out));
}

/** What must agree: whether it matched, why it could not be decoded, PDQ, and each match. */
function answer(v) {
  return {
    matched: v.matched,
    decodeError: v.decodeError?.code ?? null,
    pdq: v.pdq,
    matches: v.matches.map(({ signal, entry, distance, variant, label, listId, listSequence }) =>
      ({ signal, entry, distance, variant, label, listId, listSequence })),
  };
}

describe("the same answers everywhere", { timeout: 4 * TIMEOUT }, () => {
  let files;
  let paths;
  let env;
  let matcher;

  before(async () => {
    files = makeFixtures();
    paths = [...files.listed, ...variants(files.dir), files.oriented, files.unlisted, files.garbage, files.truncated];
    // The files are served and fetched by the page: megabytes passed
    // through the driver as arrays of numbers took most of a minute.
    env = await start({ mounts: { "/fixtures/": files.dir } });
    matcher = await startMatcher({ origin: env.server.url });
    env.server.allowConnect(matcher.url);
  });

  after(async () => {
    await env?.stop();
    await matcher?.stop();
    files?.cleanup();
  });

  test("local mode, remote mode and the CLI match the same entries", async () => {
    const cli = spawnSync(CLI, ["check", "--json", "--list", join(DEMO, "demo.list"), "--public", demoKey(), ...paths], { encoding: "utf8" });
    // Exit 1 (a match) and 2 (an undecodable file) are expected; the lines are the point.
    assert.ok([0, 1, 2].includes(cli.status), cli.stderr);
    const lines = cli.stdout.trim().split("\n").map((l) => JSON.parse(l));
    const byCli = new Map(lines.map((l) => [l.path, l]));
    assert.equal(byCli.size, paths.length, cli.stdout);

    const page = await env.newPage("/embed.html");
    const urls = paths.map((p) => (p.startsWith(DEMO) ? `/demo/${basename(p)}` : `/fixtures/${basename(p)}`));
    const browser = await page.evaluate(async ([url, urls]) => {
      const prescan = await import("./prescan.js");
      const key = (await (await fetch("demo/demo-key.json")).json()).publicKey;
      const init = { publicKeys: [key], decode: "wasm", sequenceStore: false };
      const local = await prescan.createChecker({ ...init, list: "demo/demo.list" });
      const remote = await prescan.createChecker({ ...init, matcher: { url } });
      const out = { local: [], remote: [] };
      for (const u of urls) {
        const b = new Uint8Array(await (await fetch(u)).arrayBuffer());
        out.local.push(await local.checkBytes(b));
        out.remote.push(await remote.checkBytes(b));
      }
      local.close();
      remote.close();
      return out;
    }, [matcher.url, urls]);
    await page.close();

    for (const [i, path] of paths.entries()) {
      const cliAnswer = answer(byCli.get(path));
      assert.deepEqual(answer(browser.local[i]), cliAnswer, `local mode and the CLI on ${basename(path)}`);
      assert.deepEqual(answer(browser.remote[i]), cliAnswer, `remote mode and the CLI on ${basename(path)}`);
    }

    // Not vacuous: what each file is expected to give, by the CLI (the other two equal it).
    const pdqOf = (path) => byCli.get(path).matches.filter((m) => m.signal === "pdq");
    // Not gradient.png: too flat for PDQ (its quality is below the floor).
    for (const path of [files.listed[0], files.listed[2], ...paths.slice(3, 8)]) {
      const label = basename(path).startsWith("scene") ? "scene.png" : "photo-like.jpg";
      assert.ok(pdqOf(path).some((m) => m.label === label), `${basename(path)} matches ${label} by PDQ: ${JSON.stringify(pdqOf(path))}`);
    }
    for (const path of paths.slice(3, 7)) {
      assert.ok(pdqOf(path).some((m) => m.variant !== "original"), `${basename(path)} matches as a rotation or mirror`);
      assert.ok(!byCli.get(path).matches.some((m) => m.signal === "sha256"), `${basename(path)} is not a listed file`);
    }
    assert.ok(files.listed.every((p) => byCli.get(p).matches.some((m) => m.signal === "sha256")), "the listed files match by digest");
    assert.equal(byCli.get(files.unlisted).matched, false);
    assert.equal(byCli.get(files.garbage).decodeError?.code, "unsupported_format");
    assert.deepEqual(env.problems, []);
  });
});
