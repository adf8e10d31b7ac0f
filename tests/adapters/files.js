// prescan/files: checkFiles in a custom drop zone and a paste handler,
// each uploading the accepted files with fetch (as the README shows).
import { checkFiles } from "prescan/files";

import { checker, checkerFor, place } from "./common.js";

// For the test of abort: the module and a checker.
window.__adapters = { checkFiles };
window.__checker = checker;

const upload = (tag, files) => Promise.all(files.map((file) => {
  const body = new FormData();
  body.append("file", file);
  return fetch(`/test/upload?tag=${tag}`, { method: "POST", body });
}));

window.__results = {};
/** A drop zone #id (and a paste target #id-paste) whose handlers call checkFiles; results in window.__results[id]. */
window.__make = (id, { list, ...policy } = {}) => {
  const zone = place(id);
  const handle = async (files) => {
    const { accepted, refused } = await checkFiles(files, { checker: checkerFor({ list }), target: zone, ...policy });
    await upload(id, accepted);
    (window.__results[id] ??= []).push({ accepted: accepted.map((f) => f.name), refused: refused.map((o) => [o.file.name, o.kind, o.message]) });
  };
  zone.addEventListener("dragover", (e) => e.preventDefault());
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    handle(e.dataTransfer.files);
  });
  zone.addEventListener("paste", (e) => {
    if (e.clipboardData?.files.length) handle(e.clipboardData.files);
  });
};
window.__ready = true;
