//! Reading many files in parallel and emitting results in order.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;

/// Largest file read, in bytes. Far above any photograph; it keeps a stray
/// disk image or video from being read whole into memory.
const MAX_FILE_BYTES: u64 = 512 * 1024 * 1024;

/// Files processed in parallel before their results are emitted, in order.
const BATCH: usize = 64;

/// Reads each file and runs `work` on its bytes on all cores, then calls
/// `emit` for each file in order, with the result or the reason the file
/// could not be read. A progress bar shows on stderr when it is a terminal;
/// `emit` gets a function that prints a line on stderr around it.
pub fn for_each<T: Send>(
    files: &[PathBuf],
    work: impl Fn(&[u8]) -> T + Sync,
    mut emit: impl FnMut(&Path, Result<T, String>, &dyn Fn(&str)) -> Result<(), String>,
) -> Result<(), String> {
    let progress = progress_bar(files.len());
    let warn = |line: &str| progress.suspend(|| eprintln!("{line}"));
    for batch in files.chunks(BATCH) {
        let results: Vec<Result<T, String>> = batch
            .par_iter()
            .map(|path| {
                let r = read(path).map(|bytes| work(&bytes));
                progress.inc(1);
                r
            })
            .collect();
        for (path, result) in batch.iter().zip(results) {
            emit(path, result, &warn)?;
        }
    }
    progress.finish_and_clear();
    Ok(())
}

/// A file's bytes, refusing files over [`MAX_FILE_BYTES`].
pub fn read(path: &Path) -> Result<Vec<u8>, String> {
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

/// A path as text for output.
pub fn path_text(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}
