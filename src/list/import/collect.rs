//! What an import gathers as it reads: the entries kept, where each is,
//! the records refused and why; duplicates found at the end, by sorting.

use std::fmt;

use super::hashes::is_clean;
use super::{ImportLimits, ImportOptions, Imported, Rejected, check_hash, clean_label, parse_signal_type, show};
use crate::error::{Error, Limit, Result};
use crate::list::{Entry, SignalType, duplicate_entries};

/// Where an entry is in its input, for messages: kept as numbers, and
/// written out only for the entries refused (a string a line cost about a
/// tenth of an import's time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Location {
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

impl Location {
    /// The bit of a packed record's number ([`Location::pack`]).
    const RECORD: u64 = 1 << 63;
    /// The packed [`Location::EndOfInput`] and [`Location::AfterArray`].
    const END_OF_INPUT: u64 = u64::MAX;
    const AFTER_ARRAY: u64 = u64::MAX - 1;

    /// The location in a `u64`, 8 bytes an entry where the enum takes 16:
    /// a line's number, a record's with the top bit set, the two others
    /// the largest values.
    fn pack(self) -> u64 {
        match self {
            Location::Line(n) => (n as u64) & !Self::RECORD,
            Location::Record(n) => (n as u64) | Self::RECORD,
            Location::EndOfInput => Self::END_OF_INPUT,
            Location::AfterArray => Self::AFTER_ARRAY,
        }
    }

    /// The location [`Location::pack`] packed.
    fn unpack(packed: u64) -> Self {
        match packed {
            Self::END_OF_INPUT => Location::EndOfInput,
            Self::AFTER_ARRAY => Location::AfterArray,
            n if n & Self::RECORD != 0 => Location::Record(usize::try_from(n & !Self::RECORD).unwrap_or(usize::MAX)),
            n => Location::Line(usize::try_from(n).unwrap_or(usize::MAX)),
        }
    }
}

/// The entries read so far, the refused ones, and where each is.
pub(super) struct Collector<'a> {
    pub(super) options: &'a ImportOptions,
    pub(super) max_records: u64,
    /// Records so far, kept and refused.
    records: u64,
    entries: Vec<Entry>,
    /// Where each entry is ([`Location::pack`]).
    places: Vec<u64>,
    /// The refused records, each with the number of entries kept before
    /// it: its place in input order among them.
    rejected: Vec<(usize, Location, String)>,
}

impl<'a> Collector<'a> {
    pub(super) fn new(options: &'a ImportOptions, limits: &ImportLimits) -> Self {
        Collector {
            options,
            max_records: limits.max_records,
            records: 0,
            entries: Vec::new(),
            places: Vec::new(),
            rejected: Vec::new(),
        }
    }

    /// Counts a record against the limit.
    pub(super) fn count(&mut self) -> Result<()> {
        self.records += 1;
        if self.records > self.max_records {
            return Err(Error::LimitExceeded {
                limit: Limit::ImportRecords,
                requested: self.records,
                max: self.max_records,
            });
        }
        Ok(())
    }

    /// Takes in what `later` read of the text after this one's.
    #[cfg_attr(target_arch = "wasm32", allow(dead_code))]
    pub(super) fn absorb(&mut self, later: Collector<'_>) -> Result<()> {
        let before = self.entries.len();
        self.records += later.records;
        if self.records > self.max_records {
            return Err(Error::LimitExceeded {
                limit: Limit::ImportRecords,
                requested: self.records,
                max: self.max_records,
            });
        }
        self.entries.extend(later.entries);
        self.places.extend(later.places);
        self.rejected
            .extend(later.rejected.into_iter().map(|(kept, location, reason)| (kept + before, location, reason)));
        Ok(())
    }

    /// Refuses the entry at `location`: an error when strict, else noted.
    pub(super) fn reject(&mut self, location: Location, reason: String) -> Result<()> {
        if self.options.strict {
            // A duplicate found later may lie before this line: the
            // first refusal is the one to report.
            if let Some(first) = self.duplicates().into_iter().next() {
                return Err(self.duplicate_error(first));
            }
            return Err(Error::BadEntry { location: location.to_string(), reason });
        }
        self.count()?;
        self.rejected.push((self.entries.len(), location, reason));
        Ok(())
    }

    /// The signal type of an entry that names `given` (or nothing, or an
    /// empty string), falling back to the options'. `None` when refused.
    pub(super) fn signal(&mut self, location: Location, given: Option<&str>) -> Result<Option<SignalType>> {
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
    pub(super) fn add(
        &mut self,
        location: Location,
        signal: SignalType,
        hash: &str,
        label: Option<&str>,
    ) -> Result<()> {
        match check_hash(signal, hash) {
            Ok(bytes) => self.add_bytes(location, signal, bytes, label),
            Err(reason) => self.reject(location, reason),
        }
    }

    /// [`Collector::add`] of a label already made for this entry (a JSON
    /// number written out): kept as it is when clean, not copied again.
    pub(super) fn add_owned(
        &mut self,
        location: Location,
        signal: SignalType,
        hash: &str,
        label: Option<String>,
    ) -> Result<()> {
        match check_hash(signal, hash) {
            Ok(bytes) => {
                let label = label.and_then(|l| if is_clean(&l) { Some(l) } else { clean_label(&l) });
                self.keep(location, Entry { signal, hash: bytes, label })
            }
            Err(reason) => self.reject(location, reason),
        }
    }

    /// Keeps the entry of checked hash bytes at `location`; whether it
    /// repeats an earlier one is found at the end ([`Collector::finish`]).
    pub(super) fn add_bytes(
        &mut self,
        location: Location,
        signal: SignalType,
        bytes: Vec<u8>,
        label: Option<&str>,
    ) -> Result<()> {
        self.keep(location, Entry { signal, hash: bytes, label: label.and_then(clean_label) })
    }

    /// Counts `entry` against the limit and keeps it, with where it is.
    fn keep(&mut self, location: Location, entry: Entry) -> Result<()> {
        self.count()?;
        self.entries.push(entry);
        self.places.push(location.pack());
        Ok(())
    }

    /// `(first, repeat)` entry numbers of every entry that repeats an
    /// earlier one's type and hash, in input order of the repeats.
    pub(super) fn duplicates(&self) -> Vec<(usize, usize)> {
        duplicate_entries(&self.entries)
    }

    /// The strict import's error for a duplicate.
    pub(super) fn duplicate_error(&self, (first, repeat): (usize, usize)) -> Error {
        let at = |i: usize| self.places.get(i).map_or(Location::EndOfInput, |&p| Location::unpack(p));
        Error::BadEntry { location: at(repeat).to_string(), reason: format!("duplicate of {}", at(first)) }
    }

    /// The import: duplicates taken out (and refused), the refused records
    /// in input order.
    pub(super) fn finish(self) -> Result<Imported> {
        let duplicates = self.duplicates();
        if let Some(&first) = duplicates.first()
            && self.options.strict
        {
            return Err(self.duplicate_error(first));
        }
        let Collector { entries, places, rejected, .. } = self;
        let at = |i: usize| places.get(i).map_or(Location::EndOfInput, |&p| Location::unpack(p));
        // A repeat's place is its entry number: a refusal made when that
        // many entries were kept comes before it.
        let mut repeated: Vec<(usize, Location, String)> = duplicates
            .iter()
            .map(|&(first, repeat)| (repeat, at(repeat), format!("duplicate of {}", at(first))))
            .collect();
        let count = repeated.len();
        // Both in input order already: merged, not sorted.
        let mut all = Vec::with_capacity(rejected.len() + repeated.len());
        let mut a = rejected.into_iter().peekable();
        let mut b = repeated.drain(..).peekable();
        loop {
            let take_a = match (a.peek(), b.peek()) {
                (Some(x), Some(y)) => x.0 <= y.0,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (None, None) => break,
            };
            let next = if take_a { a.next() } else { b.next() };
            if let Some((_, location, reason)) = next {
                all.push(Rejected { location: location.to_string(), reason });
            }
        }
        // In place: ten million entries are half a gigabyte to copy.
        let mut entries = entries;
        let mut drop = duplicates.iter().map(|&(_, repeat)| repeat).peekable();
        let mut i = 0;
        entries.retain(|_| {
            let repeat = drop.next_if_eq(&i).is_some();
            i += 1;
            !repeat
        });
        Ok(Imported { entries, rejected: all, duplicates: count })
    }
}
