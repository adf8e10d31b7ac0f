// The adapters' and prescan/node's types as a TypeScript host uses them,
// with the real libraries' own types (Uppy 6, FilePond 4, Dropzone 6):
// checked by `tsc -p tests/types` (tests/e2e/types.test.js). Each
// `@ts-expect-error` is a misuse the types must refuse.
import Uppy, { BasePlugin } from "@uppy/core";
import Dropzone from "dropzone";
import * as FilePond from "filepond";
import { createChecker } from "prescan";
import { prescanAccept } from "prescan/dropzone";
import { prescanFilePond } from "prescan/filepond";
import { checkFiles, type FileOutcome } from "prescan/files";
import { createChecker as createNodeChecker } from "prescan/node";
import { prescanUppy, type UppyRefusal } from "prescan/uppy";

export async function adapters(input: HTMLInputElement, zone: HTMLElement, files: File[]): Promise<number> {
  const checker = createChecker({ list: "/lists/current.list", publicKeys: ["00"] });

  const uppy = new Uppy().use(prescanUppy(BasePlugin), {
    checker, onUndecodable: "allow", onRefused: "block",
    onRefuse: (refused: UppyRefusal[]) => void refused.map((r) => `${r.id}: ${r.message}`),
  });
  // @ts-expect-error onRefused is "remove" or "block"
  new Uppy().use(prescanUppy(BasePlugin), { checker, onRefused: "skip" });
  // @ts-expect-error onListError is "block" or "allow"
  new Uppy().use(prescanUppy(BasePlugin), { checker, onListError: "ignore" });

  FilePond.registerPlugin(prescanFilePond);
  const pond = FilePond.create(input, { server: "/upload", prescan: { checker, message: "Not this one." } });
  // @ts-expect-error the message is a string
  FilePond.create(input, { prescan: { checker, message: 3 } });

  const accept = prescanAccept({ checkerOptions: { list: "/lists/current.list", publicKeys: ["00"] } });
  const dz = new Dropzone(zone, { url: "/upload", accept });
  accept.close();
  // @ts-expect-error prescanAccept takes guard()'s options
  prescanAccept({ checker, clearOnMatch: "yes" });

  const controller = new AbortController();
  const { accepted, refused, outcomes } = await checkFiles(files, { checker, signal: controller.signal, target: zone });
  const first: FileOutcome | undefined = refused[0];
  const kind: "clear" | "undecodable" | "failed" | "match" | undefined = outcomes[0]?.kind;
  const matched: boolean | undefined = first?.verdict?.matched;
  // @ts-expect-error accepted holds Files
  const wrong: string[] = accepted;
  // @ts-expect-error the signal is an AbortSignal
  await checkFiles(files, { checker, signal: "abort" });

  const server = await createNodeChecker({ list: "/srv/lists/current.list", publicKeys: ["00"], workers: 2 });
  const remote = await createNodeChecker({ matcher: { url: "http://127.0.0.1:8080", token: "t" }, publicKeys: ["00"] });
  const verdict = await server.checkBytes(new Uint8Array(8));
  // @ts-expect-error Node decodes in Wasm only
  await createNodeChecker({ list: new Uint8Array(8), publicKeys: ["00"], decode: "browser" });
  // @ts-expect-error no workerUrl in Node
  await createNodeChecker({ list: new Uint8Array(8), publicKeys: ["00"], workerUrl: "/w.js" });
  server.close();
  remote.close();
  void uppy, pond, dz, kind, matched, wrong;
  return accepted.length + (verdict.matched ? 1 : 0);
}
