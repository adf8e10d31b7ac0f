// prescan/files: checkFiles(files, options), guard()'s judgement of each
// file for uploaders that are not a form: custom drop zones, paste
// handlers, react-dropzone's getFilesFromEvent, and the other adapters
// here (uppy.js, filepond.js, dropzone.js), which are built on it.
import { abortedError, announce, announceListError, checkerOf, judge, policyOf } from "../prescan.js";

/**
 * Checks `files` (a FileList or an array of Files/Blobs) as guard() would:
 * resolves to `{ accepted, refused, outcomes }`, each outcome `{ file,
 * kind, message, verdict, error }` ("" message: accepted). Fires guard()'s
 * prescan:* events on `options.target` when given. With `options.signal`
 * aborted it rejects with code "aborted" and gives no events. See files.d.ts.
 */
export async function checkFiles(files, options = {}) {
  const list = Array.from(files);
  const policy = policyOf(options);
  const { signal = null, target = null } = options;
  if (signal !== null && !(signal instanceof AbortSignal)) {
    throw Object.assign(new Error("signal must be an AbortSignal"), { code: "bad_argument" });
  }
  const { checker, own } = checkerOf(options, "checkFiles()");
  const outcome = (file, settled) => ({
    file,
    ...judge(settled, policy),
    verdict: settled.status === "fulfilled" ? settled.value : null,
    error: settled.status === "rejected" ? { code: settled.reason?.code ?? "check_failed", message: String(settled.reason?.message ?? settled.reason) } : null,
  });
  try {
    let settled;
    let listError = null;
    try {
      const c = await checker;
      settled = await Promise.allSettled(list.map((file) => c.checkFile(file, { signal })));
    } catch (e) {
      listError = e;
    }
    if (signal?.aborted) throw abortedError(signal);
    if (listError) {
      announceListError(target, listError, list);
      settled = list.map(() => ({ status: "rejected", reason: listError }));
    } else {
      settled.forEach((r, i) => announce(target, list[i], r));
    }
    return summary(list.map((file, i) => outcome(file, settled[i])));
  } finally {
    if (own) checker.then((c) => c.close(), () => {});
  }
}

function summary(outcomes) {
  return {
    accepted: outcomes.filter((o) => !o.message).map((o) => o.file),
    refused: outcomes.filter((o) => o.message),
    outcomes,
  };
}
