// The Wasm module can reach nothing but what its glue hands it: list its
// imports and make sure none is a network API.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

import { WWW } from "./helpers.js";

const NETWORK = /fetch|xmlhttp|websocket|eventsource|sendbeacon|beacon|rtc|webtransport|request|response|url|navigator|location|worker|import|open|send|socket/i;

test("the Wasm module imports no network API", () => {
  const bytes = readFileSync(join(WWW, "pkg/prescan_bg.wasm"));
  const imports = WebAssembly.Module.imports(new WebAssembly.Module(bytes));
  assert.ok(imports.length > 0);
  const bad = imports.filter((i) => NETWORK.test(i.name));
  assert.deepEqual(bad, [], `network-like imports: ${JSON.stringify(bad)}`);
  // Every import is a function the glue defines; none of their bodies
  // touches a network API.
  const glue = readFileSync(join(WWW, "pkg/prescan.js"), "utf8");
  for (const i of imports) {
    const at = glue.indexOf(`${i.name}:`);
    assert.ok(at >= 0, `${i.module}.${i.name} not defined in the glue`);
    const rest = glue.slice(at + i.name.length + 1);
    const end = rest.search(/\n\s{8}__wb|\n\s{4}\}/);
    const body = end < 0 ? rest : rest.slice(0, end);
    assert.doesNotMatch(body, /fetch|XMLHttpRequest|WebSocket|EventSource|sendBeacon|RTCPeer|WebTransport|importScripts|import\(|Worker|navigator|location/,
      `${i.name}: ${body}`);
  }
});

test("the only fetch in the glue loads the module itself", () => {
  const glue = readFileSync(join(WWW, "pkg/prescan.js"), "utf8");
  const calls = glue.match(/\bfetch\s*\(/g) ?? [];
  assert.ok(calls.length <= 1, `fetch calls: ${calls.length}`);
  for (const api of ["XMLHttpRequest", "WebSocket", "EventSource", "sendBeacon", "RTCPeerConnection"]) {
    assert.ok(!glue.includes(api), `${api} in the glue`);
  }
});

test("the worker and the front do no network I/O of their own beyond the list URL and the matcher", () => {
  const worker = readFileSync(join(WWW, "prescan-worker.js"), "utf8");
  assert.doesNotMatch(worker, /\bfetch\s*\(|XMLHttpRequest|WebSocket|EventSource|sendBeacon/);
  const front = readFileSync(join(WWW, "prescan.js"), "utf8");
  assert.doesNotMatch(front, /XMLHttpRequest|WebSocket|EventSource|sendBeacon/);
  // Two fetches: the list URL's (fetchList), and the matcher's (matcherRequest).
  const fetches = [...front.matchAll(/\bfetch\s*\(/g)].map((m) => {
    const fn = [...front.slice(0, m.index).matchAll(/^(?:async )?function (\w+)/gm)].at(-1)?.[1];
    return fn;
  });
  assert.deepEqual(fetches, ["fetchList", "matcherRequest"]);
  // And the matcher is asked at the two URLs made from the one the host named, nothing else.
  const targets = [...front.matchAll(/\bmatcherRequest\(remote, ([\w.]+),/g)].map((m) => m[1]);
  assert.deepEqual([...new Set(targets)].sort(), ["remote.checkUrl", "remote.listUrl"]);
  assert.equal((front.match(/\bmatcherRequest\(/g) ?? []).length, targets.length + 1, "every call of matcherRequest is one of those (and its definition)");
});
