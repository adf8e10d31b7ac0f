// Types for prescan/files (adapters/files.js).
import type { CheckResult, ErrorCode, GuardOptions } from "../prescan.js";

/** What every adapter takes of guard()'s options: the checker, the policies, the messages. */
export type AdapterOptions = Pick<
  GuardOptions, "checker" | "checkerOptions" | "onUndecodable" | "onListError" | "message" | "undecodableMessage" | "listErrorMessage"
>;

/**
 * How a file's check is judged, in rising precedence: "clear";
 * "undecodable" (checked by its digests only, or not at all); "failed"
 * (the check or the list failed); "match".
 */
export type OutcomeKind = "clear" | "undecodable" | "failed" | "match";

/** One file, judged. */
export interface FileOutcome<F extends Blob = File> {
  file: F;
  kind: OutcomeKind;
  /** What refuses the file (the policy's message); "": it is accepted. */
  message: string;
  /** The verdict; null when the check or the list failed. */
  verdict: CheckResult | null;
  error: { code: ErrorCode; message: string } | null;
}

export interface CheckFilesOptions extends AdapterOptions {
  /**
   * Cancels the checks: aborted before they end, checkFiles rejects with
   * code "aborted" (name "AbortError") and gives no events.
   */
  signal?: AbortSignal | null;
  /** Where guard()'s prescan:* events are dispatched (bubbling); none when absent. */
  target?: EventTarget | null;
}

export interface CheckFilesResult<F extends Blob = File> {
  /** The files not refused, in their order: the ones to upload. */
  accepted: F[];
  refused: FileOutcome<F>[];
  /** Every file's, in order. */
  outcomes: FileOutcome<F>[];
}

/**
 * Checks files as guard() checks an input's (the same policies and
 * messages), each judged on its own: for drop zones, paste handlers,
 * react-dropzone's getFilesFromEvent. With `checkerOptions` a checker is
 * made for this call and closed after it: pass `checker` to share one.
 */
export function checkFiles<F extends Blob = File>(
  files: Iterable<F> | ArrayLike<F>, options: CheckFilesOptions,
): Promise<CheckFilesResult<F>>;
