//! `prescan key new`: make a signing key pair.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, Subcommand};
use prescan::list::keys::SecretKey;

use super::Outcome;

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Make a new Ed25519 key pair from the operating system's random
    /// source: the secret key file (keep it offline) and the public key
    /// (64 hex digits, for hosts to trust).
    New(NewArgs),
}

#[derive(Debug, Args)]
pub struct NewArgs {
    /// Where to write the secret key (created; never overwritten).
    #[arg(long)]
    secret: PathBuf,
    /// Where to write the public key.
    #[arg(long)]
    public: PathBuf,
}

pub fn run(command: &KeyCommand) -> Result<Outcome, String> {
    match command {
        KeyCommand::New(a) => new(a),
    }
}

fn new(args: &NewArgs) -> Result<Outcome, String> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| format!("no random source: {e}"))?;
    let key = SecretKey::from_seed(seed);
    seed.fill(0);
    write_new(&args.secret, key.to_text().as_bytes(), true)?;
    let public = key.public();
    write_new(&args.public, format!("{}\n", public.to_hex()).as_bytes(), false)?;
    println!("public key {} (id {})", public.to_hex(), public.id());
    Ok(Outcome::Success)
}

/// Writes a file that must not exist yet; a secret one readable by its
/// owner only.
fn write_new(path: &PathBuf, contents: &[u8], secret: bool) -> Result<(), String> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let _ = secret;
    let mut file = options.open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    file.write_all(contents).map_err(|e| format!("{}: {e}", path.display()))
}
