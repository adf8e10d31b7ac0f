// A test worker: prescan's own worker, unchanged, with two ways to make it
// fail in the middle of a check, chosen by the first bytes of the file:
//   "PRESCAN-TEST:exhaust-memory": first grows the Wasm instance's memory
//     as far as the engine lets it, so that the check's allocations fail
//     and the instance traps inside the real check (as on a phone out of
//     memory);
//   "PRESCAN-TEST:die": the check never reaches prescan; the worker throws
//     an uncaught error instead (a worker that dies mid-check).
// Served by tests/e2e/trap.test.js at /test-workers/, beside www/.
import init from "/pkg/prescan.js";
import "/prescan-worker.js";

const handle = self.onmessage;
const marked = (bytes, mark) =>
  new TextDecoder().decode(new Uint8Array(bytes, 0, Math.min(mark.length, bytes.byteLength))) === mark;

self.onmessage = async (event) => {
  const msg = event.data;
  if (msg?.type === "check" && msg.bytes instanceof ArrayBuffer) {
    if (marked(msg.bytes, "PRESCAN-TEST:die")) {
      setTimeout(() => {
        throw new Error("test: the worker dies");
      });
      return;
    }
    if (marked(msg.bytes, "PRESCAN-TEST:exhaust-memory")) {
      // The instance prescan-worker.js made (init returns it once made).
      const { memory } = await init();
      for (let pages = 1 << 15; pages >= 1; pages >>= 1) {
        try {
          for (;;) memory.grow(pages);
        } catch {
          // no room for that many more pages: try fewer
        }
      }
    }
  }
  handle(event);
};
