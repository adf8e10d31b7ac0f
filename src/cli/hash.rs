//! `prescan hash`: hash files and print the hashes.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use prescan::hash::pdq::Dihedral;
use prescan::hash::{FileHashes, HashOptions, hash_file};
use rayon::prelude::*;
use serde_json::{Map, Value, json};

use super::{Outcome, walk};

/// Largest file read, in bytes. Far above any photograph; it keeps a stray
/// disk image or video from being read whole into memory.
const MAX_FILE_BYTES: u64 = 512 * 1024 * 1024;

/// Files hashed in parallel before their results are printed, in order.
const BATCH: usize = 64;

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
    /// Image files, or directories to walk recursively.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
}

pub fn run(args: &HashArgs) -> Result<Outcome, String> {
    let files = walk::files(&args.paths);
    let options = HashOptions { dihedral: args.dihedral, ..HashOptions::default() };
    let progress = progress_bar(files.len());
    let stdout = std::io::stdout();
    let mut failed = false;
    for batch in files.chunks(BATCH) {
        let results: Vec<Result<FileHashes, String>> = batch
            .par_iter()
            .map(|path| {
                let r = read(path).and_then(|bytes| hash_file(&bytes, &options).map_err(|e| e.to_string()));
                progress.inc(1);
                r
            })
            .collect();
        let mut out = stdout.lock();
        for (path, result) in batch.iter().zip(results) {
            let text = match (&result, args.json) {
                (Ok(h), false) => plain(path, h),
                (Ok(h), true) => json_line(path, h),
                (Err(e), true) => format!("{}\n", json!({ "path": path_text(path), "error": e })),
                (Err(e), false) => {
                    progress.suspend(|| eprintln!("prescan: {}: {e}", path.display()));
                    String::new()
                }
            };
            failed |= result.is_err();
            out.write_all(text.as_bytes()).map_err(|e| format!("writing output: {e}"))?;
        }
        out.flush().map_err(|e| format!("writing output: {e}"))?;
    }
    progress.finish_and_clear();
    Ok(if failed { Outcome::SomeFailed } else { Outcome::Success })
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(format!("file of {} bytes exceeds the limit of {MAX_FILE_BYTES}", meta.len()));
    }
    std::fs::read(path).map_err(|e| e.to_string())
}

fn progress_bar(total: usize) -> ProgressBar {
    if total < 2 || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total as u64);
    if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} files, {per_sec}, eta {eta}") {
        bar.set_style(style);
    }
    bar
}

fn path_text(path: &Path) -> String {
    path.to_string_lossy().into_owned()
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

fn plain(path: &Path, h: &FileHashes) -> String {
    let p = path.display();
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
