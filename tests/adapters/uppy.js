// Uppy 6 with its Dashboard and XHRUpload, guarded by prescan/uppy.
import "@uppy/core/css/style.min.css";
import "@uppy/dashboard/css/style.min.css";
import Uppy, { BasePlugin } from "@uppy/core";
import Dashboard from "@uppy/dashboard";
import XHRUpload from "@uppy/xhr-upload";
import { prescanUppy } from "prescan/uppy";

import { checkerFor, place } from "./common.js";

window.__uppys = {};
/** A guarded Uppy in #id, uploading to /test/upload?tag=id; its log in window.__uppys[id]. */
window.__make = (id, { list, bundle = false, ...policy } = {}) => {
  place(id);
  const log = { info: [], complete: null, preprocess: [] };
  const uppy = new Uppy({ id, autoProceed: false })
    .use(Dashboard, { inline: true, target: `#${id}`, height: 300, hideProgressDetails: true })
    .use(XHRUpload, { endpoint: `/test/upload?tag=${id}`, fieldName: "file", bundle, limit: 4 })
    .use(prescanUppy(BasePlugin), { checker: checkerFor({ list }), ...policy });
  // What the Informer shows: each message as it appears.
  uppy.on("info-visible", () => log.info.push(uppy.getState().info.at(-1)));
  uppy.on("preprocess-progress", (file, p) => log.preprocess.push(`progress ${file.name} ${p.mode}`));
  uppy.on("preprocess-complete", (file) => log.preprocess.push(`complete ${file.name}`));
  uppy.on("complete", (result) => (log.complete = {
    successful: result.successful.map((f) => f.name), failed: result.failed.map((f) => f.name),
  }));
  uppy.on("error", (e) => (log.error = e.message));
  // The upload began (before the preprocessors, prescan's among them, run).
  uppy.on("upload", () => (log.started = true));
  window.__uppys[id] = { uppy, log };
};
window.__ready = true;
