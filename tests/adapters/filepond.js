// FilePond 4, guarded by prescan/filepond.
import "filepond/dist/filepond.min.css";
import * as FilePond from "filepond";
import { prescanFilePond } from "prescan/filepond";

import { checkerFor, place } from "./common.js";

FilePond.registerPlugin(prescanFilePond);
window.__ponds = {};
/** A guarded pond in #id (instant upload to /test/upload?tag=id); window.__ponds[id]. */
window.__make = (id, { list, ...policy } = {}) => {
  const input = place(`${id}-input`, "input");
  input.type = "file";
  input.multiple = true;
  const pond = FilePond.create(input, {
    allowMultiple: true,
    server: { process: `/test/upload?tag=${id}` },
    prescan: { checker: checkerFor({ list }), ...policy },
  });
  pond.element.id = id;
  window.__ponds[id] = pond;
};
/** Each item of the pond: name, FilePond status, and the label shown on it. */
window.__items = (id) => window.__ponds[id].getFiles().map((f) => ({
  name: f.filename, status: f.status,
  label: document.querySelector(`#filepond--item-${f.id} .filepond--file-status-main`)?.textContent ?? null,
}));
window.__ready = true;
