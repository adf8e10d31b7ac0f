// The package's types as a TypeScript host uses them: checked by
// `tsc -p tests/types` (tests/e2e/types.test.js). Each `@ts-expect-error`
// is a misuse the types must refuse: were a type `any`, the directive
// itself would be the error.
import { createChecker, guard, type CheckResult, type Verdict } from "prescan";
import init, { Checker, hashImage } from "prescan/pkg/prescan.js";

export async function front(file: File, form: HTMLFormElement): Promise<boolean> {
  const checker = await createChecker({ list: "/lists/current.list", publicKeys: ["00"], options: { pdqNearest: true } });
  const result = await checker.checkFile(file);
  const decodedBy: "wasm" | "browser" | null = (result satisfies CheckResult).decodedBy;
  // @ts-expect-error matched is a boolean
  const wrong: string = result.matched;
  // @ts-expect-error decode is "wasm" | "browser" | "auto"
  await checker.checkFile(file, { decode: "gpu" });
  // @ts-expect-error publicKeys is required
  await createChecker({ list: "/lists/current.list" });

  // Rollback protection: the default keeps sequences in localStorage; a
  // host may give its own store, or turn it off.
  const seen = new Map<string, number>();
  await createChecker({
    list: "/l", publicKeys: ["00"], sequenceStore: { get: (k) => seen.get(k) ?? null, set: (k, v) => void seen.set(k, v) },
  });
  await createChecker({ list: "/l", publicKeys: ["00"], sequenceStore: false, options: { maxFileBytes: 1 << 20 } });
  // @ts-expect-error a store needs get and set
  await createChecker({ list: "/l", publicKeys: ["00"], sequenceStore: { get: () => 1 } });
  // @ts-expect-error sequenceStore is not a checker option (the bindings refuse unknown ones)
  await createChecker({ list: "/l", publicKeys: ["00"], options: { sequenceStore: false } });

  const g = guard(form, { checker, onUndecodable: "allow" });
  // After assigning files from script, the page asks the guard to check them.
  const input = form.querySelector("input")!;
  const status: "clear" | "match" | "error" | null = await g.check(input);
  const all: ("clear" | "match" | "error" | null)[] = await g.check();
  // @ts-expect-error one input gives one status, not a list
  const many: unknown[] = await g.check(input);
  void status, all, many;
  form.querySelector("input")?.addEventListener("prescan:match", (e) => {
    const nearest: number | undefined = e.detail.pdqNearest?.distance;
    const name: string = e.detail.file.name;
    void nearest, name;
  });
  g.dispose();
  void decodedBy, wrong;
  return result.matched;
}

export async function bindings(list: Uint8Array, bytes: Uint8Array, image: ImageData, blob: Blob): Promise<number> {
  await init();
  const checker = new Checker(list, ["00"], { minSequence: 3, thresholds: { pdq: 31 } });
  // Types inferred, not annotated: an `any` would let every misuse through.
  const v = checker.checkBytes(bytes);
  const fromImage = checker.checkImageData(image, bytes);
  const fromRgba = checker.checkRgba(image.data as unknown as Uint8Array, image.width, image.height);
  const fromFile = await checker.checkFile(blob);
  const info = checker.listInfo();
  const hashes = hashImage(bytes, false);
  // The browser-decode path's bindings: digests alone, the header's size, the limits.
  const digestsOnly = checker.checkDigests(bytes);
  const header = checker.imageInfo(bytes);
  const width: number | undefined = header?.width;
  const maxFileBytes: number = checker.decodeLimits().maxFileBytes;
  const truncated: number = digestsOnly.matchesTruncated;
  // @ts-expect-error imageInfo may be null
  void checker.imageInfo(bytes).width;
  void width, maxFileBytes, truncated;
  // @ts-expect-error a verdict has no "score"
  void v.score;
  // @ts-expect-error matched is a boolean
  void (fromImage.matched satisfies string);
  // @ts-expect-error pdqNearest may be null
  void fromRgba.pdqNearest.distance;
  // @ts-expect-error decodeError is an object or null
  void (fromFile.decodeError satisfies string);
  // @ts-expect-error sections is an array
  void (info.sections satisfies number);
  // @ts-expect-error the format is one of five names
  void (hashes.format satisfies "tiff");
  // @ts-expect-error minSequence is a number
  new Checker(list, ["00"], { minSequence: "3" });
  const accepted: Verdict = v;
  return accepted.matches.length + info.sections.length + hashes.pdqQuality;
}
