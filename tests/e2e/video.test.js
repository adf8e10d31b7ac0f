// Videos in the browser (video.js, through checkFile and guard): frames
// decoded by WebCodecs, hashed with vPDQ, against Meta's vpdq.computeHash
// on the same clips (made here with FFmpeg), matched locally and through
// `prescan serve` by python-threatexchange's rule, with progress,
// cancellation and limits.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";

import { CLI, REPO, TIMEOUT, start, startMatcher } from "./helpers.js";

const ORACLE = join(REPO, "tests", "oracle", "vpdq_oracle.py");

// Each clip: its ffmpeg input and encoding. "a*" are one source in
// several encodings (the listed video and its variants), "b" another.
const CLIPS = {
  "a.mp4": ["testsrc2=size=320x240:rate=25", "-t", "8", "-c:v", "libx264", "-pix_fmt", "yuv420p"],
  "a-vp9.webm": ["testsrc2=size=320x240:rate=25", "-t", "8", "-c:v", "libvpx-vp9", "-deadline", "realtime", "-pix_fmt", "yuv420p"],
  "a-resized.mp4": ["testsrc2=size=320x240:rate=25", "-t", "8", "-vf", "scale=240:180", "-c:v", "libx264", "-crf", "30", "-pix_fmt", "yuv420p"],
  "a-trimmed.mov": ["testsrc2=size=320x240:rate=25", "-ss", "1", "-t", "7", "-c:v", "libx264", "-pix_fmt", "yuv420p"],
  "a-fragmented.mp4": ["testsrc2=size=320x240:rate=25", "-t", "8", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-movflags", "frag_keyframe+empty_moov"],
  "c-2997.mkv": ["testsrc2=size=352x288:rate=30000/1001", "-t", "5", "-c:v", "libx264", "-pix_fmt", "yuv420p"],
  "b.mp4": ["mandelbrot=size=320x240:rate=25", "-t", "8", "-c:v", "libx264", "-pix_fmt", "yuv420p"],
};

function distance(a, b) {
  let d = 0;
  for (let i = 0; i < 64; i += 8) {
    let x = parseInt(a.slice(i, i + 8), 16) ^ parseInt(b.slice(i, i + 8), 16);
    while (x) {
      d += x & 1;
      x >>>= 1;
    }
  }
  return d;
}

const lines = (features) => features.map((f) => `${f.frame},${f.quality},${f.hash},${f.timestamp.toFixed(3)}`).join("\n") + "\n";

describe("videos", { timeout: 20 * TIMEOUT }, () => {
  let env;
  let page;
  let dir;
  const oracle = {}; // clip → vpdq.computeHash's frames
  let key;
  let matcher; // prescan serve, on the same list

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "prescan-e2e-video-"));
    for (const [name, [source, ...args]] of Object.entries(CLIPS)) {
      execFileSync("ffmpeg", ["-loglevel", "error", "-y", "-f", "lavfi", "-i", source, ...args, join(dir, name)]);
      oracle[name] = execFileSync("python3", [ORACLE, "hash", join(dir, name), "1"], { encoding: "utf8" })
        .trim().split("\n").map((l) => {
          const [frame, quality, hash, timestamp] = l.split(",");
          return { frame: Number(frame), quality: Number(quality), hash, timestamp: Number(timestamp) };
        });
    }
    // The list: clip a as vPDQ (its frames as the CLI hashes them, which
    // is vpdq's exactly: tests/vpdq_oracle.rs), and b's file as video_md5.
    writeFileSync(join(dir, "a.txt"), execFileSync(CLI, ["hash", "--vpdq", join(dir, "a.mp4")]));
    const md5 = execFileSync("md5sum", [join(dir, "b.mp4")], { encoding: "utf8" }).slice(0, 32);
    writeFileSync(join(dir, "b.txt"), `video_md5 ${md5} b-file\n`);
    execFileSync(CLI, ["key", "new", "--secret", join(dir, "s.key"), "--public", join(dir, "p.hex")], { stdio: "ignore" });
    execFileSync(CLI, ["list", "build", "--sign", join(dir, "s.key"), "--id", "videos", "--sequence", "1", "--expires", "30d",
      "--out", join(dir, "videos.list"), join(dir, "a.txt"), join(dir, "b.txt")], { stdio: "ignore" });
    key = readFileSync(join(dir, "p.hex"), "utf8").trim();
    env = await start({ mounts: { "/videos/": dir } });
    matcher = await startMatcher({ origin: env.server.url, list: join(dir, "videos.list"), key });
    env.server.allowConnect(matcher.url);
    page = await env.newPage("/embed.html");
    await page.evaluate(async (key) => {
      window.__prescan = await import("./prescan.js");
      window.__clip = async (name) => new File([await (await fetch(`videos/${name}`)).blob()], name, { type: "" });
      window.__local = await window.__prescan.createChecker({ list: "videos/videos.list", publicKeys: [key], workers: 1 });
    }, key);
  });

  after(async () => {
    await page?.evaluate(() => window.__local?.close()).catch(() => {});
    await matcher?.stop();
    await env?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** The verdicts of `names` by the checker `window[checker]`. */
  function verdicts(names, checker = "__local") {
    return page.evaluate(async ([names, checker]) => {
      const out = {};
      for (const n of names) out[n] = await window[checker].checkFile(await window.__clip(n));
      return out;
    }, [names, checker]);
  }

  test("the frames, timestamps and hashes of vpdq.computeHash", async () => {
    const got = await verdicts(Object.keys(CLIPS));
    const report = [];
    for (const [name, want] of Object.entries(oracle)) {
      const v = got[name];
      assert.equal(v.decodeError, null, `${name}: ${JSON.stringify(v.decodeError)}`);
      assert.equal(v.decodedBy, "webcodecs", name);
      assert.deepEqual(v.vpdq.map((f) => [f.frame, f.timestamp]), want.map((f) => [f.frame, f.timestamp]), `${name}: frame numbers and timestamps`);
      const d = v.vpdq.map((f, i) => distance(f.hash, want[i].hash)).sort((x, y) => x - y);
      const median = d[d.length >> 1];
      report.push(`${name}: ${d.length} frames, PDQ distance to vpdq's median ${median}, max ${d.at(-1)}`);
      // The same decoded planes, turned into RGB without FFmpeg's exact
      // rounding (Chromium, WebKit: 2 bits at most), or by the browser
      // with BT.709 and brought back to BT.601 (Firefox: up to 6): far
      // inside the match distance of 31. Firefox's own RGB, taken as it
      // is, was 8 to 24 bits away.
      assert.ok(median <= 6 && d.at(-1) <= 12, `${name}: distances ${d.join(",")}`);
      assert.deepEqual(v.vpdq.map((f) => f.quality > 0), want.map((f) => f.quality > 0), `${name}: qualities`);
    }
    console.log(`# ${env.engine}: ${report.join("; ")}`);
  });

  test("matches as python-threatexchange's rule does, locally and through prescan serve", async () => {
    const names = ["a.mp4", "a-vp9.webm", "a-resized.mp4", "a-trimmed.mov", "b.mp4", "c-2997.mkv"];
    // The rule, on the oracle's own frames of each clip against a's.
    writeFileSync(join(dir, "a-oracle.txt"), lines(oracle["a.mp4"]));
    const expected = {};
    for (const n of names) {
      writeFileSync(join(dir, "q.txt"), lines(oracle[n]));
      expected[n] = execFileSync("python3", [ORACLE, "compare", join(dir, "q.txt"), join(dir, "a-oracle.txt")], { encoding: "utf8" }).trim().split(" ")[2] === "True";
    }
    assert.deepEqual(Object.values(expected), [true, true, true, true, false, false], "the variants of a match it, b and c do not (the rule's own answer)");
    const local = await verdicts(names);
    for (const n of names) {
      const v = local[n];
      const vpdq = v.matches.filter((m) => m.signal === "vpdq");
      assert.equal(vpdq.length > 0, expected[n], `${n}: ${JSON.stringify(v.matches)}`);
      if (expected[n]) assert.ok(vpdq[0].queryPercent >= 80 && vpdq[0].label === "a", JSON.stringify(vpdq[0]));
    }
    // b's file is listed by its MD5.
    assert.deepEqual(local["b.mp4"].matches.map((m) => [m.signal, m.label]), [["video_md5", "b-file"]]);

    const bodies = [];
    const onRequest = (r) => {
      if (r.url().endsWith("/v1/check")) bodies.push(r.postData());
    };
    env.context.on("request", onRequest);
    try {
      await page.evaluate(async ([url, key]) => {
        window.__remote = await window.__prescan.createChecker({ matcher: { url }, publicKeys: [key] });
      }, [matcher.url, key]);
      const remote = await verdicts(names, "__remote");
      for (const n of names) {
        const strip = (v) => v.matches.map((m) => [m.signal, m.label, m.queryPercent, m.comparedPercent]);
        assert.deepEqual(strip(remote[n]), strip(local[n]), `${n}: the server's verdict is the local one`);
        assert.deepEqual(remote[n].vpdq, local[n].vpdq, `${n}: the frames hashed`);
      }
    } finally {
      env.context.off?.("request", onRequest);
      await page.evaluate(() => window.__remote?.close());
    }
    // What left the page: hashes only, a video a request.
    assert.equal(bodies.length, names.length);
    for (const body of bodies) {
      const { files } = JSON.parse(body);
      assert.equal(files.length, 1);
      for (const k of Object.keys(files[0])) assert.ok(["vpdq", "md5", "sha1", "sha256"].includes(k), k);
      for (const f of files[0].vpdq ?? []) assert.deepEqual(Object.keys(f).sort(), ["frame", "hash", "quality", "timestamp"]);
    }
  });

  test("progress, cancellation in either worker, guard's events", async () => {
    const out = await page.evaluate(async (key) => {
      const prescan = window.__prescan;
      const file = await window.__clip("a.mp4");
      const progress = [];
      const whole = await window.__local.checkFile(file, { onProgress: (p) => progress.push(`${p.hashed}/${p.expected}`) });
      const results = { progress, matched: whole.matched };
      // Aborted at its first hashed frame: on the list's worker (workers: 1)
      // and on a hashing worker of the pool (workers: 2).
      const pool = await prescan.createChecker({ list: "videos/videos.list", publicKeys: [key], workers: 2 });
      for (const [name, checker] of [["list", window.__local], ["pool", pool]]) {
        const controller = new AbortController();
        const aborted = checker.checkFile(file, { signal: controller.signal, onProgress: () => controller.abort() });
        results[name] = await aborted.then(() => "resolved", (e) => e.name);
        const again = await checker.checkFile(file);
        results[`${name}Again`] = again.matched && again.vpdq.length === whole.vpdq.length;
      }
      pool.close();
      // guard(): a video picked on an input gives progress and a match.
      document.body.insertAdjacentHTML("beforeend", '<input type="file" id="vid" accept="video/*">');
      const input = document.getElementById("vid");
      const events = [];
      for (const t of ["prescan:progress", "prescan:match", "prescan:verdict"]) {
        input.addEventListener(t, (e) => events.push(t === "prescan:progress" ? `${t} ${e.detail.hashed}/${e.detail.expected}` : `${t} ${e.detail.file.name}`));
      }
      const g = prescan.guard(input, { checker: window.__local });
      const dt = new DataTransfer();
      dt.items.add(file);
      input.files = dt.files;
      input.dispatchEvent(new Event("change", { bubbles: true }));
      while (!events.some((e) => e.startsWith("prescan:verdict"))) await new Promise((r) => setTimeout(r, 50));
      results.events = events;
      results.valid = input.checkValidity();
      g.dispose?.();
      return results;
    }, key);
    assert.deepEqual(out.progress, ["1/8", "2/8", "3/8", "4/8", "5/8", "6/8", "7/8", "8/8"]);
    assert.equal(out.matched, true);
    assert.equal(out.list, "AbortError");
    assert.equal(out.pool, "AbortError");
    assert.equal(out.listAgain, true, "the list's worker checks the next video after one was cancelled");
    assert.equal(out.poolAgain, true, "the pool checks the next video after one was cancelled");
    assert.equal(out.events.filter((e) => e.startsWith("prescan:progress")).at(-1), "prescan:progress 8/8");
    assert.ok(out.events.includes("prescan:match a.mp4"), out.events.join("; "));
    assert.equal(out.valid, false, "the input is invalid while it holds a listed video");
  });

  test("through a <video> element (videoDecode: \"element\", the fallback where WebCodecs cannot)", async () => {
    const names = ["a.mp4", "a-vp9.webm", "a-resized.mp4", "b.mp4"];
    const got = await page.evaluate(async ([names, key]) => {
      const c = await window.__prescan.createChecker({ list: "videos/videos.list", publicKeys: [key], workers: 2, options: { videoDecode: "element" } });
      const out = {};
      try {
        for (const n of names) {
          const progress = [];
          const v = await c.checkFile(await window.__clip(n), { onProgress: (p) => progress.push(p.hashed) });
          out[n] = { ...v, progress };
        }
      } finally {
        c.close();
      }
      return out;
    }, [names, key]);
    const report = [];
    for (const n of names) {
      const v = got[n];
      const want = oracle[n];
      assert.equal(v.decodeError, null, `${n}: ${JSON.stringify(v.decodeError)}`);
      assert.equal(v.decodedBy, "element");
      assert.deepEqual(v.vpdq.map((f) => f.frame), want.map((f) => f.frame), `${n}: the frames vPDQ hashes (the rate measured)`);
      assert.deepEqual(v.progress, want.map((_, i) => i + 1));
      const d = v.vpdq.map((f, i) => distance(f.hash, want[i].hash)).sort((x, y) => x - y);
      report.push(`${n}: median ${d[d.length >> 1]}, max ${d.at(-1)}`);
      // The browser's own colours: further than WebCodecs' planes, still matching.
      assert.ok(d.at(-1) <= 31, `${n}: distances ${d.join(",")}`);
      assert.equal(v.matches.some((m) => m.signal === "vpdq"), n.startsWith("a"), `${n}: ${JSON.stringify(v.matches)}`);
    }
    console.log(`# ${env.engine}, <video> element: PDQ distance to vpdq's: ${report.join("; ")}`);
  });

  test("limits and broken videos: a decode error with the digests still checked", async () => {
    const out = await page.evaluate(async (key) => {
      const prescan = window.__prescan;
      const small = await prescan.createChecker({ list: "videos/videos.list", publicKeys: [key], workers: 1, options: { maxVideoSeconds: 5, maxVideoBytes: 10_000_000 } });
      const a = await small.checkFile(await window.__clip("a.mp4"));
      const b = await small.checkFile(await window.__clip("b.mp4"));
      const whole = new Uint8Array(await (await window.__clip("a.mp4")).arrayBuffer());
      const cut = await window.__local.checkFile(new File([whole.subarray(0, whole.length >> 1)], "cut.mp4"));
      const junk = await window.__local.checkFile(new File([new Uint8Array(5000).fill(7)], "junk.mp4"));
      let bad;
      try {
        await prescan.createChecker({ list: "videos/videos.list", publicKeys: [key], options: { maxVideoSeconds: -1 } });
      } catch (e) {
        bad = e.code;
      }
      small.close();
      const short = (v) => ({ code: v.decodeError?.code ?? null, matches: v.matches.map((m) => m.signal), vpdq: v.vpdq?.length ?? 0, md5: !!v.md5 });
      return { a: short(a), b: short(b), cut: short(cut), junk: short(junk), bad };
    }, key);
    assert.deepEqual(out.a, { code: "limit_exceeded", matches: [], vpdq: 0, md5: true });
    assert.deepEqual(out.b, { code: "limit_exceeded", matches: ["video_md5"], vpdq: 0, md5: true }, "over a limit, the file's MD5 still matches");
    assert.equal(out.cut.md5, true);
    assert.ok(["video_malformed", "video_decode_failed"].includes(out.cut.code), JSON.stringify(out.cut));
    assert.deepEqual(out.junk, { code: "video_unsupported", matches: [], vpdq: 0, md5: true });
    assert.equal(out.bad, "bad_option");
  });
});
