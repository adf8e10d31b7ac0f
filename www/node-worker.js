// prescan/node's worker thread: prescan-worker.js itself, given the two
// Web Worker globals it uses (postMessage, onmessage) over worker_threads'
// parentPort, and the Wasm module the parent compiled from
// pkg/prescan_bg.wasm (initSync: the worker's own init() then finds the
// instance made and fetches nothing).
import { parentPort, workerData } from "node:worker_threads";

import { initSync } from "./pkg/prescan.js";

initSync({ module: workerData.module });
globalThis.postMessage = (message, transfer) => parentPort.postMessage(message, transfer);
globalThis.onmessage = null;
await import("./prescan-worker.js");
// Messages posted before this listener wait in the port.
parentPort.on("message", (data) => globalThis.onmessage?.({ data }));
