//! Turning path arguments into the list of files to read.

use std::path::{Path, PathBuf};

/// One file to read, or a path found while walking that will not be read,
/// with the reason: reported in its place, never dropped silently.
#[derive(Debug, Clone)]
pub struct Input {
    /// The path, as given or as found in a walked directory.
    pub path: PathBuf,
    /// Why the path is not read (a symbolic link loop, an unreadable
    /// directory); `None` for a path to read.
    pub refused: Option<String>,
}

/// The files named by `paths`: files as given, directories walked
/// recursively (sorted). Symbolic links inside them are followed, with
/// loop protection: a listed image behind a link is checked as if named.
/// Everything found that is not a directory is returned, FIFOs and devices
/// included, so that reading it refuses it with a message (it is never
/// opened for reading); a path that cannot be walked comes with its error.
pub fn files(paths: &[PathBuf]) -> Vec<Input> {
    let mut out = Vec::new();
    for path in paths {
        if path.is_dir() {
            walk_dir(path, &mut out);
        } else {
            out.push(Input { path: path.clone(), refused: None });
        }
    }
    out
}

fn walk_dir(dir: &Path, out: &mut Vec<Input>) {
    for entry in walkdir::WalkDir::new(dir).follow_links(true).sort_by_file_name() {
        match entry {
            Ok(e) if e.file_type().is_dir() => {}
            Ok(e) => out.push(Input { path: e.into_path(), refused: None }),
            Err(e) => {
                let path = e.path().map(Path::to_path_buf).unwrap_or_else(|| dir.to_path_buf());
                let reason = match e.loop_ancestor() {
                    Some(ancestor) => format!("symbolic link loop back to {}: not followed", ancestor.display()),
                    None => e.io_error().map_or_else(|| e.to_string(), ToString::to_string),
                };
                out.push(Input { path, refused: Some(reason) });
            }
        }
    }
}
