// prescan/filepond: a FilePond plugin. Each file goes through the
// LOAD_FILE filter, whose promise FilePond waits for (a promise returned by
// beforeAddFile is not): a refused file is rejected with the message as
// its label, never processed, so never uploaded. A pond is guarded by its
// `prescan` option, which takes guard()'s options. Nothing of FilePond is
// imported: FilePond hands the plugin what it uses.
import { checkerOf } from "../prescan.js";
import { checkFiles } from "./files.js";

/** `FilePond.registerPlugin(prescanFilePond)`; then `FilePond.create(el, { prescan: { checker, … } })`. See filepond.d.ts. */
export function prescanFilePond({ addFilter, utils }) {
  const checkers = new WeakMap(); // a pond's `prescan` option -> the checker it names or makes
  const ponds = new WeakMap(); // a pond's query function -> { el: one of its file views' elements, queue: events }

  // FilePond gives a filter no element, and draws a file's view only after
  // its LOAD_FILE began: a pond's events wait for the first of its file views
  // to be drawn, then go from the pond's root.
  const pondOf = (query) => (ponds.has(query) ? ponds.get(query) : ponds.set(query, { el: null, queue: [] }).get(query));
  const flush = (pond) => {
    const root = pond.el?.closest(".filepond--root");
    if (root) for (const e of pond.queue.splice(0)) root.dispatchEvent(e);
  };
  addFilter("CREATE_VIEW", ({ is, view, query }) => {
    if (!is("file")) return;
    const pond = pondOf(query);
    pond.el = view.element;
    view.registerWriter(() => flush(pond));
  });

  addFilter("LOAD_FILE", async (file, { query }) => {
    const opts = query("GET_PRESCAN");
    if (!opts) return file;
    if (!checkers.has(opts)) {
      // Made from `checkerOptions` once a pond, on its first file; never closed (a pond has no end a plugin sees).
      const { checker } = checkerOf(opts, "the prescan FilePond plugin");
      checker.catch(() => {});
      checkers.set(opts, checker);
    }
    const pond = pondOf(query);
    const target = opts.target ?? { dispatchEvent: (e) => pond.queue.push(e) && flush(pond) };
    const { outcomes: [o] } = await checkFiles([file], { ...opts, checker: checkers.get(opts), target });
    if (!o.message) return file;
    opts.onRefuse?.(o);
    // FilePond shows `status.main` as the file's label, `status.sub` beneath it.
    throw { status: { main: o.message, sub: opts.refusedSub ?? file.name }, prescan: o };
  });

  return { options: { prescan: [null, utils.Type.OBJECT] } };
}
