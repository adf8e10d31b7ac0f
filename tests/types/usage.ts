// The package's types as a TypeScript host uses them: checked by
// `tsc -p tests/types` (tests/e2e/types.test.js). Each `@ts-expect-error`
// is a misuse the types must refuse: were a type `any`, the directive
// itself would be the error.
import { createChecker, guard, type CheckResult, type PrescanError, type Verdict } from "prescan";
import init, { Checker, Hasher, hashImage } from "prescan/pkg/prescan.js";

export async function front(file: File, form: HTMLFormElement): Promise<boolean> {
  const checker = await createChecker({ list: "/lists/current.list", publicKeys: ["00"], options: { pdqNearest: true } });
  const result = await checker.checkFile(file);
  const decodedBy: "wasm" | "browser" | "webcodecs" | "element" | null = (result satisfies CheckResult).decodedBy;
  // A video's progress, and the video options.
  await checker.checkFile(file, { onProgress: ({ hashed, expected }) => console.log(hashed / expected) });
  await createChecker({ list: "/l", publicKeys: ["00"], options: { secondsPerHash: 0.5, maxVideoSeconds: 600, videoDecode: "element" } });
  // @ts-expect-error videoDecode is "auto" | "webcodecs" | "element"
  await createChecker({ list: "/l", publicKeys: ["00"], options: { videoDecode: "ffmpeg" } });
  // @ts-expect-error matched is a boolean
  const wrong: string = result.matched;
  // @ts-expect-error decode is "wasm" | "browser" | "auto"
  await checker.checkFile(file, { decode: "gpu" });
  // @ts-expect-error publicKeys is required
  await createChecker({ list: "/lists/current.list" });

  // Cancelling a check, as fetch does.
  const controller = new AbortController();
  const pixels = new Uint8ClampedArray(4);
  try {
    await Promise.all([
      checker.checkFile(file, { signal: controller.signal, decode: "browser" }),
      checker.checkBytes(new Uint8Array(8), { signal: null }),
      checker.checkRgba(pixels, 1, 1, { signal: controller.signal }),
    ]);
  } catch (e) {
    const error = e as PrescanError;
    const cancelled: boolean = error.code === "aborted" && error.name === "AbortError";
    const reason: unknown = error.cause;
    void cancelled, reason;
  }
  // @ts-expect-error signal is an AbortSignal
  await checker.checkFile(file, { signal: controller });
  // @ts-expect-error checkRgba has no decode option (the pixels are decoded)
  await checker.checkRgba(pixels, 1, 1, { decode: "wasm" });

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

  // Remote mode: the list stays on the server, which is sent hashes only.
  const remote = await createChecker({
    matcher: { url: "https://match.example.org", token: "t0ken", timeoutMs: 5000 }, publicKeys: ["00"],
    options: { maxFileBytes: 1 << 20, minSequence: 2 },
  });
  const remoteResult: CheckResult = await remote.checkFile(file, { decode: "browser" });
  try {
    await remote.checkBytes(new Uint8Array(8));
  } catch (e) {
    const error = e as PrescanError;
    const httpStatus: number | undefined = error.code === "matcher_refused" ? error.status : undefined;
    const down: boolean = error.code === "matcher_unavailable";
    // @ts-expect-error not an error code
    void (error.code === "matcher_down");
    void httpStatus, down;
  }
  guard(form, { checkerOptions: { matcher: { url: new URL("https://match.example.org") }, publicKeys: ["00"] } });
  // @ts-expect-error a list or a matcher, not both
  await createChecker({ list: "/l", matcher: { url: "https://m.example" }, publicKeys: ["00"] });
  // @ts-expect-error a list or a matcher is needed
  await createChecker({ publicKeys: ["00"] });
  // @ts-expect-error the server matches: thresholds are its to set
  await createChecker({ matcher: { url: "https://m.example" }, publicKeys: ["00"], options: { thresholds: { pdq: 31 } } });
  // @ts-expect-error a matcher needs its url
  await createChecker({ matcher: { token: "t0ken" }, publicKeys: ["00"] });
  // @ts-expect-error timeoutMs is a number of milliseconds
  await createChecker({ matcher: { url: "https://m.example", timeoutMs: "5s" }, publicKeys: ["00"] });
  void remoteResult;

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
  // Remote mode's worker: hashes for the signal types of the server's list, under the limits.
  const hasher = new Hasher({ maxPixels: 1 << 24 });
  const hashed = hasher.hashBytes(bytes, info.sections.map((s) => s.signal));
  const fromPixels = hasher.hashRgba(image.data as unknown as Uint8Array, image.width, image.height, undefined, ["pdq"]);
  const hasherLimit: number = hasher.decodeLimits().maxPixels;
  const hasherHeader: number | undefined = hasher.imageInfo(bytes)?.height;
  // @ts-expect-error signals is a list of names
  hasher.hashBytes(bytes, "pdq");
  // @ts-expect-error hashRgba needs the signals
  hasher.hashRgba(image.data as unknown as Uint8Array, image.width, image.height, bytes);
  void hashed, fromPixels, hasherLimit, hasherHeader;
  const accepted: Verdict = v;
  return accepted.matches.length + info.sections.length + hashes.pdqQuality;
}
