// prescan's browser benchmark (www/bench.html). Measures, with
// performance.now(), through the public createChecker(...).checkFile(blob)
// front:
//   * file pick → verdict for one image: the first check right after the
//     checker is ready (cold), then the median of `warm` more, for decode
//     "wasm" and decode "browser" (a fresh checker, so a fresh worker, each);
//   * createChecker({ list: URL }) start → ready (fetch + verify + index),
//     median of `listRuns`, plus one run with onProgress for a breakdown;
//   * the longest main-thread block over the checks (and over the list
//     loads): PerformanceObserver "longtask" entries, cross-checked by a
//     setTimeout(0) gap probe and a requestAnimationFrame gap probe.
// Prints figures only; asserts nothing. Results: window.benchResults.
// Driven by window.bench.run(config) or by the query string (autorun=1).

import { createChecker } from "./prescan.js";

const $ = (id) => document.getElementById(id);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const round = (x) => (typeof x === "number" ? Math.round(x * 10) / 10 : x);

export function median(xs) {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Watches the main thread until stop(): long tasks (≥ 50 ms, as Chromium
 * reports them) and the largest gap between consecutive setTimeout(0)
 * callbacks (clamped to ≥ 4 ms when nested) and animation frames.
 */
function blockProbe() {
  const longtasks = [];
  let observer = null;
  if (PerformanceObserver.supportedEntryTypes?.includes("longtask")) {
    observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) longtasks.push(e.duration);
    });
    observer.observe({ type: "longtask" });
  }
  let running = true;
  let lastTick = performance.now();
  let maxTick = 0;
  let ticks = 0;
  const tick = () => {
    const now = performance.now();
    maxTick = Math.max(maxTick, now - lastTick);
    lastTick = now;
    ticks++;
    if (running) setTimeout(tick, 0);
  };
  setTimeout(tick, 0);
  let lastFrame = null;
  let maxFrame = 0;
  let frames = 0;
  const frame = () => {
    const now = performance.now();
    if (lastFrame !== null) maxFrame = Math.max(maxFrame, now - lastFrame);
    lastFrame = now;
    frames++;
    if (running) requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
  return {
    async stop() {
      await sleep(60); // lets the observer deliver the last entries
      running = false;
      if (observer) {
        for (const e of observer.takeRecords()) longtasks.push(e.duration);
        observer.disconnect();
      }
      return {
        longtaskSupported: observer !== null,
        longtaskCount: longtasks.length,
        longtaskMaxMs: longtasks.length ? Math.max(...longtasks) : 0,
        timeoutGapMaxMs: maxTick,
        timeoutTicks: ticks,
        rafGapMaxMs: frames > 1 ? maxFrame : null,
        rafFrames: frames,
      };
    },
  };
}

function mergeBlocks(a, b) {
  return {
    longtaskSupported: a.longtaskSupported && b.longtaskSupported,
    longtaskCount: a.longtaskCount + b.longtaskCount,
    longtaskMaxMs: Math.max(a.longtaskMaxMs, b.longtaskMaxMs),
    timeoutGapMaxMs: Math.max(a.timeoutGapMaxMs, b.timeoutGapMaxMs),
    timeoutTicks: a.timeoutTicks + b.timeoutTicks,
    rafGapMaxMs: a.rafGapMaxMs === null || b.rafGapMaxMs === null ? (a.rafGapMaxMs ?? b.rafGapMaxMs) : Math.max(a.rafGapMaxMs, b.rafGapMaxMs),
    rafFrames: a.rafFrames + b.rafFrames,
  };
}

async function listLoads(cfg, status) {
  const runs = [];
  let info = null;
  let blocks;
  const probe = blockProbe();
  try {
    for (let i = 0; i < cfg.listRuns; i++) {
      status(`list load ${i + 1}/${cfg.listRuns}`);
      const t0 = performance.now();
      const checker = await createChecker({ list: cfg.list, publicKeys: [cfg.key] });
      runs.push(performance.now() - t0);
      info = checker.listInfo;
      checker.close();
      await sleep(cfg.pauseMs);
    }
  } finally {
    blocks = await probe.stop();
  }
  // One more load with onProgress, for where the time goes. (onProgress
  // makes the fetch stream through a counter: the demo page's path.)
  status("list load with progress");
  const seen = {};
  const t0 = performance.now();
  const checker = await createChecker({
    list: cfg.list,
    publicKeys: [cfg.key],
    onProgress: ({ stage }) => (seen[stage] ??= performance.now() - t0),
  });
  const total = performance.now() - t0;
  checker.close();
  const at = (s) => seen[s] ?? null;
  const stages = {
    totalMs: total,
    fetchAndWorkerStartMs: at("loading-module"),
    wasmInitMs: at("verifying") !== null && at("loading-module") !== null ? at("verifying") - at("loading-module") : null,
    verifyAndIndexMs: at("indexing") !== null && at("ready") !== null ? at("ready") - at("indexing") : null,
    seen,
  };
  return { url: cfg.list, entries: info?.entries ?? null, runsMs: runs, medianMs: median(runs), stages, blocks };
}

async function checks(cfg, file, decode, status, list = { url: cfg.list, key: cfg.key }) {
  status(`decode ${decode}: loading the list`);
  const t0 = performance.now();
  const checker = await createChecker({ list: list.url, publicKeys: [list.key], decode });
  const readyMs = performance.now() - t0;
  const runs = [];
  const probe = blockProbe();
  let blocks;
  try {
    for (let i = 0; i <= cfg.warm; i++) {
      status(`decode ${decode}: check ${i + 1}/${cfg.warm + 1}`);
      const start = performance.now();
      const verdict = await checker.checkFile(file);
      const ms = performance.now() - start;
      if (verdict.decodeError) throw new Error(`decode ${decode}: ${verdict.decodeError.code}: ${verdict.decodeError.message}`);
      runs.push({ ms, wasmElapsedMs: verdict.elapsedMs, decodedBy: verdict.decodedBy, matched: verdict.matched, pdq: verdict.pdq });
      await sleep(cfg.pauseMs);
    }
  } finally {
    blocks = await probe.stop();
    checker.close();
  }
  const warm = runs.slice(1).map((r) => r.ms);
  return {
    decode,
    listReadyMs: readyMs,
    firstMs: runs[0].ms,
    warmMs: warm,
    warmMedianMs: median(warm),
    wasmElapsedFirstMs: runs[0].wasmElapsedMs,
    wasmElapsedWarmMedianMs: median(runs.slice(1).map((r) => r.wasmElapsedMs)),
    decodedBy: runs[0].decodedBy,
    matched: runs.some((r) => r.matched),
    pdq: runs[0].pdq,
    blocks,
  };
}

async function imageFile(cfg) {
  const picked = $("file").files?.[0];
  if (picked) return picked;
  if (!cfg.jpeg) throw new Error("no image: pick a file or pass jpeg=URL");
  const response = await fetch(cfg.jpeg);
  if (!response.ok) throw new Error(`could not fetch ${cfg.jpeg}: HTTP ${response.status}`);
  const blob = await response.blob();
  return new File([blob], cfg.jpeg.split("/").pop(), { type: blob.type || "image/jpeg" });
}

const DEFAULTS = { warm: 5, listRuns: 3, pauseMs: 100, decodes: ["wasm", "browser"] };

/** Runs the whole benchmark; resolves to (and sets) window.benchResults. */
async function run(config = {}) {
  const cfg = { ...DEFAULTS, ...config };
  if (!cfg.list || !cfg.key) throw new Error("config needs list (URL) and key (public key hex)");
  const status = (s) => ($("status").value = s);
  window.benchResults = { done: false };
  const results = {
    done: false,
    userAgent: navigator.userAgent,
    hardwareConcurrency: navigator.hardwareConcurrency,
    config: { warm: cfg.warm, listRuns: cfg.listRuns, pauseMs: cfg.pauseMs },
  };
  try {
    const file = await imageFile(cfg);
    results.file = { name: file.name, size: file.size, type: file.type };
    results.list = await listLoads(cfg, status);
    results.checks = {};
    for (const decode of cfg.decodes) results.checks[decode] = await checks(cfg, file, decode, status);
    // A list with every signal type (PDQ, digests, the four perceptual
    // hashes), such as the demo's: what the perceptual hashes add.
    if (cfg.allSignalsList && cfg.allSignalsKey) {
      results.allSignals = await checks(cfg, file, "wasm", status, { url: cfg.allSignalsList, key: cfg.allSignalsKey });
    }
    results.checkBlocks = Object.values(results.checks).map((c) => c.blocks).reduce(mergeBlocks);
    status("done");
  } catch (e) {
    results.error = String(e?.stack ?? e);
    status(`error: ${e?.message ?? e}`);
  }
  results.done = true;
  window.benchResults = results;
  show(results);
  return results;
}

function show(r) {
  const rows = [];
  const ms = (x) => (x === null || x === undefined ? "—" : `${round(x)} ms`);
  if (r.list) {
    rows.push([`list ready (${r.list.entries} entries), median of ${r.list.runsMs.length}`, ms(r.list.medianMs),
      r.list.runsMs.map(round).join(", ") + " ms"]);
  }
  for (const c of Object.values(r.checks ?? {})) {
    rows.push([`check, decode ${c.decode}, first`, ms(c.firstMs), `Wasm-side ${ms(c.wasmElapsedFirstMs)}`]);
    rows.push([`check, decode ${c.decode}, warm median of ${c.warmMs.length}`, ms(c.warmMedianMs),
      c.warmMs.map(round).join(", ") + " ms"]);
  }
  if (r.checkBlocks) {
    const b = r.checkBlocks;
    rows.push(["longest main-thread block during checks (longtask)", ms(b.longtaskMaxMs), `${b.longtaskCount} long tasks`]);
    rows.push(["largest setTimeout(0) gap during checks", ms(b.timeoutGapMaxMs), `${b.timeoutTicks} ticks`]);
    rows.push(["largest animation-frame gap during checks", ms(b.rafGapMaxMs), `${b.rafFrames} frames`]);
  }
  if (r.error) rows.push(["error", r.error, ""]);
  const body = $("results").tBodies[0];
  body.replaceChildren(...rows.map((cells) => {
    const tr = document.createElement("tr");
    for (const c of cells) {
      const td = document.createElement("td");
      td.textContent = c;
      tr.append(td);
    }
    return tr;
  }));
  $("results").hidden = false;
  $("json").textContent = JSON.stringify(r, (k, v) => round(v), 2);
}

function fromQuery() {
  const q = new URLSearchParams(location.search);
  const cfg = {};
  for (const k of ["jpeg", "list", "key"]) if (q.has(k)) cfg[k] = q.get(k);
  for (const k of ["warm", "listRuns", "pauseMs"]) if (q.has(k)) cfg[k] = Number(q.get(k));
  if (q.has("decodes")) cfg.decodes = q.get("decodes").split(",");
  return { cfg, autorun: q.get("autorun") === "1" };
}

window.bench = { run, median };

const { cfg, autorun } = fromQuery();
if (cfg.list) $("list").value = cfg.list;
if (cfg.key) $("key").value = cfg.key;
$("form").addEventListener("submit", (event) => {
  event.preventDefault();
  run({ ...cfg, list: $("list").value, key: $("key").value.trim() });
});
if (autorun) run(cfg);
