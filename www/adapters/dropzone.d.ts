// Types for prescan/dropzone (adapters/dropzone.js).
import type { AdapterOptions, FileOutcome } from "./files.js";

export interface PrescanDropzoneOptions extends AdapterOptions {
  /** Where the prescan:* events go; default the Dropzone's element. */
  target?: EventTarget | null;
  /** Called with each file refused. */
  onRefuse?: (outcome: FileOutcome<File>) => void;
}

/** Dropzone's `accept` option; `close()` closes a checker made from `checkerOptions`. */
export interface PrescanAccept {
  (this: { element?: Element } | void, file: File, done: (error?: string) => void): void;
  close(): void;
}

/**
 * `new Dropzone(el, { url, accept: prescanAccept({ checker }) })`: a
 * refused file is marked in error with the message on its preview, and
 * never queued, so never uploaded. Dropzone's own checks (size, type,
 * maxFiles) run first.
 */
export function prescanAccept(options: PrescanDropzoneOptions): PrescanAccept;
