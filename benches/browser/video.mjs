// vPDQ of a 60 s 1080p H.264 clip at one hash a second (a benchmark, not a
// test): prescan in headless Chromium (checkFile: WebCodecs in the worker),
// beside SWGFL's in-browser vPDQ (hashVideoUrl, from its source) in the
// same page and run, and natively prescan's CLI and Meta's vpdq
// (vpdq.computeHash). Each figure is the median of --runs runs, with the
// real-time factor (clip length / time). Prints figures; asserts nothing.
//
//   node benches/browser/video.mjs [--runs 3] [--seconds 60] [--swgfl DIR]
//
// The clip (testsrc2, 1920x1080, 30 fps, x264 veryfast) is made once in
// target/bench-video/. --swgfl: a checkout of github.com/SWGFL/pdq (default
// $SWGFL_PDQ, else /work/.mirror/SWGFL+pdq/repo, a bare mirror read with git
// archive); without one its column says why it is missing. Its src/vpdq.ts
// is bundled here with Vite, as its README shows it imported.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

import { chromium } from "playwright-core";

import { startServer } from "../../tests/e2e/server.js";

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const OUT = join(REPO, "target", "bench-video");
const ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];
const { values: opt } = parseArgs({
  options: {
    runs: { type: "string", default: "3" },
    seconds: { type: "string", default: "60" },
    swgfl: { type: "string", default: process.env.SWGFL_PDQ ?? "/work/.mirror/SWGFL+pdq/repo" },
  },
});
const runs = Number(opt.runs);
const seconds = Number(opt.seconds);
mkdirSync(OUT, { recursive: true });
const clip = join(OUT, `clip1080-${seconds}s.mp4`);
if (!existsSync(clip)) {
  console.error(`==> making ${clip}`);
  execFileSync("ffmpeg", ["-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=1920x1080:rate=30", "-t", String(seconds),
    "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", clip]);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
function timed(cmd, args) {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { stdio: ["ignore", "ignore", "pipe"], maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`);
  return (performance.now() - t0) / 1000;
}

// SWGFL's vPDQ, bundled from its source.
let swgfl = null;
let swgflWhy = "";
if (existsSync(opt.swgfl)) {
  const src = join(OUT, "swgfl-src");
  rmSync(src, { recursive: true, force: true });
  mkdirSync(src, { recursive: true });
  const bare = existsSync(join(opt.swgfl, "HEAD")) && !existsSync(join(opt.swgfl, ".git"));
  // (A mirror may lack the blobs of large test files: only src/ is read.)
  if (bare) execFileSync("sh", ["-c", `git --git-dir='${opt.swgfl}' archive HEAD src 2>/dev/null | tar -x -C '${src}'`]);
  else execFileSync("cp", ["-r", join(opt.swgfl, "src"), src]);
  const commit = execFileSync("git", bare ? ["--git-dir", opt.swgfl, "rev-parse", "--short", "HEAD"] : ["-C", opt.swgfl, "rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim();
  const { build } = await import("vite");
  await build({
    logLevel: "error",
    configFile: false,
    build: {
      outDir: join(OUT, "swgfl"), emptyOutDir: true, minify: true,
      lib: { entry: join(src, "src", "vpdq.ts"), formats: ["es"], fileName: () => "vpdq.js" },
    },
  });
  swgfl = `SWGFL/pdq ${commit}`;
} else {
  swgflWhy = `no SWGFL/pdq checkout at ${opt.swgfl} (--swgfl DIR)`;
}

const native = { prescan: [], vpdq: [] };
const CLI = join(REPO, "target", "release", "prescan");
for (let i = 0; i < runs; i++) {
  native.prescan.push(timed(CLI, ["hash", "--vpdq", clip]));
  native.vpdq.push(timed("python3", [join(REPO, "tests", "oracle", "vpdq_oracle.py"), "hash", clip, "1"]));
}

const server = await startServer(join(REPO, "www"), 0, { "/bench-video/": OUT });
const profile = mkdtempSync(join(tmpdir(), "prescan-bench-video-"));
const context = await chromium.launchPersistentContext(profile, { executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", headless: true, args: ARGS });
const browser = { prescan: [], swgfl: [] };
let frames = {};
try {
  const page = await context.newPage();
  await page.goto(`${server.url}/embed.html`);
  for (let i = 0; i < runs; i++) {
    const r = await page.evaluate(async ([name, withSwgfl]) => {
      const prescan = await import("./prescan.js");
      const key = (await (await fetch("demo/demo-key.json")).json()).publicKey;
      const file = new File([await (await fetch(`bench-video/${name}`)).blob()], name, { type: "video/mp4" });
      const checker = await prescan.createChecker({ list: "demo/demo.list", publicKeys: [key] });
      let t0 = performance.now();
      const v = await checker.checkFile(file);
      const ours = (performance.now() - t0) / 1000;
      checker.close();
      let theirs = null;
      let theirFrames = null;
      if (withSwgfl) {
        const { hashVideoUrl } = await import("./bench-video/swgfl/vpdq.js");
        const url = URL.createObjectURL(file);
        t0 = performance.now();
        const f = await hashVideoUrl(url, { secondsPerHash: 1 });
        theirs = (performance.now() - t0) / 1000;
        theirFrames = f.length;
        URL.revokeObjectURL(url);
      }
      return { ours, theirs, ourFrames: v.vpdq.length, theirFrames, error: v.decodeError };
    }, [`clip1080-${seconds}s.mp4`, !!swgfl]);
    if (r.error) throw new Error(`prescan: ${JSON.stringify(r.error)}`);
    browser.prescan.push(r.ours);
    if (r.theirs !== null) browser.swgfl.push(r.theirs);
    frames = { prescan: r.ourFrames, swgfl: r.theirFrames };
  }
} finally {
  await context.close();
  await server.close();
  rmSync(profile, { recursive: true, force: true });
}

const chromiumVersion = execFileSync(process.env.CHROMIUM ?? "/usr/bin/chromium", ["--version"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] })
  .trim().replace(/ built on .*/, "");
const row = (what, xs, n) => xs.length
  ? `| ${what} | ${median(xs).toFixed(2)} s | ${(seconds / median(xs)).toFixed(1)}x | ${n ?? ""} |`
  : `| ${what} | — | — | ${n ?? ""} |`;
console.log(`vPDQ of ${clip} (${(statSync(clip).size / 2 ** 20).toFixed(1)} MiB, ${seconds} s, 1920x1080, 30 fps, H.264), one hash a second; median of ${runs}`);
console.log("| what | time | real time | frames hashed |");
console.log("|---|---|---|---|");
console.log(row(`prescan, ${chromiumVersion} (WebCodecs, worker)`, browser.prescan, frames.prescan));
console.log(row(`${swgfl ?? "SWGFL/pdq"}, same page (hashVideoUrl)${swgfl ? "" : `: ${swgflWhy}`}`, browser.swgfl, frames.swgfl ?? ""));
console.log(row("prescan hash --vpdq, native", native.prescan, ""));
console.log(row("vpdq.computeHash (Meta's C++), native", native.vpdq, ""));
