// guard() on forms whose file inputs are not all inside them, or whose
// files are set from script: every input the form submits is checked
// before it can be submitted.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";

import { TIMEOUT, addGuardedForm, makeFixtures, pick, start } from "./helpers.js";

// Long enough for a check; short enough that a guard which never checks
// fails the test in seconds rather than at the suite's timeout.
const SETTLE = 20_000;

describe("guard", { timeout: 5 * TIMEOUT }, () => {
  let env;
  let page;
  let files;
  let n = 0;

  before(async () => {
    files = makeFixtures();
    env = await start();
    page = await env.newPage("/embed.html");
    await page.evaluate(async () => {
      window.__prescan = await import("./prescan.js");
      const { publicKey } = await (await fetch("demo/demo-key.json")).json();
      window.__checker = window.__prescan.createChecker({ list: "demo/demo.list", publicKeys: [publicKey] });
      await window.__checker;
    });
  });

  after(async () => {
    await env?.stop();
    files?.cleanup();
  });

  /** A new guarded form (see addGuardedForm); returns its id. */
  async function setup() {
    const id = `f${++n}`;
    await addGuardedForm(page, id, "__checker");
    return id;
  }

  const submitted = async (id) => Number(await page.locator(`#${id}`).getAttribute("data-submitted"));
  const status = (selector) => page.locator(selector).getAttribute("data-prescan");
  const settled = (selector) =>
    page.waitForSelector(`${selector}:is([data-prescan="clear"], [data-prescan="match"], [data-prescan="error"])`, { timeout: SETTLE });

  /** requestSubmit()s the form; returns its outside input's status right after. */
  const submitThenStatus = (id) => page.evaluate((id) => {
    document.getElementById(id).requestSubmit();
    return document.getElementById(`${id}-out`).dataset.prescan;
  }, id);

  /** Sets the file on the input from script, as a drop handler does: no change event. */
  function assign(selector, path, name) {
    return page.evaluate(([selector, bytes, name]) => {
      const dt = new DataTransfer();
      dt.items.add(new File([new Uint8Array(bytes)], name, { type: "image/png" }));
      document.querySelector(selector).files = dt.files;
    }, [selector, [...readFileSync(path)], name]);
  }

  test("checks an input outside the form that names it with form=, and blocks the form on a match", async () => {
    const id = await setup();
    await pick(page, `#${id}-out`, files.listed[2]);
    await settled(`#${id}-out`);
    assert.equal(await status(`#${id}-out`), "match");
    await page.click(`#${id} button`);
    await page.evaluate((id) => document.getElementById(id).requestSubmit(), id);
    assert.equal(await submitted(id), 0);
  });

  test("holds a submission while an outside input is checking, then submits when clear", async () => {
    const id = await setup();
    const bytes = [...readFileSync(files.unlistedLarge)];
    const during = await page.evaluate(([id, bytes]) => {
      const input = document.getElementById(`${id}-out`);
      const dt = new DataTransfer();
      dt.items.add(new File([new Uint8Array(bytes)], "big.png", { type: "image/png" }));
      input.files = dt.files;
      input.dispatchEvent(new Event("change", { bubbles: true }));
      const state = input.dataset.prescan;
      document.getElementById(id).requestSubmit();
      return { state, submitted: document.getElementById(id).dataset.submitted };
    }, [id, bytes]);
    assert.deepEqual(during, { state: "checking", submitted: "0" });
    await page.waitForFunction((id) => document.getElementById(id).dataset.submitted === "1", id, { timeout: SETTLE });
    assert.equal(await status(`#${id}-out`), "clear");
  });

  test("check() checks files set from script and resolves to the statuses", async () => {
    const id = await setup();
    await assign(`#${id}-in`, files.listed[0], "scene.png");
    const out = await page.evaluate(async (id) => {
      const g = window.__guards[id];
      const input = document.getElementById(`${id}-in`);
      const one = await g.check(input);
      const all = await g.check();
      const foreign = await g.check(document.getElementById("picture")).then(() => "checked", (e) => e.code);
      return { one, all, state: input.dataset.prescan, validity: input.validationMessage, foreign };
    }, id);
    assert.equal(out.one, "match");
    assert.deepEqual(out.all, ["match", null]); // the inside input, then the outside one (no file)
    assert.equal(out.state, "match");
    assert.notEqual(out.validity, "");
    assert.equal(out.foreign, "bad_argument"); // #picture is another form's
  });

  test("a submission checks files no check has seen (set from script), and is blocked on a match", async () => {
    const id = await setup();
    await assign(`#${id}-out`, files.listed[1], "gradient.png");
    assert.equal(await submitThenStatus(id), "checking");
    await settled(`#${id}-out`);
    assert.equal(await status(`#${id}-out`), "match");
    assert.equal(await submitted(id), 0);

    // Clear files set the same way: the input still carries the match's
    // validity, so this submission fails validation before any submit
    // event; the new files are checked then, and the next one goes through.
    await assign(`#${id}-out`, files.unlisted, "unlisted.png");
    assert.equal(await submitThenStatus(id), "checking");
    await settled(`#${id}-out`);
    assert.equal(await status(`#${id}-out`), "clear");
    assert.equal(await submitted(id), 0);
    await page.evaluate((id) => document.getElementById(id).requestSubmit(), id);
    assert.equal(await submitted(id), 1);
  });

  test("guards a file input that names the form after guard() ran", async () => {
    const id = await setup();
    await page.evaluate((id) => {
      document.body.insertAdjacentHTML("beforeend", `<input type="file" id="${id}-late" form="${id}">`);
    }, id);
    await pick(page, `#${id}-late`, files.listed[2]);
    await settled(`#${id}-late`);
    assert.equal(await status(`#${id}-late`), "match");
    await page.evaluate((id) => document.getElementById(id).requestSubmit(), id);
    assert.equal(await submitted(id), 0);
  });

  test("leaves alone an input inside the form that names another form", async () => {
    const id = await setup();
    await page.evaluate((id) => {
      document.getElementById(id).insertAdjacentHTML("beforeend", `<input type="file" id="${id}-other" form="elsewhere">`);
    }, id);
    await pick(page, `#${id}-other`, files.listed[2]);
    // Its file is not part of this form's submission: nothing to hold.
    await page.evaluate((id) => document.getElementById(id).requestSubmit(), id);
    assert.equal(await submitted(id), 1);
    assert.equal(await status(`#${id}-other`), null);
  });

  test("prescan:verdict and prescan:match carry one detail object", async () => {
    const id = await setup();
    await page.evaluate((id) => {
      window.__details = [];
      for (const type of ["prescan:verdict", "prescan:match"]) {
        document.getElementById(id).addEventListener(type, (e) => window.__details.push(e.detail));
      }
    }, id);
    await pick(page, `#${id}-in`, files.listed[0]);
    await settled(`#${id}-in`);
    const out = await page.evaluate(() => ({
      count: window.__details.length,
      same: window.__details[0] === window.__details[1],
      matched: window.__details[0]?.matched,
    }));
    assert.deepEqual(out, { count: 2, same: true, matched: true });
  });

  test("ran with no console errors, page errors or CSP violations", async () => {
    assert.deepEqual(await page.evaluate(() => window.__csp), []);
    assert.deepEqual(env.problems, []);
  });
});
