//! Reading many files in parallel and emitting results in order.

use std::io::{IsTerminal, Read};
use std::path::Path;

use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;

use super::walk::Input;

/// Largest file read, in bytes. Far above any photograph; it keeps a stray
/// disk image or video from being read whole into memory.
const MAX_FILE_BYTES: u64 = 512 * 1024 * 1024;

/// Files processed in parallel before their results are emitted, in order.
const BATCH: usize = 64;

/// Why a file has no result, with a code from the one table
/// (`prescan::ERROR_CODES`): `read_failed` for a file that could not be
/// read (or was refused: a FIFO, a device), `video_decode_failed` for a
/// video FFmpeg could not hash, a library error's own code otherwise.
/// `--json` prints it as the verdict prints `decodeError`.
#[derive(Debug, Clone)]
pub struct Failure {
    pub code: &'static str,
    pub message: String,
}

impl Failure {
    /// A file that could not be read.
    pub fn read(message: impl Into<String>) -> Self {
        Failure { code: "read_failed", message: message.into() }
    }

    /// A video that could not be hashed.
    pub fn video(message: impl Into<String>) -> Self {
        Failure { code: "video_decode_failed", message: message.into() }
    }

    /// `{"code", "message"}`.
    pub fn json(&self) -> serde_json::Value {
        serde_json::json!({ "code": self.code, "message": self.message })
    }
}

impl From<prescan::Error> for Failure {
    fn from(e: prescan::Error) -> Self {
        Failure { code: e.code(), message: e.to_string() }
    }
}

/// Reads each file and runs `work` on its bytes on all cores, then calls
/// `emit` for each file in order, with the result or the reason the file
/// could not be read. A progress bar shows on stderr when it is a terminal;
/// `emit` gets a function that prints a line on stderr around it.
pub fn for_each<T: Send>(
    files: &[Input],
    work: impl Fn(&[u8]) -> T + Sync,
    mut emit: impl FnMut(&Path, Result<T, Failure>, &dyn Fn(&str)) -> Result<(), String>,
) -> Result<(), String> {
    let progress = progress_bar(files.len());
    let warn = |line: &str| progress.suspend(|| eprintln!("{line}"));
    for batch in files.chunks(BATCH) {
        let results: Vec<Result<T, Failure>> = batch
            .par_iter()
            .map(|input| {
                let r = match &input.refused {
                    Some(reason) => Err(Failure::read(reason.clone())),
                    None => read(&input.path).map(|bytes| work(&bytes)).map_err(Failure::read),
                };
                progress.inc(1);
                r
            })
            .collect();
        for (input, result) in batch.iter().zip(results) {
            emit(&input.path, result, &warn)?;
        }
    }
    progress.finish_and_clear();
    Ok(())
}

/// A file's bytes, refusing files over [`MAX_FILE_BYTES`].
pub fn read(path: &Path) -> Result<Vec<u8>, String> {
    read_capped(path, MAX_FILE_BYTES)
}

/// A regular file's bytes, at most `max` of them: what is read is capped,
/// not what the file's metadata says (which is 0 for `/dev/zero` and for
/// files that grow). FIFOs, devices, sockets and directories are refused
/// with a message before they are read, and the file is opened without
/// blocking, so a FIFO put in its place in between cannot hang the
/// command.
pub fn read_capped(path: &Path, max: u64) -> Result<Vec<u8>, String> {
    let file = open_regular(path)?;
    let mut bytes = Vec::new();
    file.take(max.saturating_add(1)).read_to_end(&mut bytes).map_err(|e| e.to_string())?;
    if bytes.len() as u64 > max {
        return Err(format!("file of more than {max} bytes exceeds the limit of {max}"));
    }
    Ok(bytes)
}

/// The regular file at `path`, opened for reading without blocking;
/// FIFOs, devices, sockets and directories are refused with a message
/// before they are read, also when one is put in the file's place between
/// the check and the open.
pub fn open_regular(path: &Path) -> Result<std::fs::File, String> {
    let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
    if !meta.is_file() {
        return Err(format!("not a regular file ({}): not read", kind(&meta)));
    }
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path).map_err(|e| e.to_string())?;
    let meta = file.metadata().map_err(|e| e.to_string())?;
    if !meta.is_file() {
        return Err(format!("not a regular file ({}): not read", kind(&meta)));
    }
    Ok(file)
}

/// What kind of file `meta` describes, for messages.
fn kind(meta: &std::fs::Metadata) -> &'static str {
    let t = meta.file_type();
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if t.is_dir() { "a directory" } else { "not a file" }
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

/// Writes `text` to `out` and flushes it, so that each file's lines show
/// as soon as it is done.
pub fn emit(out: &mut impl std::io::Write, text: &str) -> Result<(), String> {
    out.write_all(text.as_bytes()).and_then(|()| out.flush()).map_err(|e| format!("writing output: {e}"))
}

/// A path as text for output.
pub fn path_text(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}
