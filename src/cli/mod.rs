//! Arguments, dispatch and exit statuses of the `prescan` command.
//!
//! Exit statuses follow grep: 0 when all went well (and, for `check`,
//! nothing matched), 1 when `check` found a match, 2 when anything failed
//! (a file that could not be read or decoded, a list refused, a bad
//! argument).

mod check;
mod files;
mod hash;
mod key;
mod list;
mod nice;
mod serve;
mod time;
mod video;
mod walk;

use std::path::Path;

use prescan::list::format::{ListLimits, LoadOptions, SignedList};
use prescan::list::keys::PublicKey;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Pre-upload image checks: hash images as hash lists are built.
#[derive(Debug, Parser)]
#[command(name = "prescan", version, about, propagate_version = true)]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Hash image files: PDQ, the image_hasher hashes, MD5, SHA-1, SHA-256.
    ///
    /// Plain output is one line per hash, `<signal_type> <hash> <path>`,
    /// with the signal types ThreatExchange uses (`pdq`, `md5`, `sha1`,
    /// `sha256`) and prescan's perceptual names (`phash`, `dhash`,
    /// `ahash`, `blockhash`), plus `pdq_quality <0-100> <path>`.
    /// Directories are walked recursively and hashed in parallel.
    Hash(hash::HashArgs),
    /// Make signing keys for hash lists.
    #[command(subcommand)]
    Key(key::KeyCommand),
    /// Build, verify and inspect signed hash lists.
    #[command(subcommand)]
    List(list::ListCommand),
    /// Check image files against a signed list: exit 0 when nothing
    /// matched, 1 when something matched, 2 on any error.
    Check(check::CheckArgs),
    /// Serve a signed list over HTTP: browsers send the hashes of the files
    /// people pick and get verdicts back; the list never leaves the server.
    Serve(serve::ServeArgs),
}

/// Runs the command line and returns its exit status.
pub fn main() -> ExitCode {
    let args = Args::parse();
    let outcome = match args.command {
        Command::Hash(a) => hash::run(&a),
        Command::Key(c) => key::run(&c),
        Command::List(c) => list::run(&c),
        Command::Check(a) => check::run(&a),
        Command::Serve(a) => serve::run(&a),
    };
    match outcome {
        Ok(Outcome::Success) => ExitCode::SUCCESS,
        Ok(Outcome::Matched) => ExitCode::from(1),
        Ok(Outcome::SomeFailed) => ExitCode::from(2),
        Err(message) => {
            eprintln!("prescan: {message}");
            ExitCode::from(2)
        }
    }
}

/// How a command that ran to the end went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// Every input was handled.
    Success,
    /// `check` found at least one match, and nothing failed.
    Matched,
    /// At least one input failed and was reported; the others were handled.
    SomeFailed,
}

/// A public key given as 64 hex digits, or as a file holding them.
fn public_key(arg: &str) -> Result<PublicKey, String> {
    if arg.len() == 64 && arg.bytes().all(|b| b.is_ascii_hexdigit()) {
        return PublicKey::from_hex(arg).map_err(|e| e.to_string());
    }
    let text = std::fs::read_to_string(arg).map_err(|e| format!("public key {arg}: {e}"))?;
    PublicKey::from_hex(&text).map_err(|e| format!("public key {arg}: {e}"))
}

/// Reads the list at `path` and accepts it as a host would: signed by the
/// public key `public` (hex or file), current, and not older than
/// `min_sequence` nor than the sequence recorded in `sequence_file`, when
/// given. Once the list is accepted, its sequence is recorded there when it
/// is higher (the file is created if missing), so that a later run refuses
/// an older list replayed: rollback protection across runs.
fn load_list(path: &Path, public: &str, min_sequence: u64, sequence_file: Option<&Path>) -> Result<SignedList, String> {
    let key = public_key(public)?;
    let seen = sequence_file.map(read_sequence).transpose()?.flatten().unwrap_or(0);
    let bytes = files::read(path).map_err(|e| format!("{}: {e}", printable_path(path)))?;
    let options = LoadOptions {
        trusted_keys: vec![key],
        now: time::now(),
        min_sequence: min_sequence.max(seen),
        limits: ListLimits::default(),
    };
    let list = SignedList::load(bytes, &options).map_err(|e| format!("{}: {e}", printable_path(path)))?;
    if let Some(file) = sequence_file
        && list.meta().sequence > seen
    {
        write_sequence(file, list.meta().sequence)?;
    }
    Ok(list)
}

/// The sequence number recorded in `file`; `None` when it does not exist.
fn read_sequence(file: &Path) -> Result<Option<u64>, String> {
    match std::fs::read_to_string(file) {
        Ok(text) => text
            .trim()
            .parse::<u64>()
            .map(Some)
            .map_err(|_| format!("{}: not a sequence number (one decimal number)", printable_path(file))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("{}: {e}", printable_path(file))),
    }
}

/// Records `sequence` in `file`, through a temporary file and a rename, so
/// that a crash never leaves a truncated number behind.
fn write_sequence(file: &Path, sequence: u64) -> Result<(), String> {
    let tmp = file.with_extension("tmp");
    std::fs::write(&tmp, format!("{sequence}\n"))
        .and_then(|()| std::fs::rename(&tmp, file))
        .map_err(|e| format!("{}: {e}", printable_path(file)))
}

/// `text` safe to print on a terminal: control characters (escape
/// sequences, line breaks, tabs, DEL, C1 controls) and the Unicode
/// direction overrides are written as escapes (`\n`, `\u{1b}`), so that a
/// file name, label or list id cannot forge output lines or colours.
/// Text without them comes back unchanged.
pub fn printable(text: &str) -> String {
    let unsafe_char = |c: char| c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
    if !text.chars().any(unsafe_char) {
        return text.to_owned();
    }
    text.chars().map(|c| if unsafe_char(c) { c.escape_default().to_string() } else { c.to_string() }).collect()
}

/// A path for a message or output line, through [`printable`].
pub fn printable_path(path: &Path) -> String {
    printable(&path.to_string_lossy())
}
