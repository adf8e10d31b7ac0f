//! Importing hash lists from the text formats they are shipped in.
//!
//! [`import_reader`] reads a list as a stream, a window of at most a few
//! MiB at a time, never the whole file; [`import`] reads one held in
//! memory. Five formats, which [`detect`] tells apart from the input's
//! start:
//!
//! * [`InputFormat::Lines`]: `<signal_type> <hash> [label]` per line, as the
//!   ThreatExchange tools and `prescan hash` print them;
//! * [`InputFormat::Csv`]: a CSV export with a header row (ThreatExchange
//!   datasets, `signal_type,signal_str,…`; HMA, `indicator,indicator_id,…`);
//! * [`InputFormat::Json`]: StopNCII-style records
//!   (`{"signalType": "PDQ", "hashValue": "…"}`), as one JSON array or one
//!   record per line (JSON Lines);
//! * [`InputFormat::Bare`]: one hash per line, of a type given in the
//!   [`ImportOptions`];
//! * [`InputFormat::Vpdq`]: vPDQ's text format, one video's frames.
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
//! the import with [`Error::BadEntry`]. An input of more records than
//! [`ImportLimits::max_records`] is refused whole, as is one that is not
//! UTF-8 text. Nothing here panics, whatever the input.
//!
//! [`to_lines`], [`to_csv`] and [`to_json`] write entries back in each
//! format, so that importing their output gives the same entries.
//!
//! The modules: this one reads a stream a window at a time and hands each
//! window to a format's reader: `lines` (the formats of an entry a line,
//! and vPDQ's), `csv`, `json`; `hashes` says what a valid entry is (names,
//! hex, lengths, placeholders), `collect` gathers entries and refusals;
//! `write` holds the writers. Duplicates are found once the
//! input is read, by sorting (as [`ListBuilder`](super::format::ListBuilder)
//! finds them), not by a set of every hash on the way: a set of ten million
//! hashes was most of an import's time.

mod collect;
mod csv;
mod hashes;
mod json;
mod lines;
mod write;

use std::fmt;
use std::io::Read;

use super::{Entry, SignalType};
use crate::error::{Cause, Error, Limit, Result};

use collect::{Collector, Location};
use hashes::{check_hash, clean_label, vpdq_entry_bytes};
pub use hashes::{parse_hash, parse_signal_type};
pub use write::{to_csv, to_json, to_lines};

/// Longest line (or CSV or JSON record) read, in bytes: a list entry is a
/// hash and a short label. Longer ones are refused, and not held.
pub const MAX_LINE_BYTES: usize = 64 * 1024;

/// The most frames one listed video may have: a hash a second for 24
/// hours.
pub const MAX_VPDQ_FRAMES: usize = 86_400;

/// Default [`ImportLimits::max_records`]: 32 Mi, as many entries as a list
/// may hold ([`super::format::DEFAULT_MAX_ENTRIES`]).
pub const DEFAULT_MAX_RECORDS: u64 = 32 << 20;

/// How much of an input the importer reads at a time. A window ends at a
/// record's end; a record that crosses it waits for the next read.
const WINDOW_BYTES: usize = 4 << 20;

/// Largest window the reader grows to for one CSV record that has not
/// ended: a record over [`MAX_LINE_BYTES`] is refused well before, but
/// refusing it takes its first line whole.
const MAX_WINDOW_BYTES: usize = 64 << 20;

/// Limits on what an import reads, checked as it reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportLimits {
    /// Most records (entries kept and refused together) in one input: an
    /// input with more is refused whole, so that a runaway file cannot
    /// fill memory with entries or with the reasons for refusing them.
    pub max_records: u64,
}

impl Default for ImportLimits {
    fn default() -> Self {
        ImportLimits { max_records: DEFAULT_MAX_RECORDS }
    }
}

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
    if lines::is_vpdq_line(first) {
        return InputFormat::Vpdq;
    }
    if first.contains(',') {
        let known = first.split(',').any(|field| {
            let name = field.trim().trim_matches('"').trim();
            csv::TYPE_COLUMNS.iter().chain(csv::HASH_COLUMNS.iter()).any(|c| c.eq_ignore_ascii_case(name))
        });
        if known {
            return InputFormat::Csv;
        }
    }
    if first.split_whitespace().nth(1).is_some() { InputFormat::Lines } else { InputFormat::Bare }
}

/// Reads the hash list `text`: [`import_reader`] over text in memory, with
/// the default [`ImportLimits`].
///
/// # Errors
/// As [`import_reader`].
pub fn import(text: &str, options: &ImportOptions) -> Result<Imported> {
    import_reader(text.as_bytes(), options, &ImportLimits::default())
}

/// Reads a hash list from `input`, a window at a time (a few MiB; never the
/// whole input).
///
/// The format is `options.format`, or [`detect`]ed from the first window.
/// A leading byte order mark is ignored. See the [module
/// documentation](self) for what is refused; entries come out in input
/// order, the first of duplicates kept.
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
/// * [`Error::LimitExceeded`] (limit `records`) when the input holds more
///   than `limits.max_records` entries and refused records; (limit
///   `line_bytes`) for a CSV record whose first line is over 64 MiB.
/// * [`Error::BadEntry`] naming the line when the input is not UTF-8 text.
/// * [`Error::BadOption`] (option `signal_type`) when a
///   [`InputFormat::Bare`] list, or a CSV without a type column, has no
///   [`ImportOptions::signal_type`].
/// * [`Error::BadEntry`] with the header's location when a CSV header is
///   malformed or names no hash column.
/// * With [`ImportOptions::strict`], [`Error::BadEntry`] for the first
///   refused entry.
/// * [`Error::Read`] when `input` fails.
///
/// Never panics.
pub fn import_reader(input: impl Read, options: &ImportOptions, limits: &ImportLimits) -> Result<Imported> {
    import_windows(input, options, limits, WINDOW_BYTES)
}

/// A format's reader: it takes the input a window at a time and keeps what
/// it needs between windows.
trait Reader {
    /// Reads the records of `text` (whose first line is line `line` of the
    /// input) into `c`, and says how many of its bytes it is done with: the
    /// rest, a record the window cuts, comes again at the start of the next
    /// window. `eof`: nothing follows `text`, and all of it must be read.
    fn feed(&mut self, text: &str, line: usize, eof: bool, c: &mut Collector<'_>) -> Result<usize>;

    /// A reader for text that starts at the start of a line after what
    /// this one has read, as this one would read it there; `None` when
    /// that cannot be known before this one gets there (a JSON array's
    /// nesting, a CSV header not yet read). The Wasm module reads on one
    /// thread and never forks.
    #[cfg_attr(target_arch = "wasm32", allow(dead_code))]
    fn fork(&self) -> Option<Box<dyn Reader + Send>> {
        None
    }
}

/// Smallest window read on two threads: below it a thread costs more than
/// it saves.
#[cfg(not(target_arch = "wasm32"))]
const PARALLEL_BYTES: usize = 1 << 20;

/// Reads `text` as [`Reader::feed`] does, on two threads when it is large
/// and the format allows: the first half (to a line break) here, the rest
/// on a second thread with [`Reader::fork`] and a collector of its own,
/// merged after. When the first half does not end where the second began
/// (a CSV record whose quotes span the line break), the second half's work
/// is dropped and that text comes again in the next window. A strict
/// import reads on one thread: which refusal comes first needs every
/// entry before it.
fn feed(
    reader: &mut Box<dyn Reader + Send>,
    text: &str,
    line: usize,
    eof: bool,
    c: &mut Collector<'_>,
) -> Result<usize> {
    #[cfg(not(target_arch = "wasm32"))]
    if !c.options.strict
        && text.len() >= PARALLEL_BYTES
        && let Some(mut other) = reader.fork()
        && let Some(split) = text.get(text.len() / 2..).and_then(|h| h.find('\n')).map(|i| text.len() / 2 + i + 1)
        && split < text.len()
    {
        let (a, b) = text.split_at(split);
        let b_line = line + a.bytes().filter(|&b| b == b'\n').count();
        let mut c2 = Collector::new(c.options, &ImportLimits { max_records: c.max_records });
        let (used_a, second) = std::thread::scope(|scope| {
            let second = scope.spawn(|| {
                let used = other.feed(b, b_line, eof, &mut c2);
                (used, other, c2)
            });
            (reader.feed(a, line, false, c), second.join())
        });
        let used_a = used_a?;
        if used_a < a.len() {
            return Ok(used_a);
        }
        let (used_b, other, c2) =
            second.map_err(|_| Error::Read("the second thread reading the input stopped".into()))?;
        let used_b = used_b?;
        c.absorb(c2)?;
        *reader = other;
        return Ok(a.len() + used_b);
    }
    reader.feed(text, line, eof, c)
}

/// The reader of `format`, for an input that starts with `start`.
fn reader_for(format: InputFormat, start: &str) -> Box<dyn Reader + Send> {
    match format {
        InputFormat::Lines => Box::new(lines::LineFormat::new(lines::LineKind::Lines)),
        InputFormat::Bare => Box::new(lines::LineFormat::new(lines::LineKind::Bare)),
        InputFormat::Csv => Box::<csv::CsvFormat>::default(),
        InputFormat::Json if start.trim_start().starts_with('[') => Box::<json::JsonArray>::default(),
        InputFormat::Json => Box::new(lines::LineFormat::new(lines::LineKind::JsonLines)),
        InputFormat::Vpdq => Box::<lines::VpdqFile>::default(),
    }
}

/// [`import_reader`] with the window size as a parameter, for tests.
fn import_windows(
    mut input: impl Read,
    options: &ImportOptions,
    limits: &ImportLimits,
    window: usize,
) -> Result<Imported> {
    let mut c = Collector::new(options, limits);
    let mut buf: Vec<u8> = Vec::new();
    let mut eof = false;
    let mut line = 1usize;
    let mut reader: Option<Box<dyn Reader + Send>> = None;
    let mut first = true;
    let mut want = window;
    loop {
        // Fill the window: `want` bytes, or what is left of the input. The
        // buffer grows as bytes come (a short input gets a short buffer,
        // not a zeroed window), and `read_to_end` reads again when a read
        // is interrupted.
        if !eof && buf.len() < want {
            let missing = (want - buf.len()) as u64;
            let got =
                input.by_ref().take(missing).read_to_end(&mut buf).map_err(|e| Error::Read(Cause::from_error(e)))?;
            eof = (got as u64) < missing;
        }
        // A byte order mark at the start, once: decided when three bytes
        // are in (or the input is shorter).
        const BOM: &[u8] = "\u{feff}".as_bytes();
        if first && (buf.len() >= BOM.len() || eof) {
            if buf.starts_with(BOM) {
                buf.drain(..BOM.len());
            }
            first = false;
        }
        // Whole UTF-8 characters: the window may cut one, which waits.
        let valid = match std::str::from_utf8(&buf) {
            Ok(_) => buf.len(),
            Err(e) if e.error_len().is_none() && !eof => e.valid_up_to(),
            Err(e) => {
                let at = e.valid_up_to();
                let before = buf.get(..at).unwrap_or_default();
                let line = line + before.iter().filter(|&&b| b == b'\n').count();
                return Err(Error::BadEntry { location: format!("line {line}"), reason: "not UTF-8 text".to_owned() });
            }
        };
        let text = std::str::from_utf8(buf.get(..valid).unwrap_or_default()).unwrap_or_default();
        let last = eof && valid == buf.len();
        if reader.is_none() && !last && !can_detect(text) && buf.len() * 2 <= MAX_WINDOW_BYTES {
            // Too little of the start to tell the format: a larger window.
            want = buf.len().max(window) * 2;
            continue;
        }
        let format = options.format.unwrap_or_else(|| detect(text));
        let reader = reader.get_or_insert_with(|| reader_for(format, text));
        let used = feed(reader, text, line, last, &mut c)?.min(valid);
        line += buf.get(..used).unwrap_or_default().iter().filter(|&&b| b == b'\n').count();
        buf.drain(..used);
        if last {
            break;
        }
        // A reader that could use nothing waits for a larger window.
        want = if used == 0 { buf.len().max(window) * 2 } else { window };
        if want > MAX_WINDOW_BYTES.max(window * 2) {
            return Err(Error::LimitExceeded {
                limit: Limit::RecordBytes,
                requested: u64::try_from(buf.len()).unwrap_or(u64::MAX),
                max: MAX_WINDOW_BYTES as u64,
            });
        }
    }
    c.finish()
}

/// Whether `text`, an input's start, holds what [`detect`] looks at: the
/// first character but whitespace, and unless it opens JSON, the first line
/// that is not blank or a comment, whole.
fn can_detect(text: &str) -> bool {
    let text = strip_bom(text);
    if text.trim_start().starts_with(['[', '{']) {
        return true;
    }
    let mut rest = text;
    while let Some(i) = rest.find('\n') {
        let line = rest.get(..i).unwrap_or("").trim();
        if !line.is_empty() && !line.starts_with('#') {
            return true;
        }
        rest = rest.get(i + 1..).unwrap_or("");
    }
    false
}

/// The lines of `text` numbered from 1, without their `\r\n` or `\n`.
fn numbered_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.split('\n').enumerate().map(|(i, l)| (i + 1, l.strip_suffix('\r').unwrap_or(l)))
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

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)] // tests: a panic is a failure
mod tests {
    use super::*;

    const PDQ: &str = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";

    fn with_window(text: &str, window: usize) -> Result<Imported> {
        let options = ImportOptions { signal_type: Some(SignalType::Pdq), ..ImportOptions::default() };
        import_windows(text.as_bytes(), &options, &ImportLimits::default(), window)
    }

    /// A reader that hands over at most `step` bytes a read.
    struct Trickle<'a>(&'a [u8], usize);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.1.min(buf.len()).min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn any_window_gives_what_the_whole_text_gives() {
        let pdq2 = PDQ.replace('f', "e");
        let overlong = "x".repeat(MAX_LINE_BYTES + 5);
        let inputs = [
            format!("# list\npdq {PDQ} a b\r\n\npdq {pdq2}\npdq {PDQ}\nmd5 zz\n{overlong}\npdq {pdq2} c"),
            format!("\u{feff}{PDQ}\n{pdq2} label\n\n{PDQ}\nnothex\n{overlong}\n"),
            format!(
                "signal_type,signal_str,label\npdq,{PDQ},\"a, \"\"b\"\"\nc\"\n\"open,{pdq2}\npdq,{pdq2},x\n\"x\"y,1\n"
            ),
            format!(
                "[{{\"signalType\":\"PDQ\",\"hashValue\":\"{PDQ}\",\"label\":\"[,]\"}} , 3,,\n {{\"hash\":\"{pdq2}\"}}\n] x"
            ),
            format!(
                "[\n{{\"signalType\":\"PDQ\",\"hashValue\":\"{PDQ}\"}}, {{\"hash\": \"{overlong}\"}}, {{\"hash\":\"{pdq2}\""
            ),
            format!(
                "{{\"signalType\":\"PDQ\",\"hashValue\":\"{PDQ}\"}}\nnot json\n{{\"pdq\":\"{pdq2}\",\"path\":\"p\"}}\n"
            ),
            "[ ]".to_owned(),
            "[".to_owned(),
            String::new(),
        ];
        for (n, text) in inputs.iter().enumerate() {
            let whole = with_window(text, text.len().max(1)).unwrap();
            for window in [1, 2, 3, 7, 64, 1000] {
                assert_eq!(with_window(text, window).unwrap(), whole, "window {window} of input {n}");
            }
            let options = ImportOptions { signal_type: Some(SignalType::Pdq), ..ImportOptions::default() };
            let trickled = import_windows(Trickle(text.as_bytes(), 5), &options, &ImportLimits::default(), 16).unwrap();
            assert_eq!(trickled, whole);
        }
    }

    /// A large input of `n` records in `format`, with bad entries, labels,
    /// duplicates far apart and (CSV) quoted fields across lines.
    fn large(format: InputFormat, n: usize) -> String {
        let mut out = String::new();
        if format == InputFormat::Csv {
            out.push_str("signal_type,signal_str,label\n");
        }
        for i in 0..n {
            // Every 1000th a repeat of an entry from the first half.
            let k = if i % 1000 == 999 { i / 7 } else { i };
            let x = (k as u128 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c835);
            let hash = format!("{x:032x}{:032x}", x.rotate_left(61));
            let hash = if i % 777 == 0 { "nothex".to_owned() } else { hash };
            out.push_str(&match format {
                InputFormat::Csv if i % 501 == 0 => format!("pdq,{hash},\"a, \"\"multi\"\"\nline {i}\"\n"),
                InputFormat::Csv => format!("pdq,{hash},id {i}\n"),
                InputFormat::Json => format!("{{\"signalType\":\"PDQ\",\"hashValue\":\"{hash}\",\"id\":{i}}}\n"),
                _ => format!("pdq {hash} label {i}\n"),
            });
        }
        out
    }

    #[test]
    fn two_threads_read_what_one_reads() {
        for format in [InputFormat::Lines, InputFormat::Csv, InputFormat::Json] {
            let text = large(format, 60_000);
            assert!(text.len() > 2 * PARALLEL_BYTES);
            let options = ImportOptions::default();
            let one = import_windows(text.as_bytes(), &options, &ImportLimits::default(), 64 << 10).unwrap();
            let two = import_windows(text.as_bytes(), &options, &ImportLimits::default(), 2 << 20).unwrap();
            assert_eq!(one, two, "{format}");
            assert!(one.duplicates > 50 && one.rejected.len() > one.duplicates + 50, "{format}");
            // The records limit counts both threads' records.
            let limits = ImportLimits { max_records: 59_999 };
            let err = import_windows(text.as_bytes(), &options, &limits, 2 << 20).unwrap_err();
            assert!(matches!(err, Error::LimitExceeded { limit: Limit::ImportRecords, .. }), "{format}: {err}");
        }
    }

    #[test]
    fn duplicates_are_refused_in_input_order_among_other_refusals() {
        let text = format!("pdq {PDQ} a\nmd5 00\npdq {PDQ} b\nsha1 x\n");
        let got = import(&text, &ImportOptions::default()).unwrap();
        assert_eq!(got.entries.len(), 1);
        assert_eq!(got.entries[0].label.as_deref(), Some("a"));
        assert_eq!(got.duplicates, 1);
        let locations: Vec<&str> = got.rejected.iter().map(|r| r.location.as_str()).collect();
        assert_eq!(locations, ["line 2", "line 3", "line 4"]);
        assert_eq!(got.rejected[1].reason, "duplicate of line 1");
        // Strict: the first refusal, whichever kind.
        let strict = ImportOptions { strict: true, ..ImportOptions::default() };
        let text = format!("pdq {PDQ}\npdq {PDQ}\nmd5 00\n");
        assert_eq!(
            import(&text, &strict).unwrap_err(),
            Error::BadEntry { location: "line 2".into(), reason: "duplicate of line 1".into() }
        );
    }

    #[test]
    fn more_records_than_the_limit_are_refused_whole() {
        let text = format!("pdq {PDQ}\nmd5 00\npdq 11\n");
        let limits = ImportLimits { max_records: 2 };
        let err = import_reader(text.as_bytes(), &ImportOptions::default(), &limits).unwrap_err();
        assert_eq!(err, Error::LimitExceeded { limit: Limit::ImportRecords, requested: 3, max: 2 });
        assert!(import_reader(text.as_bytes(), &ImportOptions::default(), &ImportLimits { max_records: 3 }).is_ok());
    }

    #[test]
    fn text_that_is_not_utf8_is_refused_with_its_line() {
        let mut bytes = format!("pdq {PDQ}\n\npdq ").into_bytes();
        bytes.extend_from_slice(&[0xff, b'\n']);
        let err = import_windows(&bytes[..], &ImportOptions::default(), &ImportLimits::default(), 4).unwrap_err();
        assert_eq!(err, Error::BadEntry { location: "line 3".into(), reason: "not UTF-8 text".into() });
    }

    #[test]
    fn a_failing_reader_is_a_read_error() {
        struct Broken;
        impl Read for Broken {
            fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
                Err(std::io::Error::other("disk on fire"))
            }
        }
        let err = import_reader(Broken, &ImportOptions::default(), &ImportLimits::default()).unwrap_err();
        assert_eq!(err, Error::Read("disk on fire".into()));
        // The system's error is kept.
        assert!(std::error::Error::source(&err).is_some_and(|e| e.to_string() == "disk on fire"));
    }

    #[test]
    fn one_byte_order_mark_is_dropped_at_any_window() {
        let text = format!("\u{feff}\u{feff}pdq {PDQ}\n");
        for window in [1, 2, 3, 64] {
            let got = with_window(&text, window).unwrap();
            // The second mark is text: the line's type is not "pdq".
            assert_eq!((got.entries.len(), got.rejected.len()), (0, 1), "window {window}");
        }
        let got = with_window(&format!("\u{feff}pdq {PDQ}\n"), 1).unwrap();
        assert_eq!(got.entries.len(), 1);
    }

    #[test]
    fn show_cuts_long_text() {
        assert_eq!(show("a\tb"), "\"a\\tb\"");
        assert_eq!(show(&"x".repeat(100)), format!("\"{}\"…", "x".repeat(40)));
    }
}
