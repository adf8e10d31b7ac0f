//! `prescan list build | verify | inspect`: make, check and read signed
//! hash lists.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use prescan::list::format::{self, ListBuilder, ListLimits, UnsignedList};
use prescan::list::import::{self, ImportLimits, ImportOptions, InputFormat};
use prescan::list::keys::{SIGNATURE_LEN, SecretKey};
use prescan::list::{Entry, SignalType, Thresholds};

use super::{Outcome, files, load_list, printable, printable_path, public_key, time};

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
    /// duration from now (90d, 12h). Must be in the future. Required
    /// unless --no-expiry.
    #[arg(long, value_name = "WHEN", required_unless_present = "no_expiry", conflicts_with = "no_expiry")]
    expires: Option<String>,
    /// The list never expires: hosts accept it until they stop trusting
    /// its key or raise their minimum sequence. An explicit choice.
    #[arg(long)]
    no_expiry: bool,
    /// Signal type of inputs that do not name one (bare hashes, HMA CSV).
    #[arg(long = "type", value_name = "TYPE")]
    signal_type: Option<String>,
    /// Input format (lines, csv, json, bare); default: detected per file.
    #[arg(long)]
    format: Option<String>,
    /// Match threshold for a signal type, e.g. `--threshold pdq=31`; repeat
    /// for several types (a type given twice takes the last).
    #[arg(long, value_name = "TYPE=BITS")]
    threshold: Vec<String>,
    /// Stop at the first bad entry instead of skipping and reporting it.
    #[arg(long)]
    strict: bool,
    /// Write the list even when an input yields no entry or the list holds
    /// none (every image then checks clear against it).
    #[arg(long)]
    allow_empty: bool,
    /// Sign with a secret key file that other users may read (group or
    /// world permissions); without it such a key is refused.
    #[arg(long)]
    allow_readable_secret: bool,
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
    /// A file holding the highest sequence accepted so far: a lower one is
    /// refused (rollback), a higher one is recorded. Created when missing.
    #[arg(long, value_name = "FILE")]
    sequence_file: Option<PathBuf>,
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
    let sign = printable_path(&args.sign);
    check_secret_permissions(&args.sign, args.allow_readable_secret)?;
    let secret = std::fs::read_to_string(&args.sign).map_err(|e| format!("{sign}: {e}"))?;
    let key = SecretKey::from_text(&secret).map_err(|e| format!("{sign}: {e}"))?;
    refuse_overwrite(&args.out, &args.sign, &args.inputs)?;
    let now = time::now();
    let expires = match &args.expires {
        None => None,
        Some(when) => {
            let at = time::parse(when, now)?;
            if at <= now {
                return Err(format!(
                    "--expires {when:?} is {}, not in the future: the list would be expired when made \
                     (for a list that never expires, say --no-expiry)",
                    time::format(at)
                ));
            }
            Some(at)
        }
    };
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
    let mut thresholds = Thresholds::default();
    for t in &args.threshold {
        let (name, bits) = t.split_once('=').ok_or_else(|| format!("--threshold {t:?}: expected TYPE=BITS"))?;
        let bits = bits.parse::<u32>().map_err(|_| format!("--threshold {t:?}: BITS is not a number"))?;
        let signal = signal_type(name)?;
        if bits > signal.max_threshold() {
            return Err(format!(
                "--threshold {t:?}: over the largest accepted for {signal}, {} bits",
                signal.max_threshold()
            ));
        }
        thresholds.set(signal, bits);
    }

    let mut entries: Vec<Entry> = Vec::new();
    let mut rejected = 0usize;
    for input in &args.inputs {
        let name = printable_path(input);
        // Read as a stream, under the importer's own limits (records, line
        // length), not held whole: ten million lines are 690 MB.
        let file = files::open_regular(input).map_err(|e| format!("{name}: {e}"))?;
        let imported = import::import_reader(file, &options, &ImportLimits::default())
            .map_err(|e| format!("{name}: {}", printable(&e.to_string())))?;
        for r in &imported.rejected {
            eprintln!("prescan: {name}: {}: {}", r.location, printable(&r.reason));
        }
        if imported.entries.is_empty() && !args.allow_empty {
            return Err(format!(
                "{name}: no entry imported ({} rejected): nothing from this input would be listed; \
                 no list written (pass --allow-empty if that is meant)",
                imported.rejected.len()
            ));
        }
        rejected += imported.rejected.len();
        let mut imported = imported.entries;
        for e in &mut imported {
            // A vPDQ hash file is one video: named after its file.
            if e.signal.is_video() && e.label.is_none() {
                e.label = input.file_stem().map(|s| s.to_string_lossy().into_owned());
            }
        }
        if entries.is_empty() {
            entries = imported;
        } else {
            entries.append(&mut imported);
        }
    }
    // Each input was deduplicated by its import; across inputs, the first
    // input's entry is kept.
    let duplicates = if args.inputs.len() > 1 { drop_repeats(&mut entries) } else { 0 };
    if entries.is_empty() && !args.allow_empty {
        return Err(
            "no entry to list: every image would check clear; no list written (pass --allow-empty if that is meant)"
                .into(),
        );
    }
    let builder = ListBuilder { id: args.id.clone(), sequence: args.sequence, created: now, expires, thresholds };
    let list = builder.unsigned(&entries, &key.public()).map_err(|e| e.to_string())?;
    let written = write_signed(&args.out, &list, &key)?;
    let mut per_type = [0usize; SignalType::ALL.len()];
    for e in &entries {
        if let Some(n) = per_type.get_mut(e.signal as usize) {
            *n += 1;
        }
    }
    let mut counts = String::new();
    for (t, n) in SignalType::ALL.iter().zip(per_type) {
        if n > 0 {
            counts.push_str(&format!(" {t}={n}"));
        }
    }
    eprintln!(
        "wrote {} ({} bytes): {} entries ({}), {rejected} rejected, {duplicates} duplicates across inputs; signed by key {}",
        printable_path(&args.out),
        written,
        entries.len(),
        counts.trim(),
        key.public().id()
    );
    // The process ends next: freeing ten million entries one by one (their
    // hashes and labels) took most of a second, for memory the system
    // takes back at once.
    std::mem::forget(entries);
    std::mem::forget(list);
    Ok(Outcome::Success)
}

/// Takes out of `entries` each that repeats an earlier one's type and hash
/// (found by sorting, as the importer does), keeping the order; how many.
fn drop_repeats(entries: &mut Vec<Entry>) -> usize {
    let repeats = prescan::list::duplicate_entries(entries);
    let mut drop = repeats.iter().map(|&(_, r)| r).peekable();
    let mut i = 0;
    entries.retain(|_| {
        let repeat = drop.next_if_eq(&i).is_some();
        i += 1;
        !repeat
    });
    repeats.len()
}

/// Refuses a secret key file that users other than its owner may read,
/// unless `allow`: a signing key on a shared machine is a key others hold.
fn check_secret_permissions(path: &Path, allow: bool) -> Result<(), String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).map_err(|e| format!("{}: {e}", printable_path(path)))?.permissions().mode();
        if mode & 0o077 != 0 && !allow {
            return Err(format!(
                "{}: the secret key can be read by others (mode {:o}): chmod 600 it, or pass --allow-readable-secret",
                printable_path(path),
                mode & 0o777
            ));
        }
    }
    let _ = (path, allow);
    Ok(())
}

/// Refuses an output path that would destroy something: the secret key
/// being signed with, an input, or any existing key file.
fn refuse_overwrite(out: &Path, secret: &Path, inputs: &[PathBuf]) -> Result<(), String> {
    let name = printable_path(out);
    if !out.exists() {
        return Ok(());
    }
    let same = |other: &Path| match (std::fs::canonicalize(out), std::fs::canonicalize(other)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if same(secret) {
        return Err(format!("--out {name} is the secret key given to --sign: not overwritten"));
    }
    if inputs.iter().any(|i| same(i)) {
        return Err(format!("--out {name} is one of the inputs: not overwritten"));
    }
    // Key files are short text; a list is binary and starts with its magic.
    if let Ok(text) = files::read_capped(out, 4096).map(String::from_utf8)
        && let Ok(text) = text
        && (SecretKey::from_text(&text).is_ok() || prescan::list::keys::PublicKey::from_hex(&text).is_ok())
    {
        return Err(format!("--out {name} holds a key: not overwritten"));
    }
    Ok(())
}

/// Writes `list` signed by `key` to `path` through [`replace_with`], and
/// says how many bytes: its bytes are written while a second thread signs
/// them (signing reads them twice: ten million entries take about as long
/// to sign as to write).
fn write_signed(path: &Path, list: &UnsignedList, key: &SecretKey) -> Result<usize, String> {
    std::thread::scope(|scope| {
        let signer = scope.spawn(|| list.signature(key));
        replace_with(path, |file| {
            file.write_all(list.bytes())?;
            let signed = signer.join().map_err(|_| std::io::Error::other("the signing thread stopped"))?;
            file.write_all(&signed.map_err(|e| std::io::Error::other(e.to_string()))?)
        })
    })?;
    Ok(list.bytes().len() + SIGNATURE_LEN)
}

/// Writes a file at `path` by `write`, through a temporary file beside it
/// renamed over it once whole: a reader (a server reloading the list) never
/// sees half a list.
fn replace_with(path: &Path, write: impl FnOnce(&mut std::fs::File) -> std::io::Result<()>) -> Result<(), String> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".tmp-{}", std::process::id()));
    let tmp = PathBuf::from(tmp);
    let result =
        std::fs::File::create(&tmp).and_then(|mut file| write(&mut file)).and_then(|()| std::fs::rename(&tmp, path));
    result.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        format!("{}: {e}", printable_path(path))
    })
}

fn verify(args: &VerifyArgs) -> Result<Outcome, String> {
    let list = load_list(&args.list, &args.public, args.min_sequence, args.sequence_file.as_deref())?;
    let m = list.meta();
    println!(
        "{}: OK: list {:?} sequence {} signed by key {}, {} entries{}",
        printable_path(&args.list),
        printable(&m.id),
        m.sequence,
        m.key_id,
        list.len(),
        duplicates_note(list.duplicates()),
    );
    Ok(Outcome::Success)
}

fn duplicates_note(duplicates: usize) -> String {
    if duplicates == 0 { String::new() } else { format!(" ({duplicates} repeat an earlier entry's hash)") }
}

fn inspect(args: &InspectArgs) -> Result<Outcome, String> {
    let name = printable_path(&args.list);
    let bytes = files::read(&args.list).map_err(|e| format!("{name}: {e}"))?;
    let status = match &args.public {
        None => None,
        Some(k) => Some(format::verify_signature(&bytes, &public_key(k)?)),
    };
    // Before the signature is checked the list's text is only its claim;
    // say so before printing any of it.
    match &status {
        Some(Ok(())) => {}
        Some(Err(_)) => println!("UNVERIFIED: the signature does not verify; what follows is what the file claims"),
        None => println!("UNVERIFIED: signature not checked (give --public KEY); what follows is what the file claims"),
    }
    let info = format::inspect(&bytes, &ListLimits::default()).map_err(|e| format!("{name}: {e}"))?;
    let m = &info.meta;
    println!("list      {}", printable(&m.id));
    println!("sequence  {}", m.sequence);
    println!("created   {}", time::format(m.created));
    println!("expires   {}", m.expires.map_or_else(|| "never".to_owned(), time::format));
    println!("key id    {}", m.key_id);
    println!("bytes     {}", info.bytes);
    for (signal, threshold, count, labels) in &info.sections {
        let labels = if *labels { ", labelled" } else { "" };
        println!("section   {signal:<10} {count:>10} entries, threshold {threshold}{labels}");
    }
    if info.duplicates > 0 {
        println!("duplicates {} entries repeat an earlier entry's hash", info.duplicates);
    }
    let line = match &status {
        None => "not checked (give --public KEY)".to_owned(),
        Some(Ok(())) => "valid".to_owned(),
        Some(Err(e)) => format!("INVALID: {e}"),
    };
    println!("signature {line}");
    Ok(if matches!(status, Some(Err(_))) { Outcome::SomeFailed } else { Outcome::Success })
}
