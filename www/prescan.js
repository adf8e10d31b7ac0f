// prescan: check images in the browser, before upload, against a signed
// hash list. Pixels and bytes never leave the browser: the only network
// request made here is the list URL the host passes (and the worker
// loading its own script and Wasm module).

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
  try {
    response = await fetch(url, { credentials: "same-origin", cache: "no-cache" });
  } catch (e) {
    throw fetchFailed(e.message ?? e);
  }
  if (!response.ok) {
    response.body?.cancel().catch(() => {});
    throw fetchFailed(`HTTP ${response.status}`);
  }
  const length = Number(response.headers.get("content-length"));
  const total = Number.isFinite(length) && length > 0 ? length : null;
  // A compressed body's Content-Length is not the list's size.
  const encoding = response.headers.get("content-encoding");
  if (total !== null && total > maxBytes && (!encoding || encoding === "identity")) {
    response.body?.cancel().catch(() => {});
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

const DECODE_MODES = ["wasm", "browser", "auto"];

function decodeMode(mode) {
  if (!DECODE_MODES.includes(mode)) {
    throw prescanError("bad_argument", `decode must be "wasm", "browser" or "auto", not ${mode}`);
  }
  return mode;
}

/** A verdict for a file refused unread: over `maxFileBytes`. */
function tooLargeVerdict(size, max) {
  return {
    matched: false, matches: [], matchesTruncated: 0, pdq: null, pdqQuality: null, pdqDihedral: null,
    pdqSkippedLowQuality: false, pdqNearest: null, perceptualSkipped: false,
    decodeError: { code: "limit_exceeded", message: `file of ${size} bytes exceeds the limit of ${max}` },
    elapsedMs: null, decodedBy: null, totalMs: 0,
  };
}

/**
 * Loads and verifies a signed list in a Web Worker.
 * @param {import("./prescan").CheckerInit} init
 * @returns {Promise<import("./prescan").PrescanChecker>}
 */
export async function createChecker({
  list, publicKeys, options = {}, decode = "auto", onProgress, workerUrl, sequenceStore,
} = {}) {
  decode = decodeMode(decode);
  if (!Array.isArray(publicKeys) || publicKeys.length === 0) {
    throw prescanError("bad_argument", "publicKeys must be a non-empty array of hex strings");
  }
  const store = sequenceStoreOf(sequenceStore);
  const maxListBytes = options?.maxListBytes ?? DEFAULT_MAX_LIST_BYTES;
  if (typeof maxListBytes !== "number" || !(maxListBytes >= 0)) {
    // Checked here too: the list is fetched before the Wasm checker sees the options.
    throw prescanError("bad_option", `option maxListBytes must be a whole number >= 0, got ${String(maxListBytes)}`);
  }
  const buffer = await listBuffer(list, onProgress, maxListBytes);
  // `new Worker(new URL("./…", import.meta.url), …)` written out in full:
  // bundlers (Vite, webpack 5, Parcel) recognise exactly this form and
  // bundle the worker with the Wasm module it imports.
  const worker = workerUrl
    ? new Worker(workerUrl, { type: "module", name: "prescan" })
    : new Worker(new URL("./prescan-worker.js", import.meta.url), { type: "module", name: "prescan" });
  const pending = new Map();
  let nextId = 1;
  let closed = false;
  let info = null;
  let limits = null; // the Wasm checker's effective decodeLimits()
  let failed = null;

  let settleLoad;
  const loaded = new Promise((resolve, reject) => (settleLoad = { resolve, reject }));

  function fail(error) {
    failed ??= error;
    settleLoad.reject(error);
    for (const { reject } of pending.values()) reject(error);
    pending.clear();
  }

  worker.onmessage = ({ data }) => {
    if (data.type === "progress") {
      onProgress?.({ stage: data.stage });
    } else if (data.type === "ready") {
      info = data.info;
      limits = data.limits;
      settleLoad.resolve();
    } else if (data.type === "verdict" || data.type === "error") {
      if (data.id === undefined) {
        const error = prescanError(data.error.code, data.error.message);
        onProgress?.({ stage: "error", error });
        fail(error);
        return;
      }
      const p = pending.get(data.id);
      if (!p) return;
      pending.delete(data.id);
      if (data.type === "verdict") p.resolve(data.verdict);
      else p.reject(prescanError(data.error.code, data.error.message));
    }
  };
  worker.onerror = (event) => {
    event.preventDefault?.();
    const error = prescanError("worker_failed", `the prescan worker failed: ${event.message || "could not start"}`);
    onProgress?.({ stage: "error", error });
    fail(error);
  };
  worker.onmessageerror = () => fail(prescanError("worker_failed", "a worker message could not be read"));

  // The host's options and no other key (the Wasm checker refuses unknown
  // ones), with the list cap the fetch applied.
  const checkerOptions = { ...options, maxListBytes };
  // The bindings take whole Unix seconds; Date.now() / 1000 is not.
  if (typeof checkerOptions.now === "number") checkerOptions.now = Math.floor(checkerOptions.now);
  worker.postMessage({ type: "load", list: buffer, publicKeys: [...publicKeys], options: checkerOptions }, [buffer]);
  try {
    await loaded;
  } catch (e) {
    worker.terminate();
    throw e;
  }
  if (store) {
    try {
      await checkSequence(store, info);
    } catch (e) {
      worker.terminate();
      onProgress?.({ stage: "error", error: e });
      throw e;
    }
  }
  onProgress?.({ stage: "ready" });

  function request(message, transfer) {
    if (closed) return Promise.reject(prescanError("closed", "the checker is closed"));
    if (failed) return Promise.reject(failed);
    const id = nextId++;
    const started = performance.now();
    return new Promise((resolve, reject) => {
      pending.set(id, {
        resolve: (v) => resolve({ ...v, totalMs: performance.now() - started }),
        reject,
      });
      worker.postMessage({ ...message, id }, transfer);
    });
  }

  /** Null, or the verdict for a file over maxFileBytes, which is not read at all. */
  function refusedBySize(size) {
    if (closed || failed || !(size > limits.maxFileBytes)) return null;
    return Promise.resolve(tooLargeVerdict(size, limits.maxFileBytes));
  }

  /** Checks file bytes (copied; the caller's array stays usable). */
  function checkBytes(bytes, opts = {}) {
    const mode = decodeMode(opts.decode ?? decode);
    const refused = refusedBySize(bytes.byteLength);
    if (refused) return refused;
    const copy = ArrayBuffer.isView(bytes)
      ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength).slice().buffer
      : bytes.slice(0);
    return request({ type: "check", bytes: copy, decode: mode }, [copy]);
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
    async checkFile(blob, opts = {}) {
      const mode = decodeMode(opts.decode ?? decode);
      const refused = refusedBySize(blob.size);
      if (refused) return refused;
      const bytes = await blob.arrayBuffer();
      return request({ type: "check", bytes, decode: mode }, [bytes]);
    },
    checkBytes,
    checkRgba(rgba, width, height) {
      const copy = new Uint8Array(rgba.buffer, rgba.byteOffset, rgba.byteLength).slice().buffer;
      return request({ type: "check", rgba: copy, width, height }, [copy]);
    },
    close() {
      if (closed) return;
      closed = true;
      worker.terminate();
      const error = prescanError("closed", "the checker is closed");
      for (const { reject } of pending.values()) reject(error);
      pending.clear();
    },
  };
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
  const {
    message = "This image cannot be uploaded.",
    undecodableMessage = "This file could not be checked, so it cannot be uploaded.",
    listErrorMessage = "Images cannot be checked right now, so they cannot be uploaded.",
    onUndecodable = "block",
    onListError = "block",
    clearOnMatch = false,
    resubmit = true,
  } = opts;

  let ownChecker = false;
  let checkerPromise;
  if (opts.checker) {
    checkerPromise = Promise.resolve(opts.checker);
  } else if (opts.checkerOptions) {
    ownChecker = true;
    checkerPromise = createChecker(opts.checkerOptions);
  } else {
    throw prescanError("bad_argument", "guard() needs `checker` or `checkerOptions`");
  }
  checkerPromise.catch(() => {}); // reported per input when files are picked

  // input -> { generation, status, files (the File objects checked last), done (that check) }
  const states = new Map();
  let pendingSubmit = null; // { form, submitter } waiting for checks to finish
  let disposed = false;

  function stateOf(input) {
    if (!states.has(input)) states.set(input, { generation: 0, status: null, files: null, done: null });
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

  function dispatch(input, type, detail) {
    input.dispatchEvent(new CustomEvent(type, { detail, bubbles: true }));
  }

  function anyPending(form) {
    return inputsOfForm(form).some((i) => states.get(i)?.status === "checking");
  }

  function blocked(form) {
    return inputsOfForm(form).some((i) => i.validationMessage && states.get(i)?.status);
  }

  /**
   * Checks the input's files as they are now, superseding a check of
   * earlier ones. Marks the input "checking" at once (so a submission is
   * held), and returns a promise of the status it ends with.
   */
  function start(input) {
    const state = stateOf(input);
    const generation = ++state.generation;
    const files = [...(input.files ?? [])];
    state.files = files;
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
      dispatch(input, "prescan:error", { code: e.code ?? "list_error", message: e.message, files: files.map(fileInfo) });
      setStatus(input, "error", onListError === "block" ? listErrorMessage : "");
      finished(input);
      return state.status;
    }
    const results = await Promise.allSettled(files.map((f) => checker.checkFile(f)));
    if (superseded()) return disposed ? null : state.done;
    let match = false;
    let undecodable = false;
    let failure = false;
    results.forEach((r, i) => {
      if (r.status === "rejected") {
        failure = true;
        dispatch(input, "prescan:error", { code: r.reason?.code ?? "check_failed", message: String(r.reason?.message ?? r.reason), files: [fileInfo(files[i])] });
        return;
      }
      // One detail for both events: the copy of the matches is made once.
      const detail = eventDetail(r.value, files[i]);
      dispatch(input, "prescan:verdict", detail);
      if (r.value.matched) {
        match = true;
        dispatch(input, "prescan:match", detail);
      } else if (r.value.decodeError) {
        undecodable = true;
      }
    });
    if (match) {
      setStatus(input, "match", message);
      if (clearOnMatch) {
        input.value = "";
        // Still blocked until a file is picked again, as when it was there.
        state.files = [...(input.files ?? [])];
      }
      if (input.isConnected) input.reportValidity();
    } else if (failure) {
      setStatus(input, "error", onListError === "block" ? listErrorMessage : "");
    } else if (undecodable) {
      setStatus(input, "error", onUndecodable === "block" ? undecodableMessage : "");
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
      for (const input of states.keys()) {
        input.removeAttribute("data-prescan");
        input.setCustomValidity("");
      }
      states.clear();
      if (ownChecker) checkerPromise.then((c) => c.close(), () => {});
    },
  };
}
