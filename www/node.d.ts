// Types for prescan/node (node.js): createChecker in Node 20+.
import type { LocalCheckerInit, PrescanChecker, RemoteCheckerInit } from "./prescan.js";

/**
 * As the browser's, less what Node has no use for: `decode` is "wasm"
 * only (Node has no createImageBitmap; "browser" and "auto" are refused,
 * "bad_argument"), and there is no `workerUrl`.
 */
type NodeInit<T> = Omit<T, "decode" | "workerUrl"> & { decode?: "wasm" };

/**
 * Local mode in Node: `list` is a path or a file: URL (read from disk), an
 * http(s) URL (fetched), or the list's bytes (a Buffer is a Uint8Array).
 */
export type NodeLocalCheckerInit = NodeInit<Omit<LocalCheckerInit, "list">> & { list: string | URL | Uint8Array | ArrayBuffer };

export type NodeCheckerInit = NodeLocalCheckerInit | NodeInit<RemoteCheckerInit>;

/**
 * The browser's createChecker (prescan.js), run by Node: the same Wasm
 * module (pkg/prescan_bg.wasm, read from disk and compiled once a
 * process), each worker a worker_threads thread; the same options,
 * verdicts and errors. Defaults that differ: `workers` is one a core
 * (os.availableParallelism()), at most 4; `sequenceStore` keeps the
 * highest sequence seen in this process's memory. Its threads keep the
 * process alive until `close()`.
 */
export function createChecker(init: NodeCheckerInit): Promise<PrescanChecker>;

export type { CheckResult, PrescanChecker, PrescanError, Verdict } from "./prescan.js";
