// What the adapter pages share: one checker of the demo list (served under
// /demo/), and a log of the prescan:* events that reach the document.
import { createChecker } from "prescan";

const { publicKey } = await (await fetch("/demo/demo-key.json")).json();
export const checker = createChecker({ list: "/demo/demo.list", publicKeys: [publicKey] });
// A checker whose list does not verify: for onListError.
export const brokenChecker = createChecker({ list: "/demo/tampered.list", publicKeys: [publicKey] });
brokenChecker.catch(() => {});
await checker;

window.__events = [];
for (const type of ["prescan:verdict", "prescan:match", "prescan:error"]) {
  document.addEventListener(type, (e) => window.__events.push({
    type, on: e.target.id || e.target.className, matched: e.detail.matched ?? null, code: e.detail.code ?? null,
    name: e.detail.file?.name ?? e.detail.files?.map((f) => f.name).join(",") ?? null,
  }));
}

/** A new element `<tag id=id>` in #widgets. */
export function place(id, tag = "div") {
  const el = document.createElement(tag);
  el.id = id;
  document.getElementById("widgets").append(el);
  return el;
}

/** The checker a test's policy names: `list: "broken"` for one whose list fails. */
export const checkerFor = (policy) => (policy.list === "broken" ? brokenChecker : checker);
