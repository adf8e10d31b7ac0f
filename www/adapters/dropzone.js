// prescan/dropzone: an `accept(file, done)` for Dropzone. Dropzone waits
// for `done` before it queues a file, and a file refused with a message is
// marked in error (that message on its preview) and never uploaded.
// Nothing of Dropzone is imported.
import { checkerOf } from "../prescan.js";
import { checkFiles } from "./files.js";

/** `new Dropzone(el, { url, accept: prescanAccept({ checker, … }) })`. See dropzone.d.ts. */
export function prescanAccept(options = {}) {
  const { checker } = checkerOf(options, "prescanAccept()");
  checker.catch(() => {}); // judged per file, by onListError
  const accept = function (file, done) {
    // `this` is the Dropzone: its element gets the prescan:* events.
    const target = options.target ?? (this?.element instanceof Element ? this.element : null);
    checkFiles([file], { ...options, checker, target }).then(({ outcomes: [o] }) => {
      if (o.message) options.onRefuse?.(o);
      done(o.message || undefined);
    }, (e) => done(String(e?.message ?? e)));
  };
  // With `checkerOptions` the checker is this accept's: close() ends it.
  accept.close = () => (options.checker ? undefined : checker.then((c) => c.close(), () => {}));
  return accept;
}
