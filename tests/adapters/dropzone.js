// Dropzone 6, guarded by prescan/dropzone.
import "dropzone/dist/dropzone.css";
import Dropzone from "dropzone";
import { prescanAccept } from "prescan/dropzone";

import { checkerFor, place } from "./common.js";

Dropzone.autoDiscover = false;
window.__zones = {};
/** A guarded Dropzone in #id (uploading to /test/upload?tag=id); its files in window.__zones[id]. */
window.__make = (id, { list, ...policy } = {}) => {
  const el = place(id);
  el.className = "dropzone";
  place(`${id}-inputs`);
  const zone = new Dropzone(el, {
    url: `/test/upload?tag=${id}`,
    hiddenInputContainer: `#${id}-inputs`,
    accept: prescanAccept({ checker: checkerFor({ list }), ...policy }),
  });
  const done = [];
  zone.on("complete", (file) => done.push({
    name: file.name, status: file.status,
    message: file.previewElement.querySelector("[data-dz-errormessage]")?.textContent ?? "",
  }));
  window.__zones[id] = { zone, done };
};
window.__ready = true;
