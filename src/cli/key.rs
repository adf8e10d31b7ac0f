//! `prescan key new`: make a signing key pair.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use prescan::list::keys::SecretKey;

use super::{Outcome, printable_path};

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

/// Writes both files or neither: each is created new (never over an
/// existing file), and if the second cannot be, the first is removed, so
/// a failed run leaves no secret without its public key.
fn new(args: &NewArgs) -> Result<Outcome, String> {
    if args.secret == args.public {
        return Err("--secret and --public name the same file".into());
    }
    for path in [&args.public, &args.secret] {
        if path.exists() {
            return Err(format!("{}: already exists: not overwritten", printable_path(path)));
        }
    }
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| format!("no random source: {e}"))?;
    let key = SecretKey::from_seed(seed);
    seed.fill(0);
    let public = key.public();
    write_new(&args.public, format!("{}\n", public.to_hex()).as_bytes(), false)?;
    if let Err(e) = write_new(&args.secret, key.to_text().as_bytes(), true) {
        let _ = std::fs::remove_file(&args.public);
        return Err(e);
    }
    println!("public key {} (id {})", public.to_hex(), public.id());
    Ok(Outcome::Success)
}

/// Writes a file that must not exist yet; a secret one readable by its
/// owner only. A file it created but could not fill is removed.
fn write_new(path: &Path, contents: &[u8], secret: bool) -> Result<(), String> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let _ = secret;
    let mut file = options.open(path).map_err(|e| format!("{}: {e}", printable_path(path)))?;
    file.write_all(contents).and_then(|()| file.sync_all()).map_err(|e| {
        let _ = std::fs::remove_file(path);
        format!("{}: {e}", printable_path(path))
    })
}
