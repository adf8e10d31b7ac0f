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

test("the worker and the front do no network I/O of their own beyond the list URL", () => {
  const worker = readFileSync(join(WWW, "prescan-worker.js"), "utf8");
  assert.doesNotMatch(worker, /\bfetch\s*\(|XMLHttpRequest|WebSocket|EventSource|sendBeacon/);
  const front = readFileSync(join(WWW, "prescan.js"), "utf8");
  assert.equal((front.match(/\bfetch\s*\(/g) ?? []).length, 1, "one fetch: the list URL");
  assert.doesNotMatch(front, /XMLHttpRequest|WebSocket|EventSource|sendBeacon/);
});
