// prescan/uppy: an Uppy plugin that checks the files of each upload in a
// preprocessor (onBeforeFileAdded is synchronous: a promise there is
// ignored), so that refused files are removed, or the upload blocked,
// before any uploader sees them.
//
// `BasePlugin` comes from the caller: `prescanUppy(BasePlugin)`. This
// module imports no Uppy, so a page with a plain <script type=module> and
// an import map has nothing more to map, a CDN build of Uppy works as one
// from npm, a bundle never holds a second copy of @uppy/core (nor fails
// to resolve it when the app's Uppy is the `uppy` package), and the plugin
// extends exactly the BasePlugin of the Uppy it is used with.
import { checkerOf } from "../prescan.js";
import { checkFiles } from "./files.js";

const made = new WeakMap();

/** The plugin class, extending the `BasePlugin` given (one class for each). See uppy.d.ts. */
export function prescanUppy(BasePlugin) {
  if (!made.has(BasePlugin)) made.set(BasePlugin, pluginOver(BasePlugin));
  return made.get(BasePlugin);
}

function pluginOver(BasePlugin) {
  return class PrescanUppy extends BasePlugin {
    constructor(uppy, opts) {
      super(uppy, { onRefused: "remove", checkingMessage: "Checking…", infoTimeout: 8000, ...opts });
      this.id = this.opts.id ?? "Prescan";
      this.type = "modifier";
      this.prepare = this.prepare.bind(this);
    }

    install() {
      ({ checker: this.checker, own: this.own } = checkerOf(this.opts, "the prescan Uppy plugin"));
      this.checker.catch(() => {}); // judged per upload, by onListError
      this.uppy.addPreProcessor(this.prepare);
    }

    uninstall() {
      this.uppy.removePreProcessor(this.prepare);
      if (this.own) this.checker.then((c) => c.close(), () => {});
    }

    /** The element of the first UI plugin mounted (the Dashboard's), for the prescan:* events. */
    target() {
      let el = this.opts.target ?? null;
      this.uppy.iteratePlugins((p) => (el ??= p.el instanceof Element ? p.el : null));
      return el;
    }

    async prepare(fileIDs) {
      const target = this.target();
      const files = fileIDs.map((id) => this.uppy.getFile(id));
      const progress = { mode: "indeterminate", message: this.opts.checkingMessage };
      for (const f of files) this.uppy.emit("preprocess-progress", f, progress);
      // One checkFiles a file, all asked at once (remote mode sends them in one request).
      const outcomes = await Promise.all(files.map(async (f) => {
        const { outcomes: [o] } = await checkFiles([f.data], { ...this.opts, checker: this.checker, target });
        this.uppy.emit("preprocess-complete", this.uppy.getFile(f.id) ?? f);
        return { ...o, id: f.id, name: f.name };
      }));
      const refused = outcomes.filter((o) => o.message);
      if (refused.length === 0) return;
      for (const message of new Set(refused.map((o) => o.message))) {
        const names = refused.filter((o) => o.message === message).map((o) => o.name);
        this.uppy.info({ message, details: names.join(", ") }, "error", this.opts.infoTimeout);
      }
      this.opts.onRefuse?.(refused);
      // An uploader that sends files together (XHRUpload's `bundle`) cannot lose one: the upload is blocked.
      if (this.opts.onRefused === "remove" && this.uppy.getState().capabilities.individualCancellation !== false) {
        this.uppy.removeFiles(refused.map((o) => o.id));
        return;
      }
      for (const o of refused) this.uppy.setFileState(o.id, { error: o.message });
      throw Object.assign(new Error(refused[0].message), { code: "prescan_refused", refused });
    }
  };
}
