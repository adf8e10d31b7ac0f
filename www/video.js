// prescan's videos in the browser, run in its worker: the container read
// here (MP4 and QuickTime, fragmented or not; WebM and Matroska), the
// frames decoded by WebCodecs' VideoDecoder, the frames vPDQ hashes picked
// and turned into RGB, and the file's digests read in pieces. The hashing
// itself is the Wasm module's VideoHasher (Meta's vPDQ: the frame step,
// PDQ with vPDQ's luma, the timestamps); nothing here leaves the worker.
//
// Where this cannot decode a video (no VideoDecoder, a container or codec
// it does not read) it throws `video_unsupported`, and the page falls back
// to a <video> element (prescan.js): a worker has none.

/** Defaults of the video limits (the native CLI's, src/cli/video.rs). */
export const VIDEO_LIMITS = {
  maxVideoBytes: 16 * 2 ** 30,
  maxVideoSeconds: 6 * 3600,
  maxVideoFrames: 2_000_000,
  maxFrameSide: 8192,
  maxFramePixels: 33_554_432,
};

/** Most bytes of an MP4 `moov` (or `moof`) or of Matroska's track headers read into memory. */
const MAX_HEADER_BYTES = 64 * 2 ** 20;
/** Bytes read at once: samples for the decoder, pieces for the digests. */
const READ_BYTES = 4 * 2 ** 20;
/** Frames the decoder is given ahead of its output. */
const DECODE_AHEAD = 16;

export function videoError(code, message) {
  return Object.assign(new Error(message), { code });
}
const malformed = (why) => videoError("video_malformed", `the video's container is malformed: ${why}`);
const unsupported = (why) => videoError("video_unsupported", why);

/**
 * The container `head` (a file's first bytes, 12 or more) starts: "mp4"
 * (ISO BMFF: MP4, MOV, M4V, 3GP), "matroska" (WebM, MKV), "avi", or null.
 */
export function sniffVideo(head) {
  if (head.length < 12) return null;
  const tag = (at) => String.fromCharCode(head[at], head[at + 1], head[at + 2], head[at + 3]);
  if (["ftyp", "moov", "mdat", "free", "wide", "skip"].includes(tag(4))) {
    // `ftyp` of an image (AVIF, HEIF/HEIC, their sequences) is an image, not a video.
    const images = ["avif", "avis", "avic", "heic", "heix", "heim", "heis", "hevc", "hevx", "mif1", "msf1", "miaf"];
    if (tag(4) === "ftyp" && images.includes(tag(8))) return null;
    return "mp4";
  }
  if (head[0] === 0x1a && head[1] === 0x45 && head[2] === 0xdf && head[3] === 0xa3) return "matroska";
  if (tag(0) === "RIFF" && tag(8) === "AVI ") return "avi";
  return null;
}

async function read(blob, start, length) {
  return new DataView(await blob.slice(start, start + length).arrayBuffer());
}

const fourcc = (dv, at) =>
  String.fromCharCode(dv.getUint8(at), dv.getUint8(at + 1), dv.getUint8(at + 2), dv.getUint8(at + 3));
const hex2 = (n) => n.toString(16).padStart(2, "0");
const dec2 = (n) => String(n).padStart(2, "0");

// --- MP4 / QuickTime (ISO BMFF) ------------------------------------------

/** The boxes in dv[start, end): { type, start, end } of each one's payload. */
function* boxes(dv, start, end) {
  let at = start;
  while (at + 8 <= end) {
    let size = dv.getUint32(at);
    const type = fourcc(dv, at + 4);
    let header = 8;
    if (size === 1) {
      if (at + 16 > end) throw malformed(`box ${type} is cut short`);
      size = Number(dv.getBigUint64(at + 8));
      header = 16;
    } else if (size === 0) {
      size = end - at;
    }
    if (size < header || at + size > end) throw malformed(`box ${type} runs past its parent`);
    yield { type, start: at + header, end: at + size };
    at += size;
  }
}

function child(dv, box, type) {
  for (const b of boxes(dv, box.start, box.end)) if (b.type === type) return b;
  return null;
}

function need(box, what) {
  if (!box) throw malformed(`no ${what}`);
  return box;
}

/** The top-level boxes of an MP4 file, read from the blob one header at a time. */
async function* topBoxes(blob) {
  let at = 0;
  while (at + 8 <= blob.size) {
    const dv = await read(blob, at, 16);
    let size = dv.getUint32(0);
    const type = fourcc(dv, 4);
    let header = 8;
    if (size === 1) {
      if (dv.byteLength < 16) throw malformed(`box ${type} is cut short`);
      size = Number(dv.getBigUint64(8));
      header = 16;
    } else if (size === 0) {
      size = blob.size - at;
    }
    if (size < header) throw malformed(`box ${type} has size ${size}`);
    // A last box cut short (a truncated upload) ends the file where it ends.
    yield { type, at, start: at + header, end: Math.min(at + size, blob.size) };
    at += size;
  }
}

async function loadBox(blob, box) {
  const length = box.end - box.at;
  if (length > MAX_HEADER_BYTES) throw videoError("limit_exceeded", `the video's ${box.type} box is ${length} bytes, over ${MAX_HEADER_BYTES}`);
  const dv = await read(blob, box.at, length);
  return { dv, box: { type: box.type, start: box.start - box.at, end: length } };
}

/** The codec string and description WebCodecs wants, from a visual sample entry. */
function mp4Codec(dv, entry) {
  const format = entry.type;
  // A VisualSampleEntry's own fields are 78 bytes; its boxes follow.
  const width = dv.getUint16(entry.start + 24);
  const height = dv.getUint16(entry.start + 26);
  const inner = { start: entry.start + 78, end: entry.end };
  const config = (type) => {
    for (const b of boxes(dv, inner.start, inner.end)) if (b.type === type) return b;
    throw malformed(`${format} without ${type}`);
  };
  const bytes = (b) => new Uint8Array(dv.buffer, dv.byteOffset + b.start, b.end - b.start).slice();
  if (format === "avc1" || format === "avc3") {
    const c = config("avcC");
    return { codec: `${format}.${hex2(dv.getUint8(c.start + 1))}${hex2(dv.getUint8(c.start + 2))}${hex2(dv.getUint8(c.start + 3))}`, description: bytes(c), width, height };
  }
  if (format === "hvc1" || format === "hev1") {
    const c = config("hvcC");
    const b1 = dv.getUint8(c.start + 1);
    const space = ["", "A", "B", "C"][b1 >> 6];
    const tier = b1 & 0x20 ? "H" : "L";
    const profile = b1 & 0x1f;
    // The compatibility flags, bit-reversed, in hex without leading zeros.
    let flags = dv.getUint32(c.start + 2);
    let reversed = 0;
    for (let i = 0; i < 32; i++) {
      reversed = (reversed << 1) | (flags & 1);
      flags >>>= 1;
    }
    const constraints = [];
    for (let i = 0; i < 6; i++) constraints.push(dv.getUint8(c.start + 6 + i));
    while (constraints.length && constraints[constraints.length - 1] === 0) constraints.pop();
    const level = dv.getUint8(c.start + 12);
    const tail = constraints.map((x) => x.toString(16).toUpperCase()).join(".");
    return { codec: `${format}.${space}${profile}.${(reversed >>> 0).toString(16).toUpperCase()}.${tier}${level}${tail ? "." + tail : ""}`, description: bytes(c), width, height };
  }
  if (format === "vp09") {
    const c = config("vpcC"); // a full box: version and flags first
    const profile = dv.getUint8(c.start + 4);
    const level = dv.getUint8(c.start + 5);
    const depth = dv.getUint8(c.start + 6) >> 4;
    return { codec: `vp09.${dec2(profile)}.${dec2(level)}.${dec2(depth)}`, description: undefined, width, height };
  }
  if (format === "av01") {
    const c = config("av1C");
    const b1 = dv.getUint8(c.start + 1);
    const b2 = dv.getUint8(c.start + 2);
    const depth = b2 & 0x40 ? (b2 & 0x20 ? 12 : 10) : 8;
    return { codec: `av01.${b1 >> 5}.${dec2(b1 & 0x1f)}${b2 & 0x80 ? "H" : "M"}.${dec2(depth)}`, description: bytes(c), width, height };
  }
  throw unsupported(`the video's codec (${format}) is not one this browser path reads`);
}

/** A full box's version. */
const version = (dv, box) => dv.getUint8(box.start);

/**
 * The video track of an MP4 file and its samples in decoding order:
 * { container, codec, description, width, height, timescale, samples:
 * { offset, size, time, duration, key } arrays }. Reads the `moov` and
 * each `moof`, never the media data.
 */
async function demuxMp4(blob, limits) {
  let moov = null;
  const fragments = [];
  for await (const box of topBoxes(blob)) {
    if (box.type === "moov") moov = await loadBox(blob, box);
    else if (box.type === "moof") fragments.push(box);
  }
  if (!moov) throw malformed("no moov box");
  const { dv } = moov;
  let track = null;
  for (const trak of boxes(dv, moov.box.start, moov.box.end)) {
    if (trak.type !== "trak") continue;
    const mdia = need(child(dv, trak, "mdia"), "mdia");
    const hdlr = need(child(dv, mdia, "hdlr"), "hdlr");
    if (fourcc(dv, hdlr.start + 8) !== "vide") continue;
    track = { trak, mdia };
    break;
  }
  if (!track) throw unsupported("the file has no video track");
  const tkhd = need(child(dv, track.trak, "tkhd"), "tkhd");
  const trackId = dv.getUint32(tkhd.start + (version(dv, tkhd) === 1 ? 20 : 12));
  const mdhd = need(child(dv, track.mdia, "mdhd"), "mdhd");
  const timescale = dv.getUint32(mdhd.start + (version(dv, mdhd) === 1 ? 20 : 12));
  if (!timescale) throw malformed("a time scale of 0");
  const minf = need(child(dv, track.mdia, "minf"), "minf");
  const stbl = need(child(dv, minf, "stbl"), "stbl");
  const stsd = need(child(dv, stbl, "stsd"), "stsd");
  const entry = boxes(dv, stsd.start + 8, stsd.end).next().value;
  if (!entry) throw malformed("no sample description");
  if (entry.type === "encv") throw unsupported("the video is encrypted");
  const codec = mp4Codec(dv, entry);

  const samples = { offset: [], size: [], time: [], duration: [], key: [] };
  const tooMany = (n) => {
    if (n > limits.maxVideoFrames) throw videoError("limit_exceeded", `the video has ${n} frames, over ${limits.maxVideoFrames}`);
  };
  // The sample tables (empty in a fragmented file).
  const stsz = child(dv, stbl, "stsz");
  const count = stsz ? dv.getUint32(stsz.start + 8) : 0;
  tooMany(count);
  if (count > 0) {
    const fixed = dv.getUint32(stsz.start + 4);
    if (!fixed && stsz.start + 12 + 4 * count > stsz.end) throw malformed("stsz is cut short");
    const table = (type, width) => {
      const b = child(dv, stbl, type);
      if (!b) return null;
      const n = dv.getUint32(b.start + 4);
      if (b.start + 8 + width * n > b.end) throw malformed(`${type} is cut short`);
      return { at: b.start + 8, n, b };
    };
    const stts = table("stts", 8) ?? (() => { throw malformed("no stts"); })();
    const ctts = table("ctts", 8);
    const stsc = table("stsc", 12) ?? (() => { throw malformed("no stsc"); })();
    const co64 = table("co64", 8);
    const stco = co64 ? null : table("stco", 4);
    if (!co64 && !stco) throw malformed("no chunk offsets");
    const stss = table("stss", 4);
    const chunks = co64 ? co64.n : stco.n;
    const chunkOffset = (i) => (co64 ? Number(dv.getBigUint64(co64.at + 8 * i)) : dv.getUint32(stco.at + 4 * i));
    // Sizes and offsets, chunk by chunk.
    let s = 0;
    for (let e = 0; e < stsc.n && s < count; e++) {
      const first = dv.getUint32(stsc.at + 12 * e) - 1;
      const next = e + 1 < stsc.n ? dv.getUint32(stsc.at + 12 * (e + 1)) - 1 : chunks;
      const per = dv.getUint32(stsc.at + 12 * e + 4);
      if (next > chunks || first >= next) throw malformed("stsc names chunks that are not there");
      for (let c = first; c < next && s < count; c++) {
        let offset = chunkOffset(c);
        for (let k = 0; k < per && s < count; k++, s++) {
          const size = fixed || dv.getUint32(stsz.start + 12 + 4 * s);
          samples.offset.push(offset);
          samples.size.push(size);
          offset += size;
        }
      }
    }
    if (s < count) throw malformed("the chunks hold fewer samples than stsz counts");
    // Decoding times and durations.
    let time = 0;
    for (let e = 0, i = 0; e < stts.n && i < count; e++) {
      const n = dv.getUint32(stts.at + 8 * e);
      const delta = dv.getUint32(stts.at + 8 * e + 4);
      for (let k = 0; k < n && i < count; k++, i++) {
        samples.time.push(time);
        samples.duration.push(delta);
        time += delta;
      }
    }
    while (samples.time.length < count) {
      samples.time.push(time);
      samples.duration.push(0);
    }
    // Composition offsets: presentation = decoding time + offset.
    if (ctts) {
      const signed = version(dv, ctts.b) === 1;
      for (let e = 0, i = 0; e < ctts.n && i < count; e++) {
        const n = dv.getUint32(ctts.at + 8 * e);
        const off = signed ? dv.getInt32(ctts.at + 8 * e + 4) : dv.getUint32(ctts.at + 8 * e + 4);
        for (let k = 0; k < n && i < count; k++, i++) samples.time[i] += off;
      }
    }
    const key = new Uint8Array(count).fill(stss ? 0 : 1);
    if (stss) for (let e = 0; e < stss.n; e++) {
      const i = dv.getUint32(stss.at + 4 * e) - 1;
      if (i < count) key[i] = 1;
    }
    samples.key = key;
  }
  if (fragments.length) await readFragments(blob, fragments, moov, trackId, samples, tooMany);
  return { container: "mp4", ...codec, timescale, samples };
}

/** Appends the samples of track `trackId` in each movie fragment. */
async function readFragments(blob, fragments, moov, trackId, samples, tooMany) {
  const { dv: mdv } = moov;
  const keys = Array.from(samples.key);
  // Defaults from the movie's trex for this track.
  let defaults = { duration: 0, size: 0, flags: 0 };
  const mvex = child(mdv, moov.box, "mvex");
  if (mvex) for (const trex of boxes(mdv, mvex.start, mvex.end)) {
    if (trex.type === "trex" && mdv.getUint32(trex.start + 4) === trackId) {
      defaults = { duration: mdv.getUint32(trex.start + 12), size: mdv.getUint32(trex.start + 16), flags: mdv.getUint32(trex.start + 20) };
    }
  }
  let time = samples.time.length ? samples.time.at(-1) + samples.duration.at(-1) : 0;
  for (const box of fragments) {
    const { dv, box: moof } = await loadBox(blob, box);
    for (const traf of boxes(dv, moof.start, moof.end)) {
      if (traf.type !== "traf") continue;
      const tfhd = need(child(dv, traf, "tfhd"), "tfhd");
      const flags = dv.getUint32(tfhd.start) & 0xffffff;
      if (dv.getUint32(tfhd.start + 4) !== trackId) continue;
      let at = tfhd.start + 8;
      let base = box.at;
      if (flags & 0x1) { base = Number(dv.getBigUint64(at)); at += 8; }
      if (flags & 0x2) at += 4;
      const d = { ...defaults };
      if (flags & 0x8) { d.duration = dv.getUint32(at); at += 4; }
      if (flags & 0x10) { d.size = dv.getUint32(at); at += 4; }
      if (flags & 0x20) { d.flags = dv.getUint32(at); at += 4; }
      const tfdt = child(dv, traf, "tfdt");
      if (tfdt) time = version(dv, tfdt) === 1 ? Number(dv.getBigUint64(tfdt.start + 4)) : dv.getUint32(tfdt.start + 4);
      let next = base;
      for (const trun of boxes(dv, traf.start, traf.end)) {
        if (trun.type !== "trun") continue;
        const tf = dv.getUint32(trun.start) & 0xffffff;
        const n = dv.getUint32(trun.start + 4);
        tooMany(keys.length + n);
        let p = trun.start + 8;
        let offset = next;
        if (tf & 0x1) { offset = base + dv.getInt32(p); p += 4; }
        let firstFlags = null;
        if (tf & 0x4) { firstFlags = dv.getUint32(p); p += 4; }
        const per = 4 * [0x100, 0x200, 0x400, 0x800].filter((f) => tf & f).length;
        if (p + per * n > trun.end) throw malformed("trun is cut short");
        const signed = version(dv, trun) === 1;
        for (let i = 0; i < n; i++) {
          let duration = d.duration, size = d.size, sflags = i === 0 && firstFlags !== null ? firstFlags : d.flags, cts = 0;
          if (tf & 0x100) { duration = dv.getUint32(p); p += 4; }
          if (tf & 0x200) { size = dv.getUint32(p); p += 4; }
          if (tf & 0x400) { sflags = dv.getUint32(p); p += 4; if (i === 0 && firstFlags !== null) sflags = firstFlags; }
          if (tf & 0x800) { cts = signed ? dv.getInt32(p) : dv.getUint32(p); p += 4; }
          samples.offset.push(offset);
          samples.size.push(size);
          samples.time.push(time + cts);
          samples.duration.push(duration);
          // sample_is_non_sync_sample
          keys.push(sflags & 0x10000 ? 0 : 1);
          offset += size;
          time += duration;
        }
        next = offset;
      }
    }
  }
  samples.key = Uint8Array.from(keys);
}

// --- WebM / Matroska (EBML) -------------------------------------------------

const EBML = {
  Segment: 0x18538067, Info: 0x1549a966, TimecodeScale: 0x2ad7b1, Tracks: 0x1654ae6b, TrackEntry: 0xae,
  TrackNumber: 0xd7, TrackType: 0x83, CodecID: 0x86, CodecPrivate: 0x63a2, Video: 0xe0, PixelWidth: 0xb0,
  PixelHeight: 0xba, DefaultDuration: 0x23e383, Cluster: 0x1f43b675, Timecode: 0xe7, SimpleBlock: 0xa3,
  BlockGroup: 0xa0, Block: 0xa1, ContentEncodings: 0x6d80,
};
/** Elements of the segment's level: one ends a cluster of unknown size. */
const TOP_LEVEL = new Set([0x114d9b74, EBML.Info, EBML.Tracks, EBML.Cluster, 0x1c53bb6b, 0x1043a770, 0x1941a469, 0x1254c367, 0xec, 0xbf]);

/** An EBML variable-length number at `at`: { value, length }, value -1 for "unknown" (all ones). */
function vint(dv, at, end, keepMarker) {
  if (at >= end) throw malformed("an element is cut short");
  const first = dv.getUint8(at);
  let length = 1;
  while (length <= 8 && !(first & (0x80 >> (length - 1)))) length++;
  if (length > 8 || at + length > end) throw malformed("a bad element header");
  let value = keepMarker ? first : first & (0xff >> length);
  let ones = value === (0xff >> length);
  for (let i = 1; i < length; i++) {
    const b = dv.getUint8(at + i);
    ones &&= b === 0xff;
    value = value * 256 + b;
  }
  return { value: !keepMarker && ones ? -1 : value, length };
}

const uint = (dv, start, end) => {
  let v = 0;
  for (let i = start; i < end; i++) v = v * 256 + dv.getUint8(i);
  return v;
};

/** The elements in dv[start, end): { id, start, end } (end null: unknown size, to the end). */
function* elements(dv, start, end) {
  let at = start;
  while (at < end) {
    const id = vint(dv, at, end, true);
    const size = vint(dv, at + id.length, end, false);
    const body = at + id.length + size.length;
    const stop = size.value < 0 ? end : body + size.value;
    if (stop > end) throw malformed("an element runs past its parent");
    yield { id: id.value, start: body, end: stop };
    at = stop;
  }
}

/**
 * The video track of a WebM or Matroska file and its frames in file
 * order, as demuxMp4 gives them; times in the file's timecode units. The
 * clusters are read in pieces; each block's header is parsed, its data
 * left for the decoder to read.
 */
async function demuxMatroska(blob, limits) {
  // The segment's header, then its children, one element header at a time.
  const headOf = async (at) => {
    const dv = await read(blob, at, 16);
    const id = vint(dv, 0, dv.byteLength, true);
    const size = vint(dv, id.length, dv.byteLength, false);
    return { id: id.value, start: at + id.length + size.length, size: size.value };
  };
  let at = 0;
  const ebml = await headOf(0);
  if (ebml.size < 0) throw malformed("the EBML header has no size");
  at = ebml.start + ebml.size;
  const segment = await headOf(at);
  if (segment.id !== EBML.Segment) throw malformed("no segment");
  const segmentEnd = segment.size < 0 ? blob.size : Math.min(blob.size, segment.start + segment.size);
  let scale = 1_000_000;
  let track = null;
  const samples = { offset: [], size: [], time: [], duration: [], key: [] };
  at = segment.start;
  while (at < segmentEnd) {
    const el = await headOf(at);
    const end = el.size < 0 ? segmentEnd : el.start + el.size;
    if (el.id === EBML.Info || el.id === EBML.Tracks) {
      if (end - el.start > MAX_HEADER_BYTES) throw videoError("limit_exceeded", "the video's track headers are too large");
      const dv = await read(blob, el.start, end - el.start);
      if (el.id === EBML.Info) {
        for (const e of elements(dv, 0, dv.byteLength)) if (e.id === EBML.TimecodeScale) scale = uint(dv, e.start, e.end);
      } else {
        track = matroskaTrack(dv);
      }
      at = end;
    } else if (el.id === EBML.Cluster) {
      if (!track) throw malformed("a cluster before the tracks");
      at = await matroskaCluster(blob, el.start, el.size < 0 ? null : end, segmentEnd, track, samples, limits);
    } else {
      if (el.size < 0) throw malformed("an element of unknown size in the segment");
      at = end;
    }
  }
  if (!track) throw unsupported("the file has no video track");
  if (!scale) throw malformed("a timecode scale of 0");
  samples.key = Uint8Array.from(samples.key);
  // Times in nanoseconds / scale: a time scale of 1e9 / scale units a second.
  return { container: "matroska", ...track.codec, timescale: 1e9 / scale, samples, defaultDuration: track.defaultDuration };
}

function matroskaTrack(dv) {
  for (const entry of elements(dv, 0, dv.byteLength)) {
    if (entry.id !== EBML.TrackEntry) continue;
    const t = { number: 0, type: 0, codecId: "", priv: undefined, width: 0, height: 0, defaultDuration: 0, encoded: false };
    for (const e of elements(dv, entry.start, entry.end)) {
      if (e.id === EBML.TrackNumber) t.number = uint(dv, e.start, e.end);
      else if (e.id === EBML.TrackType) t.type = uint(dv, e.start, e.end);
      else if (e.id === EBML.CodecID) t.codecId = new TextDecoder().decode(new Uint8Array(dv.buffer, dv.byteOffset + e.start, e.end - e.start)).replace(/\0+$/, "");
      else if (e.id === EBML.CodecPrivate) t.priv = new Uint8Array(dv.buffer, dv.byteOffset + e.start, e.end - e.start).slice();
      else if (e.id === EBML.DefaultDuration) t.defaultDuration = uint(dv, e.start, e.end);
      else if (e.id === EBML.ContentEncodings) t.encoded = true;
      else if (e.id === EBML.Video) {
        for (const v of elements(dv, e.start, e.end)) {
          if (v.id === EBML.PixelWidth) t.width = uint(dv, v.start, v.end);
          else if (v.id === EBML.PixelHeight) t.height = uint(dv, v.start, v.end);
        }
      }
    }
    if (t.type !== 1) continue;
    if (t.encoded) throw unsupported("the video track is compressed or encrypted");
    const codecs = { V_VP8: "vp8", V_VP9: "vp09.00.10.08", V_AV1: "av01.0.04M.08" };
    let codec = codecs[t.codecId];
    if (t.codecId === "V_MPEG4/ISO/AVC" && t.priv?.length >= 4) codec = `avc1.${hex2(t.priv[1])}${hex2(t.priv[2])}${hex2(t.priv[3])}`;
    if (!codec) throw unsupported(`the video's codec (${t.codecId}) is not one this browser path reads`);
    const description = t.codecId === "V_MPEG4/ISO/AVC" || t.codecId === "V_AV1" ? t.priv : undefined;
    return { number: t.number, defaultDuration: t.defaultDuration, codec: { codec, description, width: t.width, height: t.height } };
  }
  return null;
}

/** The video blocks of one cluster; returns where the cluster ends. */
async function matroskaCluster(blob, start, knownEnd, segmentEnd, track, samples, limits) {
  let clusterTime = 0;
  let at = start;
  const end = knownEnd ?? segmentEnd;
  while (at < end) {
    const dv = await read(blob, at, 24);
    const id = vint(dv, 0, dv.byteLength, true);
    // A cluster of unknown size ends where the next top-level element starts.
    if (knownEnd === null && (TOP_LEVEL.has(id.value) || id.value === EBML.Cluster)) return at;
    const size = vint(dv, id.length, dv.byteLength, false);
    if (size.value < 0) throw malformed("a block of unknown size");
    const body = at + id.length + size.length;
    if (id.value === EBML.Timecode) {
      clusterTime = uint(await read(blob, body, size.value), 0, size.value);
    } else if (id.value === EBML.SimpleBlock || id.value === EBML.BlockGroup) {
      let block = body;
      let blockEnd = body + size.value;
      let key = id.value === EBML.SimpleBlock ? null : true;
      if (id.value === EBML.BlockGroup) {
        // Its children, header by header: the Block, and a ReferenceBlock
        // (0xfb), which makes it a delta frame.
        let found = null;
        key = true;
        for (let g = body; g < body + size.value; ) {
          const h = await read(blob, g, 16);
          const cid = vint(h, 0, h.byteLength, true);
          const csize = vint(h, cid.length, h.byteLength, false);
          if (csize.value < 0) throw malformed("a block of unknown size");
          const cstart = g + cid.length + csize.length;
          if (cid.value === EBML.Block) found = { start: cstart, end: cstart + csize.value };
          else if (cid.value === 0xfb) key = false;
          g = cstart + csize.value;
        }
        if (!found || found.end > body + size.value) throw malformed("a block group without its block");
        block = found.start;
        blockEnd = found.end;
      }
      const head = await read(blob, block, Math.min(16, blockEnd - block));
      const number = vint(head, 0, head.byteLength, false);
      if (number.value === track.number) {
        const p = number.length;
        const relative = head.getInt16(p);
        const flags = head.getUint8(p + 2);
        if (flags & 0x06) throw unsupported("the video uses laced blocks");
        if (key === null) key = !!(flags & 0x80);
        const dataStart = block + p + 3;
        if (samples.size.length + 1 > limits.maxVideoFrames) {
          throw videoError("limit_exceeded", `the video has over ${limits.maxVideoFrames} frames`);
        }
        samples.offset.push(dataStart);
        samples.size.push(blockEnd - dataStart);
        samples.time.push(clusterTime + relative);
        samples.duration.push(0);
        samples.key.push(key ? 1 : 0);
      }
    }
    at = body + size.value;
  }
  return end;
}

// --- The frame rate, the way FFmpeg gives vPDQ its average frame rate ------

/**
 * Frames a second: MP4, the sample count over the summed durations (as
 * FFmpeg's mov demuxer sets the average frame rate); Matroska, the track's
 * default duration, else the frame count over the span of the frames'
 * times.
 */
function frameRate(track) {
  const { samples, timescale } = track;
  const n = samples.size.length;
  if (track.container === "mp4") {
    let total = 0;
    for (const d of samples.duration) total += d;
    return total > 0 ? (n * timescale) / total : 0;
  }
  if (track.defaultDuration > 0) return 1e9 / track.defaultDuration;
  if (n < 2) return 0;
  let lo = Infinity, hi = -Infinity;
  for (const t of samples.time) {
    lo = Math.min(lo, t);
    hi = Math.max(hi, t);
  }
  // n frames span n - 1 intervals.
  return hi > lo ? ((n - 1) * timescale) / (hi - lo) : 0;
}

// --- Frames to RGBA ------------------------------------------------------------

/**
 * The RGBA of a decoded frame at its visible size. YUV is turned into RGB
 * here, as vPDQ has FFmpeg do it: BT.601 whatever the stream says,
 * limited range unless the frame says full, each chroma sample for the
 * pixels it covers; so engines that hand over the decoded planes
 * (Chromium, WebKit) give the same RGB. RGB frames (Firefox's) are
 * brought to BT.601's; other formats are drawn by the browser.
 */
async function frameRgba(frame) {
  const rect = frame.visibleRect ?? { x: 0, y: 0, width: frame.displayWidth, height: frame.displayHeight };
  const width = rect.width;
  const height = rect.height;
  const rgba = new Uint8ClampedArray(width * height * 4);
  const format = frame.format;
  const sub = { I420: [1, 1], I420A: [1, 1], I422: [1, 0], I422A: [1, 0], I444: [0, 0], I444A: [0, 0], NV12: [1, 1] }[format];
  if (sub) {
    const buffer = new Uint8Array(frame.allocationSize({ rect }));
    const layout = await frame.copyTo(buffer, { rect });
    const [sx, sy] = sub;
    const full = frame.colorSpace?.fullRange === true;
    // 16.16 fixed point, FFmpeg's BT.601 coefficients.
    const cy = full ? 65536 : 76309, crv = full ? 91881 : 104597, cbu = full ? 116130 : 132201;
    const cgu = full ? 22554 : 25675, cgv = full ? 46802 : 53279, y0 = full ? 0 : 16;
    const Y = layout[0];
    const nv12 = format === "NV12";
    const U = layout[1];
    const V = nv12 ? layout[1] : layout[2];
    const step = nv12 ? 2 : 1;
    const vShift = nv12 ? 1 : 0;
    let o = 0;
    for (let y = 0; y < height; y++) {
      const yRow = Y.offset + y * Y.stride;
      const uRow = U.offset + (y >> sy) * U.stride;
      const vRow = V.offset + (y >> sy) * V.stride + vShift;
      for (let x = 0; x < width; x++) {
        const c = (x >> sx) * step;
        const l = (buffer[yRow + x] - y0) * cy + 32768;
        const u = buffer[uRow + c] - 128;
        const v = buffer[vRow + c] - 128;
        rgba[o] = (l + crv * v) >> 16;
        rgba[o + 1] = (l - cgu * u - cgv * v) >> 16;
        rgba[o + 2] = (l + cbu * u) >> 16;
        rgba[o + 3] = 255;
        o += 4;
      }
    }
  } else if (format === "RGBA" || format === "RGBX" || format === "BGRA" || format === "BGRX") {
    // The browser turned the planes into RGB itself (Firefox does, by the
    // matrix it reports). From BT.709's RGB, back to the luma and colour
    // differences, then on to BT.601's RGB, as vPDQ's FFmpeg would have
    // made it from the same planes (up to rounding, and where the browser
    // clipped a colour).
    const buffer = new Uint8Array(frame.allocationSize({ rect }));
    const [{ offset, stride }] = await frame.copyTo(buffer, { rect });
    const bgr = format.startsWith("BGR");
    const from709 = frame.colorSpace?.matrix === "bt709";
    let o = 0;
    for (let y = 0; y < height; y++) {
      for (let x = 0, p = offset + y * stride; x < width; x++, p += 4) {
        let r = buffer[bgr ? p + 2 : p];
        let g = buffer[p + 1];
        let b = buffer[bgr ? p : p + 2];
        if (from709) {
          const l = 0.2126 * r + 0.7152 * g + 0.0722 * b;
          const u = (b - l) / 1.8556;
          const v = (r - l) / 1.5748;
          r = l + 1.402 * v;
          g = l - 0.344136 * u - 0.714136 * v;
          b = l + 1.772 * u;
        }
        // Uint8ClampedArray rounds (ties to even) and clamps.
        rgba[o] = r;
        rgba[o + 1] = g;
        rgba[o + 2] = b;
        rgba[o + 3] = 255;
        o += 4;
      }
    }
  } else {
    const canvas = new OffscreenCanvas(width, height);
    const ctx = canvas.getContext("2d", { willReadFrequently: true });
    ctx.drawImage(frame, rect.x, rect.y, width, height, 0, 0, width, height);
    rgba.set(ctx.getImageData(0, 0, width, height).data);
  }
  return { rgba, width, height };
}

// --- The whole video -------------------------------------------------------------

/**
 * The video track of `blob`, demuxed, with its frame rate: what hashVideo
 * decodes (exported for the tests, which compare it with ffprobe's).
 */
export async function readTrack(blob, limits = VIDEO_LIMITS) {
  const kind = sniffVideo(new Uint8Array(await blob.slice(0, 16).arrayBuffer()));
  if (!kind) throw unsupported("not a video container this browser path reads");
  if (kind === "avi") throw unsupported("AVI is read by a <video> element, if at all");
  const track = kind === "mp4" ? await demuxMp4(blob, limits) : await demuxMatroska(blob, limits);
  return { ...track, fps: frameRate(track) };
}

/** MD5, SHA-1, SHA-256 of the blob, read in pieces. */
export async function digestsOf(blob, wasm, cancelled) {
  const digester = new wasm.Digester();
  try {
    for (let at = 0; at < blob.size; at += READ_BYTES) {
      cancelled();
      digester.update(new Uint8Array(await blob.slice(at, at + READ_BYTES).arrayBuffer()));
    }
    return digester.finish();
  } finally {
    digester.free();
  }
}

/**
 * Hashes a video as vPDQ does: `{ features, fps, frames, duration,
 * container, codec, width, height }`. `options`: `secondsPerHash` and the
 * VIDEO_LIMITS; `onProgress({ hashed, expected })` after each hashed
 * frame; `cancelled()` throws to stop (checked between frames).
 */
export async function hashVideo(blob, wasm, { secondsPerHash = 1, limits = VIDEO_LIMITS, onProgress, cancelled = () => {} } = {}) {
  if (blob.size > limits.maxVideoBytes) throw videoError("limit_exceeded", `the video is ${blob.size} bytes, over ${limits.maxVideoBytes}`);
  if (typeof VideoDecoder !== "function") throw unsupported("this browser has no WebCodecs VideoDecoder in workers");
  const track = await readTrack(blob, limits);
  const frames = track.samples.size.length;
  if (frames === 0) throw malformed("the video track has no frames");
  const fps = track.fps;
  if (!(fps > 0)) throw malformed("no frame rate");
  const duration = frames / fps;
  if (duration > limits.maxVideoSeconds) throw videoError("limit_exceeded", `the video is ${Math.round(duration)} s long, over ${limits.maxVideoSeconds}`);
  const sideLimit = (w, h) => {
    if (Math.max(w, h) > limits.maxFrameSide || w * h > limits.maxFramePixels) {
      throw videoError("limit_exceeded", `the video is ${w}x${h}, over the frame limits`);
    }
  };
  sideLimit(track.width, track.height);
  const config = { codec: track.codec, codedWidth: track.width || undefined, codedHeight: track.height || undefined };
  if (track.description) config.description = track.description;
  let support;
  try {
    support = await VideoDecoder.isConfigSupported(config);
  } catch (e) {
    throw unsupported(`the decoder refused ${track.codec}: ${e.message}`);
  }
  if (!support.supported) throw unsupported(`this browser cannot decode ${track.codec}`);

  const hasher = new wasm.VideoHasher(fps, secondsPerHash);
  const step = hasher.step;
  const expected = Math.ceil(frames / step);
  const features = [];
  let failure = null;
  let output = 0; // frames out of the decoder
  let hashing = Promise.resolve();
  let queued = 0; // frames waiting to be hashed
  let wake = null; // resolves the feeder's wait
  const nudge = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  const decoder = new VideoDecoder({
    output(frame) {
      const n = output++;
      if (failure || n % step !== 0) {
        frame.close();
        nudge();
        return;
      }
      queued++;
      hashing = hashing.then(async () => {
        try {
          if (failure) return;
          cancelled();
          const { rgba, width, height } = await frameRgba(frame);
          sideLimit(width, height);
          const f = hasher.push(n, rgba, width, height);
          if (f) features.push(f);
          onProgress?.({ hashed: features.length, expected });
        } catch (e) {
          failure ??= e;
        } finally {
          frame.close();
          queued--;
          nudge();
        }
      });
    },
    error(e) {
      failure ??= videoError("video_decode_failed", `the browser could not decode the video: ${e.message}`);
      nudge();
    },
  });
  try {
    decoder.configure(support.config ?? config);
    const { offset, size, time, key } = track.samples;
    const us = 1e6 / track.timescale;
    for (let i = 0; i < frames && !failure; ) {
      // One read for a run of samples that lie together in the file.
      // The samples are in decoding order in both containers.
      const start = offset[i];
      let j = i;
      let end = start;
      while (j < frames && offset[j] === end && end - start < READ_BYTES) end += size[j++];
      if (j === i) end += size[j++];
      const data = new Uint8Array(await blob.slice(start, end).arrayBuffer());
      if (data.length < end - start) throw malformed("a frame lies past the end of the file");
      for (let s = i; s < j && !failure; s++) {
        const at = offset[s] - start;
        if (s === 0 && !key[s]) throw malformed("the first frame is not a key frame");
        decoder.decode(new EncodedVideoChunk({ type: key[s] ? "key" : "delta", timestamp: Math.round(time[s] * us), data: data.subarray(at, at + size[s]) }));
        while (!failure && (decoder.decodeQueueSize > DECODE_AHEAD || queued > 2)) {
          await new Promise((resolve) => {
            wake = resolve;
            decoder.addEventListener?.("dequeue", nudge, { once: true });
            setTimeout(nudge, 5);
          });
          cancelled();
        }
      }
      i = j;
      cancelled();
    }
    if (!failure) await decoder.flush().catch((e) => {
      failure ??= videoError("video_decode_failed", `the browser could not decode the video: ${e.message}`);
    });
    await hashing;
    if (failure) throw failure;
    return {
      features: features.sort((a, b) => a.frame - b.frame),
      fps, frames: output, duration, container: track.container, codec: track.codec,
      width: track.width, height: track.height, expected,
    };
  } finally {
    if (decoder.state !== "closed") decoder.close();
    hasher.free();
  }
}
