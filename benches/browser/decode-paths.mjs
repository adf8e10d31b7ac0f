// PDQ of the same files through the two browser decode paths (the image
// crate in Wasm, and Chromium's own decoder with the EXIF orientation
// undone), each against reference hashes: `node benches/browser/decode-paths.mjs
// DIR`, where DIR holds the images and an EXPECTED.md table
// (| file | size | mode | pdq | quality |), e.g. Meta's PDQ test images.
// Needs scripts/build-web to have run.
import { chromium } from "playwright-core";
import { startServer } from "../../tests/e2e/server.js";
import { readFileSync, cpSync, rmSync, existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
const root = fileURLToPath(new URL("../..", import.meta.url));
const dir = process.argv[2];
if (!dir) { console.error("usage: node benches/browser/decode-paths.mjs DIR (with an EXPECTED.md table of reference PDQ hashes)"); process.exit(2); }
const exp = {};
for (const line of readFileSync(`${dir}/EXPECTED.md`, "utf8").split("\n")) {
  const m = line.match(/^\| (\S+) \| \d+x\d+ \| \S+ \| ([0-9a-f]{64}) \| (\d+) \|/);
  if (m) exp[m[1]] = m[2];
}
rmSync(`${root}/www/demo/testdata`, { recursive: true, force: true });
cpSync(dir, `${root}/www/demo/testdata`, { recursive: true });
const server = await startServer(`${root}/www`);
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--headless","--no-sandbox","--disable-gpu","--disable-quic","--no-first-run","--disable-background-networking","--disable-component-update","--disable-sync"] });
const page = await browser.newPage();
await page.goto(server.url + "/embed.html");
const files = Object.keys(exp);
const key = JSON.parse(readFileSync(`${root}/www/demo/demo-key.json`, "utf8")).publicKey;
const out = await page.evaluate(async ({ files, key }) => {
  const { createChecker } = await import("/prescan.js");
  const c = await createChecker({ list: "demo/demo.list", publicKeys: [key] });
  const res = {};
  for (const f of files) {
    const blob = await (await fetch("demo/testdata/" + f)).blob();
    const w = await c.checkFile(blob, { decode: "wasm" });
    const b = await c.checkFile(blob, { decode: "browser" });
    res[f] = [w.pdq, b.pdq, b.decodeError && b.decodeError.code];
  }
  return res;
}, { files, key });
const pop = (a, b) => { let n = 0; for (let i = 0; i < 64; i += 8) { let x = parseInt(a.slice(i, i + 8), 16) ^ parseInt(b.slice(i, i + 8), 16); while (x) { n += x & 1; x >>>= 1; } } return n; };
const rows = [];
for (const f of files) {
  const [w, b, err] = out[f];
  rows.push([f, w && b ? pop(w, b) : "n/a", w ? pop(w, exp[f]) : "n/a", b ? pop(b, exp[f]) : "n/a", err || ""]);
}
console.log("file | wasm↔browser | wasm↔reference | browser↔reference");
for (const r of rows) console.log(r.join(" | "));
const num = (i) => rows.map(r => r[i]).filter(x => typeof x === "number").sort((a, b) => a - b);
for (const [i, name] of [[1, "wasm vs browser"], [2, "wasm vs reference"], [3, "browser vs reference"]]) {
  const v = num(i); console.log(`${name}: n=${v.length} max=${v[v.length - 1]} median=${v[Math.floor(v.length / 2)]} exact=${v.filter(x => x === 0).length}`);
}
await browser.close(); await server.close();
rmSync(`${root}/www/demo/testdata`, { recursive: true, force: true });
