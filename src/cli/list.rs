//! `prescan list build | verify | inspect`: make, check and read signed
//! hash lists.

use std::collections::HashSet;
use std::path::PathBuf;

use clap::{Args, Subcommand};
use prescan::list::format::{self, ListBuilder, ListLimits};
use prescan::list::import::{self, ImportOptions, InputFormat};
use prescan::list::keys::SecretKey;
use prescan::list::{Entry, SignalType};

use super::{Outcome, files, load_list, public_key, time};

#[derive(Debug, Subcommand)]
pub enum ListCommand {
    /// Import hashes from lists in the formats issuers ship (ThreatExchange
    /// lines or CSV, HMA CSV, StopNCII-style JSON, bare hashes) and write a
    /// signed prescan list.
    Build(BuildArgs),
    /// Check that a list is signed by KEY, well formed, current and not
    /// older than --min-sequence: what a host does before trusting it.
    Verify(VerifyArgs),
    /// Print a list's metadata, counts per signal type and signature status.
    Inspect(InspectArgs),
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// The issuer's secret key file.
    #[arg(long, value_name = "SECRET")]
    sign: PathBuf,
    /// The list's name.
    #[arg(long)]
    id: String,
    /// Sequence number: higher than every earlier list from this issuer.
    #[arg(long)]
    sequence: u64,
    /// When the list expires: Unix seconds, YYYY-MM-DD[THH:MM:SSZ], or a
    /// duration from now (90d, 12h). Default: never.
    #[arg(long, value_name = "WHEN")]
    expires: Option<String>,
    /// Signal type of inputs that do not name one (bare hashes, HMA CSV).
    #[arg(long = "type", value_name = "TYPE")]
    signal_type: Option<String>,
    /// Input format (lines, csv, json, bare); default: detected per file.
    #[arg(long)]
    format: Option<String>,
    /// Match threshold for a signal type, e.g. `--threshold pdq=31`.
    #[arg(long, value_name = "TYPE=BITS")]
    threshold: Vec<String>,
    /// Stop at the first bad entry instead of skipping and reporting it.
    #[arg(long)]
    strict: bool,
    /// Where to write the list.
    #[arg(long)]
    out: PathBuf,
    /// Input files.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Trusted public key: 64 hex digits or a file holding them.
    #[arg(long, value_name = "KEY")]
    public: String,
    /// Lowest sequence number accepted.
    #[arg(long, default_value_t = 0)]
    min_sequence: u64,
    /// The list file.
    list: PathBuf,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Public key to check the signature with (64 hex digits or a file);
    /// without it the signature is reported as not checked.
    #[arg(long, value_name = "KEY")]
    public: Option<String>,
    /// The list file.
    list: PathBuf,
}

pub fn run(command: &ListCommand) -> Result<Outcome, String> {
    match command {
        ListCommand::Build(a) => build(a),
        ListCommand::Verify(a) => verify(a),
        ListCommand::Inspect(a) => inspect(a),
    }
}

fn signal_type(name: &str) -> Result<SignalType, String> {
    SignalType::from_name(name).ok_or_else(|| {
        let known: Vec<&str> = SignalType::ALL.iter().map(|s| s.name()).collect();
        format!("unknown signal type {name:?} (known: {})", known.join(", "))
    })
}

fn build(args: &BuildArgs) -> Result<Outcome, String> {
    let secret = std::fs::read_to_string(&args.sign).map_err(|e| format!("{}: {e}", args.sign.display()))?;
    let key = SecretKey::from_text(&secret).map_err(|e| format!("{}: {e}", args.sign.display()))?;
    let now = time::now();
    let expires = args.expires.as_deref().map(|w| time::parse(w, now)).transpose()?;
    let format = args
        .format
        .as_deref()
        .map(|f| InputFormat::from_name(f).ok_or_else(|| format!("unknown input format {f:?}")))
        .transpose()?;
    let options = ImportOptions {
        format,
        signal_type: args.signal_type.as_deref().map(signal_type).transpose()?,
        strict: args.strict,
    };
    let mut thresholds = Vec::new();
    for t in &args.threshold {
        let (name, bits) = t.split_once('=').ok_or_else(|| format!("--threshold {t:?}: expected TYPE=BITS"))?;
        let bits = bits.parse::<u32>().map_err(|_| format!("--threshold {t:?}: BITS is not a number"))?;
        thresholds.push((signal_type(name)?, bits));
    }

    let mut entries: Vec<Entry> = Vec::new();
    let mut seen: HashSet<(SignalType, Vec<u8>)> = HashSet::new();
    let (mut rejected, mut duplicates) = (0usize, 0usize);
    for input in &args.inputs {
        let bytes = files::read(input).map_err(|e| format!("{}: {e}", input.display()))?;
        let text = String::from_utf8(bytes).map_err(|_| format!("{}: not UTF-8 text", input.display()))?;
        let imported = import::import(&text, &options).map_err(|e| format!("{}: {e}", input.display()))?;
        for r in &imported.rejected {
            eprintln!("prescan: {}: {}: {}", input.display(), r.location, r.reason);
        }
        rejected += imported.rejected.len();
        for e in imported.entries {
            if seen.insert((e.signal, e.hash.clone())) {
                entries.push(e);
            } else {
                duplicates += 1;
            }
        }
    }
    let builder = ListBuilder { id: args.id.clone(), sequence: args.sequence, created: now, expires, thresholds };
    let bytes = builder.build(&entries, &key).map_err(|e| e.to_string())?;
    std::fs::write(&args.out, &bytes).map_err(|e| format!("{}: {e}", args.out.display()))?;
    let mut counts = String::new();
    for t in SignalType::ALL {
        let n = entries.iter().filter(|e| e.signal == t).count();
        if n > 0 {
            counts.push_str(&format!(" {t}={n}"));
        }
    }
    eprintln!(
        "wrote {} ({} bytes): {} entries ({}), {rejected} rejected, {duplicates} duplicates across inputs; signed by key {}",
        args.out.display(),
        bytes.len(),
        entries.len(),
        counts.trim(),
        key.public().id()
    );
    Ok(Outcome::Success)
}

fn verify(args: &VerifyArgs) -> Result<Outcome, String> {
    let list = load_list(&args.list, &args.public, args.min_sequence)?;
    let m = list.meta();
    println!(
        "{}: OK: list {:?} sequence {} signed by key {}, {} entries",
        args.list.display(),
        m.id,
        m.sequence,
        m.key_id,
        list.len()
    );
    Ok(Outcome::Success)
}

fn inspect(args: &InspectArgs) -> Result<Outcome, String> {
    let bytes = files::read(&args.list).map_err(|e| format!("{}: {e}", args.list.display()))?;
    let info = format::inspect(&bytes, &ListLimits::default()).map_err(|e| format!("{}: {e}", args.list.display()))?;
    let m = &info.meta;
    println!("list      {}", m.id);
    println!("sequence  {}", m.sequence);
    println!("created   {}", time::format(m.created));
    println!("expires   {}", m.expires.map_or_else(|| "never".to_owned(), time::format));
    println!("key id    {}", m.key_id);
    println!("bytes     {}", info.bytes);
    for (signal, threshold, count, labels) in &info.sections {
        let labels = if *labels { ", labelled" } else { "" };
        println!("section   {signal:<10} {count:>10} entries, threshold {threshold}{labels}");
    }
    let status = match &args.public {
        None => "not checked (give --public KEY)".to_owned(),
        Some(k) => match format::verify_signature(&bytes, &public_key(k)?) {
            Ok(()) => "valid".to_owned(),
            Err(e) => format!("INVALID: {e}"),
        },
    };
    println!("signature {status}");
    Ok(if status.starts_with("INVALID") { Outcome::SomeFailed } else { Outcome::Success })
}
