// Peak Wasm memory of a check (a benchmark, not a test): the module of
// www/pkg in Node (the same module and allocator a browser runs), one fresh
// instance per list and image. A Wasm memory never shrinks, so its size
// after a step is the most the instance has held up to then.
//
//   node benches/browser/memory.mjs --inputs DIR --key HEX
//
// DIR holds pdq-10k.list, pdq-1m.list and photo-{1,12,48}mp.jpg
// (scripts/bench-memory makes them).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";

const { values } = parseArgs({ options: { inputs: { type: "string" }, key: { type: "string" } } });
const dir = values.inputs;
const MiB = 1024 * 1024;
const wasmBytes = readFileSync(new URL("../../www/pkg/prescan_bg.wasm", import.meta.url));
let instances = 0;

/** A fresh instance of the module: the glue imported again under another URL. */
async function fresh() {
  const glue = await import(new URL(`../../www/pkg/prescan.js?instance=${instances++}`, import.meta.url));
  const exports = await glue.default({ module_or_path: wasmBytes });
  return { glue, memory: () => exports.memory.buffer.byteLength };
}

const lists = [["10k", "pdq-10k.list"], ["1M", "pdq-1m.list"]];
const images = [["1 MP", "photo-1mp.jpg"], ["12 MP", "photo-12mp.jpg"], ["48 MP", "photo-48mp.jpg"]];
const rows = [];
for (const [listName, listFile] of lists) {
  const list = readFileSync(join(dir, listFile));
  for (const [imageName, imageFile] of images) {
    const image = readFileSync(join(dir, imageFile));
    const { glue, memory } = await fresh();
    const start = memory();
    const checker = new glue.Checker(new Uint8Array(list), [values.key], {});
    const loaded = memory();
    const verdict = checker.checkBytes(new Uint8Array(image));
    if (verdict.decodeError) throw new Error(`${imageFile}: ${verdict.decodeError.code} ${verdict.decodeError.message}`);
    const first = memory();
    checker.checkBytes(new Uint8Array(image));
    const second = memory();
    rows.push({ listName, imageName, start, loaded, first, second, file: image.length });
    checker.free();
  }
}

const f = (b) => (b / MiB).toFixed(1).padStart(8);
console.log("Wasm memory (MiB): the instance at start, with the list loaded, after one check, after a second");
console.log("list  image   file MiB   start  loaded   check  again   check's own (check - loaded)");
for (const r of rows) {
  console.log(`${r.listName.padEnd(5)} ${r.imageName.padEnd(6)} ${f(r.file)} ${f(r.start)} ${f(r.loaded)} ${f(r.first)} ${f(r.second)}   ${f(r.first - r.loaded)}`);
}
