//! `prescan hash`: hash files and print the hashes. Images are hashed on
//! all cores; videos (`super::video`) one at a time, FFmpeg decoding each
//! on all cores.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args;
use prescan::hash::pdq::Dihedral;
use prescan::hash::vpdq::DEFAULT_SECONDS_PER_HASH;
use prescan::hash::{FileHashes, HashOptions, hash_file};
use serde_json::{Map, Value, json};

use super::files::{self, Failure, path_text};
use super::video::{self, VideoHashes};
use super::{Outcome, printable, printable_path, walk};

#[derive(Debug, Args)]
pub struct HashArgs {
    /// Print one JSON object per file per line.
    #[arg(long)]
    json: bool,
    /// Also print the PDQ hashes of the 8 rotations and mirrors, in the
    /// reference's order: original, rotate90, rotate180, rotate270, flipx,
    /// flipy, flipplus1, flipminus1.
    #[arg(long)]
    dihedral: bool,
    /// For one video: print only its vPDQ hash, in vPDQ's text format
    /// (`frameNumber,quality,hash,timestamp` lines).
    #[arg(long)]
    vpdq: bool,
    /// Videos: hash a frame every this many seconds (0: every frame).
    #[arg(long, default_value_t = DEFAULT_SECONDS_PER_HASH, value_name = "SECONDS")]
    seconds_per_hash: f64,
    /// Image and video files, or directories to walk recursively.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
}

pub fn run(args: &HashArgs) -> Result<Outcome, String> {
    let files = walk::files(&args.paths);
    if args.vpdq {
        return vpdq_text(args, &files);
    }
    let mut failed = false;
    for run in video::runs(&files) {
        failed |= match run {
            video::Run::Images(images) => hash_images(args, images)?,
            video::Run::Video(path) => hash_one_video(args, path)?,
        };
    }
    Ok(if failed { Outcome::SomeFailed } else { Outcome::Success })
}

/// `--vpdq`: one video's features in vPDQ's text format.
fn vpdq_text(args: &HashArgs, files: &[walk::Input]) -> Result<Outcome, String> {
    let [file] = files else {
        return Err(format!("--vpdq takes one video, not {} files", files.len()));
    };
    if let Some(reason) = &file.refused {
        return Err(format!("{}: {}", printable_path(&file.path), printable(reason)));
    }
    let h = video::hash_with_progress(&file.path, args.seconds_per_hash)
        .map_err(|e| format!("{}: {}", printable_path(&file.path), printable(&e)))?;
    let mut out = std::io::stdout().lock();
    for f in &h.features {
        writeln!(out, "{}", f.to_line()).map_err(|e| format!("writing output: {e}"))?;
    }
    Ok(Outcome::Success)
}

/// Prints one video's hashes; returns whether it failed.
fn hash_one_video(args: &HashArgs, path: &Path) -> Result<bool, String> {
    let mut out = std::io::stdout().lock();
    let (text, failed) = match (video::hash_with_progress(path, args.seconds_per_hash), args.json) {
        (Ok(h), false) => (plain_video(path, &h), false),
        (Ok(h), true) => (json_video(path, &h), false),
        (Err(e), true) => {
            (format!("{}\n", json!({ "path": path_text(path), "error": Failure::video(e).json() })), true)
        }
        (Err(e), false) => {
            eprintln!("prescan: {}: {}", printable_path(path), printable(&e));
            (String::new(), true)
        }
    };
    files::emit(&mut out, &text)?;
    Ok(failed)
}

/// Lines of `<signal_type> <hash> <path>`: `video_md5` and the digests,
/// then a `vpdq <frameNumber,quality,hash,timestamp> <path>` line a frame.
fn plain_video(path: &Path, h: &VideoHashes) -> String {
    let p = printable_path(path);
    let mut out = format!("video_md5 {} {p}\n", h.digests.md5_hex());
    out.push_str(&format!(
        "md5 {} {p}\nsha1 {} {p}\nsha256 {} {p}\n",
        h.digests.md5_hex(),
        h.digests.sha1_hex(),
        h.digests.sha256_hex()
    ));
    for f in &h.features {
        out.push_str(&format!("vpdq {} {p}\n", f.to_line()));
    }
    out
}

fn json_video(path: &Path, h: &VideoHashes) -> String {
    let i = &h.info;
    let obj = json!({
        "path": path_text(path),
        "format": i.container,
        "kind": "video",
        "codec": i.codec,
        "width": i.width,
        "height": i.height,
        "fps": i.fps,
        "duration": i.duration,
        "video_md5": h.digests.md5_hex(),
        "md5": h.digests.md5_hex(),
        "sha1": h.digests.sha1_hex(),
        "sha256": h.digests.sha256_hex(),
        "vpdq": h.features,
    });
    format!("{obj}\n")
}

/// Hashes a run of images on all cores; returns whether any failed.
fn hash_images(args: &HashArgs, files: &[walk::Input]) -> Result<bool, String> {
    let options = HashOptions { dihedral: args.dihedral, ..HashOptions::default() };
    let mut failed = false;
    let mut out = std::io::stdout().lock();
    files::for_each(
        files,
        |bytes| hash_file(bytes, &options).map_err(Failure::from),
        |path, result, warn| {
            let text = match (result.and_then(|r| r), args.json) {
                (Ok(h), false) => plain(path, &h),
                (Ok(h), true) => json_line(path, &h),
                (Err(e), true) => {
                    failed = true;
                    format!("{}\n", json!({ "path": path_text(path), "error": e.json() }))
                }
                (Err(e), false) => {
                    failed = true;
                    warn(&format!("prescan: {}: {}", printable_path(path), printable(&e.message)));
                    String::new()
                }
            };
            files::emit(&mut out, &text)
        },
    )?;
    Ok(failed)
}

/// The `(signal_type, hash)` pairs of a file, in output order.
fn signals(h: &FileHashes) -> Vec<(String, String)> {
    let mut out = vec![("pdq".to_owned(), h.image.pdq.hash.to_hex())];
    for p in &h.image.perceptual {
        out.push((p.algorithm().name().to_owned(), p.to_hex()));
    }
    out.push(("md5".to_owned(), h.digests.md5_hex()));
    out.push(("sha1".to_owned(), h.digests.sha1_hex()));
    out.push(("sha256".to_owned(), h.digests.sha256_hex()));
    out
}

/// Lines of `<signal_type> <hash> <path>`; the path through [`printable`],
/// so that a file name cannot add lines (entries, once the output is
/// imported as a list).
fn plain(path: &Path, h: &FileHashes) -> String {
    let p = printable_path(path);
    let mut out = String::new();
    for (signal, hash) in signals(h) {
        out.push_str(&format!("{signal} {hash} {p}\n"));
    }
    out.push_str(&format!("pdq_quality {} {p}\n", h.image.pdq.quality));
    if let Some(d) = &h.image.pdq_dihedral {
        for (variant, hash) in Dihedral::ALL.iter().zip(d.hashes.iter()) {
            out.push_str(&format!("pdq:{} {hash} {p}\n", variant.name()));
        }
    }
    out
}

fn json_line(path: &Path, h: &FileHashes) -> String {
    let mut obj = Map::new();
    obj.insert("path".into(), json!(path_text(path)));
    obj.insert("format".into(), json!(h.format.name()));
    obj.insert("width".into(), json!(h.width));
    obj.insert("height".into(), json!(h.height));
    obj.insert("orientation".into(), json!(h.orientation));
    for (signal, hash) in signals(h) {
        obj.insert(signal, json!(hash));
    }
    obj.insert("pdq_quality".into(), json!(h.image.pdq.quality));
    if let Some(d) = &h.image.pdq_dihedral {
        let all: Vec<String> = d.hashes.iter().map(|x| x.to_hex()).collect();
        obj.insert("pdq_dihedral".into(), json!(all));
    }
    format!("{}\n", Value::Object(obj))
}
