// prescan's Web Worker: loads the Wasm module once, verifies and indexes the
// signed list once, then answers check requests. In remote mode, and as a
// hashing worker of the pool, it holds a Hasher instead of a list and
// answers with hashes, which the front sends to the server or to the
// list's worker. Pixels and bytes stay in this worker; nothing here does
// network I/O except loading its own module.
//
// Protocol (all messages are plain objects):
//   in:  { type: "load", list: ArrayBuffer, publicKeys: string[], options }
//        { type: "hasher", options, signals: string[] }       (remote mode; the pool's hashing workers)
//        { type: "check", id, bytes: ArrayBuffer, decode: "wasm"|"browser"|"auto" }
//        { type: "check", id, rgba: ArrayBuffer, width, height }
//        { type: "match", id, hashes }   (local mode, the pool's matcher: a hashing worker's hashes)
//        { type: "video", id, file: Blob, secondsPerHash, limits }   (video.js: WebCodecs)
//        { type: "cancel", id }   (a video check in flight: it stops at its next frame)
//        { type: "videoFrame", id, rgba, width, height, frame, fps }   (the <video> fallback: one frame's hash)
//        { type: "video", id, file, features }   (the <video> fallback: its frames' hashes, checked)
//   out: { type: "progress", stage: "loading-module"|"verifying"|"indexing" }
//        { type: "ready", info, limits }    { type: "error", error: { code, message } }
//        { type: "verdict", id, verdict }   { type: "error", id, error: { code, message } }
//        { type: "hashed", id, result: { hashes, decodeError, decodedBy } }   (a hasher's answer)
//        { type: "videoProgress", id, hashed, expected }   (a video's frames hashed so far)
//        { type: "error", id, fatal: true, error: { code: "wasm_trapped", ... } }: the
//          instance trapped; this worker answers no more checks (the front replaces it)
// `limits` is decodeLimits(): { maxWidth, maxHeight, maxPixels, maxFileBytes, maxDecodeBytes }.
// `info` is the list's listInfo(), null in remote mode (the server has the list).

// A namespace import: a module built before the Hasher existed still loads
// for local mode (a missing named import would fail the whole worker).
import init, * as wasm from "./pkg/prescan.js";
import { digestsOf, hashVideo, sniffVideo, VIDEO_LIMITS, videoError } from "./video.js";

const DIGESTS = ["md5", "sha1", "sha256"];

let engine = null; // how a check is computed: localEngine or hashingEngine, below
let wasmReady = null;
let limits = null; // decodeLimits(): the browser path applies the Wasm decoder's limits
let poisoned = false; // the instance trapped: no more checks here

function errorOf(e, fallbackCode = "internal") {
  if (e && typeof e === "object") {
    return { code: typeof e.code === "string" ? e.code : fallbackCode, message: String(e.message ?? e) };
  }
  return { code: fallbackCode, message: String(e) };
}

// Verdicts from the bindings are plain objects; copy defensively so that
// postMessage never sees a Wasm-backed value.
function plain(v) {
  try {
    return structuredClone(v);
  } catch {
    return JSON.parse(JSON.stringify(v));
  }
}

async function load({ list, publicKeys, options }) {
  try {
    postMessage({ type: "progress", stage: "loading-module" });
    wasmReady ??= init();
    await wasmReady;
    postMessage({ type: "progress", stage: "verifying" });
    // The constructor verifies the signature, then indexes; there is no
    // separate hook between the two, so "indexing" is reported just before.
    const bytes = new Uint8Array(list);
    await Promise.resolve();
    postMessage({ type: "progress", stage: "indexing" });
    const checker = new wasm.Checker(bytes, publicKeys, options ?? {});
    engine = localEngine(checker);
    limits = plain(checker.decodeLimits());
    postMessage({ type: "ready", info: plain(checker.listInfo()), limits });
  } catch (e) {
    postMessage({ type: "error", error: errorOf(e, "list_error") });
  }
}

async function loadHasher({ options, signals }) {
  try {
    postMessage({ type: "progress", stage: "loading-module" });
    wasmReady ??= init();
    await wasmReady;
    if (typeof wasm.Hasher !== "function") {
      throw Object.assign(new Error("this build of the Wasm module has no Hasher: remote mode and the pool need a newer one"), { code: "worker_failed" });
    }
    const hasher = new wasm.Hasher(options ?? {});
    engine = hashingEngine(hasher, signals);
    limits = plain(hasher.decodeLimits());
    postMessage({ type: "ready", info: null, limits });
  } catch (e) {
    postMessage({ type: "error", error: errorOf(e, "worker_failed") });
  }
}

// Local mode: each step is a check against the list, and gives a verdict.
function localEngine(checker) {
  return {
    imageInfo: (bytes) => checker.imageInfo(bytes),
    bytes: (bytes) => plain(checker.checkBytes(bytes)),
    rgba: (rgba, width, height, bytes) => plain(checker.checkRgba(rgba, width, height, bytes)),
    digests: (bytes) => plain(checker.checkDigests(bytes)),
    // The hashes a hashing worker of the pool computed.
    match: (hashes) => plain(checker.checkHashes(hashes)),
    // A video's frames and digests, hashed here.
    video: (vpdq, digests) => plain(checker.checkHashes({ vpdq, ...digests })),
  };
}

// A hasher (remote mode, and the pool's hashing workers): the same steps
// give `{ hashes, decodeError }`, the hashes of the signal types in
// `signals`, for the front to send to the server or to the list's worker.
function hashingEngine(hasher, signals) {
  const digests = signals.filter((s) => DIGESTS.includes(s));
  return {
    hashesOnly: true,
    imageInfo: (bytes) => hasher.imageInfo(bytes),
    bytes: (bytes) => plain(hasher.hashBytes(bytes, signals)),
    rgba: (rgba, width, height, bytes) => plain(hasher.hashRgba(rgba, width, height, bytes, signals)),
    // Asked for digests only: nothing of the pixels is wanted.
    digests: (bytes) => ({ hashes: digests.length ? plain(hasher.hashBytes(bytes, digests)).hashes : {}, decodeError: null }),
    // A video: its frames when the list has vPDQ (or PDQ: the pool's
    // hashers report them for the verdict), the digests when it has any.
    video: (vpdq, d) => ({
      hashes: {
        ...(signals.includes("vpdq") || signals.includes("pdq") ? { vpdq } : {}),
        ...(digests.length || signals.includes("video_md5") ? d : {}),
      },
      decodeError: null,
    }),
  };
}

// --- Browser decoding ------------------------------------------------------

// Whether this browser applies EXIF orientation in createImageBitmap even
// with imageOrientation "none" (Chromium does; the option is deprecated).
// Probed once with a 2x1 JPEG whose EXIF says "rotate 90° clockwise".
const PROBE_JPEG =
  "/9j/4AAQSkZJRgABAQAAAQABAAD/4QAiRXhpZgAATU0AKgAAAAgAAQESAAMAAAABAAYAAAAAAAD/2wBDABALDA4MChAODQ4SERATGCgaGBYWGDEjJR0oOjM9PDkzODdASFxOQERXRTc4UG1RV19iZ2hnPk1xeXBkeFxlZ2P/2wBDARESEhgVGC8aGi9jQjhCY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2P/wAARCAABAAIDASIAAhEBAxEB/8QAFQABAQAAAAAAAAAAAAAAAAAAAAX/xAAUEAEAAAAAAAAAAAAAAAAAAAAA/8QAFQEBAQAAAAAAAAAAAAAAAAAABAb/xAAUEQEAAAAAAAAAAAAAAAAAAAAA/9oADAMBAAIRAxEAPwCAAArX/9k=";
let orientationApplied = null;

async function browserAppliesOrientation() {
  if (orientationApplied === null) {
    try {
      const bin = Uint8Array.from(atob(PROBE_JPEG), (c) => c.charCodeAt(0));
      const bmp = await createImageBitmap(new Blob([bin], { type: "image/jpeg" }), bitmapOptions);
      orientationApplied = bmp.width === 1 && bmp.height === 2;
      bmp.close();
    } catch {
      orientationApplied = true;
    }
  }
  return orientationApplied;
}

const bitmapOptions = { imageOrientation: "none", colorSpaceConversion: "none", premultiplyAlpha: "none" };

/** Decodes with the browser; returns stored-orientation RGBA. */
async function browserDecode(bytes) {
  // The size the header declares, against the limits before the browser
  // allocates a bitmap that size: throws limit_exceeded. Null for a format
  // whose header the Wasm side does not read; then only the decoded size
  // is checked, below.
  engine.imageInfo(bytes);
  const orientation = wasm.exifOrientation(bytes) ?? 1;
  const bmp = await createImageBitmap(new Blob([bytes]), bitmapOptions);
  let width = bmp.width;
  let height = bmp.height;
  let rgba;
  try {
    // Either way round: the limits apply to the image as stored, and the
    // browser may have turned it by its EXIF orientation.
    if (Math.max(width, height) > Math.max(limits.maxWidth, limits.maxHeight) ||
        Math.min(width, height) > Math.min(limits.maxWidth, limits.maxHeight) || width * height > limits.maxPixels ||
        width * height * 4 > limits.maxDecodeBytes) {
      throw Object.assign(new Error(`image is ${width}x${height}, over the decoding limits`), { code: "limit_exceeded" });
    }
    const canvas = new OffscreenCanvas(width, height);
    const ctx = canvas.getContext("2d", { willReadFrequently: true });
    ctx.drawImage(bmp, 0, 0);
    rgba = ctx.getImageData(0, 0, width, height, { colorSpace: "srgb" }).data;
  } finally {
    bmp.close();
  }
  if (orientation !== 1 && (await browserAppliesOrientation())) {
    ({ rgba, width, height } = unorient(rgba, width, height, orientation));
  }
  return { rgba, width, height, orientation };
}

/**
 * Undoes EXIF orientation: `rgba` is the displayed image (dw x dh); returns
 * the stored image. For stored (x, y) of a sw x sh image, the displayed
 * position is (Pillow's exif_transpose): 2 (sw-1-x, y); 3 (sw-1-x, sh-1-y);
 * 4 (x, sh-1-y); 5 (y, x); 6 (sh-1-y, x); 7 (sh-1-y, sw-1-x); 8 (y, sw-1-x).
 */
export function unorient(rgba, dw, dh, orientation) {
  const swap = orientation >= 5 && orientation <= 8;
  const sw = swap ? dh : dw;
  const sh = swap ? dw : dh;
  const src = new Uint32Array(rgba.buffer, rgba.byteOffset, dw * dh);
  const out = new Uint8ClampedArray(sw * sh * 4);
  const dst = new Uint32Array(out.buffer);
  for (let y = 0; y < sh; y++) {
    for (let x = 0; x < sw; x++) {
      let dx, dy;
      switch (orientation) {
        case 2: dx = sw - 1 - x; dy = y; break;
        case 3: dx = sw - 1 - x; dy = sh - 1 - y; break;
        case 4: dx = x; dy = sh - 1 - y; break;
        case 5: dx = y; dy = x; break;
        case 6: dx = sh - 1 - y; dy = x; break;
        case 7: dx = sh - 1 - y; dy = sw - 1 - x; break;
        case 8: dx = y; dy = sw - 1 - x; break;
        default: dx = x; dy = y;
      }
      dst[y * sw + x] = src[dy * dw + dx];
    }
  }
  return { rgba: out, width: sw, height: sh };
}

// --- Checks ------------------------------------------------------------------

/**
 * Checks the pixels the browser decodes, and the file's digests with them.
 * When the browser cannot decode the file, the digests are checked alone:
 * `digestVerdict`, when given, is a verdict that already checked them (the
 * Wasm decoder's, in "auto"); its decodeError stays unless the browser's
 * error has a code of its own (limit_exceeded). In a hasher, "checked"
 * is "hashed", and a verdict is the hashes.
 */
async function checkViaBrowser(bytes, digestVerdict = null) {
  try {
    const { rgba, width, height } = await browserDecode(bytes);
    return { ...engine.rgba(rgba, width, height, bytes), decodedBy: "browser" };
  } catch (e) {
    // createImageBitmap rejects with a DOMException, whose `code` is a number.
    const error = errorOf(e, "browser_decode_failed");
    const own = typeof e?.code === "string";
    const verdict = digestVerdict ?? engine.digests(bytes);
    return { ...verdict, decodeError: own || !digestVerdict ? error : verdict.decodeError, decodedBy: null };
  }
}

// --- Videos ---------------------------------------------------------------------

const cancelled = new Set(); // ids of video checks the page has given up

/**
 * A video check: its frames hashed through WebCodecs (video.js), its
 * digests read in pieces, then checked (or handed back, by a hasher).
 * `video_unsupported` when this browser or this path cannot decode it:
 * the page then tries a <video> element.
 */
/** What a video check calls between frames and pieces: throws once check `id` is cancelled. */
function stopper(id) {
  return () => {
    if (cancelled.has(id)) throw videoError("aborted", "the check was aborted");
  };
}

async function checkVideo({ id, file, secondsPerHash = 1, limits: videoLimits }) {
  const stop = stopper(id);
  const limitsOf = { ...VIDEO_LIMITS, ...videoLimits };
  let video = null;
  let decodeError = null;
  try {
    video = await hashVideo(file, wasm, {
      secondsPerHash,
      limits: limitsOf,
      cancelled: stop,
      onProgress: ({ hashed, expected }) => postMessage({ type: "videoProgress", id, hashed, expected }),
    });
  } catch (e) {
    if (cancelled.has(id) || trapped(e)) throw e;
    // As an image that does not decode: its digests are still checked
    // (a listed video_md5 matches), with the reason beside them.
    decodeError = errorOf(e, "video_decode_failed");
  }
  // Over maxVideoBytes it is not read at all, as an image over maxFileBytes.
  const unread = decodeError?.code === "limit_exceeded" && file.size > limitsOf.maxVideoBytes;
  const digests = unread ? {} : await digestsOf(file, wasm, stop);
  const checked = engine.video(video?.features, digests);
  return { ...checked, decodeError, decodedBy: video ? "webcodecs" : null };
}

/**
 * One frame the page drew from a <video> element (the fallback where
 * WebCodecs cannot decode): `{ frame, quality, hash, timestamp }`.
 */
function hashFrame({ rgba, width, height, frame, fps }) {
  const hasher = new wasm.VideoHasher(fps, 0);
  try {
    return hasher.push(frame, new Uint8Array(rgba), width, height);
  } finally {
    hasher.free();
  }
}

/** The frames of the <video> fallback, hashed one by one (hashFrame): the digests, and the check. */
async function checkElementVideo({ id, file, features }) {
  const digests = await digestsOf(file, wasm, stopper(id));
  return { ...engine.video(features, digests), decodeError: null, decodedBy: "element" };
}

/** Whether `bytes` (an image check's) are a video's: then checked as one. */
function isVideoBytes(bytes) {
  return sniffVideo(bytes.subarray(0, 16)) !== null;
}

async function checkBytes(bytes, decode) {
  if (isVideoBytes(bytes)) return checkVideo({ id: null, file: new Blob([bytes]) });
  if (decode === "browser") return checkViaBrowser(bytes);
  const verdict = engine.bytes(bytes);
  // AVIF, HEIC, ...: let the browser decode the pixels.
  if (decode === "auto" && verdict.decodeError?.code === "unsupported_format") return checkViaBrowser(bytes, verdict);
  return { ...verdict, decodedBy: verdict.decodeError ? null : "wasm" };
}

async function check(msg) {
  const { id } = msg;
  try {
    if (!engine) {
      if (poisoned) throw Object.assign(new Error("the Wasm module trapped in an earlier check"), { code: "wasm_trapped" });
      throw Object.assign(new Error("no list loaded"), { code: "not_ready" });
    }
    let verdict;
    if (msg.type === "match") {
      if (!engine.match) throw Object.assign(new Error("this worker holds no list"), { code: "not_ready" });
      verdict = engine.match(msg.hashes);
    } else if (msg.type === "video") {
      verdict = msg.features ? await checkElementVideo(msg) : await checkVideo(msg);
    } else if (msg.type === "videoFrame") {
      verdict = hashFrame(msg);
    } else if (msg.rgba) {
      verdict = engine.rgba(new Uint8Array(msg.rgba), msg.width, msg.height, undefined);
      verdict.decodedBy = "browser";
    } else {
      verdict = await checkBytes(new Uint8Array(msg.bytes), msg.decode ?? "auto");
    }
    if (engine.hashesOnly) postMessage({ type: "hashed", id, result: verdict });
    else postMessage({ type: "verdict", id, verdict });
  } catch (e) {
    if (trapped(e)) {
      // Rust's state in this instance is now undefined (a trap can stop it
      // mid-mutation): answer no more checks, and let the front replace
      // this worker with a fresh one.
      engine = null;
      poisoned = true;
      postMessage({
        type: "error", id, fatal: true,
        error: { code: "wasm_trapped", message: `the Wasm module trapped: ${String(e?.message ?? e)}` },
      });
      return;
    }
    postMessage({ type: "error", id, error: errorOf(e, "check_failed") });
  }
}

/**
 * Whether `e` is a trap of the Wasm instance: a RuntimeError (unreachable,
 * an out-of-bounds access, a failed allocation's abort), or a RangeError
 * from growing its memory.
 */
function trapped(e) {
  return e instanceof WebAssembly.RuntimeError ||
    (e instanceof RangeError && /WebAssembly|memory/i.test(String(e.message)));
}

// Requests are handled one at a time, in order: the checker is not
// reentrant and the worker has one thread anyway.
let queue = Promise.resolve();
onmessage = (event) => {
  const msg = event.data;
  if (msg?.type === "load") {
    queue = queue.then(() => load(msg));
  } else if (msg?.type === "hasher") {
    queue = queue.then(() => loadHasher(msg));
  } else if (["check", "match", "video", "videoFrame"].includes(msg?.type)) {
    queue = queue.then(() => check(msg)).finally(() => cancelled.delete(msg.id));
  } else if (msg?.type === "cancel") {
    // Not queued: it reaches the check in flight, between two frames.
    cancelled.add(msg.id);
  }
};
