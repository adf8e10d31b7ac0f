//! Video files for `prescan hash` and `prescan check`: decoded by FFmpeg,
//! hashed with vPDQ (`prescan::hash::vpdq`).
//!
//! FFmpeg runs as a subprocess (Debian's `ffmpeg` and `ffprobe`), not
//! through its libraries: the C libraries' bindings would put a large
//! `unsafe` surface and a build-time dependency on FFmpeg's headers into
//! every build of the CLI, while the subprocess needs FFmpeg only where
//! videos are hashed, cannot crash the CLI with a bad file, and pipes raw
//! frames at memory speed. Only the frames vPDQ hashes are converted to
//! RGB: FFmpeg's `select` filter drops the others before the conversion.
//!
//! The conversion is the one vPDQ's `swscale` context does: same size,
//! area filter, BT.601 coefficients (vPDQ never sets the colour space),
//! limited range except for the `yuvj` formats. The frames are read as
//! the decoder returns them (`-fps_mode passthrough`: none dropped or
//! repeated), unrotated (`-noautorotate`: vPDQ ignores the display
//! matrix).
//!
//! Limits, checked on what `ffprobe` reports before decoding, and again on
//! what is decoded: file size, duration, frames, width, height and pixels
//! per frame.

use std::io::{BufReader, Read};
use std::path::Path;
use std::process::{Command, Stdio};

use prescan::hash::digest::{Digester, FileDigests};
use prescan::hash::vpdq::{VideoHasher, VpdqFeature};
use prescan::{PixelLayout, Pixels};

/// What a video may be, at most.
#[derive(Debug, Clone, Copy)]
pub struct VideoLimits {
    /// File size, in bytes.
    pub max_bytes: u64,
    /// Duration, in seconds.
    pub max_seconds: f64,
    /// Frames decoded (hashed or not).
    pub max_frames: u64,
    /// Frame width and height, in pixels.
    pub max_side: u32,
    /// Pixels in a frame.
    pub max_pixels: u64,
}

impl Default for VideoLimits {
    /// 16 GiB, 6 hours, 2 million frames (over 9 hours at 60 frames a
    /// second), 8192 pixels a side, 8K UHD's 33 million pixels a frame.
    fn default() -> Self {
        VideoLimits {
            max_bytes: 16 << 30,
            max_seconds: 6.0 * 3600.0,
            max_frames: 2_000_000,
            max_side: 8192,
            max_pixels: 7680 * 4320,
        }
    }
}

/// The container a file's first bytes name, when it is a video prescan
/// hashes: MP4 and MOV (an ISO base media `ftyp` box whose brand is not an
/// image's), WebM and Matroska (EBML), AVI.
pub fn sniff(head: &[u8]) -> Option<&'static str> {
    if head.get(4..8) == Some(b"ftyp") {
        let brand = head.get(8..12)?;
        // HEIF and AVIF still images share the box; they are not videos.
        let images: [&[u8]; 6] = [b"heic", b"heix", b"mif1", b"msf1", b"avif", b"avis"];
        return (!images.contains(&brand)).then_some(if brand == b"qt  " { "mov" } else { "mp4" });
    }
    if head.starts_with(&[0x1a, 0x45, 0xdf, 0xa3]) {
        return Some(if head.windows(4).any(|w| w == b"webm") { "webm" } else { "mkv" });
    }
    if head.starts_with(b"RIFF") && head.get(8..12) == Some(b"AVI ") {
        return Some("avi");
    }
    None
}

/// Whether the file at `path` is a video ([`sniff`] of its first bytes).
///
/// Only a regular file is read, opened without blocking
/// ([`super::files::open_regular`]): a FIFO named as an input cannot hang
/// the command here.
pub fn is_video(path: &Path) -> bool {
    head(path).is_ok_and(|h| sniff(&h).is_some())
}

/// The first 64 bytes of the regular file at `path`.
fn head(path: &Path) -> Result<Vec<u8>, String> {
    let mut head = Vec::with_capacity(64);
    super::files::open_regular(path)?.take(64).read_to_end(&mut head).map_err(|e| e.to_string())?;
    Ok(head)
}

/// A stretch of the inputs: images, hashed together on all cores, or one
/// video.
pub enum Run<'a> {
    /// Images (and inputs refused before reading), in order.
    Images(&'a [super::walk::Input]),
    /// One video.
    Video(&'a Path),
}

/// The inputs in order, as runs of images between videos ([`is_video`]).
pub fn runs(files: &[super::walk::Input]) -> Vec<Run<'_>> {
    let mut out = Vec::new();
    let mut rest = files;
    while !rest.is_empty() {
        let images = rest.iter().take_while(|f| f.refused.is_some() || !is_video(&f.path)).count();
        let (run, after) = rest.split_at(images);
        if !run.is_empty() {
            out.push(Run::Images(run));
        }
        rest = match after.split_first() {
            Some((video, after)) => {
                out.push(Run::Video(&video.path));
                after
            }
            None => after,
        };
    }
    out
}

/// Hashes one video, a frame every `seconds_per_hash` seconds, under the
/// default limits, with a progress bar on a terminal.
pub fn hash_with_progress(path: &Path, seconds_per_hash: f64) -> Result<VideoHashes, String> {
    let bar = progress_bar();
    let result = hash(path, seconds_per_hash, &VideoLimits::default(), |info, step, hashed, frame| {
        show_progress(&bar, info, step, hashed, frame);
    });
    bar.finish_and_clear();
    result
}

/// What `ffprobe` says of a video's first video stream.
#[derive(Debug, Clone)]
pub struct VideoInfo {
    /// The container ([`sniff`]).
    pub container: &'static str,
    /// The codec's name (`h264`, `vp9`, …).
    pub codec: String,
    /// Frame width, in pixels.
    pub width: u32,
    /// Frame height, in pixels.
    pub height: u32,
    /// The decoder's pixel format (`yuv420p`, …).
    pub pix_fmt: String,
    /// Frames a second: the average rate, or the nominal one when the
    /// average is unknown, as vPDQ takes it.
    pub fps: f64,
    /// Duration in seconds, when known.
    pub duration: Option<f64>,
    /// Frames, when the container says.
    pub frames: Option<u64>,
}

/// Everything prescan computes for one video.
#[derive(Debug, Clone)]
pub struct VideoHashes {
    /// What `ffprobe` said.
    pub info: VideoInfo,
    /// Digests of the file bytes (`video_md5` is its MD5).
    pub digests: FileDigests,
    /// The vPDQ features: one hashed frame each.
    pub features: Vec<VpdqFeature>,
}

/// `num/den` as ffprobe prints a rate; `None` for `0/0` and the like.
fn rate(text: &str) -> Option<f64> {
    let (n, d) = text.split_once('/')?;
    let (n, d) = (n.trim().parse::<f64>().ok()?, d.trim().parse::<f64>().ok()?);
    let r = n / d;
    (r.is_finite() && r > 0.0).then_some(r)
}

fn tool_error(tool: &str, e: &std::io::Error) -> String {
    if e.kind() == std::io::ErrorKind::NotFound {
        format!("{tool} not found: videos are decoded by FFmpeg (Debian: apt-get install ffmpeg)")
    } else {
        format!("cannot run {tool}: {e}")
    }
}

/// Probes the first video stream of `path` and checks it against `limits`.
///
/// # Errors
/// A message when the file is not a video prescan hashes, `ffprobe` is
/// missing or fails, the stream lacks a size or frame rate, or a limit is
/// passed.
pub fn probe(path: &Path, limits: &VideoLimits) -> Result<VideoInfo, String> {
    let bytes = std::fs::metadata(path).map_err(|e| e.to_string())?.len();
    if bytes > limits.max_bytes {
        return Err(format!("video of {bytes} bytes exceeds the limit of {} bytes", limits.max_bytes));
    }
    let head = head(path)?;
    let container = sniff(&head).ok_or("not a video prescan reads (MP4, MOV, WebM, Matroska, AVI)")?;
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "v:0", "-of", "json", "-show_entries"])
        .arg("stream=codec_name,width,height,pix_fmt,avg_frame_rate,r_frame_rate,nb_frames,duration:format=duration")
        .arg("--")
        .arg(path)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| tool_error("ffprobe", &e))?;
    if !out.status.success() {
        return Err(format!("ffprobe cannot read it: {}", last_line(&out.stderr)));
    }
    let json: serde_json::Value =
        serde_json::from_slice(&out.stdout).map_err(|e| format!("ffprobe's answer is not JSON: {e}"))?;
    let stream = json.get("streams").and_then(|s| s.get(0)).ok_or("no video stream")?;
    let text = |k: &str| stream.get(k).and_then(|v| v.as_str()).unwrap_or("");
    let number = |v: Option<&serde_json::Value>| v.and_then(|v| v.as_str()).and_then(|s| s.parse::<f64>().ok());
    let side = |k: &str| stream.get(k).and_then(|v| v.as_u64()).and_then(|v| u32::try_from(v).ok()).filter(|v| *v > 0);
    let (Some(width), Some(height)) = (side("width"), side("height")) else {
        return Err("the video stream has no frame size".to_owned());
    };
    let fps = rate(text("avg_frame_rate"))
        .or_else(|| rate(text("r_frame_rate")))
        .ok_or("the video stream has no frame rate")?;
    let duration =
        number(stream.get("duration")).or_else(|| number(json.get("format").and_then(|f| f.get("duration"))));
    let frames = text("nb_frames").parse::<u64>().ok();
    let info = VideoInfo {
        container,
        codec: text("codec_name").to_owned(),
        width,
        height,
        pix_fmt: text("pix_fmt").to_owned(),
        fps,
        duration,
        frames,
    };
    check_limits(&info, limits)?;
    Ok(info)
}

fn check_limits(info: &VideoInfo, limits: &VideoLimits) -> Result<(), String> {
    let pixels = u64::from(info.width) * u64::from(info.height);
    if info.width.max(info.height) > limits.max_side {
        return Err(format!(
            "frames of {}×{} exceed the limit of {} pixels a side",
            info.width, info.height, limits.max_side
        ));
    }
    if pixels > limits.max_pixels {
        return Err(format!("frames of {pixels} pixels exceed the limit of {}", limits.max_pixels));
    }
    if let Some(d) = info.duration.filter(|d| *d > limits.max_seconds) {
        return Err(format!("a video of {d:.0} s exceeds the limit of {:.0} s", limits.max_seconds));
    }
    if let Some(f) = info.frames.filter(|f| *f > limits.max_frames) {
        return Err(format!("a video of {f} frames exceeds the limit of {} frames", limits.max_frames));
    }
    Ok(())
}

/// The last non-empty line of a tool's stderr, for a message.
fn last_line(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    text.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("no reason given").trim().to_owned()
}

/// A progress bar for one video on stderr, hidden when stderr is not a
/// terminal.
pub fn progress_bar() -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(0);
    if let Ok(style) = indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} frames hashed, {msg}, eta {eta}") {
        bar.set_style(style);
    }
    bar
}

/// Moves `bar` on: `hashed` frames hashed, the last being frame `frame`,
/// one every `step`.
pub fn show_progress(bar: &indicatif::ProgressBar, info: &VideoInfo, step: u64, hashed: u64, frame: u64) {
    if hashed == 1 {
        bar.set_length(expected_hashes(info, step).unwrap_or(0));
    }
    bar.set_position(hashed);
    bar.set_message(format!("{:.1} s of video", frame as f64 / info.fps));
}

/// Frames [`hash`] expects to hash, for a progress bar: from the frame
/// count, or the duration, when known.
pub fn expected_hashes(info: &VideoInfo, step: u64) -> Option<u64> {
    let frames = info.frames.or_else(|| info.duration.map(|d| (d * info.fps).round() as u64))?;
    Some(frames.div_ceil(step.max(1)))
}

/// Digests and vPDQ features of the video at `path` ([`probe`]d first),
/// a frame hashed every `seconds_per_hash` seconds; `progress(info, step,
/// hashed, frame)` is called after each hashed frame.
///
/// # Errors
/// [`probe`]'s, and a message when FFmpeg fails or a limit is passed
/// while decoding.
pub fn hash(
    path: &Path,
    seconds_per_hash: f64,
    limits: &VideoLimits,
    mut progress: impl FnMut(&VideoInfo, u64, u64, u64),
) -> Result<VideoHashes, String> {
    let info = probe(path, limits)?;
    let mut hasher = VideoHasher::new(info.fps, seconds_per_hash).map_err(|e| e.to_string())?;
    let step = hasher.step();
    let range = if info.pix_fmt.starts_with("yuvj") { "pc" } else { "tv" };
    let filter =
        format!("select=not(mod(n\\,{step})),scale=flags=area:in_color_matrix=bt601:in_range={range},format=rgb24");
    let mut child = Command::new("ffmpeg")
        .args(["-nostdin", "-hide_banner", "-v", "error", "-noautorotate", "-i"])
        .arg(path)
        .args(["-map", "0:v:0", "-an", "-sn", "-dn", "-fps_mode", "passthrough", "-vf", &filter])
        .args(["-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| tool_error("ffmpeg", &e))?;
    // FFmpeg's messages are read on their own thread, so that a chatty
    // decoder cannot fill the pipe and stall the frames; a bounded tail
    // is kept for the message.
    let stderr = child.stderr.take().map(|mut err| {
        std::thread::spawn(move || {
            let mut tail = Vec::new();
            let mut buf = [0u8; 4096];
            while let Ok(n) = err.read(&mut buf) {
                if n == 0 {
                    break;
                }
                tail.extend_from_slice(buf.get(..n).unwrap_or(&[]));
                if tail.len() > 16 * 1024 {
                    tail.drain(..tail.len() - 8 * 1024);
                }
            }
            tail
        })
    });
    let result = read_frames(&mut child, &info, &mut hasher, limits, &mut progress, step);
    if result.is_err() {
        let _ = child.kill();
    }
    let status = child.wait().map_err(|e| format!("ffmpeg: {e}"))?;
    let tail = stderr.and_then(|t| t.join().ok()).unwrap_or_default();
    result?;
    if !status.success() {
        return Err(format!("ffmpeg cannot decode it: {}", last_line(&tail)));
    }
    if hasher.features().is_empty() {
        return Err("ffmpeg decoded no frame".to_owned());
    }
    let digests = digest_file(path, limits.max_bytes)?;
    Ok(VideoHashes { info, digests, features: hasher.finish() })
}

/// Reads the selected frames from FFmpeg's output and hashes them
/// (selected frame `k` is frame `k × step`).
fn read_frames(
    child: &mut std::process::Child,
    info: &VideoInfo,
    hasher: &mut VideoHasher,
    limits: &VideoLimits,
    progress: &mut impl FnMut(&VideoInfo, u64, u64, u64),
    step: u64,
) -> Result<(), String> {
    let stdout = child.stdout.take().ok_or("ffmpeg has no output")?;
    let mut reader = BufReader::with_capacity(1 << 20, stdout);
    // Within the limits checked by `probe`: at most 33 million pixels.
    let len = usize::try_from(u64::from(info.width) * u64::from(info.height) * 3).map_err(|e| e.to_string())?;
    let mut frame = vec![0u8; len];
    let mut selected = 0u64;
    loop {
        match read_full(&mut reader, &mut frame) {
            Ok(0) => break,
            Ok(n) if n == len => {}
            Ok(n) => return Err(format!("ffmpeg ended a frame after {n} of its {len} bytes")),
            Err(e) => return Err(format!("reading ffmpeg's frames: {e}")),
        }
        let number = selected.saturating_mul(step);
        if number >= limits.max_frames {
            return Err(format!("more than {} frames: over the limit", limits.max_frames));
        }
        let pixels = Pixels::new(&frame, info.width, info.height, PixelLayout::Rgb).map_err(|e| e.to_string())?;
        hasher.push(number, pixels);
        selected += 1;
        progress(info, step, selected, number);
    }
    Ok(())
}

/// Fills `buf` from `r`, stopping early only at the end of the stream;
/// returns the bytes read.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(buf.get_mut(n..).unwrap_or(&mut [])) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// The digests of a file read as a stream, refusing more than `max` bytes.
fn digest_file(path: &Path, max: u64) -> Result<FileDigests, String> {
    let mut file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut d = Digester::default();
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0u64;
    loop {
        let n = file.read(&mut buf).map_err(|e| e.to_string())?;
        if n == 0 {
            break;
        }
        total += n as u64;
        if total > max {
            return Err(format!("video of more than {max} bytes exceeds the limit of {max} bytes"));
        }
        d.update(buf.get(..n).unwrap_or(&[]));
    }
    Ok(d.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_containers_and_not_images() {
        assert_eq!(sniff(b"\0\0\0\x18ftypisom\0\0\0\0"), Some("mp4"));
        assert_eq!(sniff(b"\0\0\0\x14ftypqt  \0\0\0\0"), Some("mov"));
        assert_eq!(sniff(b"\0\0\0\x18ftypheic\0\0\0\0"), None);
        assert_eq!(sniff(b"\0\0\0\x18ftypavif\0\0\0\0"), None);
        assert_eq!(sniff(b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01webm"), Some("webm"));
        assert_eq!(sniff(b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01matroska"), Some("mkv"));
        assert_eq!(sniff(b"RIFF\0\0\0\0AVI LIST"), Some("avi"));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), None);
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n"), None);
    }

    #[test]
    fn rates_as_ffprobe_prints_them() {
        assert_eq!(rate("30000/1001"), Some(30000.0 / 1001.0));
        assert_eq!(rate("25/1"), Some(25.0));
        assert_eq!(rate("0/0"), None);
        assert_eq!(rate("x"), None);
    }
}
