// Types for prescan/uppy (adapters/uppy.js).
import type { AdapterOptions, FileOutcome } from "./files.js";

export interface PrescanUppyOptions extends AdapterOptions {
  /** The plugin's id; default "Prescan". */
  id?: string;
  /**
   * What happens to an upload with refused files: "remove" (default) takes
   * them out of it and the others go; "block" fails the whole upload, the
   * refused files marked with their message. With an uploader that sends
   * the files in one request (XHRUpload's `bundle`) it is always "block".
   */
  onRefused?: "remove" | "block";
  /** The preprocessing message while files are checked; default "Checking…". */
  checkingMessage?: string;
  /** How long `uppy.info` shows a refusal, in ms; default 8000. */
  infoTimeout?: number;
  /** Where the prescan:* events go; default the element of the first UI plugin (the Dashboard). */
  target?: EventTarget | null;
  /** Called with the files refused from an upload, before they are removed (or it is blocked). */
  onRefuse?: (refused: UppyRefusal[]) => void;
}

export interface UppyRefusal extends FileOutcome<Blob> {
  /** Uppy's file id and name. */
  id: string;
  name: string;
}

type Constructor = abstract new (...args: any) => any;

/**
 * The plugin class: the BasePlugin it extends (so that `uppy.use()` takes
 * it, whatever the Uppy's Meta and Body types) with the options it takes.
 */
export type PrescanUppyClass<C extends Constructor> = C & {
  new (uppy: any, options: PrescanUppyOptions): InstanceType<C>;
};

/**
 * The prescan plugin, extending the `BasePlugin` of @uppy/core given:
 * `uppy.use(prescanUppy(BasePlugin), { checker })`. It checks each
 * upload's files in a preprocessor (progress as `preprocess-progress` and
 * `preprocess-complete`), tells the person of each refusal with
 * `uppy.info`, and removes the refused files (or blocks the upload) before
 * any uploader sees them. A file Uppy holds no bytes of (a remote one)
 * cannot be checked: it is refused by `onListError`.
 */
export function prescanUppy<C extends Constructor>(BasePlugin: C): PrescanUppyClass<C>;
