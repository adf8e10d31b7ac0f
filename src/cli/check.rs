//! `prescan check`: check files against a signed list, as grep reports:
//! exit status 0 when nothing matched, 1 when something matched, 2 on any
//! error.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args;
use prescan::check::{CheckOptions, Checker, Verdict};
use serde_json::json;

use super::files::{self, path_text};
use super::{Outcome, load_list, printable, printable_path, walk};

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The signed list.
    #[arg(long)]
    list: PathBuf,
    /// Trusted public key: 64 hex digits or a file holding them.
    #[arg(long, value_name = "KEY")]
    public: String,
    /// Lowest list sequence number accepted.
    #[arg(long, default_value_t = 0)]
    min_sequence: u64,
    /// A file holding the highest list sequence accepted so far: a lower
    /// one is refused (rollback), a higher one is recorded. Created when
    /// missing.
    #[arg(long, value_name = "FILE")]
    sequence_file: Option<PathBuf>,
    /// Print one JSON verdict per file per line.
    #[arg(long)]
    json: bool,
    /// Also report each file's PDQ distance to the nearest list entry,
    /// matched or not (an audit aid: it reads the whole PDQ section).
    #[arg(long)]
    pdq_nearest: bool,
    /// Image files, or directories to walk recursively.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
}

pub fn run(args: &CheckArgs) -> Result<Outcome, String> {
    let list = load_list(&args.list, &args.public, args.min_sequence, args.sequence_file.as_deref())?;
    let options = CheckOptions { report_pdq_nearest: args.pdq_nearest, ..CheckOptions::default() };
    let checker = Checker::new(list, options).map_err(|e| e.to_string())?;

    let files = walk::files(&args.paths);
    let (mut matched, mut failed) = (false, false);
    let mut out = std::io::stdout().lock();
    files::for_each(
        &files,
        |bytes| checker.check_bytes(bytes),
        |path, result, warn| {
            let text = match result {
                Ok(v) => {
                    matched |= v.matched;
                    if let Some(e) = &v.decode_error {
                        failed = true;
                        if !args.json {
                            warn(&format!("prescan: {}: {e} (checked by digests only)", printable_path(path)));
                        }
                    }
                    if args.json { json_line(path, &v) } else { plain(path, &v) }
                }
                Err(e) => {
                    failed = true;
                    if args.json {
                        format!("{}\n", json!({ "path": path_text(path), "error": e }))
                    } else {
                        warn(&format!("prescan: {}: {}", printable_path(path), printable(&e)));
                        String::new()
                    }
                }
            };
            out.write_all(text.as_bytes()).and_then(|()| out.flush()).map_err(|e| format!("writing output: {e}"))
        },
    )?;
    Ok(match (failed, matched) {
        (true, _) => Outcome::SomeFailed,
        (false, true) => Outcome::Matched,
        (false, false) => Outcome::Success,
    })
}

/// One line per match, or one `clear` line; every text from the file
/// system or the list goes through [`printable`], so a crafted file name
/// or label cannot print a line of its own.
fn plain(path: &Path, v: &Verdict) -> String {
    let p = printable_path(path);
    if !v.matched {
        let note = if v.pdq_skipped_low_quality { " (PDQ quality below the floor: not matched by PDQ)" } else { "" };
        let nearest = v.pdq_nearest.map_or(String::new(), |n| {
            format!(" pdq_nearest={} threshold={} variant={}", n.distance, n.threshold, n.variant.name())
        });
        return format!("clear {p}{nearest}{note}\n");
    }
    let mut out = String::new();
    for m in &v.matches {
        out.push_str(&format!("match {p} {} distance={} threshold={}", m.signal, m.distance, m.threshold));
        if let Some(variant) = m.variant {
            out.push_str(&format!(" variant={}", variant.name()));
        }
        out.push_str(&format!(" list={} entry={}", printable(&m.list_id), m.entry));
        if let Some(label) = &m.label {
            out.push_str(&format!(" label={}", printable(label)));
        }
        out.push('\n');
    }
    if v.matches_truncated > 0 {
        out.push_str(&format!("match {p} truncated={} (more matches, not listed)\n", v.matches_truncated));
    }
    out
}

/// One line of `--json`: the file's path and its verdict, in the verdict
/// schema (`docs/verdict.md`).
fn json_line(path: &Path, v: &Verdict) -> String {
    #[derive(serde::Serialize)]
    struct Line<'a> {
        path: String,
        #[serde(flatten)]
        verdict: &'a Verdict,
    }
    let line = Line { path: path_text(path), verdict: v };
    // A verdict is strings, numbers and booleans: it always serialises.
    format!("{}\n", serde_json::to_string(&line).unwrap_or_default())
}
