//! Turning path arguments into the list of files to read.

use std::path::{Path, PathBuf};

/// The files named by `paths`: files as given, directories walked
/// recursively (sorted, symbolic links not followed inside them). A path
/// that cannot be read is returned as is, so that reading it reports the
/// error in its place.
pub fn files(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for path in paths {
        if path.is_dir() {
            walk_dir(path, &mut out);
        } else {
            out.push(path.clone());
        }
    }
    out
}

fn walk_dir(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in walkdir::WalkDir::new(dir).follow_links(false).sort_by_file_name() {
        match entry {
            Ok(e) if e.file_type().is_file() => out.push(e.into_path()),
            Ok(_) => {}
            // An unreadable directory entry: keep its path so the error is
            // reported where it belongs.
            Err(e) => out.push(e.path().map(Path::to_path_buf).unwrap_or_else(|| dir.to_path_buf())),
        }
    }
}
