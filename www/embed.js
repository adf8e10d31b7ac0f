import { guard } from "./prescan.js";

const { publicKey } = await (await fetch("demo/demo-key.json")).json();
const form = document.getElementById("upload");
const outcome = document.getElementById("outcome");

guard(form, {
  checkerOptions: { list: "demo/demo.list", publicKeys: [publicKey] },
  message: "This picture cannot be uploaded.",
});

// The rest only narrates what happens, for the demo (no server here).
form.addEventListener("prescan:match", () => (outcome.textContent = "Blocked: the picture is on the list."));
form.addEventListener("prescan:verdict", (e) => {
  const { matched, decodeError, file } = e.detail;
  if (decodeError) outcome.textContent = `Could not read ${file.name}: ${decodeError.message}`;
  else if (!matched) outcome.textContent = `Checked: ${file.name} is clear.`;
});
form.addEventListener("prescan:error", (e) => (outcome.textContent = `Could not check: ${e.detail.message}`));
form.addEventListener("submit", (e) => {
  e.preventDefault(); // no server in the demo; a real form would upload now
  outcome.textContent = "Submitted.";
  form.dataset.submitted = String(Number(form.dataset.submitted ?? 0) + 1);
});
