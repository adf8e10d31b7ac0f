// Types for prescan/filepond (adapters/filepond.js).
import type { AdapterOptions, FileOutcome } from "./files.js";

/** A pond's `prescan` option. */
export interface PrescanFilePondOptions extends AdapterOptions {
  /** Where the prescan:* events go; default the pond's root element. */
  target?: EventTarget | null;
  /** The line under a refused file's label; default its name. */
  refusedSub?: string;
  /** Called with each file refused. */
  onRefuse?: (outcome: FileOutcome<File>) => void;
}

/** What FilePond hands a plugin (the part used here). */
export interface FilePondPluginAPI {
  addFilter(key: string, filter: (value: any, utils: any) => unknown): void;
  utils: { Type: { OBJECT: string } };
}

/**
 * The plugin: `FilePond.registerPlugin(prescanFilePond)`, then each pond
 * created with a `prescan` option is guarded: a refused file gets its
 * message as its label (FilePond's "load error") and is never processed.
 */
export function prescanFilePond(api: FilePondPluginAPI): { options: Record<string, [unknown, string]> };

declare module "filepond" {
  interface FilePondBaseProps {
    /** prescan/filepond's options; null or absent: the pond is not guarded. */
    prescan?: PrescanFilePondOptions | null;
  }
}
