// The worker pool against one worker (a benchmark, not a test): 20 photos
// of 12 MP checked at once (as a person picking 20 photos), wall time from
// the first checkFile to the last verdict, with `workers: 1` (one worker
// decodes, hashes and matches) and with a pool (`workers: N`, N hashing
// workers and the one that holds the list), in headless Chromium, runs
// alternated. Against the demo list (the list's size does not matter here:
// matching is well under a millisecond a file).
//
//   node benches/browser/pool.mjs [--inputs DIR] [--runs 5] [--workers 2] [--files 20]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

import { chromium } from "playwright-core";

import { startServer } from "../../tests/e2e/server.js";

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];
const { values: opt } = parseArgs({
  options: {
    inputs: { type: "string", default: join(REPO, "target", "bench-browser") },
    runs: { type: "string", default: "5" },
    workers: { type: "string", default: "2" },
    files: { type: "string", default: "20" },
  },
});

const server = await startServer(join(REPO, "www"), 0, { "/bench-inputs/": opt.inputs });
const profile = mkdtempSync(join(tmpdir(), "prescan-pool-bench-"));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", headless: true, args: ARGS,
});
try {
  const page = await context.newPage();
  await page.goto(`${server.url}/embed.html`);
  const result = await page.evaluate(async ([runs, workers, files]) => {
    const prescan = await import("./prescan.js");
    const key = (await (await fetch("demo/demo-key.json")).json()).publicKey;
    const blob = await (await fetch("/bench-inputs/photo-12mp.jpg")).blob();
    const photos = Array.from({ length: files }, (_, i) => new File([blob], `photo-${i}.jpg`, { type: "image/jpeg" }));
    const make = (n) => prescan.createChecker({ list: "demo/demo.list", publicKeys: [key], workers: n, sequenceStore: false });
    const checkers = { one: await make(1), pool: await make(workers) };
    // Warm: every worker has compiled the module and decoded once.
    for (const c of Object.values(checkers)) await Promise.all(photos.slice(0, workers + 1).map((f) => c.checkFile(f)));
    const times = { one: [], pool: [] };
    for (let r = 0; r < runs; r++) {
      for (const name of ["one", "pool"]) {
        const t = performance.now();
        const verdicts = await Promise.all(photos.map((f) => checkers[name].checkFile(f)));
        times[name].push(performance.now() - t);
        if (verdicts.some((v) => v.decodeError || !v.pdq)) throw new Error(`${name}: a photo was not hashed`);
      }
    }
    for (const c of Object.values(checkers)) c.close();
    return { times, cores: navigator.hardwareConcurrency };
  }, [Number(opt.runs), Number(opt.workers), Number(opt.files)]);
  const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const fmt = (xs) => `median ${med(xs).toFixed(0)} ms (min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)})`;
  console.log(`${opt.files} photos of 12 MP checked at once, Chromium, ${result.cores} cores, ${opt.runs} runs each, alternated:`);
  console.log(`  one worker:               ${fmt(result.times.one)}`);
  console.log(`  pool of ${opt.workers} hashing workers: ${fmt(result.times.pool)}`);
  console.log(`  pool / one: ${(med(result.times.pool) / med(result.times.one)).toFixed(2)} (target: <= 0.6 on 2 cores)`);
} finally {
  await context.close();
  await server.close();
  rmSync(profile, { recursive: true, force: true });
}
