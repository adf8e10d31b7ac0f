// The package's TypeScript types: tsc (strict, library files checked) over
// tests/types/usage.ts, which uses the front and the Wasm bindings as a
// TypeScript host would, and tests/types/adapters.ts, which uses the
// subpaths (prescan/files, /uppy, /filepond, /dropzone, /node) with the
// real libraries' own types; both mark misuses with @ts-expect-error.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

import { REPO, WWW } from "./helpers.js";

test("the .d.ts files type a host's use and refuse its misuses", () => {
  assert.ok(existsSync(join(WWW, "pkg", "prescan.d.ts")), "www/pkg/prescan.d.ts is missing: run scripts/build-web");
  const tsc = join(REPO, "node_modules", "typescript", "bin", "tsc");
  const run = spawnSync(process.execPath, [tsc, "-p", join(REPO, "tests", "types")], { encoding: "utf8" });
  assert.equal(run.status, 0, `tsc failed:\n${run.stdout}${run.stderr}`);
});
