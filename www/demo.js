// The demo page: a guarded file input (and a drop zone feeding it) whose
// verdicts are drawn as cards. Configuration from the query string, for
// tests: ?list=demo/NAME.list (same-origin demo lists only), ?decode=MODE,
// ?matcher=URL (remote mode: the list stays on a `prescan serve` there,
// which is sent the hashes only; the page's CSP must let it connect there,
// so a link cannot send them anywhere else).
import { createChecker, guard } from "./prescan.js";

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const listParam = params.get("list");
const LIST_URL = listParam && /^demo\/[\w.-]+\.list$/.test(listParam) ? listParam : "demo/demo.list";
const KEY_URL = "demo/demo-key.json";
// Checked by createChecker: a bad one is shown as the reason it refused.
const MATCHER = params.get("matcher") || null;
$("matcher").value = MATCHER ?? "";

const input = $("files");
const decodeSelect = $("decode");
if (["auto", "wasm", "browser"].includes(params.get("decode"))) decodeSelect.value = params.get("decode");

// --- list -------------------------------------------------------------------

const status = $("list-status");
const progress = $("list-progress");

function showStatus(state, text, code) {
  status.dataset.state = state;
  status.textContent = text;
  if (code) status.dataset.code = code;
  else delete status.dataset.code;
}

function onProgress(p) {
  const stages = {
    fetching: MATCHER ? "Asking the matcher for its list…" : "Fetching the list…", "loading-module": "Loading the checker…",
    verifying: "Verifying the list's signature…", indexing: "Indexing the list…", ready: "Ready.",
  };
  if (p.stage === "error") return;
  showStatus(p.stage === "ready" ? "ready" : "loading", stages[p.stage] ?? p.stage);
  if (p.stage === "fetching" && p.total) {
    progress.hidden = false;
    progress.value = p.loaded / p.total;
  } else {
    progress.hidden = true;
  }
}

const date = (secs) => new Date(secs * 1000).toISOString().replace(".000Z", "Z");

function showListInfo(info) {
  $("list-id").textContent = info.id;
  $("list-sequence").textContent = String(info.sequence);
  $("list-entries").textContent = String(info.entries);
  $("list-sections").textContent = info.sections
    .map((s) => `${s.signal}: ${s.count} (threshold ${s.threshold})`).join(", ");
  $("list-created").textContent = date(info.created);
  $("list-expires").textContent = info.expires == null ? "never" : date(info.expires);
  $("list-key").textContent = info.keyId;
  $("list-where").textContent = MATCHER ? `by the matcher at ${MATCHER}, sent the hashes only` : "in this tab";
  $("list-info").hidden = false;
}

async function loadChecker() {
  let publicKey;
  try {
    const r = await fetch(KEY_URL);
    if (!r.ok) throw new Error(`HTTP ${r.status}`);
    publicKey = (await r.json()).publicKey;
  } catch (e) {
    throw Object.assign(new Error(`could not load the demo key (${KEY_URL}): ${e.message}`), { code: "demo_key_missing" });
  }
  const common = { publicKeys: [publicKey], decode: decodeSelect.value, onProgress };
  if (MATCHER) return createChecker({ ...common, matcher: { url: MATCHER } });
  // pdqNearest: the demo shows how far an unlisted image is from the list. A
  // production page should not (it is a distance oracle against the list).
  // A matcher does not answer it.
  return createChecker({ ...common, list: LIST_URL, options: { pdqNearest: true } });
}

const checkerPromise = loadChecker();
let listInfo = null;
checkerPromise.then(
  (checker) => {
    listInfo = checker.listInfo;
    showListInfo(listInfo);
    showStatus("ready", MATCHER
      ? `Ready: list "${listInfo.id}" on the matcher at ${MATCHER}; images are hashed here and only the hashes are sent.`
      : `Ready: list "${listInfo.id}" verified.`);
  },
  (e) => {
    progress.hidden = true;
    showStatus("error", `List refused (${e.code ?? "error"}): ${e.message}`, e.code ?? "error");
  },
);

// --- files ------------------------------------------------------------------

decodeSelect.addEventListener("change", async () => {
  (await checkerPromise).decode = decodeSelect.value;
});

const results = $("results");
let waiting = []; // cards for the files of the latest pick, in order

function sizeText(n) {
  return n < 1024 ? `${n} B` : n < 1 << 20 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / (1 << 20)).toFixed(1)} MiB`;
}

function newCard(file) {
  const li = $("result-template").content.firstElementChild.cloneNode(true);
  li.dataset.verdict = "checking";
  li.querySelector(".badge").textContent = "CHECKING";
  li.querySelector(".name").textContent = file.name;
  li.querySelector(".size").textContent = `${sizeText(file.size)}${file.type ? `, ${file.type}` : ""}`;
  results.prepend(li);
  return li;
}

input.addEventListener("change", () => {
  for (const card of waiting) setVerdictBadge(card, "error", "SUPERSEDED");
  waiting = [...input.files].map(newCard);
});

function setVerdictBadge(card, verdict, text) {
  card.dataset.verdict = verdict;
  card.querySelector(".badge").textContent = text;
}

function fact(dl, term, value, className) {
  const dt = document.createElement("dt");
  dt.textContent = term;
  const dd = document.createElement("dd");
  dd.textContent = value;
  if (className) dd.className = className;
  dd.dataset.fact = term;
  dl.append(dt, dd);
}

/** Bit k of a PDQ hex string: bit 255 is the top bit of the first digit. */
export function pdqBit(hex, k) {
  const digit = parseInt(hex[63 - (k >> 2)], 16);
  return (digit >> (k & 3)) & 1;
}

function drawPdq(grid, hex) {
  grid.replaceChildren();
  if (!hex) {
    grid.classList.add("empty");
    return;
  }
  grid.setAttribute("aria-label", `PDQ ${hex} as a 16 by 16 grid of bits`);
  grid.title = "PDQ bits: bit k at row k/16, column k%16";
  for (let k = 0; k < 256; k++) {
    const cell = document.createElement("span");
    if (pdqBit(hex, k)) cell.className = "on";
    grid.append(cell);
  }
}

function ms(x) {
  return x == null ? "–" : `${x.toFixed(x < 10 ? 1 : 0)} ms`;
}

function render(card, v) {
  const blocked = v.matched;
  setVerdictBadge(card, blocked ? "blocked" : v.decodeError ? "error" : "clear",
    blocked ? "BLOCKED" : v.decodeError ? "NOT CHECKED" : "CLEAR");
  drawPdq(card.querySelector(".pdq-grid"), v.pdq);
  const dl = card.querySelector(".facts");
  dl.replaceChildren();
  if (v.decodeError) {
    fact(dl, "error", `${v.decodeError.code}: ${v.decodeError.message}`, "error-text");
  }
  const pdqSection = listInfo?.sections.find((s) => s.signal === "pdq");
  const pdqMatches = v.matches.filter((m) => m.signal === "pdq");
  if (v.pdq) {
    const threshold = v.pdqNearest?.threshold ?? pdqMatches[0]?.threshold ?? pdqSection?.threshold;
    const nearest = v.pdqNearest?.distance ?? (pdqMatches.length ? Math.min(...pdqMatches.map((m) => m.distance)) : null);
    fact(dl, "PDQ distance", v.pdqSkippedLowQuality ? `not matched: quality ${v.pdqQuality} below the floor`
      : nearest == null ? `no entry within threshold ${threshold ?? "–"}`
      : `nearest entry ${nearest} ${nearest <= threshold ? "≤" : ">"} threshold ${threshold}`);
  }
  for (const m of v.matches) {
    const extra = [m.label && `“${m.label}”`, m.variant && m.variant !== "original" && `as ${m.variant}`]
      .filter(Boolean).join(", ");
    fact(dl, "match", `${m.signal} entry ${m.entry} of ${m.listId}, distance ${m.distance}/${m.threshold}${extra ? `, ${extra}` : ""}`);
  }
  if (v.pdq) fact(dl, "PDQ", `${v.pdq} (quality ${v.pdqQuality})`, "mono");
  if (v.sha256) fact(dl, "SHA-256", v.sha256, "mono");
  fact(dl, "decoded by", v.decodedBy ?? "–");
  fact(dl, "time", `${ms(v.elapsedMs)} check, ${ms(v.totalMs)} in all`);
}

function renderError(card, code, message) {
  setVerdictBadge(card, "error", "ERROR");
  const dl = card.querySelector(".facts");
  dl.replaceChildren();
  fact(dl, "error", `${code}: ${message}`, "error-text");
}

input.addEventListener("prescan:verdict", (e) => {
  const card = waiting.shift();
  if (card) render(card, e.detail);
});
input.addEventListener("prescan:error", (e) => {
  for (const _ of e.detail.files) {
    const card = waiting.shift();
    if (card) renderError(card, e.detail.code, e.detail.message);
  }
});

// Drop zone: hand dropped files to the guarded input.
const drop = $("drop");
drop.addEventListener("dragover", (e) => {
  e.preventDefault();
  drop.classList.add("over");
});
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (e) => {
  e.preventDefault();
  drop.classList.remove("over");
  if (!e.dataTransfer?.files.length) return;
  input.files = e.dataTransfer.files;
  input.dispatchEvent(new Event("change", { bubbles: true }));
});

$("clear-results").addEventListener("click", () => {
  results.replaceChildren();
  waiting = [];
  input.value = "";
  input.dispatchEvent(new Event("change", { bubbles: true }));
});

// Guard the input last, so that the card for a file exists before any of
// the guard's events about it.
guard(input, { checker: checkerPromise, message: "This image is on the list and cannot be uploaded." });
