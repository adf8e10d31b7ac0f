// Runs www/bench.html in headless Chromium (playwright-core, the browser
// tests' flags, under their CSP) on the inputs scripts/bench-browser made,
// times the native CLI on the same image and list, and prints one table of
// figures beside their targets. A benchmark: it asserts nothing about speed
// (exit 0 unless something could not be measured at all).
//
//   node benches/browser/run.js --inputs DIR --key HEX --public FILE [--warm 5] [--list-runs 3] [--json OUT]
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

import { chromium } from "playwright-core";

import { startServer } from "../../tests/e2e/server.js";

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const WWW = join(REPO, "www");
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
// The same flags as tests/e2e/helpers.js.
const ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];
const JPEG = "photo-12mp.jpg";
const LIST = "pdq-1m.list";

const { values: opt } = parseArgs({
  options: {
    inputs: { type: "string", default: join(REPO, "target", "bench-browser") },
    key: { type: "string" },
    public: { type: "string" },
    warm: { type: "string", default: "5" },
    "list-runs": { type: "string", default: "3" },
    "native-runs": { type: "string", default: "6" },
    json: { type: "string" },
    "timeout-s": { type: "string", default: "240" },
  },
});
if (!opt.key || !opt.public) {
  console.error("usage: run.js --inputs DIR --key HEX --public FILE [--warm N] [--list-runs N] [--json OUT]");
  process.exit(2);
}
const warm = Number(opt.warm);
const listRuns = Number(opt["list-runs"]);
const jpegPath = join(opt.inputs, JPEG);
const listPath = join(opt.inputs, LIST);

const median = (xs) => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmtMs = (x) => (x === null || x === undefined ? "—" : `${x.toFixed(0)} ms`);
const kb = (n) => `${(n / 1000).toFixed(1)} KB`;

// --- sizes -----------------------------------------------------------------

function gzipSize(path) {
  return execFileSync("gzip", ["-9c", path], { maxBuffer: 64 << 20 }).length;
}
const sizes = ["pkg/prescan_bg.wasm", "pkg/prescan.js", "prescan.js", "prescan-worker.js"].map((f) => {
  const path = join(WWW, f);
  return { file: `www/${f}`, raw: statSync(path).size, gzip: gzipSize(path) };
});

// --- native ----------------------------------------------------------------

function nativeCheck() {
  const out = execFileSync(join(REPO, "target", "release", "prescan"), [
    "check", "--json", "--list", listPath, "--public", opt.public, jpegPath,
  ], { encoding: "utf8" });
  const v = JSON.parse(out.trim().split("\n")[0]);
  if (v.decode_error) throw new Error(`native check: ${JSON.stringify(v.decode_error)}`);
  return v;
}
const nativeRuns = [];
let nativePdq = null;
for (let i = 0; i < Number(opt["native-runs"]); i++) {
  const v = nativeCheck();
  nativeRuns.push(v.elapsedMs);
  nativePdq = v.pdq;
}

// --- browser -----------------------------------------------------------------

// www/ under the tests' strict CSP, plus the generated inputs.
const server = await startServer(WWW, 0, { "/bench-inputs/": opt.inputs });
const profile = mkdtempSync(join(tmpdir(), "prescan-bench-profile-"));
const problems = [];
let results;
let browserVersion = "?";
const watchdog = setTimeout(() => {
  console.error(`bench-browser: no result after ${opt["timeout-s"]} s, giving up`);
  process.exit(1);
}, Number(opt["timeout-s"]) * 1000);
try {
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS });
  browserVersion = context.browser()?.version() ?? "?";
  try {
    const page = await context.newPage();
    page.on("console", (m) => {
      if (m.type() === "error") problems.push(`console error: ${m.text()}`);
    });
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    page.on("requestfailed", (r) => {
      // A list fetch read as a stream is sometimes reported ERR_ABORTED
      // after it completed (see tests/e2e/helpers.js).
      if (r.failure()?.errorText === "net::ERR_ABORTED" && r.url().endsWith(".list")) return;
      problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`);
    });
    await page.addInitScript(() => {
      window.__csp = [];
      document.addEventListener("securitypolicyviolation", (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
    });
    await page.goto(`${server.url}/bench.html`);
    await page.waitForFunction(() => typeof window.bench?.run === "function");
    // A real file pick: the File is backed by the file on disk.
    await page.setInputFiles("#file", jpegPath);
    const demoKey = JSON.parse(readFileSync(join(WWW, "demo", "demo-key.json"), "utf8")).publicKey;
    results = await page.evaluate((cfg) => window.bench.run(cfg), {
      list: `/bench-inputs/${LIST}`, key: opt.key, warm, listRuns,
      allSignalsList: "/demo/demo.list", allSignalsKey: demoKey,
    });
    for (const v of await page.evaluate(() => window.__csp)) problems.push(`CSP violation: ${v}`);
  } finally {
    await context.close();
  }
} finally {
  clearTimeout(watchdog);
  await server.close();
  rmSync(profile, { recursive: true, force: true });
}

// --- table -------------------------------------------------------------------

const rows = [];
const verdict = (ok) => (ok === null ? "—" : ok ? "met" : "NOT MET");
const row = (what, value, target, ok, detail = "") => rows.push([what, value, target, verdict(ok), detail]);

for (const s of sizes) {
  const isWasm = s.file.endsWith(".wasm");
  row(`gzip -9 ${s.file}`, kb(s.gzip), isWasm ? "≤ 350 KB" : "", isWasm ? s.gzip <= 350_000 : null, `${kb(s.raw)} raw`);
}
const total = sizes.reduce((a, s) => a + s.gzip, 0);
row("gzip -9 total of the four", kb(total), "", null);

const c = results.checks ?? {};
for (const decode of ["wasm", "browser"]) {
  const r = c[decode];
  if (!r) continue;
  row(`12 MP check, decode ${decode}, first (cold)`, fmtMs(r.firstMs), "", null,
    `Wasm-side ${fmtMs(r.wasmElapsedFirstMs)}`);
  row(`12 MP check, decode ${decode}, warm (median of ${r.warmMs.length})`, fmtMs(r.warmMedianMs), "≤ 250 ms",
    r.warmMedianMs <= 250, `runs ${r.warmMs.map((x) => x.toFixed(0)).join(" ")}; Wasm-side ${fmtMs(r.wasmElapsedWarmMedianMs)}`);
}
if (results.allSignals) {
  const r = results.allSignals;
  row(`12 MP check, all signal types (demo list), decode wasm, warm (median of ${r.warmMs.length})`,
    fmtMs(r.warmMedianMs), "", null,
    `PDQ, digests, pHash, dHash, aHash, blockhash; Wasm-side ${fmtMs(r.wasmElapsedWarmMedianMs)}`);
}
row(`12 MP check, native CLI (median of ${nativeRuns.length})`, fmtMs(median(nativeRuns)), "(reference)", null,
  `runs ${nativeRuns.map((x) => x.toFixed(0)).join(" ")}; elapsedMs, one process each`);

if (results.list) {
  const l = results.list;
  const st = l.stages;
  row(`${(l.entries ?? 0).toLocaleString("en")}-entry list ready (median of ${l.runsMs.length})`, fmtMs(l.medianMs), "≤ 1 s",
    l.medianMs <= 1000, `runs ${l.runsMs.map((x) => x.toFixed(0)).join(" ")}`);
  row("  breakdown (1 run, with onProgress)", fmtMs(st.totalMs), "", null,
    `fetch+worker start ${fmtMs(st.fetchAndWorkerStartMs)}, Wasm init ${fmtMs(st.wasmInitMs)}, verify+index ${fmtMs(st.verifyAndIndexMs)}`);
}
// Chromium reports only tasks of 50 ms or more as long tasks.
const longest = (b) => (!b.longtaskSupported ? "unsupported" : b.longtaskCount ? fmtMs(b.longtaskMaxMs) : "< 50 ms");
if (results.checkBlocks) {
  const b = results.checkBlocks;
  row("longest main-thread block, 12 MP checks (longtask)", longest(b),
    "≤ 50 ms", b.longtaskSupported ? b.longtaskMaxMs <= 50 : null, `${b.longtaskCount} long tasks (≥ 50 ms) reported`);
  row("  cross-check: largest setTimeout(0) gap", fmtMs(b.timeoutGapMaxMs), "≤ 50 ms", b.timeoutGapMaxMs <= 50,
    `${b.timeoutTicks} ticks (4 ms clamp)`);
  row("  cross-check: largest animation-frame gap", fmtMs(b.rafGapMaxMs), "", null, `${b.rafFrames} frames`);
}
if (results.list?.blocks) {
  const b = results.list.blocks;
  row("longest main-thread block, list loads (longtask)", longest(b), "≤ 50 ms", b.longtaskMaxMs <= 50,
    `${b.longtaskCount} long tasks; setTimeout gap ${fmtMs(b.timeoutGapMaxMs)}`);
}

const head = ["what", "measured", "target", "", "detail"];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => [...r[i]].length)));
const line = (cells) => cells.map((x, i) => x + " ".repeat(widths[i] - [...x].length)).join("  ").trimEnd();
const jpegSize = statSync(jpegPath).size;
console.log(`\nprescan browser benchmark — ${browserVersion}, ${results.hardwareConcurrency} cores reported`);
console.log(`image: ${JPEG} (4000x3000, ${kb(jpegSize)}); list: ${LIST} (${kb(statSync(listPath).size)})`);
console.log(`timings are medians; machine shared with builds, so expect noise\n`);
console.log(line(head));
console.log(line(widths.map((w) => "-".repeat(w))));
for (const r of rows) console.log(line(r));

const pdqs = Object.values(c).map((r) => r.pdq);
if (pdqs.some((p) => p !== nativePdq)) {
  console.log(`\nnote: PDQ differs between paths (native ${nativePdq}; ${Object.entries(c).map(([k, r]) => `${k} ${r.pdq}`).join("; ")})`);
}
if (Object.values(c).some((r) => r.matched)) console.log("\nnote: the image matched the random list (unexpected)");
if (results.error) problems.push(`bench page error: ${results.error}`);
for (const p of problems) console.log(`problem: ${p}`);

if (opt.json) {
  writeFileSync(opt.json, JSON.stringify({ browserVersion, sizes, native: { runsMs: nativeRuns, medianMs: median(nativeRuns), pdq: nativePdq }, page: results, problems }, null, 2));
  console.log(`\nall figures: ${opt.json}`);
}
process.exit(results.error || !results.checks ? 1 : 0);
