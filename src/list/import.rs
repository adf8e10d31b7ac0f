//! Importing hash lists from the text formats they are shipped in.
//!
//! [`import`] reads four formats, which [`detect`] tells apart:
//!
//! * [`InputFormat::Lines`]: `<signal_type> <hash> [label]` per line, as the
//!   ThreatExchange tools and `prescan hash` print them;
//! * [`InputFormat::Csv`]: a CSV export with a header row (ThreatExchange
//!   datasets, `signal_type,signal_str,…`; HMA, `indicator,indicator_id,…`);
//! * [`InputFormat::Json`]: StopNCII-style records
//!   (`{"signalType": "PDQ", "hashValue": "…"}`), as one JSON array or one
//!   record per line (JSON Lines);
//! * [`InputFormat::Bare`]: one hash per line, of a type given in the
//!   [`ImportOptions`].
//!
//! Every hash is checked before it becomes an [`Entry`]. The importer
//! refuses, naming the line or record and the reason:
//!
//! * a signal type it does not know (see [`parse_signal_type`] for the
//!   names and aliases it accepts);
//! * a hash that is not hexadecimal, or not exactly the length of its type;
//! * a placeholder instead of a hash: all zeros, all `f`, or the MD5, SHA-1
//!   or SHA-256 of the empty file (see [`parse_hash`]);
//! * a second entry with the same type and hash as an earlier one;
//! * a line or record over [`MAX_LINE_BYTES`], and malformed CSV or JSON.
//!
//! By default a refused entry is skipped and listed in
//! [`Imported::rejected`]; with [`ImportOptions::strict`] the first one ends
//! the import with [`Error::BadEntry`]. Input over [`MAX_INPUT_BYTES`] is
//! refused whole. Nothing here panics, whatever the input.
//!
//! [`to_lines`], [`to_csv`] and [`to_json`] write entries back in each
//! format, so that importing their output gives the same entries.

use std::collections::HashMap;
use std::fmt;

use serde_json::{Map, Value};

use super::{Entry, SignalType};
use crate::error::{Error, Result};
use crate::hash::bits_from_constant;
use crate::hash::vpdq::{self, VpdqFeature};
use crate::hex::{from_hex, to_hex};

/// Largest input text [`import`] reads: 1 GiB. Larger input is refused with
/// [`Error::ListTooLarge`] before anything is parsed.
pub const MAX_INPUT_BYTES: usize = 1 << 30;

/// Longest line, CSV record or JSON record, in bytes: 64 KiB. A hash list
/// entry is a few hundred bytes at most; a longer one is refused (as a bad
/// entry) without being copied.
pub const MAX_LINE_BYTES: usize = 64 * 1024;

/// Names a CSV header may give the signal type column (case-insensitive).
const TYPE_COLUMNS: [&str; 2] = ["signal_type", "type"];
/// Names a CSV header may give the hash column, in order of preference.
const HASH_COLUMNS: [&str; 5] = ["signal_str", "indicator", "hash", "hash_value", "signal_value"];
/// Names a CSV header may give the label column, in order of preference.
const LABEL_COLUMNS: [&str; 4] = ["indicator_id", "id", "label", "tags"];

/// JSON keys of the signal type, in order of preference.
const JSON_TYPE_KEYS: [&str; 2] = ["signalType", "signal_type"];
/// JSON keys of the hash, in order of preference.
const JSON_HASH_KEYS: [&str; 5] = ["hashValue", "hash", "signal_str", "hash_value", "signal_value"];
/// JSON keys of the label, in order of preference.
const JSON_LABEL_KEYS: [&str; 2] = ["label", "id"];

/// Other spellings of the signal types, compared case-insensitively, on top
/// of prescan's own names ([`SignalType::from_name`], which already covers
/// `PDQ`, `MD5`, `SHA1`, `SHA256` in any case):
///
/// * StopNCII-style media-qualified names (`ImagePDQ`, `ImageMD5`,
///   `VideoMD5`, `ImageSHA1`, …). `VideoMD5` is prescan's `video_md5`; a
///   video's other digests are digests of a file like any other, so they
///   are kept as such.
/// * ThreatExchange's `photo_md5` (its `video_md5` is prescan's own name),
///   and its older indicator types `HASH_PDQ`, `HASH_MD5`, `HASH_SHA1`,
///   `HASH_SHA256`.
const ALIASES: [(&str, SignalType); 12] = [
    ("imagepdq", SignalType::Pdq),
    ("hash_pdq", SignalType::Pdq),
    ("photo_md5", SignalType::Md5),
    ("imagemd5", SignalType::Md5),
    ("videomd5", SignalType::VideoMd5),
    ("hash_md5", SignalType::Md5),
    ("imagesha1", SignalType::Sha1),
    ("videosha1", SignalType::Sha1),
    ("hash_sha1", SignalType::Sha1),
    ("imagesha256", SignalType::Sha256),
    ("videosha256", SignalType::Sha256),
    ("hash_sha256", SignalType::Sha256),
];

/// Digests of the empty file. Listed, they would match every empty upload;
/// no body lists them on purpose.
const EMPTY_FILE_DIGESTS: [(SignalType, &str); 4] = [
    (SignalType::Md5, "d41d8cd98f00b204e9800998ecf8427e"),
    (SignalType::VideoMd5, "d41d8cd98f00b204e9800998ecf8427e"),
    (SignalType::Sha1, "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
    (SignalType::Sha256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
];

/// The text formats hash lists come in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InputFormat {
    /// `<signal_type> <hash> [label]` per line.
    Lines,
    /// CSV with a header row naming the columns.
    Csv,
    /// A JSON array of records, or JSON Lines.
    Json,
    /// One hash per line, of the type given in [`ImportOptions::signal_type`].
    Bare,
    /// vPDQ's text format (`frameNumber,quality,hash,timestamp` lines, as
    /// `vpdq-hash-video` and `prescan hash --vpdq` write them): the whole
    /// input is one video, one `vpdq` entry.
    Vpdq,
}

impl InputFormat {
    /// Every format.
    pub const ALL: [InputFormat; 5] =
        [InputFormat::Lines, InputFormat::Csv, InputFormat::Json, InputFormat::Bare, InputFormat::Vpdq];

    /// The stable name: `lines`, `csv`, `json`, `bare`, `vpdq`.
    pub const fn name(self) -> &'static str {
        match self {
            InputFormat::Lines => "lines",
            InputFormat::Csv => "csv",
            InputFormat::Json => "json",
            InputFormat::Bare => "bare",
            InputFormat::Vpdq => "vpdq",
        }
    }

    /// The format named `name` (as [`InputFormat::name`] gives it, in any
    /// case).
    pub fn from_name(name: &str) -> Option<Self> {
        InputFormat::ALL.into_iter().find(|f| f.name().eq_ignore_ascii_case(name))
    }
}

impl fmt::Display for InputFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How to read a list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportOptions {
    /// The format; `None` to [`detect`] it.
    pub format: Option<InputFormat>,
    /// The signal type of entries that do not name one: every entry of a
    /// [`InputFormat::Bare`] list, and CSV or JSON entries without a type
    /// column or key (an HMA export). Ignored by [`InputFormat::Lines`].
    pub signal_type: Option<SignalType>,
    /// Stop at the first bad entry (duplicates included) with
    /// [`Error::BadEntry`] instead of skipping it.
    pub strict: bool,
}

/// An entry the importer refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// Where: `line 12` (lines, CSV, JSON Lines, bare hashes) or `record 5`
    /// (the fifth element of a JSON array).
    pub location: String,
    /// Why it was refused.
    pub reason: String,
}

impl fmt::Display for Rejected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.reason)
    }
}

/// The result of an import.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Imported {
    /// The entries, in input order, without duplicates.
    pub entries: Vec<Entry>,
    /// Every refused entry, in input order (duplicates included).
    pub rejected: Vec<Rejected>,
    /// How many entries repeated an earlier one's type and hash. Each is
    /// also in `rejected`, with the reason `duplicate of line N` (or
    /// `record N`).
    pub duplicates: usize,
}

/// Guesses the format of `text` from its start.
///
/// * The first non-whitespace character is `[` or `{`: [`InputFormat::Json`].
/// * The first line (blank lines and `#` comments aside) starts with a
///   signal type ([`parse_signal_type`]) and has a second field:
///   [`InputFormat::Lines`], whatever the rest of the line holds.
/// * The first line (blank lines and `#` comments aside) has a comma and,
///   split at commas, a field naming a known type or hash column
///   (`signal_type`, `type`, `signal_str`, `indicator`, `hash`,
///   `hash_value`, `signal_value`, in any case): [`InputFormat::Csv`].
/// * That line has two or more whitespace-separated fields:
///   [`InputFormat::Lines`].
/// * Otherwise (one field, or no content at all): [`InputFormat::Bare`].
///
/// Never panics.
pub fn detect(text: &str) -> InputFormat {
    let text = strip_bom(text);
    if matches!(text.trim_start().chars().next(), Some('[' | '{')) {
        return InputFormat::Json;
    }
    let Some((_, first)) = content_lines(text).next() else {
        return InputFormat::Bare;
    };
    // A line that starts with a signal type and a hash is an entry, whatever
    // its label holds: `prescan hash` prints paths there, and a path such as
    // `dir/0,type,hash,.png` must not pass for a CSV header.
    let mut words = first.split_whitespace();
    if let (Some(kind), Some(_)) = (words.next(), words.next())
        && (parse_signal_type(kind).is_some() || kind == "pdq_quality" || kind.starts_with("pdq:"))
    {
        return InputFormat::Lines;
    }
    if is_vpdq_line(first) {
        return InputFormat::Vpdq;
    }
    if first.contains(',') {
        let known = first.split(',').any(|field| {
            let name = field.trim().trim_matches('"').trim();
            TYPE_COLUMNS.iter().chain(HASH_COLUMNS.iter()).any(|c| c.eq_ignore_ascii_case(name))
        });
        if known {
            return InputFormat::Csv;
        }
    }
    if first.split_whitespace().nth(1).is_some() { InputFormat::Lines } else { InputFormat::Bare }
}

/// Reads the hash list `text`.
///
/// The format is `options.format`, or [`detect`]ed. A leading byte order
/// mark is ignored. See the [module documentation](self) for what is
/// refused; entries come out in input order, the first of duplicates kept.
///
/// In [`InputFormat::Lines`], blank lines and lines starting with `#` are
/// skipped, and so, silently, are two kinds of line `prescan hash` prints
/// that are not list entries: `pdq_quality <score> <path>` (a quality
/// score, not a hash) and `pdq:<variant> <hash> <path>` (the PDQ hashes of
/// the rotations and mirrors from `--dihedral`: a list holds the hash of
/// the image as it is, and the matcher checks the variants of the upload).
/// Text after the hash is the label, inner spaces kept, so the path of
/// `prescan hash` output survives.
///
/// Labels have control characters (tabs, line breaks) turned into spaces
/// and surrounding whitespace trimmed; an empty label is no label.
///
/// # Errors
/// * [`Error::ListTooLarge`] when `text` is over [`MAX_INPUT_BYTES`].
/// * [`Error::BadEntry`] with location `options` when a [`InputFormat::Bare`]
///   list, or a CSV without a type column, has no
///   [`ImportOptions::signal_type`]; with the header's location when a CSV
///   header is malformed or names no hash column.
/// * With [`ImportOptions::strict`], [`Error::BadEntry`] for the first
///   refused entry.
///
/// Never panics.
pub fn import(text: &str, options: &ImportOptions) -> Result<Imported> {
    import_limited(text, options, MAX_INPUT_BYTES)
}

/// [`import`] with the input limit as a parameter, for tests.
fn import_limited(text: &str, options: &ImportOptions, max_input: usize) -> Result<Imported> {
    if text.len() > max_input {
        return Err(Error::ListTooLarge {
            limit: "bytes",
            requested: u64::try_from(text.len()).unwrap_or(u64::MAX),
            max: u64::try_from(max_input).unwrap_or(u64::MAX),
        });
    }
    let text = strip_bom(text);
    let format = options.format.unwrap_or_else(|| detect(text));
    let mut c = Collector { options, out: Imported::default(), seen: HashMap::new() };
    match format {
        InputFormat::Lines => import_lines(text, &mut c)?,
        InputFormat::Csv => import_csv(text, &mut c)?,
        InputFormat::Json => import_json(text, &mut c)?,
        InputFormat::Bare => import_bare(text, &mut c)?,
        InputFormat::Vpdq => import_vpdq_file(text, &mut c)?,
    }
    Ok(c.out)
}

/// The signal type called `name`: a prescan name ([`SignalType::from_name`])
/// or one of a few ThreatExchange and StopNCII aliases, in any case, with
/// surrounding whitespace ignored.
///
/// The aliases: `ImagePDQ`, `HASH_PDQ` (PDQ); `photo_md5`, `ImageMD5`,
/// `HASH_MD5` (MD5); `VideoMD5` (`video_md5`); `ImageSHA1`,
/// `VideoSHA1`, `HASH_SHA1` (SHA-1); `ImageSHA256`, `VideoSHA256`,
/// `HASH_SHA256` (SHA-256).
pub fn parse_signal_type(name: &str) -> Option<SignalType> {
    let name = name.trim();
    SignalType::from_name(name)
        .or_else(|| ALIASES.iter().find(|(alias, _)| alias.eq_ignore_ascii_case(name)).map(|&(_, s)| s))
}

/// The bytes of the hash `text` of type `signal`, as [`import`] checks
/// every hash: surrounding whitespace is trimmed, and the rest must be
/// exactly `2 × signal.hash_len()` hex digits (either case). The bytes are
/// the hex decoded in order; for PDQ they equal
/// [`PdqHash::to_bytes`](crate::hash::pdq::PdqHash::to_bytes).
///
/// Placeholders, which would match what no list means to match, are
/// refused:
/// * all zeros, of any type: filler in exports, and what PDQ and dHash
///   give a flat, blank or tiny image;
/// * all `f`, of any type: filler, and what pHash and aHash give a flat
///   image;
/// * for the perceptual types (`phash`, `dhash`, `ahash`, `blockhash`), a
///   hash within its type's default threshold
///   ([`SignalType::default_threshold`]: 8 bits of 64, 32 of 256) of all
///   zeros or all ones ([`bits_from_constant`]): flat images hash to a
///   constant, so such an entry would match every flat or blank image at
///   that threshold. The bound is the default threshold because that is
///   the distance at which the entry matches them; a real picture's hash
///   has about half its bits set;
/// * the MD5 `d41d8cd98f00b204e9800998ecf8427e`, the SHA-1
///   `da39a3ee5e6b4b0d3255bfef95601890afd80709` and the SHA-256
///   `e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855`:
///   digests of the empty file, which would match every empty upload.
///
/// # Errors
/// [`Error::InvalidHash`] naming the type and the reason (the offending
/// character, expected and actual length, or which placeholder).
///
/// Never panics.
pub fn parse_hash(signal: SignalType, text: &str) -> Result<Vec<u8>> {
    check_hash(signal, text).map_err(|reason| Error::InvalidHash { kind: signal.name(), reason })
}

/// `entries` as [`InputFormat::Lines`]: `<type> <hex>[ <label>]` per line.
///
/// Labels are written as [`import`] reads them (control characters as
/// spaces, trimmed), so importing the text gives back entries whose labels
/// were already in that form unchanged.
pub fn to_lines(entries: &[Entry]) -> String {
    let mut out = String::new();
    for e in entries {
        out.push_str(e.signal.name());
        out.push(' ');
        out.push_str(&to_hex(&e.hash));
        if let Some(label) = e.label.as_deref().and_then(clean_label) {
            out.push(' ');
            out.push_str(&label);
        }
        out.push('\n');
    }
    out
}

/// `entries` as [`InputFormat::Csv`], with the header
/// `signal_type,signal_str,label`, fields quoted as RFC 4180 asks. Labels
/// are written as in [`to_lines`]; an entry without one has an empty label.
pub fn to_csv(entries: &[Entry]) -> String {
    let mut out = String::from("signal_type,signal_str,label\n");
    for e in entries {
        out.push_str(e.signal.name());
        out.push(',');
        out.push_str(&to_hex(&e.hash));
        out.push(',');
        if let Some(label) = e.label.as_deref().and_then(clean_label) {
            if label.contains([',', '"', '\r', '\n']) {
                out.push('"');
                out.push_str(&label.replace('"', "\"\""));
                out.push('"');
            } else {
                out.push_str(&label);
            }
        }
        out.push('\n');
    }
    out
}

/// `entries` as [`InputFormat::Json`]: an array of
/// `{"signalType", "hashValue", "label"}` records (the label `null` when
/// there is none), one per line. Labels are written as in [`to_lines`].
pub fn to_json(entries: &[Entry]) -> String {
    let mut out = String::from("[");
    for (i, e) in entries.iter().enumerate() {
        out.push_str(if i == 0 { "\n" } else { ",\n" });
        let mut record = Map::new();
        record.insert("signalType".to_owned(), Value::String(e.signal.name().to_owned()));
        record.insert("hashValue".to_owned(), Value::String(to_hex(&e.hash)));
        let label = e.label.as_deref().and_then(clean_label).map_or(Value::Null, Value::String);
        record.insert("label".to_owned(), label);
        out.push_str(&Value::Object(record).to_string());
    }
    out.push_str("\n]\n");
    out
}

/// Where an entry is in its input, for messages: kept as numbers, and
/// written out only for the entries refused (a string a line cost about a
/// tenth of an import's time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Location {
    /// A line (or a CSV record starting there), from 1.
    Line(usize),
    /// An element of a JSON array, from 1.
    Record(usize),
    /// The end of a JSON array's input, reached inside the array.
    EndOfInput,
    /// Text after a JSON array.
    AfterArray,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Line(n) => write!(f, "line {n}"),
            Location::Record(n) => write!(f, "record {n}"),
            Location::EndOfInput => f.write_str("end of input"),
            Location::AfterArray => f.write_str("after the array"),
        }
    }
}

/// The entries read so far, the refused ones, and the hashes seen.
struct Collector<'a> {
    options: &'a ImportOptions,
    out: Imported,
    /// Each hash kept, with the location of its entry.
    seen: HashMap<(SignalType, Vec<u8>), Location>,
}

impl Collector<'_> {
    /// Refuses the entry at `location`: an error when strict, else noted.
    fn reject(&mut self, location: Location, reason: String) -> Result<()> {
        let location = location.to_string();
        if self.options.strict {
            return Err(Error::BadEntry { location, reason });
        }
        self.out.rejected.push(Rejected { location, reason });
        Ok(())
    }

    /// The signal type of an entry that names `given` (or nothing, or an
    /// empty string), falling back to the options'. `None` when refused.
    fn signal(&mut self, location: Location, given: Option<&str>) -> Result<Option<SignalType>> {
        match given.map(str::trim).filter(|s| !s.is_empty()) {
            Some(name) => match parse_signal_type(name) {
                Some(s) => Ok(Some(s)),
                None => {
                    self.reject(location, format!("unknown signal type {}", show(name)))?;
                    Ok(None)
                }
            },
            None => match self.options.signal_type {
                Some(s) => Ok(Some(s)),
                None => {
                    self.reject(location, "no signal type, and none given in the options".to_owned())?;
                    Ok(None)
                }
            },
        }
    }

    /// Checks the hash and keeps the entry, or refuses it.
    fn add(&mut self, location: Location, signal: SignalType, hash: &str, label: Option<&str>) -> Result<()> {
        match check_hash(signal, hash) {
            Ok(bytes) => self.add_bytes(location, signal, bytes, label),
            Err(reason) => self.reject(location, reason),
        }
    }

    /// Takes the entry of checked hash bytes at `location`, unless it
    /// repeats an earlier one.
    fn add_bytes(&mut self, location: Location, signal: SignalType, bytes: Vec<u8>, label: Option<&str>) -> Result<()> {
        let key = (signal, bytes);
        if let Some(first) = self.seen.get(&key) {
            let reason = format!("duplicate of {first}");
            self.out.duplicates += 1;
            return self.reject(location, reason);
        }
        let (signal, hash) = key.clone();
        self.seen.insert(key, location);
        self.out.entries.push(Entry { signal, hash, label: label.and_then(clean_label) });
        Ok(())
    }
}

/// Reads [`InputFormat::Lines`].
fn import_lines(text: &str, c: &mut Collector<'_>) -> Result<()> {
    for_each_line(text, c, true, |location, line, c| {
        let (kind, rest) = split_field(line);
        // `prescan hash` output that is not a list entry; see `import`.
        if kind == "pdq_quality" || kind.starts_with("pdq:") {
            return Ok(());
        }
        let (hash, label) = split_field(rest);
        if hash.is_empty() {
            return c.reject(location, "expected `<signal_type> <hash> [label]`, found one field".to_owned());
        }
        let Some(signal) = parse_signal_type(kind) else {
            return c.reject(location, format!("unknown signal type {}", show(kind)));
        };
        c.add(location, signal, hash, Some(label))
    })
}

/// Reads [`InputFormat::Bare`]: a hash per line, optionally followed by a
/// label.
fn import_bare(text: &str, c: &mut Collector<'_>) -> Result<()> {
    for_each_line(text, c, true, |location, line, c| {
        let Some(signal) = c.options.signal_type else {
            return Err(Error::BadEntry {
                location: "options".to_owned(),
                reason: "bare hashes need a signal type in the import options".to_owned(),
            });
        };
        let (hash, label) = split_field(line);
        c.add(location, signal, hash, Some(label))
    })
}

/// Whether `line` is a frame of vPDQ's text format: a frame number, a
/// quality, 64 hex digits and a timestamp, split at commas.
fn is_vpdq_line(line: &str) -> bool {
    let f: Vec<&str> = line.split(',').map(str::trim).collect();
    let number = |s: &&str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    f.len() >= 4
        && f.first().is_some_and(number)
        && f.get(1).is_some_and(number)
        && f.get(2).is_some_and(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
        && f.get(3).is_some_and(|t| t.parse::<f64>().is_ok())
}

/// Reads [`InputFormat::Vpdq`]: the input is one video's frames.
fn import_vpdq_file(text: &str, c: &mut Collector<'_>) -> Result<()> {
    let location = Location::Line(1);
    match vpdq::parse_features(text, MAX_VPDQ_FRAMES) {
        Ok(features) => match vpdq_entry_bytes(&features) {
            Ok(bytes) => c.add_bytes(location, SignalType::Vpdq, bytes, None),
            Err(reason) => c.reject(location, reason),
        },
        Err(Error::BadEntry { reason, .. }) => c.reject(location, reason),
        Err(e) => c.reject(location, e.to_string()),
    }
}

/// The most frames one listed video may have: a hash a second for 24
/// hours.
pub const MAX_VPDQ_FRAMES: usize = 86_400;

/// A `vpdq` entry's bytes: the frames that take part in matching
/// ([`vpdq::matchable`]), back to back.
fn vpdq_entry_bytes(features: &[VpdqFeature]) -> std::result::Result<Vec<u8>, String> {
    let frames = vpdq::matchable(features, crate::hash::pdq::MIN_MATCHABLE_QUALITY);
    if frames.is_empty() {
        return Err(format!(
            "no frame of quality {} or more among its {}: the video would match nothing",
            crate::hash::pdq::MIN_MATCHABLE_QUALITY,
            features.len()
        ));
    }
    Ok(frames.iter().flat_map(|h| h.to_bytes()).collect())
}

/// A `vpdq` hash as python-threatexchange serialises it (HMA exports,
/// ThreatExchange's `vpdq` signals): a JSON array of `"hash,quality,
/// timestamp"` strings, one a frame.
fn parse_vpdq_json(text: &str) -> std::result::Result<Vec<u8>, String> {
    let items: Vec<String> =
        serde_json::from_str(text).map_err(|e| format!("not a vPDQ hash (a JSON array of \"hash,quality,timestamp\"): {e}"))?;
    if items.len() > MAX_VPDQ_FRAMES {
        return Err(format!("{} frames, over the {MAX_VPDQ_FRAMES} a video may have", items.len()));
    }
    let mut features = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let bad = |why: &str| format!("frame {i}: {why}: {}", show(item));
        let mut f = item.split(',').map(str::trim);
        let (Some(hash), Some(quality), Some(time), None) = (f.next(), f.next(), f.next(), f.next()) else {
            return Err(bad("expected hash,quality,timestamp"));
        };
        features.push(vpdq::parse_frame(i as u64, quality, hash, time).map_err(|why| bad(&why))?);
    }
    vpdq_entry_bytes(&features)
}

/// Reads [`InputFormat::Csv`].
fn import_csv(text: &str, c: &mut Collector<'_>) -> Result<()> {
    let mut reader = CsvReader::new(text);
    reader.skip_comments();
    let Some(header) = reader.next() else {
        return Ok(());
    };
    let header_location = format!("line {}", header.line);
    let names: Vec<String> = match header.fields {
        Ok(fields) => fields.iter().map(|f| f.trim().to_ascii_lowercase()).collect(),
        Err(reason) => {
            return Err(Error::BadEntry { location: header_location, reason: format!("bad CSV header: {reason}") });
        }
    };
    let column = |candidates: &[&str]| candidates.iter().find_map(|c| names.iter().position(|n| n == c));
    let Some(hash_col) = column(&HASH_COLUMNS) else {
        return Err(Error::BadEntry {
            location: header_location,
            reason: format!("the CSV header names no hash column (one of {})", HASH_COLUMNS.join(", ")),
        });
    };
    let type_col = column(&TYPE_COLUMNS);
    let label_col = column(&LABEL_COLUMNS);
    if type_col.is_none() && c.options.signal_type.is_none() {
        return Err(Error::BadEntry {
            location: "options".to_owned(),
            reason: "the CSV has no signal_type or type column: give the signal type in the import options".to_owned(),
        });
    }
    for record in reader {
        let location = Location::Line(record.line);
        let fields = match record.fields {
            Ok(f) => f,
            Err(reason) => {
                c.reject(location, reason)?;
                continue;
            }
        };
        let Some(hash) = fields.get(hash_col) else {
            let reason = format!("{} fields, but the hash is column {} of the header", fields.len(), hash_col + 1);
            c.reject(location, reason)?;
            continue;
        };
        let given = type_col.and_then(|i| fields.get(i)).map(String::as_str);
        let Some(signal) = c.signal(location, given)? else {
            continue;
        };
        let label = label_col.and_then(|i| fields.get(i)).map(String::as_str);
        c.add(location, signal, hash, label)?;
    }
    Ok(())
}

/// Reads [`InputFormat::Json`]: an array, or JSON Lines when the text
/// starts with `{`.
fn import_json(text: &str, c: &mut Collector<'_>) -> Result<()> {
    let body = text.trim_start();
    match body.strip_prefix('[') {
        Some(rest) => import_json_array(rest, c),
        None => import_json_lines(text, c),
    }
}

/// Reads one JSON object per line.
fn import_json_lines(text: &str, c: &mut Collector<'_>) -> Result<()> {
    for_each_line(text, c, false, |location, line, c| match parse_record(line) {
        Ok(value) => json_record(value, location, c),
        Err(e) => c.reject(location, format!("not JSON: {e}")),
    })
}

/// Reads the elements of a JSON array, `text` being what follows its `[`.
///
/// The elements are found by a small scanner (strings and nesting), so
/// that each is parsed alone: a bad record is refused with its number, and
/// none is parsed if it is over [`MAX_LINE_BYTES`].
fn import_json_array(text: &str, c: &mut Collector<'_>) -> Result<()> {
    let bytes = text.as_bytes();
    let mut pos = skip_whitespace(bytes, 0);
    if bytes.get(pos) == Some(&b']') {
        return json_after_array(text, pos + 1, c);
    }
    let mut record = 0usize;
    loop {
        record += 1;
        let location = Location::Record(record);
        let end = json_element_end(bytes, pos);
        let element = text.get(pos..end).unwrap_or("").trim();
        let closed = bytes.get(end).is_some();
        if element.len() > MAX_LINE_BYTES {
            c.reject(location, too_long("record", element.len()))?;
        } else if element.is_empty() {
            let reason = if closed { "empty record (a stray comma)" } else { "the input ends inside the array" };
            c.reject(location, reason.to_owned())?;
        } else {
            match parse_record(element) {
                Ok(value) => json_record(value, location, c)?,
                Err(e) => c.reject(location, format!("not JSON: {e}"))?,
            }
        }
        match bytes.get(end) {
            Some(b',') => pos = end + 1,
            Some(_) => return json_after_array(text, end + 1, c),
            None => {
                if !element.is_empty() {
                    let reason = "the input ends inside the array (truncated?)".to_owned();
                    c.reject(Location::EndOfInput, reason)?;
                }
                return Ok(());
            }
        }
    }
}

/// Refuses anything but whitespace after the array's `]` at `pos`.
fn json_after_array(text: &str, pos: usize, c: &mut Collector<'_>) -> Result<()> {
    let rest = text.get(pos..).unwrap_or("");
    if rest.trim().is_empty() {
        return Ok(());
    }
    c.reject(Location::AfterArray, "unexpected text after the JSON array".to_owned())
}

/// Index of the `,` or `]` ending the array element starting at `pos`
/// (outside strings and nested values), or `bytes.len()`.
fn json_element_end(bytes: &[u8], pos: usize) -> usize {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let mut i = pos;
    while let Some(&b) = bytes.get(i) {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
        } else {
            match b {
                b'"' => in_string = true,
                b'[' | b'{' => depth += 1,
                b',' | b']' if depth == 0 => return i,
                b']' | b'}' => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
        i += 1;
    }
    bytes.len()
}

/// Index of the first non-whitespace byte at or after `pos`.
fn skip_whitespace(bytes: &[u8], pos: usize) -> usize {
    let mut i = pos;
    while bytes.get(i).is_some_and(u8::is_ascii_whitespace) {
        i += 1;
    }
    i
}

/// One JSON record: `signalType`/`signal_type`, `hashValue`/`hash`/
/// `signal_str`/…, and a `label` or `id`.
///
/// A record with no type or hash key but keys named after signal types
/// (`{"path": …, "pdq": …, "md5": …}`, a line of `prescan hash --json`)
/// gives one entry per such key, labelled with its `path`.
fn json_record(value: Value, location: Location, c: &mut Collector<'_>) -> Result<()> {
    let Value::Object(map) = value else {
        return c.reject(location, "not a JSON object".to_owned());
    };
    let get = |keys: &[&str]| keys.iter().find_map(|k| map.get(*k).filter(|v| !v.is_null()));
    // Two spellings of the type or of the hash in one record: which one is
    // meant cannot be told, so neither is taken.
    for (what, keys) in [("signal type", &JSON_TYPE_KEYS[..]), ("hash", &JSON_HASH_KEYS[..])] {
        let given: Vec<&str> = keys.iter().copied().filter(|k| map.get(*k).is_some_and(|v| !v.is_null())).collect();
        if given.len() > 1 {
            return c.reject(location, format!("the {what} is given twice ({})", given.join(" and ")));
        }
    }
    let label = get(&JSON_LABEL_KEYS).and_then(json_label);
    let given_type = get(&JSON_TYPE_KEYS);
    let Some(hash) = get(&JSON_HASH_KEYS) else {
        if given_type.is_none() {
            let per_type: Vec<(SignalType, &Value)> = SignalType::ALL
                .into_iter()
                .filter_map(|s| map.iter().find(|(k, _)| k.as_str() == s.name()).map(|(_, v)| (s, v)))
                .collect();
            if !per_type.is_empty() {
                let path = map.get("path").and_then(Value::as_str);
                for (signal, v) in per_type {
                    match v.as_str() {
                        Some(hash) => c.add(location, signal, hash, path)?,
                        None => c.reject(location, format!("{} is not a string", signal.name()))?,
                    }
                }
                return Ok(());
            }
        }
        let reason = format!("no hash (expected a key {})", JSON_HASH_KEYS.join(", "));
        return c.reject(location, reason);
    };
    let Some(hash) = hash.as_str() else {
        return c.reject(location, "the hash is not a string".to_owned());
    };
    let given = match given_type {
        Some(v) => match v.as_str() {
            Some(s) => Some(s),
            None => return c.reject(location, "the signal type is not a string".to_owned()),
        },
        None => None,
    };
    let Some(signal) = c.signal(location, given)? else {
        return Ok(());
    };
    c.add(location, signal, hash, label.as_deref())
}

/// One JSON record, parsed. An object that gives a key twice is refused
/// (serde_json would keep the last silently, so a record with two
/// `hashValue`s would list the one a reader of the file may not see).
fn parse_record(text: &str) -> std::result::Result<Value, String> {
    if !text.trim_start().starts_with('{') {
        return serde_json::from_str::<Value>(text).map_err(|e| e.to_string());
    }
    serde_json::from_str::<UniqueKeys>(text).map(|UniqueKeys(map)| Value::Object(map)).map_err(|e| e.to_string())
}

/// A JSON object whose keys are all different.
struct UniqueKeys(Map<String, Value>);

impl<'de> serde::Deserialize<'de> for UniqueKeys {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = UniqueKeys;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut access: A,
            ) -> std::result::Result<UniqueKeys, A::Error> {
                let mut map = Map::new();
                while let Some(key) = access.next_key::<String>()? {
                    if map.contains_key(&key) {
                        return Err(serde::de::Error::custom(format!("the key {key:?} is given twice")));
                    }
                    let value: Value = access.next_value()?;
                    map.insert(key, value);
                }
                Ok(UniqueKeys(map))
            }
        }
        d.deserialize_map(Visitor)
    }
}

/// A JSON label: a string, or a number written as text.
fn json_label(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The hash bytes, or why `text` is refused.
fn check_hash(signal: SignalType, text: &str) -> std::result::Result<Vec<u8>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("empty hash".to_owned());
    }
    if signal == SignalType::Vpdq {
        return parse_vpdq_json(text);
    }
    if let Some((i, ch)) = text.chars().enumerate().find(|(_, ch)| !ch.is_ascii_hexdigit()) {
        return Err(format!("not hex: {ch:?} at character {} of {}", i + 1, show(text)));
    }
    let expected = signal.hash_len() * 2;
    if text.len() != expected {
        return Err(format!("wrong length for {signal}: expected {expected} hex digits, got {}", text.len()));
    }
    let bytes = from_hex(text).ok_or_else(|| format!("not hex: {}", show(text)))?;
    if let Some(what) = placeholder(signal, &bytes) {
        return Err(format!("placeholder, not a hash: {what}"));
    }
    Ok(bytes)
}

/// Which placeholder `bytes` is, if any (see [`parse_hash`]).
fn placeholder(signal: SignalType, bytes: &[u8]) -> Option<&'static str> {
    if bytes.iter().all(|&b| b == 0) {
        return Some(if signal == SignalType::Pdq {
            "all zeros (the PDQ hash of a flat, blank or tiny image, and common filler)"
        } else {
            "all zeros (filler; for a perceptual hash, that of a flat image)"
        });
    }
    if bytes.iter().all(|&b| b == 0xff) {
        return Some("all f (filler)");
    }
    if signal.perceptual().is_some() && bits_from_constant(bytes) <= signal.default_threshold() {
        return Some(
            "within the default threshold of all zeros or all ones, the hash of a flat image: \
             it would match every flat or blank image",
        );
    }
    EMPTY_FILE_DIGESTS.iter().find(|(s, h)| *s == signal && from_hex(h).as_deref() == Some(bytes)).map(|(s, _)| match s {
        SignalType::Md5 => "the MD5 of the empty file, which would match every empty upload",
        SignalType::Sha1 => "the SHA-1 of the empty file, which would match every empty upload",
        _ => "the SHA-256 of the empty file, which would match every empty upload",
    })
}

/// `label` with control characters as spaces, trimmed; `None` when empty.
fn clean_label(label: &str) -> Option<String> {
    let cleaned: String = label.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    let trimmed = cleaned.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}

/// The first whitespace-separated field of `s` and the rest, both trimmed.
fn split_field(s: &str) -> (&str, &str) {
    let s = s.trim();
    match s.split_once(char::is_whitespace) {
        Some((first, rest)) => (first, rest.trim()),
        None => (s, ""),
    }
}

/// The lines of `text` numbered from 1, without their `\r\n` or `\n`.
fn numbered_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.split('\n').enumerate().map(|(i, l)| (i + 1, l.strip_suffix('\r').unwrap_or(l)))
}

/// Runs `each` on every line of `text` that is not blank (nor, with
/// `comments`, a `#` comment), trimmed, with its location; a line over
/// [`MAX_LINE_BYTES`] is rejected through `c` instead.
fn for_each_line(
    text: &str,
    c: &mut Collector<'_>,
    comments: bool,
    mut each: impl FnMut(Location, &str, &mut Collector<'_>) -> Result<()>,
) -> Result<()> {
    for (n, raw) in numbered_lines(text) {
        let location = Location::Line(n);
        if raw.len() > MAX_LINE_BYTES {
            c.reject(location, too_long("line", raw.len()))?;
            continue;
        }
        let line = raw.trim();
        if line.is_empty() || (comments && line.starts_with('#')) {
            continue;
        }
        each(location, line, c)?;
    }
    Ok(())
}

/// The lines that are not blank or `#` comments, trimmed.
fn content_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    numbered_lines(text).map(|(n, l)| (n, l.trim())).filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
}

/// `text` without a leading UTF-8 byte order mark.
fn strip_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// The reason for a line or record over [`MAX_LINE_BYTES`].
fn too_long(what: &str, len: usize) -> String {
    format!("{what} of {len} bytes is over the limit of {MAX_LINE_BYTES}")
}

/// Untrusted text for a message: quoted and escaped, and cut to 40
/// characters.
fn show(text: &str) -> String {
    const MAX: usize = 40;
    if text.chars().count() <= MAX {
        format!("{text:?}")
    } else {
        let cut: String = text.chars().take(MAX).collect();
        format!("{cut:?}…")
    }
}

/// One CSV record: the line it starts on, and its fields or why it is
/// malformed.
struct CsvRecord {
    line: usize,
    fields: std::result::Result<Vec<String>, String>,
}

/// An RFC 4180 reader: fields separated by commas, records by `\n` or
/// `\r\n`; a field in double quotes may hold commas, line breaks and
/// doubled quotes. A quote inside an unquoted field is kept as text; text
/// after a closing quote (other than spaces) makes the record malformed.
struct CsvReader<'a> {
    text: &'a str,
    /// Byte offset of the next record.
    pos: usize,
    /// Line number of `pos`, from 1.
    line: usize,
}

/// Where the CSV reader is within a record.
#[derive(Clone, Copy, PartialEq, Eq)]
enum CsvState {
    /// At the start of a field.
    FieldStart,
    /// Inside an unquoted field.
    Unquoted,
    /// Inside a quoted field.
    Quoted,
    /// Just after a quote inside a quoted field: the end of the field, or
    /// the first of a doubled quote.
    QuoteInQuoted,
    /// After a malformed part: skipping to the end of the line.
    Skip,
}

impl<'a> CsvReader<'a> {
    fn new(text: &'a str) -> Self {
        CsvReader { text, pos: 0, line: 1 }
    }

    /// The rest of the text.
    fn rest(&self) -> &'a str {
        self.text.get(self.pos..).unwrap_or("")
    }

    /// Moves past the current physical line.
    fn skip_line(&mut self) {
        let rest = self.rest();
        match rest.find('\n') {
            Some(i) => {
                self.pos += i + 1;
                self.line += 1;
            }
            None => self.pos = self.text.len(),
        }
    }

    /// Skips blank lines and `#` comment lines.
    fn skip_comments(&mut self) {
        while self.pos < self.text.len() {
            let rest = self.rest();
            let line = rest.split('\n').next().unwrap_or("").trim();
            if !line.is_empty() && !line.starts_with('#') {
                return;
            }
            self.skip_line();
        }
    }

    /// Skips blank lines.
    fn skip_blank(&mut self) {
        while self.pos < self.text.len() {
            let rest = self.rest();
            if !rest.split('\n').next().unwrap_or("").trim().is_empty() {
                return;
            }
            self.skip_line();
        }
    }
}

impl CsvReader<'_> {
    /// The record starting at line `start_line` (whose text from there is
    /// `rest`) has a quoted field, opened at `opened` (line, field), that is
    /// not closed `where_`: refuses it, and goes on at the line after its
    /// first, so that one stray quote costs one record, not the rest of
    /// the input.
    fn unterminated(&mut self, rest: &str, start_line: usize, opened: (usize, usize), where_: &str) -> CsvRecord {
        let first_line = rest.find('\n').map_or(rest.len(), |i| i + 1);
        self.pos += first_line;
        self.line = start_line + 1;
        let reason = format!(
            "the quote opening field {} on line {} is never closed {where_}: line {start_line} is skipped, \
             and reading goes on at line {}",
            opened.1,
            opened.0,
            start_line + 1
        );
        CsvRecord { line: start_line, fields: Err(reason) }
    }
}

impl Iterator for CsvReader<'_> {
    type Item = CsvRecord;

    fn next(&mut self) -> Option<CsvRecord> {
        self.skip_blank();
        if self.pos >= self.text.len() {
            return None;
        }
        let start_line = self.line;
        let rest = self.rest();
        let mut fields = Vec::new();
        let mut field = String::new();
        let mut state = CsvState::FieldStart;
        let mut error: Option<String> = None;
        let mut consumed = rest.len();
        // Where the quoted field being read opened: (line, field number).
        let mut opened = (start_line, 1);
        for (i, ch) in rest.char_indices() {
            if i > MAX_LINE_BYTES && error.is_none() {
                if state == CsvState::Quoted {
                    // Most likely a quote that is never closed, which would
                    // swallow the rest of the input: skip this record's
                    // first line alone and read on from the next.
                    return Some(self.unterminated(rest, start_line, opened, "within 64 KiB"));
                }
                error = Some(too_long("record", i));
                fields.clear();
                field.clear();
            }
            let keep = error.is_none();
            if ch == '\n' {
                if state == CsvState::Quoted {
                    self.line += 1;
                    if keep {
                        field.push(ch);
                    }
                    continue;
                }
                consumed = i + 1;
                break;
            }
            if ch == '\r' && state != CsvState::Quoted && rest.as_bytes().get(i + 1) == Some(&b'\n') {
                continue;
            }
            match state {
                CsvState::Skip => {}
                CsvState::FieldStart | CsvState::Unquoted if ch == ',' => {
                    if keep {
                        fields.push(std::mem::take(&mut field));
                    }
                    state = CsvState::FieldStart;
                }
                CsvState::FieldStart if ch == '"' => {
                    opened = (self.line, fields.len() + 1);
                    state = CsvState::Quoted;
                }
                CsvState::FieldStart | CsvState::Unquoted => {
                    if keep {
                        field.push(ch);
                    }
                    state = CsvState::Unquoted;
                }
                CsvState::Quoted if ch == '"' => state = CsvState::QuoteInQuoted,
                CsvState::Quoted => {
                    if keep {
                        field.push(ch);
                    }
                }
                CsvState::QuoteInQuoted => match ch {
                    '"' => {
                        if keep {
                            field.push('"');
                        }
                        state = CsvState::Quoted;
                    }
                    ',' => {
                        if keep {
                            fields.push(std::mem::take(&mut field));
                        }
                        state = CsvState::FieldStart;
                    }
                    ' ' | '\t' | '\r' => {}
                    _ => {
                        if error.is_none() {
                            error = Some(format!("text after the closing quote of field {}", fields.len() + 1));
                        }
                        state = CsvState::Skip;
                    }
                },
            }
        }
        if error.is_none() && state == CsvState::Quoted {
            return Some(self.unterminated(rest, start_line, opened, "before the end of the input"));
        }
        self.pos += consumed;
        self.line += 1;
        let fields = match error {
            Some(reason) => Err(reason),
            None => {
                fields.push(field);
                Ok(fields)
            }
        };
        Some(CsvRecord { line: start_line, fields })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)] // tests: a panic is a failure
mod tests {
    use super::*;

    fn csv(text: &str) -> Vec<(usize, std::result::Result<Vec<String>, String>)> {
        CsvReader::new(text).map(|r| (r.line, r.fields)).collect()
    }

    fn strings(fields: &[&str]) -> std::result::Result<Vec<String>, String> {
        Ok(fields.iter().map(|s| (*s).to_owned()).collect())
    }

    #[test]
    fn csv_reader_follows_rfc_4180() {
        let got = csv("a,b,c\r\n\"x, y\",\"say \"\"hi\"\"\",\r\n\n\"multi\nline\",2,3\nlast,,\"\"");
        assert_eq!(
            got,
            vec![
                (1, strings(&["a", "b", "c"])),
                (2, strings(&["x, y", "say \"hi\"", ""])),
                (4, strings(&["multi\nline", "2", "3"])),
                (6, strings(&["last", "", ""])),
            ]
        );
    }

    #[test]
    fn csv_reader_reports_malformed_records_and_goes_on() {
        let got = csv("\"ab\"cd,1\nok,2\n\"open,3\nx\n");
        assert_eq!(got.len(), 4);
        assert_eq!(got[0].0, 1);
        assert!(got[0].1.as_ref().is_err_and(|e| e.contains("closing quote")));
        assert_eq!(got[1], (2, strings(&["ok", "2"])));
        assert_eq!(got[2].0, 3);
        assert!(got[2].1.as_ref().is_err_and(|e| e.contains("field 1 on line 3 is never closed")), "{got:?}");
        // One stray quote costs its line, not the rest of the input.
        assert_eq!(got[3], (4, strings(&["x"])));
    }

    #[test]
    fn csv_reader_keeps_a_quote_inside_an_unquoted_field() {
        assert_eq!(csv("5\" print,x\n"), vec![(1, strings(&["5\" print", "x"]))]);
    }

    #[test]
    fn csv_reader_refuses_an_overlong_record() {
        let text = format!("a,{}\nb,c\n", "x".repeat(MAX_LINE_BYTES + 10));
        let got = csv(&text);
        assert!(got[0].1.as_ref().is_err_and(|e| e.contains("over the limit")));
        assert_eq!(got[1], (2, strings(&["b", "c"])));
    }

    #[test]
    fn input_over_the_limit_is_refused_whole() {
        let err = import_limited("md5 00", &ImportOptions::default(), 4).unwrap_err();
        assert_eq!(err, Error::ListTooLarge { limit: "bytes", requested: 6, max: 4 });
    }

    #[test]
    fn json_element_end_skips_strings_and_nesting() {
        let text = br#"{"a":"],\"","b":[1,2]} , 3]"#;
        let end = json_element_end(text, 0);
        assert_eq!(&text[..end], br#"{"a":"],\"","b":[1,2]} "#);
    }

    #[test]
    fn aliases_are_lowercase_and_not_prescan_names() {
        for (alias, _) in ALIASES {
            assert_eq!(alias, alias.to_ascii_lowercase());
            assert!(SignalType::from_name(alias).is_none());
        }
    }

    #[test]
    fn placeholders_are_refused() {
        for (signal, hex) in EMPTY_FILE_DIGESTS {
            assert!(check_hash(signal, hex).is_err_and(|e| e.contains("empty file")));
        }
        assert!(check_hash(SignalType::Pdq, &"0".repeat(64)).is_err_and(|e| e.contains("flat")));
        assert!(check_hash(SignalType::Phash, &"F".repeat(16)).is_err_and(|e| e.contains("all f")));
        assert_eq!(
            check_hash(SignalType::Dhash, " 0123456789ABCDEF\t"),
            Ok(vec![1, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef])
        );
    }

    #[test]
    fn show_cuts_long_text() {
        assert_eq!(show("a\tb"), "\"a\\tb\"");
        assert_eq!(show(&"x".repeat(100)), format!("\"{}\"…", "x".repeat(40)));
    }
}
