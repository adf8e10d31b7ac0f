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
mod time;
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
}

/// Runs the command line and returns its exit status.
pub fn main() -> ExitCode {
    let args = Args::parse();
    let outcome = match args.command {
        Command::Hash(a) => hash::run(&a),
        Command::Key(c) => key::run(&c),
        Command::List(c) => list::run(&c),
        Command::Check(a) => check::run(&a),
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
/// `min_sequence`.
fn load_list(path: &Path, public: &str, min_sequence: u64) -> Result<SignedList, String> {
    let key = public_key(public)?;
    let bytes = files::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let options =
        LoadOptions { trusted_keys: vec![key], now: time::now(), min_sequence, limits: ListLimits::default() };
    SignedList::load(bytes, &options).map_err(|e| format!("{}: {e}", path.display()))
}
