//! `prescan check`: check files against a signed list, as grep reports:
//! exit status 0 when nothing matched, 1 when something matched, 2 on any
//! error.

use std::path::{Path, PathBuf};

use clap::Args;
use prescan::check::{CheckOptions, Checker, Verdict};
use prescan::hash::vpdq::{DEFAULT_SECONDS_PER_HASH, VpdqThresholds};
use serde_json::json;

use super::files::{self, Failure, path_text};
use super::{Outcome, load_list, printable, printable_path, video, walk};

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
    /// Videos: hash a frame every this many seconds (0: every frame).
    #[arg(long, default_value_t = DEFAULT_SECONDS_PER_HASH, value_name = "SECONDS")]
    seconds_per_hash: f64,
    /// Smallest share of a video's frames that must match a listed video's,
    /// in percent (python-threatexchange's vPDQ rule: 80).
    #[arg(long, default_value_t = 80.0, value_name = "PERCENT")]
    vpdq_query_percent: f64,
    /// Smallest share of the listed video's frames that must match, in
    /// percent (python-threatexchange's: 0).
    #[arg(long, default_value_t = 0.0, value_name = "PERCENT")]
    vpdq_compared_percent: f64,
    /// Image and video files, or directories to walk recursively.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
}

pub fn run(args: &CheckArgs) -> Result<Outcome, String> {
    let list = load_list(&args.list, &args.public, args.min_sequence, args.sequence_file.as_deref())?;
    for (name, p) in
        [("--vpdq-query-percent", args.vpdq_query_percent), ("--vpdq-compared-percent", args.vpdq_compared_percent)]
    {
        if !(0.0..=100.0).contains(&p) {
            return Err(format!("{name} {p}: a percentage from 0 to 100"));
        }
    }
    let vpdq = VpdqThresholds {
        query_percent: args.vpdq_query_percent,
        compared_percent: args.vpdq_compared_percent,
        ..VpdqThresholds::default()
    };
    let options = CheckOptions { report_pdq_nearest: args.pdq_nearest, vpdq, ..CheckOptions::default() };
    let checker = Checker::new(list, options).map_err(|e| e.to_string())?;

    let files = walk::files(&args.paths);
    let mut tally = Tally::default();
    let mut out = std::io::stdout().lock();
    for run in video::runs(&files) {
        match run {
            video::Run::Images(images) => files::for_each(
                images,
                |bytes| checker.check_bytes(bytes),
                |path, result, warn| {
                    let text = tally.report(args, path, result, warn);
                    files::emit(&mut out, &text)
                },
            )?,
            video::Run::Video(path) => {
                let result = video::hash_with_progress(path, args.seconds_per_hash)
                    .map(|h| checker.check_video(h.features, Some(&h.digests)))
                    .map_err(Failure::video);
                let text = tally.report(args, path, result, &|line: &str| eprintln!("{line}"));
                files::emit(&mut out, &text)?;
            }
        }
    }
    Ok(match (tally.failed, tally.matched) {
        (true, _) => Outcome::SomeFailed,
        (false, true) => Outcome::Matched,
        (false, false) => Outcome::Success,
    })
}

/// Whether any file matched, and whether any failed.
#[derive(Default)]
struct Tally {
    matched: bool,
    failed: bool,
}

impl Tally {
    /// The output for one file's result, counted.
    fn report(
        &mut self,
        args: &CheckArgs,
        path: &Path,
        result: Result<Verdict, Failure>,
        warn: &dyn Fn(&str),
    ) -> String {
        match result {
            Ok(v) => {
                self.matched |= v.matched;
                if let Some(e) = &v.decode_error {
                    self.failed = true;
                    if !args.json {
                        warn(&format!("prescan: {}: {e} (checked by digests only)", printable_path(path)));
                    }
                }
                if args.json { json_line(path, &v) } else { plain(path, &v) }
            }
            Err(e) => {
                self.failed = true;
                if args.json {
                    format!("{}\n", json!({ "path": path_text(path), "error": e.json() }))
                } else {
                    warn(&format!("prescan: {}: {}", printable_path(path), printable(&e.message)));
                    String::new()
                }
            }
        }
    }
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
        if let Some(c) = m.video {
            out.push_str(&format!(" query_percent={:.2} compared_percent={:.2}", c.query_percent, c.compared_percent));
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
