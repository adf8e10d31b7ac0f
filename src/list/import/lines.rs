//! The formats of one entry a line: [`InputFormat::Lines`]
//! (`<signal_type> <hash> [label]`), [`InputFormat::Bare`] (a hash and
//! perhaps a label) and JSON Lines; and [`InputFormat::Vpdq`], vPDQ's text
//! format, whose lines are the frames of one video.
//!
//! [`InputFormat::Lines`]: super::InputFormat::Lines
//! [`InputFormat::Bare`]: super::InputFormat::Bare
//! [`InputFormat::Vpdq`]: super::InputFormat::Vpdq

use super::{Collector, Location, MAX_LINE_BYTES, MAX_VPDQ_FRAMES, Reader, json, parse_signal_type, show, too_long};
use crate::error::{Error, Result};
use crate::hash::vpdq;
use crate::list::SignalType;

/// Which format of one entry a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum LineKind {
    /// `<signal_type> <hash> [label]`.
    Lines,
    /// `<hash> [label]`, of the options' type.
    Bare,
    /// A JSON record.
    JsonLines,
}

/// Reads a format of one entry a line, a window of whole lines at a time.
#[derive(Debug)]
pub(super) struct LineFormat {
    kind: LineKind,
    /// A line over [`MAX_LINE_BYTES`] being skipped: its number, and its
    /// length so far. It is refused, not held.
    overlong: Option<(usize, usize)>,
}

impl LineFormat {
    pub(super) fn new(kind: LineKind) -> Self {
        LineFormat { kind, overlong: None }
    }

    /// One line, without its line break.
    fn line(&self, location: Location, raw: &str, c: &mut Collector<'_>) -> Result<()> {
        if raw.len() > MAX_LINE_BYTES {
            return c.reject(location, too_long("line", raw.len()));
        }
        let line = raw.trim();
        // Comments are a feature of the hash formats, not of JSON Lines.
        if line.is_empty() || (self.kind != LineKind::JsonLines && line.starts_with('#')) {
            return Ok(());
        }
        match self.kind {
            LineKind::Lines => entry_line(location, line, c),
            LineKind::Bare => bare_line(location, line, c),
            LineKind::JsonLines => json::json_line(location, line, c),
        }
    }
}

impl Reader for LineFormat {
    fn fork(&self) -> Option<Box<dyn Reader + Send>> {
        Some(Box::new(LineFormat::new(self.kind)))
    }

    fn feed(&mut self, text: &str, line: usize, eof: bool, c: &mut Collector<'_>) -> Result<usize> {
        let mut rest = text;
        let mut number = line;
        if let Some((at, len)) = self.overlong {
            // Still inside a line too long to hold: count it to its end.
            match rest.find('\n') {
                Some(i) => {
                    self.overlong = None;
                    let len = len + rest.get(..i).map_or(0, |l| l.strip_suffix('\r').unwrap_or(l).len());
                    c.reject(Location::Line(at), too_long("line", len))?;
                    rest = rest.get(i + 1..).unwrap_or("");
                    number += 1;
                }
                None => {
                    self.overlong = Some((at, len + rest.len()));
                    if eof {
                        self.overlong = None;
                        c.reject(Location::Line(at), too_long("line", len + rest.len()))?;
                    }
                    return Ok(text.len());
                }
            }
        }
        // Whole lines only, but at the end of the input.
        let whole = match rest.rfind('\n') {
            _ if eof => rest.len(),
            Some(i) => i + 1,
            None => {
                if rest.len() > MAX_LINE_BYTES {
                    self.overlong = Some((number, rest.len()));
                    return Ok(text.len());
                }
                return Ok(text.len() - rest.len());
            }
        };
        let (lines, _) = rest.split_at(whole);
        let lines = lines.strip_suffix('\n').unwrap_or(lines);
        if !lines.is_empty() || whole > 0 {
            for raw in lines.split('\n') {
                self.line(Location::Line(number), raw.strip_suffix('\r').unwrap_or(raw), c)?;
                number += 1;
            }
        }
        Ok(text.len() - rest.len() + whole)
    }
}

/// `<signal_type> <hash> [label]`.
fn entry_line(location: Location, line: &str, c: &mut Collector<'_>) -> Result<()> {
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
}

/// `<hash> [label]`, of the options' signal type.
fn bare_line(location: Location, line: &str, c: &mut Collector<'_>) -> Result<()> {
    let Some(signal) = c.options.signal_type else {
        return Err(Error::BadOption {
            option: "signal_type".to_owned(),
            reason: "bare hashes need a signal type in the import options".to_owned(),
        });
    };
    let (hash, label) = split_field(line);
    c.add(location, signal, hash, Some(label))
}

/// The first whitespace-separated field of `s` and the rest, both trimmed.
pub(super) fn split_field(s: &str) -> (&str, &str) {
    let s = s.trim();
    // ASCII text, as list lines are, is split by its bytes; the first
    // byte of another character sends the line to the slower split, which
    // knows every Unicode space.
    let stop = s.bytes().position(|b| b.is_ascii_whitespace() || !b.is_ascii());
    let split = match stop {
        Some(i) if s.as_bytes().get(i).is_some_and(u8::is_ascii_whitespace) => s.split_at_checked(i),
        Some(_) => s.split_once(char::is_whitespace),
        None => None,
    };
    match split {
        Some((first, rest)) => (first, rest.trim()),
        None => (s, ""),
    }
}

/// Whether `line` is a frame of vPDQ's text format: a frame number, a
/// quality, 64 hex digits and a timestamp, split at commas.
pub(super) fn is_vpdq_line(line: &str) -> bool {
    let f: Vec<&str> = line.split(',').map(str::trim).collect();
    let number = |s: &&str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    f.len() >= 4
        && f.first().is_some_and(number)
        && f.get(1).is_some_and(number)
        && f.get(2).is_some_and(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
        && f.get(3).is_some_and(|t| t.parse::<f64>().is_ok())
}

/// Most bytes of a vPDQ hash file: its longest video, [`MAX_VPDQ_FRAMES`]
/// frames, at 128 bytes a frame line (about 80 as `prescan hash --vpdq`
/// writes them).
pub(super) const MAX_VPDQ_FILE_BYTES: usize = MAX_VPDQ_FRAMES * 128;

/// Reads [`InputFormat::Vpdq`](super::InputFormat::Vpdq): the input is one
/// video's frames, held (up to [`MAX_VPDQ_FILE_BYTES`]) and read at its
/// end.
#[derive(Debug, Default)]
pub(super) struct VpdqFile {
    text: String,
    over: bool,
}

impl Reader for VpdqFile {
    fn feed(&mut self, text: &str, _line: usize, eof: bool, c: &mut Collector<'_>) -> Result<usize> {
        if self.text.len() + text.len() > MAX_VPDQ_FILE_BYTES {
            self.over = true;
            self.text.clear();
        }
        if !self.over {
            self.text.push_str(text);
        }
        if eof {
            let location = Location::Line(1);
            if self.over {
                let reason = format!("a vPDQ hash file over {MAX_VPDQ_FILE_BYTES} bytes (one video)");
                return c.reject(location, reason).map(|()| text.len());
            }
            match vpdq::parse_features(&self.text, MAX_VPDQ_FRAMES) {
                Ok(features) => match super::vpdq_entry_bytes(&features) {
                    Ok(bytes) => c.add_bytes(location, SignalType::Vpdq, bytes, None)?,
                    Err(reason) => c.reject(location, reason)?,
                },
                Err(Error::BadEntry { reason, .. }) => c.reject(location, reason)?,
                Err(e) => c.reject(location, e.to_string())?,
            }
        }
        Ok(text.len())
    }
}
