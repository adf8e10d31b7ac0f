//! `prescan hash`: hash files and print the hashes.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args;
use prescan::hash::pdq::Dihedral;
use prescan::hash::{FileHashes, HashOptions, hash_file};
use serde_json::{Map, Value, json};

use super::files::{self, path_text};
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
    /// Image files, or directories to walk recursively.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
}

pub fn run(args: &HashArgs) -> Result<Outcome, String> {
    let files = walk::files(&args.paths);
    let options = HashOptions { dihedral: args.dihedral, ..HashOptions::default() };
    let mut failed = false;
    let mut out = std::io::stdout().lock();
    files::for_each(
        &files,
        |bytes| hash_file(bytes, &options).map_err(|e| e.to_string()),
        |path, result, warn| {
            let text = match (result.and_then(|r| r), args.json) {
                (Ok(h), false) => plain(path, &h),
                (Ok(h), true) => json_line(path, &h),
                (Err(e), true) => {
                    failed = true;
                    format!("{}\n", json!({ "path": path_text(path), "error": e }))
                }
                (Err(e), false) => {
                    failed = true;
                    warn(&format!("prescan: {}: {}", printable_path(path), printable(&e)));
                    String::new()
                }
            };
            out.write_all(text.as_bytes()).and_then(|()| out.flush()).map_err(|e| format!("writing output: {e}"))
        },
    )?;
    Ok(if failed { Outcome::SomeFailed } else { Outcome::Success })
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
