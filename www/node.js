// prescan/node: the browser front (prescan.js) and worker
// (prescan-worker.js) run by Node 20+, for a server to check again the
// bytes an upload brought. The same Wasm module, pkg/prescan_bg.wasm, read
// from disk and compiled once; each worker is a worker_threads thread with
// the Web Worker calls prescan.js makes. Images are decoded in Wasm only:
// Node has no createImageBitmap. See node.d.ts.
import { readFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";

import { openChecker } from "./prescan.js";

const WASM = new URL("./pkg/prescan_bg.wasm", import.meta.url);
const WORKER = new URL("./node-worker.js", import.meta.url);

function prescanError(code, message) {
  return Object.assign(new Error(message), { code });
}

let compiled = null;
/** The Wasm module, compiled once a process; its threads are each given it. */
function wasmModule() {
  compiled ??= readFile(WASM).then((bytes) => WebAssembly.compile(bytes));
  compiled.catch(() => (compiled = null));
  return compiled;
}

/** A worker_threads thread behind the calls prescan.js makes of a Web Worker. */
class ThreadWorker {
  constructor(module) {
    this.onmessage = this.onerror = this.onmessageerror = null;
    this.ended = false;
    this.thread = new Worker(WORKER, { workerData: { module }, name: "prescan" });
    this.thread.on("message", (data) => this.onmessage?.({ data }));
    this.thread.on("messageerror", () => this.onmessageerror?.({}));
    this.thread.on("error", (e) => this.fail(e?.message ?? String(e)));
    this.thread.on("exit", (code) => this.fail(`the thread exited with code ${code}`));
  }

  fail(message) {
    if (this.ended) return;
    this.ended = true;
    this.onerror?.({ message });
  }

  postMessage(message, transfer) {
    this.thread.postMessage(message, transfer);
  }

  terminate() {
    this.ended = true;
    this.thread.terminate();
  }
}

// Rollback protection without localStorage: the highest sequence seen, for this process.
const sequences = new Map();
const memoryStore = { get: (key) => sequences.get(key) ?? null, set: (key, value) => void sequences.set(key, value) };

/** `list`: a path or file: URL (read here), an http(s) URL (fetched), or bytes. */
async function listOf(list) {
  if (list instanceof URL && list.protocol === "file:") return readFile(fileURLToPath(list));
  if (typeof list === "string" && !/^https?:\/\//i.test(list)) {
    try {
      return await readFile(list);
    } catch (e) {
      throw prescanError("list_fetch_failed", `could not read the list: ${e.message}`);
    }
  }
  return list;
}

/** Refuses a decoder other than Wasm's: the browser's is not there. */
function wasmOnly(mode) {
  if (mode !== undefined && mode !== "wasm") {
    throw prescanError("bad_argument", `decode must be "wasm" in Node (images are decoded in Wasm: there is no createImageBitmap), not ${mode}`);
  }
}

/** createChecker of prescan.js, in Node. See node.d.ts. */
export async function createChecker(init = {}) {
  const { list, decode, workerUrl, sequenceStore = memoryStore, workers = Math.min(availableParallelism(), 4), ...rest } = init ?? {};
  wasmOnly(decode);
  if (workerUrl !== undefined) throw prescanError("bad_argument", "workerUrl does not apply in Node");
  const module = await wasmModule();
  const checker = await openChecker(
    { ...rest, list: await listOf(list), decode: "wasm", sequenceStore, workers },
    () => new ThreadWorker(module),
  );
  const guarded = (check) => (input, opts) => {
    try {
      wasmOnly(opts?.decode);
    } catch (e) {
      return Promise.reject(e);
    }
    return check(input, opts);
  };
  return {
    get listInfo() {
      return checker.listInfo;
    },
    get decode() {
      return "wasm";
    },
    set decode(mode) {
      wasmOnly(mode);
    },
    checkFile: guarded(checker.checkFile),
    checkBytes: guarded(checker.checkBytes),
    checkRgba: checker.checkRgba,
    close: checker.close,
  };
}
