// The package imported by its name, resolved and bundled by Vite from
// node_modules/prescan (the npm pack tarball of www/, unpacked there by
// tests/e2e/bundler.test.js).
import { createChecker, guard } from "prescan";

const status = document.getElementById("status");

async function main() {
  const { publicKey } = await (await fetch("/demo/demo-key.json")).json();
  const checker = await createChecker({ list: "/demo/demo.list", publicKeys: [publicKey] });
  guard(document.getElementById("upload"), { checker });
  window.__checker = checker;
  status.textContent = "ready";
}

main().catch((e) => {
  status.textContent = `error ${e.code ?? ""} ${e.message}`;
});
