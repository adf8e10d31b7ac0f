// Shared set-up of the browser tests: paths, the browser, fixtures.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { deflateSync } from "node:zlib";

import { engineFromEnv, launch } from "./engines.js";
import { startServer } from "./server.js";

export const REPO = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const WWW = join(REPO, "www");
export const DEMO = join(WWW, "demo");
export const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
export const TIMEOUT = 60_000;
/** The browser the page tests run in: ENGINE=chromium (the default), firefox or webkit (engines.js). */
export const ENGINE = engineFromEnv();

const ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];

/**
 * The server (of `root`, www/ by default, with `mounts`), a browser (of
 * ENGINE) with a fresh profile, and console/page errors. `context` and the
 * pages have Playwright's calls, whichever the engine (engines.js).
 */
export async function start({ root = WWW, mounts = {} } = {}) {
  for (const f of ["pkg/prescan_bg.wasm", "pkg/prescan.js", "demo/demo.list", "demo/demo-key.json"]) {
    if (!existsSync(join(WWW, f))) throw new Error(`www/${f} is missing: run scripts/build-web`);
  }
  const server = await startServer(root, 0, mounts);
  const profile = mkdtempSync(join(tmpdir(), "prescan-e2e-profile-"));
  let context;
  try {
    context = await launch(ENGINE, { profile, chromium: CHROMIUM, args: ARGS, timeout: TIMEOUT });
  } catch (e) {
    await server.close();
    rmSync(profile, { recursive: true, force: true });
    throw e;
  }
  const problems = [];
  async function newPage(path = "/") {
    const page = await context.newPage();
    page.on("console", (m) => {
      if (m.type() === "error") problems.push(`console error on ${path}: ${m.text()}`);
    });
    page.on("pageerror", (e) => problems.push(`page error on ${path}: ${e.message}`));
    page.on("requestfailed", (r) => {
      // Chromium reports a fetch whose body was read as a stream (the list,
      // read with progress) as ERR_ABORTED now and then, after it completed;
      // the list verifying proves its bytes arrived whole.
      if (r.failure()?.errorText === "net::ERR_ABORTED" && /\/demo\/[\w.-]+\.list$/.test(new URL(r.url()).pathname)) return;
      problems.push(`request failed on ${path}: ${r.url()} ${r.failure()?.errorText}`);
    });
    // Runs before the page's scripts, outside the page's CSP.
    await page.addInitScript(() => {
      window.__csp = [];
      document.addEventListener("securitypolicyviolation", (e) =>
        window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
    });
    await page.goto(server.url + path);
    return page;
  }
  return {
    engine: ENGINE,
    server,
    context,
    newPage,
    problems,
    async stop() {
      await context.close();
      await server.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Adds to the page a form `id`, with a file input inside (`id-in`) and one
 * after it that names it with form= (`id-out`), guarded by
 * `guard(form, { checker: window[checker], ...options })` (kept in
 * `window.__guards[id]`); submissions are counted in its data-submitted,
 * not sent. Needs `window.__prescan`, the imported module.
 */
export function addGuardedForm(page, id, checker, options = {}) {
  return page.evaluate(([id, checker, options]) => {
    document.body.insertAdjacentHTML("beforeend", `
      <form id="${id}" data-submitted="0"><input type="file" id="${id}-in"><button type="submit">Send</button></form>
      <p>Outside the form: <input type="file" id="${id}-out" form="${id}"></p>`);
    const form = document.getElementById(id);
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      form.dataset.submitted = String(Number(form.dataset.submitted) + 1);
    });
    window.__guards ??= {};
    window.__guards[id] = window.__prescan.guard(form, { checker: window[checker], ...options });
  }, [id, checker, options]);
}

/** Picks files on an input, clearing it first so the same file fires change again. */
export async function pick(page, selector, files) {
  await page.locator(selector).evaluate((input) => (input.value = ""));
  await page.setInputFiles(selector, files);
}

// --- fixtures -----------------------------------------------------------------

export const CLI = join(REPO, "target", "release", "prescan");

/**
 * A list signed with a fresh key, of `lines` in the lines format (`md5 <hex>
 * label`): `{ bytes, publicKey }`. Made with the CLI, as an issuer would.
 */
export function signedList(lines, { id = "test", sequence = 1 } = {}) {
  if (!existsSync(CLI)) throw new Error("target/release/prescan is missing: run scripts/build-web");
  const dir = mkdtempSync(join(tmpdir(), "prescan-e2e-list-"));
  try {
    const [secret, pub, input, out] = ["secret.key", "public.hex", "entries.txt", "test.list"].map((f) => join(dir, f));
    execFileSync(CLI, ["key", "new", "--secret", secret, "--public", pub], { stdio: "ignore" });
    writeFileSync(input, lines.join("\n") + "\n");
    execFileSync(CLI, [
      "list", "build", "--sign", secret, "--id", id, "--sequence", String(sequence), "--expires", "30d",
      "--out", out, input,
    ], { stdio: ["ignore", "ignore", "inherit"] });
    return { bytes: readFileSync(out), publicKey: readFileSync(pub, "utf8").trim() };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The demo list's public key, hex. */
export function demoKey() {
  return JSON.parse(readFileSync(join(DEMO, "demo-key.json"), "utf8")).publicKey;
}

/**
 * Starts `prescan serve` on the demo list, on a free port, answering CORS
 * requests from `origin`; with `tokenFile`, needing one of its tokens, else
 * `--no-auth`. Resolves once it prints where it listens (a line on stderr
 * ending "listening on URL"), to `{ url, stop(), exited, firstLine }`
 * (`firstLine`: stderr's first, which should be that one); stop() sends
 * SIGTERM and waits for the exit.
 */
export function startMatcher({ origin, tokenFile, list = join(DEMO, "demo.list"), key = demoKey() } = {}) {
  if (!existsSync(CLI)) throw new Error("target/release/prescan is missing: run scripts/build-web");
  const args = [
    "serve", "--list", list, "--public", key, "--listen", "127.0.0.1:0",
    ...(tokenFile ? ["--token-file", tokenFile] : ["--no-auth"]),
    ...(origin ? ["--allow-origin", origin] : []),
  ];
  const child = spawn(CLI, args, { stdio: ["ignore", "ignore", "pipe"] });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const killer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(killer);
    }
  };
  return new Promise((resolve, reject) => {
    let stderr = "";
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`prescan serve did not say where it listens within 10 s:\n${stderr}`));
    }, 10_000);
    child.stderr.setEncoding("utf8");
    let seen = false;
    // Read to the end (a pipe left unread would stall the server's logging).
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
      const lines = stderr.split("\n").slice(0, -1);
      const url = lines.map((l) => l.match(/listening on (http:\/\/127\.0\.0\.1:\d+)$/)?.[1]).find(Boolean);
      if (seen || !url) return;
      seen = true;
      clearTimeout(timer);
      resolve({ url, stop, exited, firstLine: lines[0] });
    });
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`prescan serve exited (${code}) before listening:\n${stderr}`));
    });
  });
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

/** An RGB PNG of `f(x, y) -> [r, g, b]`. */
export function png(width, height, f) {
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1);
    for (let x = 0; x < width; x++) raw.set(f(x, y), row + 1 + x * 3);
  }
  return pngOf(width, height, [chunk("IDAT", deflateSync(raw))]);
}

/** A PNG file: the signature, an 8-bit RGB IHDR of `width` x `height`, `chunks`, IEND. */
function pngOf(width, height, chunks) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr), ...chunks, chunk("IEND", Buffer.alloc(0)),
  ]);
}

/**
 * A PNG declaring `width` x `height` whose pixel data is not zlib: no
 * decoder can read its pixels. (It has an IDAT chunk: header readers such
 * as the png crate's read the chunks up to the first one.)
 */
export function pngUndecodable(width, height) {
  return pngOf(width, height, [chunk("IDAT", Buffer.from("not zlib data"))]);
}

/** An ICO file holding one PNG image (`size` x `size`, at most 256). */
export function icoOf(pngBytes, size) {
  const header = Buffer.alloc(22);
  header.writeUInt16LE(1, 2); // type: icon
  header.writeUInt16LE(1, 4); // one image
  header[6] = size & 0xff; // 0 means 256
  header[7] = size & 0xff;
  header.writeUInt16LE(1, 10); // colour planes
  header.writeUInt16LE(32, 12); // bits per pixel
  header.writeUInt32LE(pngBytes.length, 14);
  header.writeUInt32LE(22, 18); // offset of the image
  return Buffer.concat([header, pngBytes]);
}

/** A JPEG with an EXIF APP1 segment carrying `orientation`, spliced after SOI. */
export function withOrientation(jpeg, orientation) {
  const tiff = Buffer.from([
    0x4d, 0x4d, 0x00, 0x2a, 0x00, 0x00, 0x00, 0x08, // big-endian TIFF header, IFD at 8
    0x00, 0x01, // one entry
    0x01, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, orientation, 0x00, 0x00, // Orientation, SHORT
    0x00, 0x00, 0x00, 0x00, // no next IFD
  ]);
  const payload = Buffer.concat([Buffer.from("Exif\0\0", "binary"), tiff]);
  const app1 = Buffer.alloc(4);
  app1.writeUInt16BE(0xffe1, 0);
  app1.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([jpeg.subarray(0, 2), app1, payload, jpeg.subarray(2)]);
}

/** Test files in a temporary folder; `avif` is null when Pillow cannot write AVIF. */
export function makeFixtures() {
  const dir = mkdtempSync(join(tmpdir(), "prescan-e2e-files-"));
  const listed = ["scene.png", "gradient.png", "photo-like.jpg"].map((n) => join(DEMO, n));
  const write = (name, data) => {
    const path = join(dir, name);
    writeFileSync(path, data);
    return path;
  };
  // Rings and stripes with a little deterministic noise: nothing like the demo images.
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 24);
  const unlisted = write("unlisted.png", png(480, 360, (x, y) => {
    const r = Math.hypot(x - 300, y - 120);
    const v = (Math.sin(r / 9) * 0.5 + 0.5) * 200 + ((x + 2 * y) % 61 < 20 ? 40 : 0) + (rand() & 15);
    return [v & 255, (v * 0.7 + x / 4) & 255, (255 - v / 2) & 255];
  }));
  const unlistedLarge = write("unlisted-large.png", png(2400, 1600, (x, y) => {
    const v = ((x >> 5) ^ (y >> 4)) & 1 ? 220 : 30;
    return [v, (x * 7 + y) & 255, (y * 3) & 255];
  }));
  const photo = readFileSync(join(DEMO, "photo-like.jpg"));
  const truncated = write("truncated.jpg", photo.subarray(0, Math.floor(photo.length / 2)));
  const garbage = write("garbage.jpg", Buffer.from(Array.from({ length: 4096 }, () => rand())));
  const oriented = write("photo-rotated.jpg", withOrientation(photo, 6));
  const orientations = Object.fromEntries([2, 3, 4, 5, 6, 7, 8].map((o) =>
    [o, write(`photo-orientation-${o}.jpg`, withOrientation(photo, o))]));
  let avif = null;
  try {
    const out = join(dir, "scene.avif");
    execFileSync("python3", ["-c", [
      "import sys", "from PIL import Image",
      "Image.open(sys.argv[1]).convert('RGB').save(sys.argv[2], 'AVIF', quality=95)",
    ].join("\n"), join(DEMO, "scene.png"), out], { stdio: "ignore" });
    if (existsSync(out)) avif = out;
  } catch {
    avif = null;
  }
  return {
    dir, listed, unlisted, unlistedLarge, truncated, garbage, oriented, orientations, avif,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
