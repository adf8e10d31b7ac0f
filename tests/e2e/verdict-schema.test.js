// One verdict schema for every face (docs/verdict.md): real verdicts of the
// CLI (`prescan check --json`) and of the browser (Wasm in Chromium, both
// decode paths, a match, a miss, an undecodable file, the pdqNearest
// option) validate against docs/verdict.schema.json, and the TypeScript
// `Verdict` in www/prescan.d.ts has exactly the schema's fields, with the
// schema's required ones required.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";

import Ajv2020 from "ajv/dist/2020.js";
import ts from "typescript";

import { CLI, DEMO, REPO, TIMEOUT, makeFixtures, start } from "./helpers.js";

const SCHEMA = JSON.parse(readFileSync(join(REPO, "docs", "verdict.schema.json"), "utf8"));
const validate = new Ajv2020({ allErrors: true, strict: true }).compile(SCHEMA);

function assertValid(verdict, what) {
  assert.ok(validate(verdict), `${what}: ${JSON.stringify(validate.errors, null, 1)}\n${JSON.stringify(verdict)}`);
}

/** A verdict as a face hands it over, less the fields that face adds around it. */
function bare(verdict, added) {
  const copy = { ...verdict };
  for (const k of added) {
    assert.ok(k in copy, `the face adds ${k}`);
    delete copy[k];
  }
  return copy;
}

describe("the verdict schema", { timeout: 3 * TIMEOUT }, () => {
  let files;
  before(() => {
    files = makeFixtures();
  });
  after(() => files?.cleanup());

  test("prescan check --json prints verdicts in the schema", () => {
    const key = JSON.parse(readFileSync(join(DEMO, "demo-key.json"), "utf8")).publicKey;
    const paths = [files.listed[0], files.listed[2], files.unlisted, files.garbage];
    let out;
    try {
      out = execFileSync(CLI, ["check", "--json", "--pdq-nearest", "--list", join(DEMO, "demo.list"), "--public", key, ...paths]);
    } catch (e) {
      out = e.stdout; // exit 1 (a match) or 2 (the undecodable file): the lines are the point
    }
    const lines = out.toString().trim().split("\n").map((l) => JSON.parse(l));
    assert.equal(lines.length, paths.length);
    for (const [i, line] of lines.entries()) {
      assert.equal(line.path, paths[i]);
      assertValid(bare(line, ["path"]), `CLI ${paths[i]}`);
    }
    assert.equal(lines[0].matched, true);
    assert.equal(lines[0].matches[0].listSequence, 1);
    assert.equal(lines[2].matched, false);
    assert.equal(lines[3].decodeError.code, "unsupported_format");
  });

  test("the browser's verdicts, both decode paths, are in the schema", async () => {
    const env = await start();
    try {
      const page = await env.newPage("/embed.html");
      const blobs = [files.listed[0], files.unlisted, files.garbage].map((p) => [...readFileSync(p)]);
      const verdicts = await page.evaluate(async (blobs) => {
        const prescan = await import("./prescan.js");
        const key = (await (await fetch("demo/demo-key.json")).json()).publicKey;
        const out = [];
        for (const options of [{}, { pdqNearest: true }]) {
          const c = await prescan.createChecker({ list: "demo/demo.list", publicKeys: [key], options, sequenceStore: false });
          for (const decode of ["wasm", "browser"]) {
            for (const b of blobs) out.push(await c.checkBytes(new Uint8Array(b), { decode }));
          }
          c.close();
        }
        return out;
      }, blobs);
      assert.equal(verdicts.length, 12);
      for (const [i, v] of verdicts.entries()) assertValid(bare(v, ["decodedBy", "totalMs"]), `browser verdict ${i}`);
      assert.equal(verdicts[0].matched, true);
      assert.equal(verdicts[3].matched, true, "browser decode");
      assert.notEqual(verdicts[7].pdqNearest, null, "pdqNearest");
      assert.deepEqual(env.problems, []);
    } finally {
      await env.stop();
    }
  });

  test("the TypeScript Verdict has the schema's fields", () => {
    const file = join(REPO, "www", "prescan.d.ts");
    const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
    const members = new Map();
    source.forEachChild((node) => {
      if (ts.isInterfaceDeclaration(node) && node.name.text === "Verdict") {
        for (const m of node.members) members.set(m.name.getText(source), !m.questionToken);
      }
    });
    assert.ok(members.size > 0, "www/prescan.d.ts declares Verdict");
    assert.deepEqual([...members.keys()].sort(), Object.keys(SCHEMA.properties).sort());
    const required = [...members].filter(([, req]) => req).map(([k]) => k).sort();
    assert.deepEqual(required, [...SCHEMA.required].sort());
  });
});
