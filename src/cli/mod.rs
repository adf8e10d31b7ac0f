//! Arguments, dispatch and exit statuses of the `prescan` command.
//!
//! Exit statuses follow grep: 0 when all went well, 2 when anything failed
//! (a file that could not be read or decoded, a bad argument).

mod hash;
mod walk;

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
}

/// Runs the command line and returns its exit status.
pub fn main() -> ExitCode {
    let args = Args::parse();
    let outcome = match args.command {
        Command::Hash(a) => hash::run(&a),
    };
    match outcome {
        Ok(Outcome::Success) => ExitCode::SUCCESS,
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
    /// At least one input failed and was reported; the others were handled.
    SomeFailed,
}
