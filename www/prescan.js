// prescan: check images in the browser, before upload, against a signed
// hash list. Pixels and bytes never leave the browser: the only network
// requests made here are to the list URL the host passes, or, in remote
// mode, to the matcher the host names (which is sent hashes only), and the
// worker loading its own script and Wasm module.

import { VIDEO_LIMITS } from "./video.js";

/** An Error with a machine-readable `code`. */
function prescanError(code, message) {
  return Object.assign(new Error(message), { code });
}

// The Wasm checker's default for `maxListBytes`; the fetch applies the same
// cap, and createChecker passes it on, so both refuse the same lists.
const DEFAULT_MAX_LIST_BYTES = 2 ** 30;

function fetchFailed(why) {
  return prescanError("list_fetch_failed", `could not fetch the list: ${why}`);
}

function tooLarge(size, max) {
  return prescanError("list_too_large", `the list is larger than the limit of ${max} bytes (${size} bytes or more)`);
}

/**
 * Fetches the list, never holding more than `maxBytes` of it: a body
 * declared larger is refused before it is read, and one that turns out
 * larger (no Content-Length, or a compressed one) stops being read there.
 */
async function fetchList(url, onProgress, maxBytes) {
  onProgress?.({ stage: "fetching", loaded: 0, total: null });
  let response;
  // A body given up on is cancelled and its fetch aborted: Firefox 153
  // sometimes keeps the connection open after cancel() alone (for a minute
  // and more, the server still sending).
  const controller = new AbortController();
  const giveUp = () => {
    response?.body?.cancel().catch(() => {});
    controller.abort();
  };
  try {
    response = await fetch(url, { credentials: "same-origin", cache: "no-cache", signal: controller.signal });
  } catch (e) {
    throw fetchFailed(e.message ?? e);
  }
  if (!response.ok) {
    giveUp();
    throw fetchFailed(`HTTP ${response.status}`);
  }
  const length = Number(response.headers.get("content-length"));
  const total = Number.isFinite(length) && length > 0 ? length : null;
  // A compressed body's Content-Length is not the list's size.
  const encoding = response.headers.get("content-encoding");
  if (total !== null && total > maxBytes && (!encoding || encoding === "identity")) {
    giveUp();
    throw tooLarge(total, maxBytes);
  }
  if (!response.body) return new ArrayBuffer(0);
  const reader = response.body.getReader();
  const chunks = [];
  let loaded = 0;
  for (;;) {
    let next;
    try {
      next = await reader.read();
    } catch (e) {
      throw fetchFailed(e.message ?? e);
    }
    const { done, value } = next;
    if (done) break;
    loaded += value.byteLength;
    if (loaded > maxBytes) {
      reader.cancel().catch(() => {});
      controller.abort();
      throw tooLarge(loaded, maxBytes);
    }
    chunks.push(value);
    onProgress?.({ stage: "fetching", loaded, total });
  }
  const out = new Uint8Array(loaded);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out.buffer;
}

/** The list as an ArrayBuffer this module owns (safe to transfer). */
async function listBuffer(list, onProgress, maxBytes) {
  if (typeof list === "string" || list instanceof URL) return fetchList(list, onProgress, maxBytes);
  if (list instanceof ArrayBuffer || ArrayBuffer.isView(list)) {
    // Refused before it is copied; the Wasm checker would refuse it too.
    if (list.byteLength > maxBytes) throw tooLarge(list.byteLength, maxBytes);
    if (list instanceof ArrayBuffer) return list.slice(0);
    return new Uint8Array(list.buffer, list.byteOffset, list.byteLength).slice().buffer;
  }
  throw prescanError("bad_argument", "list must be a URL string, URL, ArrayBuffer or Uint8Array");
}

// --- rollback protection -------------------------------------------------------

/** The store of the highest list sequence seen: the host's, localStorage, or none. */
function sequenceStoreOf(option) {
  if (option === false) return null;
  if (option !== undefined && option !== true) {
    if (typeof option?.get !== "function" || typeof option?.set !== "function") {
      throw prescanError("bad_argument", "sequenceStore must be false or an object with get(key) and set(key, value)");
    }
    return option;
  }
  let storage = null;
  try {
    storage = globalThis.localStorage ?? null;
  } catch {
    // Storage turned off (sandboxed frames, some privacy settings): the
    // page gets no rollback protection, as with `sequenceStore: false`.
  }
  if (!storage) return null;
  return {
    get: (key) => storage.getItem(key),
    set: (key, value) => {
      try {
        storage.setItem(key, String(value));
      } catch {
        // Storage full: the sequence stored before still protects.
      }
    },
  };
}

/**
 * Refuses a list older than the newest one this store has seen from the
 * same key and list id, then remembers this one. `info` comes from the
 * worker after the signature verified, so its sequence is the signed one.
 */
async function checkSequence(store, info) {
  const key = `prescan:sequence:${info.keyId}:${info.id}`;
  let seen;
  try {
    seen = await store.get(key);
  } catch (e) {
    throw prescanError("sequence_store_failed", `could not read the list sequence seen before: ${e?.message ?? e}`);
  }
  seen = seen === null || seen === undefined || seen === "" ? null : Number(seen);
  if (!Number.isFinite(seen)) seen = null; // unreadable: as if none was stored
  if (seen !== null && info.sequence < seen) {
    throw prescanError("list_rollback",
      `list "${info.id}" has sequence ${info.sequence}, lower than ${seen}, the highest seen before: an older list (rollback)`);
  }
  if (seen !== null && info.sequence === seen) return;
  try {
    await store.set(key, info.sequence);
  } catch (e) {
    throw prescanError("sequence_store_failed", `could not store the list sequence: ${e?.message ?? e}`);
  }
}

// Hashing workers at most (the `workers` option), and by default: one a
// core, up to 4 (a 12 MP check holds about 45 MiB in each).
const MAX_WORKERS = 16;
const defaultWorkers = () => Math.max(1, Math.min(globalThis.navigator?.hardwareConcurrency || 1, 4));

// --- remote mode -----------------------------------------------------------------

// The server's limit on files a request (docs/server.md).
const MAX_FILES_A_REQUEST = 64;
// Options that apply when a server matches: the Hasher's decoding limits,
// and the two the front applies to the server's list info itself. The
// others (thresholds, pdqQualityFloor, pdqNearest, the list's size caps)
// are the server's to set: refused rather than silently ignored.
const HASHER_OPTIONS = ["maxWidth", "maxHeight", "maxPixels", "maxFileBytes", "maxDecodeBytes"];
// Options of videos, applied in the worker (video.js), in either mode.
const VIDEO_OPTIONS = ["secondsPerHash", "maxVideoBytes", "maxVideoSeconds", "maxVideoFrames", "videoDecode"];
const VIDEO_DECODE = ["auto", "webcodecs", "element"];
const REMOTE_OPTIONS = [...HASHER_OPTIONS, ...VIDEO_OPTIONS, "now", "minSequence"];
// The fields of a file in a check request: hashes and PDQ's quality, nothing else.
const HASH_FIELDS = ["pdq", "pdqQuality", "pdqDihedral", "md5", "sha1", "sha256", "phash", "dhash", "ahash", "blockhash", "vpdq"];

/**
 * The video options of `options`, checked: `{ secondsPerHash, limits }`
 * for the worker's video checks.
 */
function videoOptions(options) {
  const out = { secondsPerHash: 1, limits: {}, decode: "auto" };
  for (const name of VIDEO_OPTIONS) {
    const value = options?.[name];
    if (value === undefined) continue;
    if (name === "videoDecode") {
      if (!VIDEO_DECODE.includes(value)) throw prescanError("bad_option", `option videoDecode is one of ${VIDEO_DECODE.join(", ")}, got ${String(value)}`);
      out.decode = value;
      continue;
    }
    const whole = name !== "secondsPerHash";
    if (typeof value !== "number" || !(value >= 0) || !Number.isFinite(value) || (whole && !Number.isInteger(value))) {
      throw prescanError("bad_option", `option ${name} must be a ${whole ? "whole " : ""}number >= 0, got ${String(value)}`);
    }
    if (name === "secondsPerHash") out.secondsPerHash = value;
    else out.limits[name] = value;
  }
  return out;
}

const VIDEO_NAME = /\.(mp4|m4v|mov|qt|3gp|webm|mkv)$/i;

/** Whether a Blob is to be checked as a video: by its type, or its name's extension. */
function isVideoFile(blob) {
  return typeof blob?.type === "string" && (blob.type.startsWith("video/") || (!blob.type && VIDEO_NAME.test(blob.name ?? "")));
}

function unavailable(why) {
  return prescanError("matcher_unavailable", `the matcher could not be reached: ${why}`);
}

function refused(why, status) {
  const error = prescanError("matcher_refused", `the matcher refused: ${why}`);
  if (status !== undefined) error.status = status;
  return error;
}

/** `{ url, token, timeoutMs }`, checked: the URLs of the two endpoints and how to call them. */
function matcherOf(matcher) {
  if (matcher === null || typeof matcher !== "object" || matcher instanceof URL) {
    throw prescanError("bad_argument", "matcher must be an object { url, token?, timeoutMs? }");
  }
  const { url, token, timeoutMs = 10_000, ...rest } = matcher;
  const unknown = Object.keys(rest);
  if (unknown.length) throw prescanError("bad_argument", `matcher has no option ${unknown.join(", ")}`);
  let base = null;
  try {
    if (typeof url === "string" || url instanceof URL) base = new URL(url, globalThis.location?.href);
  } catch {
    // reported below
  }
  // A query or fragment would end up before /v1/…; credentials in the URL
  // are refused by fetch: each is a mistake better named now.
  if (!base || !/^https?:$/.test(base.protocol) || base.search || base.hash || base.username || base.password) {
    throw prescanError("bad_argument", `matcher.url must be an http(s) URL without query, fragment or credentials, not ${String(url)}`);
  }
  // Printable ASCII without spaces: anything else fetch would refuse as a
  // header value, which would look like the server being unreachable.
  if (token !== undefined && (typeof token !== "string" || !/^[\x21-\x7e]+$/.test(token))) {
    throw prescanError("bad_argument", "matcher.token must be a string of printable ASCII characters without spaces");
  }
  if (typeof timeoutMs !== "number" || !(timeoutMs > 0) || !Number.isFinite(timeoutMs)) {
    throw prescanError("bad_argument", `matcher.timeoutMs must be a number of milliseconds > 0, not ${String(timeoutMs)}`);
  }
  const root = base.href.replace(/\/+$/, "");
  return { listUrl: `${root}/v1/list`, checkUrl: `${root}/v1/check`, token, timeoutMs };
}

/** The options of remote mode, split: the Hasher's, and the front's `now` and `minSequence`. */
function remoteOptions(options) {
  if (options === null || typeof options !== "object") throw prescanError("bad_option", "options must be an object");
  const hasher = {};
  for (const [name, value] of Object.entries(options)) {
    if (value === undefined) continue;
    if (!REMOTE_OPTIONS.includes(name)) {
      throw prescanError("bad_option", `option ${name} does not apply with a matcher: the server matches (remote mode takes ${REMOTE_OPTIONS.join(", ")})`);
    }
    if (HASHER_OPTIONS.includes(name)) hasher[name] = value;
    else if (VIDEO_OPTIONS.includes(name)) continue; // videoOptions()
    else if (typeof value !== "number" || !(value >= 0) || !Number.isFinite(value)) {
      throw prescanError("bad_option", `option ${name} must be a number >= 0, got ${String(value)}`);
    }
  }
  return { hasher, now: Math.floor(options.now ?? Date.now() / 1000), minSequence: options.minSequence ?? 0 };
}

const hex = (bytes) => [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");

/**
 * The key id lists name each public key by: the first 8 bytes of the
 * SHA-256 of its 32 bytes, in hex (as `prescan list inspect` prints it).
 */
async function keyIdsOf(publicKeys) {
  if (!globalThis.crypto?.subtle) {
    throw prescanError("bad_argument", "remote mode needs crypto.subtle, which browsers give secure contexts only (https:, localhost)");
  }
  return Promise.all(publicKeys.map(async (key) => {
    if (typeof key !== "string" || !/^[0-9a-fA-F]{64}$/.test(key)) {
      throw prescanError("bad_key", `a public key is 64 hex digits, not ${JSON.stringify(key)}`);
    }
    const bytes = Uint8Array.from(key.match(/../g), (h) => parseInt(h, 16));
    return hex(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)).subarray(0, 8));
  }));
}

/**
 * One request to the matcher, aborted after `timeoutMs` or by whoever holds
 * its controller in `controllers` (close()); resolves to the answer's JSON.
 * Never sends cookies, never follows a redirect (the hashes go to the
 * matcher the host named, nowhere else), never sends the page's address.
 */
async function matcherRequest(m, url, body, controllers) {
  const controller = new AbortController();
  controllers?.add(controller);
  const timer = setTimeout(() => controller.abort(unavailable(`no answer within ${m.timeoutMs} ms`)), m.timeoutMs);
  const headers = {};
  if (m.token !== undefined) headers.Authorization = `Bearer ${m.token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  // The abort's reason (a timeout, or close()) over fetch's own error.
  const failure = (e) => (controller.signal.aborted ? controller.signal.reason : unavailable(e?.message ?? e));
  try {
    let response;
    let text;
    try {
      response = await fetch(url, {
        method: body === undefined ? "GET" : "POST", headers, body, signal: controller.signal,
        cache: "no-store", credentials: "omit", redirect: "error", referrerPolicy: "no-referrer",
      });
      text = await response.text();
    } catch (e) {
      throw failure(e);
    }
    let answer = null;
    try {
      answer = JSON.parse(text);
    } catch {
      // described below
    }
    if (!response.ok) {
      const error = answer?.error;
      const what = typeof error?.code === "string" ? `${error.code}: ${error.message}` : "no error object in the answer";
      throw refused(`HTTP ${response.status}, ${what}`, response.status);
    }
    if (answer === null || typeof answer !== "object") throw refused(`HTTP ${response.status} with an answer that is not a JSON object`, response.status);
    return answer;
  } finally {
    clearTimeout(timer);
    controllers?.delete(controller);
  }
}

/** The server's list info, checked for the fields the front relies on. */
function remoteListInfo(info) {
  const whole = (n) => Number.isSafeInteger(n) && n >= 0;
  const ok = typeof info.id === "string" && whole(info.sequence) && typeof info.keyId === "string" &&
    (info.expires === null || whole(info.expires)) && Array.isArray(info.sections) &&
    info.sections.every((s) => typeof s?.signal === "string");
  if (!ok) throw refused(`GET /v1/list answered with something that is not list info: ${JSON.stringify(info).slice(0, 200)}`);
  return info;
}

/**
 * What local mode's Checker refuses, refused of the server's list too: a
 * key not among `publicKeys`, an expired list, one below `minSequence`. The
 * server's answer is not signed: this catches a server configured with
 * another list than the page expects, not a server that lies.
 */
/** Unix seconds as the library's messages give a time: `2027-01-31T12:00:00Z`. */
function utc(seconds) {
  const date = new Date(seconds * 1000);
  return Number.isNaN(date.getTime()) ? String(seconds) : date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

function checkRemoteList(info, keyIds, { now, minSequence }) {
  if (!keyIds.includes(info.keyId.toLowerCase())) {
    throw prescanError("list_unknown_key", `the matcher's list "${info.id}" is signed by key ${info.keyId}, which is not trusted`);
  }
  if (info.expires !== null && now >= info.expires) {
    throw prescanError("list_expired", `the matcher's list "${info.id}" expired at ${utc(info.expires)} (now ${utc(now)})`);
  }
  if (info.sequence < minSequence) {
    throw prescanError("list_rollback", `the matcher's list "${info.id}" has sequence ${info.sequence}, below the minimum ${minSequence}`);
  }
}

/** A file of a check request: the hash fields the worker computed, and nothing else, whatever it handed back. */
function requestFile(hashes) {
  const file = {};
  for (const k of HASH_FIELDS) if (hashes?.[k] !== undefined) file[k] = hashes[k];
  if (file.vpdq) {
    const seen = new Set();
    file.vpdq = file.vpdq.filter((f) => !seen.has(f.hash) && seen.add(f.hash));
  }
  return file;
}

function isVerdict(v) {
  return v !== null && typeof v === "object" && typeof v.matched === "boolean" && Array.isArray(v.matches);
}

const DECODE_MODES = ["wasm", "browser", "auto"];

function decodeMode(mode) {
  if (!DECODE_MODES.includes(mode)) {
    throw prescanError("bad_argument", `decode must be "wasm", "browser" or "auto", not ${mode}`);
  }
  return mode;
}

// --- cancelling a check --------------------------------------------------------

/** The `signal` option: an AbortSignal, or null when none is given. */
function signalOf(signal) {
  if (signal === undefined || signal === null) return null;
  if (!(signal instanceof AbortSignal)) throw prescanError("bad_argument", "signal must be an AbortSignal");
  return signal;
}

/**
 * A check's rejection when its signal aborts, as fetch's: `name`
 * "AbortError", and the signal's reason as `cause`.
 */
export function abortedError(signal) {
  return Object.assign(prescanError("aborted", "the check was aborted"), { name: "AbortError", cause: signal.reason });
}

/**
 * `new Promise(start)`, which `signal` (when not null) can abort: then
 * `stop()` runs and the promise rejects with "aborted" at once; already
 * aborted, it rejects without starting. The signal's listener is removed
 * when the promise settles: a long-lived signal keeps none.
 */
function abortable(signal, start, stop) {
  if (!signal) return new Promise(start);
  if (signal.aborted) return Promise.reject(abortedError(signal));
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      stop();
      reject(abortedError(signal));
    };
    const settled = (f) => (value) => {
      signal.removeEventListener("abort", onAbort);
      f(value);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    start(settled(resolve), settled(reject));
  });
}

/** A verdict for a file refused unread: over `maxFileBytes`. */
function tooLargeVerdict(size, max) {
  return {
    matched: false, matches: [], matchesTruncated: 0, pdq: null, pdqQuality: null, pdqDihedral: null,
    pdqSkippedLowQuality: false, pdqNearest: null, perceptualSkipped: false,
    decodeError: { code: "limit_exceeded", message: `file of ${size} bytes exceeds the limit of ${max} bytes` },
    elapsedMs: null, decodedBy: null, totalMs: 0,
  };
}

/**
 * Loads and verifies a signed list in a Web Worker; or, with `matcher`,
 * hashes in the worker and matches on the server named.
 * @param {import("./prescan").CheckerInit} init
 * @returns {Promise<import("./prescan").PrescanChecker>}
 */
export function createChecker(init) {
  return openChecker(init, null);
}

/**
 * createChecker, whose workers `newWorker()` makes when it is not null
 * (prescan/node: worker_threads behind the Web Worker calls used here);
 * null: Web Workers of prescan-worker.js. Internal: not in prescan.d.ts.
 */
export async function openChecker({
  list, matcher, publicKeys, options = {}, decode = "auto", onProgress, workerUrl, sequenceStore, workers,
} = {}, newWorker) {
  decode = decodeMode(decode);
  const video = videoOptions(options);
  workers ??= defaultWorkers();
  if (!Number.isInteger(workers) || workers < 1 || workers > MAX_WORKERS) {
    throw prescanError("bad_argument", `workers must be a whole number from 1 to ${MAX_WORKERS}, got ${String(workers)}`);
  }
  if (!Array.isArray(publicKeys) || publicKeys.length === 0) {
    throw prescanError("bad_argument", "publicKeys must be a non-empty array of hex strings");
  }
  const store = sequenceStoreOf(sequenceStore);
  let remote = null; // the matcher, in remote mode
  let info = null;
  let load; // the worker's first message
  if (matcher !== undefined) {
    if (list !== undefined) throw prescanError("bad_argument", "give `list` or `matcher`, not both");
    remote = matcherOf(matcher);
    const remoteOpts = remoteOptions(options);
    const keyIds = await keyIdsOf(publicKeys);
    onProgress?.({ stage: "fetching", loaded: 0, total: null });
    info = remoteListInfo(await matcherRequest(remote, remote.listUrl, undefined, null));
    checkRemoteList(info, keyIds, remoteOpts);
    // Only the hashes the server's list can match are computed, and sent.
    load = { type: "hasher", options: remoteOpts.hasher, signals: [...new Set(info.sections.map((s) => s.signal))] };
  } else {
    const maxListBytes = options?.maxListBytes ?? DEFAULT_MAX_LIST_BYTES;
    if (typeof maxListBytes !== "number" || !(maxListBytes >= 0)) {
      // Checked here too: the list is fetched before the Wasm checker sees the options.
      throw prescanError("bad_option", `option maxListBytes must be a whole number >= 0, got ${String(maxListBytes)}`);
    }
    const buffer = await listBuffer(list, onProgress, maxListBytes);
    // The host's options and no other key (the Wasm checker refuses unknown
    // ones), with the list cap the fetch applied.
    const checkerOptions = { ...options, maxListBytes };
    for (const name of VIDEO_OPTIONS) delete checkerOptions[name];
    // The bindings take whole Unix seconds; Date.now() / 1000 is not.
    if (typeof checkerOptions.now === "number") checkerOptions.now = Math.floor(checkerOptions.now);
    load = { type: "load", list: buffer, publicKeys: [...publicKeys], options: checkerOptions };
  }
  const closedError = () => prescanError("closed", "the checker is closed");
  // id → { resolve, reject, prepare, pick, slot }: asked, not answered. A
  // worker has one check posted to it at a time (`slot.current`); the
  // others wait in its `queue`, on this side, so that a check cancelled
  // while it waits is never posted.
  const pending = new Map();
  let nextId = 1;
  let closed = false;
  let limits = null; // the Wasm checker's (or hasher's) effective decodeLimits()
  let failed = null;
  // The load message is kept (the list posted as a copy, not transferred):
  // a worker whose instance traps, or that dies, is replaced by a fresh one
  // that verifies the same bytes again. The page holds the list's bytes for
  // this as long as the checker is open.
  let main = spawn(load, true); // holds the list (local mode) or hashes (remote mode)
  let hashers = []; // the pool (local mode, workers > 1): they decode and hash, `main` matches

  function fail(error) {
    failed ??= error;
    for (const { reject } of pending.values()) reject(error);
    pending.clear();
  }

  /**
   * A worker, sent `first` (its load message): a slot `{ worker, ready,
   * first, queue, current, posted }`, `ready` settling once it has verified
   * and indexed the list, or made its hasher. `current` is the id of the
   * check it is given (null: none), `posted` whether that check's message
   * has gone to it yet (its bytes may still be being read).
   */
  function spawn(first, initial) {
    // `new Worker(new URL("./…", import.meta.url), …)` written out in full:
    // bundlers (Vite, webpack 5, Parcel) recognise exactly this form and
    // bundle the worker with the Wasm module it imports.
    const worker = newWorker
      ? newWorker()
      : workerUrl
        ? new Worker(workerUrl, { type: "module", name: "prescan" })
        : new Worker(new URL("./prescan-worker.js", import.meta.url), { type: "module", name: "prescan" });
    const slot = { worker, first, isReady: false, dead: false, queue: [], current: null, posted: false };
    let settle;
    slot.ready = new Promise((resolve, reject) => (settle = { resolve, reject }));
    // Rejections are handled by those who wait on it; not "unhandled" meanwhile.
    slot.ready.catch(() => {});
    const lost = (error) => {
      if (closed || slot.dead) return;
      if (!slot.isReady) {
        if (initial) onProgress?.({ stage: "error", error });
        settle.reject(error);
        fail(error);
        worker.terminate();
      } else {
        // The check it was working on: the one in flight.
        const p = slot.posted ? pending.get(slot.current) : undefined;
        if (p) {
          pending.delete(slot.current);
          p.reject(error);
        }
        replace(slot);
      }
    };
    worker.onmessage = ({ data }) => {
      if (slot.dead) return; // a replaced worker's last words
      if (data.type === "progress") {
        if (initial && first === load) onProgress?.({ stage: data.stage });
      } else if (data.type === "videoProgress") {
        const p = pending.get(data.id);
        if (p?.slot === slot) p.progress?.({ hashed: data.hashed, expected: data.expected });
      } else if (data.type === "ready") {
        if (initial && first === load && !remote) info = data.info;
        if (first === load) limits = data.limits;
        slot.isReady = true;
        settle.resolve();
        pump(slot);
      } else if (data.type === "verdict" || data.type === "hashed" || data.type === "error") {
        if (data.id === undefined) {
          lost(prescanError(data.error.code, data.error.message));
          return;
        }
        if (slot.current === data.id) slot.current = null;
        // Not pending: aborted in flight on the list's worker (see cancel), its answer dropped.
        const p = pending.get(data.id);
        if (p) {
          pending.delete(data.id);
          if (data.type === "error") p.reject(prescanError(data.error.code, data.error.message));
          else p.resolve(data.type === "verdict" ? data.verdict : data.result);
        }
        if (data.fatal) replace(slot);
        else pump(slot);
      }
    };
    worker.onerror = (event) => {
      event.preventDefault?.();
      lost(prescanError("worker_failed", `the prescan worker failed: ${event.message || "could not start"}`));
    };
    worker.onmessageerror = () => lost(prescanError("worker_failed", "a worker message could not be read"));
    worker.postMessage(first);
    return slot;
  }

  /** Replaces a worker with a fresh one; what it had not answered goes to the new one (or another). */
  function replace(slot) {
    slot.dead = true;
    slot.worker.terminate();
    const fresh = spawn(slot.first, false);
    if (slot === main) main = fresh;
    else hashers = hashers.map((h) => (h === slot ? fresh : h));
    const waiting = [slot.current, ...slot.queue].filter((id) => pending.has(id));
    slot.current = null;
    slot.queue = [];
    for (const id of waiting) dispatch(id, pending.get(id));
  }

  /** Puts `id` in the queue of the worker `p.pick()` names. */
  function dispatch(id, p) {
    const target = (p.slot = p.pick());
    target.queue.push(id);
    pump(target);
  }

  /** Posts the next check of the slot's queue, once it is ready and has none in flight. */
  function pump(slot) {
    if (slot.dead || !slot.isReady || slot.current !== null) return;
    let id;
    do id = slot.queue.shift();
    while (id !== undefined && !pending.has(id)); // rejected meanwhile (a failed list)
    if (id === undefined) return;
    const p = pending.get(id);
    slot.current = id;
    slot.posted = false;
    const mine = () => !slot.dead && slot.current === id; // not aborted, replaced or closed meanwhile
    // A prepare() that throws (checkFile of something that is not a Blob) rejects too.
    new Promise((resolve) => resolve(p.prepare())).then(([message, transfer]) => {
      if (!mine()) return;
      if (pending.get(id) !== p) {
        slot.current = null;
        pump(slot);
        return;
      }
      slot.posted = true;
      slot.worker.postMessage({ ...message, id }, transfer);
    }, (e) => {
      if (!mine()) return;
      slot.current = null;
      if (pending.get(id) === p) {
        pending.delete(id);
        p.reject(e);
      }
      pump(slot);
    });
  }

  /**
   * Stops the check `id`, whose signal aborted (its promise rejects). One
   * waiting in a queue is taken out: never posted. One whose message was
   * being made is dropped before it is posted. One in flight on a worker
   * that only hashes (the pool's, remote mode's) stops with that worker,
   * terminated and replaced by a fresh one (cheap: no list), which gets the
   * checks queued on it. One in flight on the list's worker is left to
   * finish and its answer dropped: replacing that worker would verify and
   * index the whole list again, which costs more than the one check (which
   * the decoding limits bound).
   */
  function cancel(id) {
    const p = pending.get(id);
    if (!p) return;
    pending.delete(id);
    const slot = p.slot;
    const at = slot.queue.indexOf(id);
    if (at >= 0) {
      slot.queue.splice(at, 1);
    } else if (slot.current === id && !slot.posted) {
      slot.current = null;
      pump(slot);
    } else if (slot.current === id && slot.first.type === "hasher") {
      replace(slot);
    } else if (slot.current === id && p.video) {
      // A video takes long: the list's worker stops it at its next frame
      // (its answer, an error, is dropped: no longer pending).
      slot.worker.postMessage({ type: "cancel", id });
    }
  }

  /** The hashing worker with the fewest checks given to it: queued, and in flight. */
  function leastBusy() {
    const given = (h) => h.queue.length + (h.current === null ? 0 : 1);
    return hashers.reduce((a, b) => (given(b) < given(a) ? b : a));
  }

  try {
    await main.ready;
  } catch (e) {
    throw failed ?? e;
  }
  if (!remote && workers > 1) {
    // Hashers compute what the list's checker would: PDQ and the digests
    // always (a verdict reports them), the perceptual hashes the list has.
    const signals = [...new Set(["pdq", "md5", "sha1", "sha256", ...info.sections.map((s) => s.signal)])];
    const hasherOptions = Object.fromEntries(HASHER_OPTIONS.filter((k) => options[k] !== undefined).map((k) => [k, options[k]]));
    hashers = Array.from({ length: workers }, () => spawn({ type: "hasher", options: hasherOptions, signals }, true));
    try {
      await Promise.all(hashers.map((h) => h.ready));
    } catch (e) {
      for (const h of hashers) h.worker.terminate();
      main.worker.terminate();
      throw failed ?? e;
    }
  }
  if (store) {
    try {
      await checkSequence(store, info);
    } catch (e) {
      for (const s of [main, ...hashers]) s.worker.terminate();
      onProgress?.({ stage: "error", error: e });
      throw e;
    }
  }
  onProgress?.({ stage: "ready" });

  /**
   * Asks the worker: a verdict (local mode) or `{ hashes, decodeError,
   * decodedBy }` (remote mode). `prepare()` resolves to the message and
   * its transfer list; it is called when the message is posted, and again
   * if the worker is replaced before it answers. `signal` (or null) aborts
   * it (see cancel).
   */
  function toWorker(prepare, signal, pick = () => main, extra = {}) {
    if (closed) return Promise.reject(closedError());
    if (failed) return Promise.reject(failed);
    const id = nextId++;
    return abortable(signal, (resolve, reject) => {
      const p = { resolve, reject, prepare, pick, slot: null, ...extra };
      pending.set(id, p);
      dispatch(id, p);
    }, () => cancel(id));
  }

  // --- remote matching: the checks asked for in one task (a guard's pick,
  // a host's Promise.all) go to the server together, 64 files a request.
  let batch = null;
  const requests = new Set(); // AbortControllers of requests in flight, for close()

  /**
   * The server's verdict for the hashes `hashed` resolves to. Aborted
   * before its batch is sent, the check is taken out of it; once the
   * request is sent (it carries up to 64 files) it is not aborted for one
   * of them: that one's answer is dropped.
   */
  function matchRemotely(hashed, signal) {
    // Handled when the batch is sent; until then, not "unhandled".
    hashed.catch(() => {});
    const item = { hashed, aborted: false };
    return abortable(signal, (resolve, reject) => {
      if (!batch) {
        const items = (batch = []);
        setTimeout(() => {
          batch = null;
          sendBatch(items);
        }, 0);
      }
      batch.push(Object.assign(item, { resolve, reject }));
    }, () => (item.aborted = true));
  }

  async function sendBatch(items) {
    const settled = await Promise.allSettled(items.map((i) => i.hashed));
    const ready = [];
    settled.forEach((r, i) => {
      if (items[i].aborted) return; // rejected already: out of the request
      if (r.status === "fulfilled") ready.push({ ...items[i], result: r.value });
      else items[i].reject(r.reason);
    });
    // A video's frames make a large request: each goes alone.
    const videos = ready.filter((i) => i.result.hashes?.vpdq);
    const images = ready.filter((i) => !i.result.hashes?.vpdq);
    for (const v of videos) postFiles([v]);
    for (let at = 0; at < images.length; at += MAX_FILES_A_REQUEST) postFiles(images.slice(at, at + MAX_FILES_A_REQUEST));
  }

  async function postFiles(items) {
    try {
      if (closed) throw closedError();
      const body = JSON.stringify({ files: items.map((i) => requestFile(i.result.hashes)) });
      const { verdicts } = await matcherRequest(remote, remote.checkUrl, body, requests);
      if (!Array.isArray(verdicts) || verdicts.length !== items.length || !verdicts.every(isVerdict)) {
        throw refused(`POST /v1/check did not answer one verdict for each of the ${items.length} files`);
      }
      // A check aborted meanwhile has rejected: its resolve does nothing.
      items.forEach(({ result, resolve }, i) => resolve({
        ...verdicts[i],
        // Sent without repeats (vPDQ's matching drops them first); every frame hashed here.
        ...(result.hashes?.vpdq ? { vpdq: result.hashes.vpdq } : {}),
        // The server had hashes only: whether the file decoded is known here.
        decodeError: result.decodeError ?? verdicts[i].decodeError ?? null,
        decodedBy: result.decodedBy,
      }));
    } catch (e) {
      for (const { reject } of items) reject(e);
    }
  }

  /**
   * A check of the worker message `prepare()` resolves to ([message,
   * transfer]), timed from now. In the pool, two steps: a hasher's hashes,
   * then the list's worker's match of them, not asked for when `signal`
   * aborted meanwhile.
   */
  function check(prepare, signal, extra) {
    const started = performance.now();
    const worked = hashers.length === 0 ? toWorker(prepare, signal, undefined, extra) : toWorker(prepare, signal, leastBusy, extra).then((hashed) =>
      toWorker(async () => [{ type: "match", hashes: hashed.hashes }, []], signal).then((v) => ({
        ...v,
        // The matcher had hashes only: whether the file decoded is known here.
        decodeError: hashed.decodeError ?? null,
        decodedBy: hashed.decodedBy,
      })));
    return (remote ? matchRemotely(worked, signal) : worked).then((v) => ({ ...v, totalMs: performance.now() - started }));
  }

  /**
   * A check with the caller's options `opts` (`decode`, `signal`), of a
   * file of `size` bytes (null: pixels). Rejects at once when the options
   * are bad or the signal has aborted, before anything is read; resolves
   * at once for a file over maxFileBytes, which is not read at all. Else
   * `message(mode)` gives the `prepare` of check(). Never throws.
   */
  function ask(opts, size, message, extra) {
    try {
      const mode = decodeMode(opts?.decode ?? decode);
      const signal = signalOf(opts?.signal);
      if (signal?.aborted) return Promise.reject(abortedError(signal));
      if (!closed && !failed && size > limits.maxFileBytes) return Promise.resolve(tooLargeVerdict(size, limits.maxFileBytes));
      return check(message(mode), signal, extra);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * A check()'s `prepare` for `bytes` (an ArrayBuffer or a view), copied
   * now (the caller may reuse its array): each time, a copy of the copy
   * (transferred), in the message `make(copy)`.
   */
  function copying(bytes, make) {
    const kept = ArrayBuffer.isView(bytes)
      ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength).slice().buffer
      : bytes.slice(0);
    return async () => {
      const copy = kept.slice(0);
      return [make(copy), [copy]];
    };
  }

  /**
   * A video check: the worker's WebCodecs path (video.js), then, where
   * that cannot decode the video and this is a page, a <video> element's
   * (elementFeatures), whose frames the workers hash one by one.
   */
  function checkVideo(blob, opts) {
    const progress = typeof opts?.onProgress === "function" ? opts.onProgress : undefined;
    const { decode: how, ...options } = video;
    const element = async (first) => {
      const signal = signalOf(opts?.signal);
      const pick = hashers.length ? leastBusy : undefined;
      const hash = (rgba, width, height, frame, fps) => {
        const copy = new Uint8ClampedArray(rgba).buffer;
        return toWorker(async () => [{ type: "videoFrame", rgba: copy, width, height, frame, fps }, [copy]], signal, pick);
      };
      let features;
      try {
        features = await elementFeatures(blob, options, hash, progress, signal);
      } catch (e) {
        if (!first || e?.code === "aborted" || e?.code === "closed") throw e;
        // The first verdict (its digests checked), with the reason the element gave.
        return { ...first, decodeError: { code: e?.code ?? "video_unsupported", message: String(e?.message ?? e) } };
      }
      return ask(opts, 0, () => async () => [{ type: "video", file: blob, features }, []], { video: true });
    };
    if (how === "element" && typeof document !== "undefined") return element(null);
    // Not read here: the worker reads the file in pieces (video.js),
    // under the video limits, not maxFileBytes.
    const first = ask(opts, 0, () => async () => [{ type: "video", file: blob, ...options }, []], { video: true, progress });
    if (how === "webcodecs" || typeof document === "undefined") return first;
    return first.then((v) => (v.decodeError?.code === "video_unsupported" ? element(v) : v));
  }

  return {
    get listInfo() {
      return info;
    },
    /** The default decoder for checkFile and checkBytes; settable. */
    get decode() {
      return decode;
    },
    set decode(mode) {
      decode = decodeMode(mode);
    },
    // Not async: a check is in its batch (remote mode) as soon as it is asked for.
    checkFile(blob, opts) {
      if (isVideoFile(blob)) return checkVideo(blob, opts);
      return ask(opts, blob?.size, (mode) => () => blob.arrayBuffer().then((bytes) => [{ type: "check", bytes, decode: mode }, [bytes]]));
    },
    checkBytes(bytes, opts) {
      return ask(opts, bytes?.byteLength, (mode) => copying(bytes, (copy) => ({ type: "check", bytes: copy, decode: mode })));
    },
    checkRgba(rgba, width, height, opts) {
      return ask({ signal: opts?.signal }, null, () => copying(rgba, (copy) => ({ type: "check", rgba: copy, width, height })));
    },
    close() {
      if (closed) return;
      closed = true;
      for (const s of [main, ...hashers]) s.worker.terminate();
      const error = closedError();
      for (const { reject } of pending.values()) reject(error);
      pending.clear();
      for (const controller of requests) controller.abort(error);
    },
  };
}

// --- videos through a <video> element ------------------------------------------

/**
 * Frames a second of a playing <video>: the shortest gap between the
 * media times of the frames it presents (requestVideoFrameCallback) over
 * its first 12 frames or 2 seconds, played muted. Null when it cannot tell.
 */
async function elementFrameRate(video) {
  if (typeof video.requestVideoFrameCallback !== "function") return null;
  const times = [];
  await new Promise((resolve) => {
    const timer = setTimeout(resolve, 2000);
    const onFrame = (_now, meta) => {
      times.push(meta.mediaTime);
      if (times.length >= 12) {
        clearTimeout(timer);
        resolve();
      } else video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
    video.play().catch(resolve);
  });
  video.pause();
  let gap = Infinity;
  for (let i = 1; i < times.length; i++) if (times[i] > times[i - 1]) gap = Math.min(gap, times[i] - times[i - 1]);
  return Number.isFinite(gap) ? 1 / gap : null;
}

/**
 * Settles when `video` next presents a frame (requestVideoFrameCallback),
 * or after 250 ms without one, or at once where the element cannot tell.
 */
function framePresented(video) {
  if (typeof video.requestVideoFrameCallback !== "function") return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      video.cancelVideoFrameCallback?.(handle);
      resolve();
    }, 250);
    const handle = video.requestVideoFrameCallback(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * The vPDQ features of a video the worker's WebCodecs path cannot decode,
 * drawn from a <video> element in the page (a worker has none): frame n
 * (each step-th, the step vPDQ's) is drawn once the element has sought to
 * the middle of its display time, and `hash(rgba, width, height, n, fps)`
 * (the worker's) hashes it. The frame rate is the element's, measured
 * (elementFrameRate): a frame's number and timestamp are then those of the
 * frame vPDQ would hash, as near as the element's timing gives them. The
 * pixels are the browser's own RGB, by whatever matrix it picks.
 */
async function elementFeatures(blob, { secondsPerHash, limits }, hash, progress, signal) {
  const video = document.createElement("video");
  video.muted = true;
  video.playsInline = true;
  video.preload = "auto";
  const url = URL.createObjectURL(blob);
  const unsupported = (why) => prescanError("video_unsupported", `neither WebCodecs nor a <video> element decodes this video here: ${why}`);
  // The element's next `type` event; its error, the signal's abort, or 20 s
  // of silence (an element that stalls) end the wait too.
  const until = (type) => new Promise((resolve, reject) => {
    const done = (f) => () => {
      clearTimeout(timer);
      video.removeEventListener(type, ok);
      video.removeEventListener("error", bad);
      signal?.removeEventListener("abort", stop);
      f();
    };
    const ok = done(resolve);
    const bad = done(() => reject(unsupported(video.error?.message || "the element refused it")));
    const stop = done(() => reject(abortedError(signal)));
    const timer = setTimeout(done(() => reject(unsupported(`no ${type} event from the element in 20 s`))), 20_000);
    video.addEventListener(type, ok);
    video.addEventListener("error", bad);
    signal?.addEventListener("abort", stop);
  });
  try {
    const loaded = until("loadeddata");
    video.src = url;
    await loaded;
    const max = { ...VIDEO_LIMITS, ...limits };
    const { duration, videoWidth: width, videoHeight: height } = video;
    if (!width || !height) throw unsupported("it has no picture");
    if (!Number.isFinite(duration)) throw unsupported("its duration is not known");
    if (duration > max.maxVideoSeconds) throw prescanError("limit_exceeded", `the video is ${Math.round(duration)} s long, over ${max.maxVideoSeconds}`);
    if (Math.max(width, height) > max.maxFrameSide || width * height > max.maxFramePixels) {
      throw prescanError("limit_exceeded", `the video is ${width}x${height}, over the frame limits`);
    }
    const fps = await elementFrameRate(video);
    if (!fps) throw unsupported("its frame rate could not be measured");
    const frames = Math.max(1, Math.round(duration * fps));
    if (frames > max.maxVideoFrames) throw prescanError("limit_exceeded", `the video has ${frames} frames, over ${max.maxVideoFrames}`);
    const step = Math.max(1, Math.trunc(secondsPerHash * fps));
    const expected = Math.ceil(frames / step);
    const canvas = document.createElement("canvas");
    canvas.width = width;
    canvas.height = height;
    const ctx = canvas.getContext("2d", { willReadFrequently: true });
    const features = [];
    for (let n = 0; n < frames; n += step) {
      const sought = until("seeked");
      const presented = framePresented(video);
      video.currentTime = Math.min((n + 0.5) / fps, duration);
      await sought;
      // `seeked` can come before the element has the sought frame to draw
      // (Chromium under load drew an earlier frame now and then): wait for
      // the frame to be presented too, or for a moment where the element
      // presents none (a seek to the frame already shown).
      await presented;
      ctx.drawImage(video, 0, 0, width, height);
      const { data } = ctx.getImageData(0, 0, width, height);
      features.push(await hash(data, width, height, n, fps));
      progress?.({ hashed: features.length, expected });
    }
    return features;
  } finally {
    video.removeAttribute("src");
    video.load();
    URL.revokeObjectURL(url);
  }
}

// --- guard -------------------------------------------------------------------

const VERDICT_FIELDS = [
  "matched", "matches", "matchesTruncated", "pdq", "pdqQuality", "pdqDihedral", "pdqSkippedLowQuality",
  "pdqNearest", "perceptualSkipped", "md5", "sha1", "sha256", "phash", "dhash", "ahash", "blockhash",
  "decodeError", "elapsedMs", "totalMs", "decodedBy",
];

function fileInfo(f) {
  return { name: f.name, size: f.size, type: f.type };
}

/** The verdict's hashes and matches only (never pixels or bytes), plus the file's name, size and type. */
function eventDetail(verdict, file) {
  const detail = {};
  for (const k of VERDICT_FIELDS) if (verdict[k] !== undefined) detail[k] = structuredClone(verdict[k]);
  detail.file = fileInfo(file);
  return detail;
}

// --- what guard() refuses, shared with the adapters (adapters/*.js) ----------

/** guard()'s options on what is refused and what the person is told, with their defaults. */
export function policyOf({
  message = "This image cannot be uploaded.",
  undecodableMessage = "This file could not be checked, so it cannot be uploaded.",
  listErrorMessage = "Images cannot be checked right now, so they cannot be uploaded.",
  onUndecodable = "block",
  onListError = "block",
} = {}) {
  return { message, undecodableMessage, listErrorMessage, onUndecodable, onListError };
}

/**
 * One file's check, settled (as Promise.allSettled gives it), judged by
 * `policy`: `kind` "match", "failed" (the check or the list failed),
 * "undecodable" or "clear", and the message that refuses the file ("":
 * not refused). The kinds in rising order of precedence: KINDS.
 */
export function judge(settled, policy) {
  if (settled.status === "rejected") return { kind: "failed", message: policy.onListError === "block" ? policy.listErrorMessage : "" };
  if (settled.value.matched) return { kind: "match", message: policy.message };
  if (settled.value.decodeError) return { kind: "undecodable", message: policy.onUndecodable === "block" ? policy.undecodableMessage : "" };
  return { kind: "clear", message: "" };
}

export const KINDS = ["clear", "undecodable", "failed", "match"];

function emit(target, type, detail) {
  target?.dispatchEvent(new CustomEvent(type, { detail, bubbles: true }));
}

/** prescan:error on `target` (none when null) for `files`, whose list could not be loaded. */
export function announceListError(target, e, files) {
  emit(target, "prescan:error", { code: e.code ?? "list_error", message: e.message, files: files.map(fileInfo) });
}

/**
 * The events of one file's settled check on `target` (none when null):
 * prescan:error, or prescan:verdict and, matched, prescan:match, with one
 * detail object.
 */
export function announce(target, file, settled) {
  if (settled.status === "rejected") {
    const e = settled.reason;
    emit(target, "prescan:error", { code: e?.code ?? "check_failed", message: String(e?.message ?? e), files: [fileInfo(file)] });
    return;
  }
  const detail = eventDetail(settled.value, file);
  emit(target, "prescan:verdict", detail);
  if (settled.value.matched) emit(target, "prescan:match", detail);
}

/**
 * The checker of `opts`: `checker` (or a promise of one), else one made
 * from `checkerOptions`, which is `own` (its user closes it). `who` names
 * the caller in the error.
 */
export function checkerOf(opts, who) {
  if (opts.checker) return { checker: Promise.resolve(opts.checker), own: false };
  if (opts.checkerOptions) return { checker: createChecker(opts.checkerOptions), own: true };
  throw prescanError("bad_argument", `${who} needs \`checker\` or \`checkerOptions\``);
}

function isFileInput(el) {
  return el instanceof HTMLInputElement && el.type === "file";
}

/** Whether `files` (an input's FileList) holds exactly the files in `checked`. */
function sameFiles(checked, files) {
  const now = files ?? [];
  return checked !== null && checked.length === now.length && checked.every((f, i) => f === now[i]);
}

/**
 * Guards file inputs: each picked file is checked before the form can be
 * submitted. See prescan.d.ts for the options.
 */
export function guard(target, opts = {}) {
  const root = typeof target === "string" ? document.querySelector(target) : target;
  if (!(root instanceof HTMLInputElement || root instanceof HTMLFormElement)) {
    throw prescanError("bad_argument", "guard() needs an <input type=file> or a <form>");
  }
  const { clearOnMatch = false, resubmit = true } = opts;
  const policy = policyOf(opts);
  const { checker: checkerPromise, own: ownChecker } = checkerOf(opts, "guard()");
  checkerPromise.catch(() => {}); // reported per input when files are picked

  // input -> { generation, status, files (the File objects checked last),
  // done (that check), checks (File -> { controller, result }: the checks
  // of the files picked, whose results a later pick that keeps them reuses) }
  const states = new Map();
  let pendingSubmit = null; // { form, submitter } waiting for checks to finish
  let disposed = false;

  function stateOf(input) {
    if (!states.has(input)) states.set(input, { generation: 0, status: null, files: null, done: null, checks: new Map() });
    return states.get(input);
  }

  /**
   * The inputs guarded: the input, or each file input of the form's
   * `elements`, which counts inputs outside the form that name it with
   * `form="…"` and leaves out those inside that name another form: the
   * ones whose files the form submits. Read afresh each time, so inputs
   * added later are guarded too.
   */
  function guardedInputs() {
    return root instanceof HTMLFormElement ? [...root.elements].filter(isFileInput) : [root];
  }

  function isGuarded(el) {
    return isFileInput(el) && (root instanceof HTMLFormElement ? el.form === root : el === root);
  }

  function inputsOfForm(form) {
    return (root instanceof HTMLFormElement ? form === root : root.form === form) ? guardedInputs() : [];
  }

  function setStatus(input, status, validity) {
    if (status === null) input.removeAttribute("data-prescan");
    else input.setAttribute("data-prescan", status);
    input.setCustomValidity(validity ?? "");
    stateOf(input).status = status;
  }

  function anyPending(form) {
    return inputsOfForm(form).some((i) => states.get(i)?.status === "checking");
  }

  function blocked(form) {
    return inputsOfForm(form).some((i) => i.validationMessage && states.get(i)?.status);
  }

  /**
   * Aborts the checks of the files not among `files` (the input's now):
   * removed or replaced. Those still picked keep theirs, running or done.
   */
  function letGo(state, files) {
    for (const [file, c] of state.checks) {
      if (files.includes(file)) continue;
      state.checks.delete(file);
      c.controller.abort();
    }
  }

  /** The check of `file` on the input: the one running or done since it was picked, or a new one. */
  function checkOf(state, checker, file, input) {
    let c = state.checks.get(file);
    if (!c) state.checks.set(file, (c = { controller: new AbortController(), result: null }));
    // A video's progress: its frames hashed so far, of those expected.
    const onProgress = ({ hashed, expected }) => emit(input, "prescan:progress", { file: fileInfo(file), hashed, expected });
    c.result ??= checker.checkFile(file, { signal: c.controller.signal, onProgress });
    return c.result;
  }

  /**
   * Checks the input's files as they are now, superseding a check of
   * earlier ones (the checks of files no longer there are aborted). Marks
   * the input "checking" at once (so a submission is held), and returns a
   * promise of the status it ends with.
   */
  function start(input) {
    const state = stateOf(input);
    const generation = ++state.generation;
    const files = [...(input.files ?? [])];
    state.files = files;
    letGo(state, files);
    if (files.length === 0) {
      setStatus(input, null);
      state.done = Promise.resolve(null);
    } else {
      setStatus(input, "checking");
      state.done = run(input, state, generation, files);
    }
    return state.done;
  }

  async function run(input, state, generation, files) {
    const superseded = () => disposed || generation !== state.generation;
    // Started from a change listener that runs before the page's own (it
    // captures, on window): the verdict events wait until that change event
    // has reached every listener, so a page sees its change first.
    await new Promise((resolve) => setTimeout(resolve, 0));
    let checker;
    try {
      checker = await checkerPromise;
    } catch (e) {
      if (superseded()) return disposed ? null : state.done;
      announceListError(input, e, files);
      setStatus(input, "error", judge({ status: "rejected", reason: e }, policy).message);
      finished(input);
      return state.status;
    }
    // Superseded: the newer run checks its files (reusing the checks of those it keeps).
    if (superseded()) return disposed ? null : state.done;
    const results = await Promise.allSettled(files.map((f) => checkOf(state, checker, f, input)));
    // A check aborted (its file removed or replaced, or the guard disposed)
    // belongs to a superseded run: it gives no event.
    if (superseded()) return disposed ? null : state.done;
    // The input's status is its files' gravest: a match, a failed check, an undecodable file.
    let worst = { kind: "clear", message: "" };
    results.forEach((r, i) => {
      announce(input, files[i], r);
      const judged = judge(r, policy);
      if (KINDS.indexOf(judged.kind) > KINDS.indexOf(worst.kind)) worst = judged;
    });
    if (worst.kind === "match") {
      setStatus(input, "match", worst.message);
      if (clearOnMatch) {
        input.value = "";
        // Still blocked until a file is picked again, as when it was there.
        state.files = [...(input.files ?? [])];
        letGo(state, state.files);
      }
      if (input.isConnected) input.reportValidity();
    } else if (worst.kind !== "clear") {
      setStatus(input, "error", worst.message);
    } else {
      setStatus(input, "clear");
    }
    finished(input);
    return state.status;
  }

  function onChange(event) {
    if (isGuarded(event.target)) start(event.target);
  }

  function finished(input) {
    const p = pendingSubmit;
    if (!p || !resubmit || anyPending(p.form)) return;
    pendingSubmit = null;
    if (!blocked(p.form) && p.form.isConnected) {
      p.form.requestSubmit(p.submitter && p.submitter.form === p.form ? p.submitter : undefined);
    } else if (input.isConnected) {
      input.reportValidity();
    }
  }

  // Captured (on window, below), so it runs before the page's own submit
  // handlers, which are stopped too when the submission is held or blocked.
  function onSubmit(event) {
    const form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    const inputs = inputsOfForm(form);
    if (inputs.length === 0) return;
    // Files that no check has seen (set from script, `input.files = …`,
    // which fires no change event; or an input added with files) are
    // checked now, and the submission waits for them.
    for (const input of inputs) if (!sameFiles(stateOf(input).files, input.files)) start(input);
    if (anyPending(form)) {
      event.preventDefault();
      event.stopImmediatePropagation();
      pendingSubmit = { form, submitter: event.submitter };
    } else if (blocked(form)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }

  // A submission is validated before its submit event: an input still
  // blocked for files it no longer holds (replaced from script) makes it
  // fail there. That one stays refused; the new files are checked now, so
  // the next can go, and the old message is not shown for them.
  function onInvalid(event) {
    const input = event.target;
    if (!isGuarded(input) || sameFiles(stateOf(input).files, input.files)) return;
    event.preventDefault();
    start(input);
  }

  /** The status a check of `input` (every guarded input when omitted) ends with. */
  function check(input) {
    if (disposed) return Promise.reject(prescanError("closed", "the guard is disposed"));
    if (input === undefined) return Promise.all(guardedInputs().map(checkOne));
    if (!isGuarded(input)) return Promise.reject(prescanError("bad_argument", "check() needs a file input this guard covers"));
    return checkOne(input);
  }

  function checkOne(input) {
    const state = stateOf(input);
    // The same files as the last check (or the one running): its outcome.
    return state.done && sameFiles(state.files, input.files) ? state.done : start(input);
  }

  // Captured on window: a change that a page's listener stops from
  // propagating is still seen, wherever the input is in the document. In a
  // shadow tree, on its root: change and submit events do not leave it.
  const node = root.getRootNode();
  const scope = node instanceof ShadowRoot ? node : window;
  scope.addEventListener("change", onChange, true);
  scope.addEventListener("submit", onSubmit, true);
  scope.addEventListener("invalid", onInvalid, true);
  for (const input of guardedInputs()) {
    // Files picked before guard() ran are checked now.
    if (input.files?.length) start(input);
  }

  return {
    /** Resolves to the checker (or rejects with the list error). */
    checker: checkerPromise,
    check,
    dispose() {
      if (disposed) return;
      disposed = true;
      scope.removeEventListener("change", onChange, true);
      scope.removeEventListener("submit", onSubmit, true);
      scope.removeEventListener("invalid", onInvalid, true);
      for (const [input, state] of states) {
        letGo(state, []);
        input.removeAttribute("data-prescan");
        input.setCustomValidity("");
      }
      states.clear();
      if (ownChecker) checkerPromise.then((c) => c.close(), () => {});
    },
  };
}
