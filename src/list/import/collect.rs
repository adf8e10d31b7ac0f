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

/// The entries read so far, the refused ones, and where each is.
pub(super) struct Collector<'a> {
    pub(super) options: &'a ImportOptions,
    pub(super) max_records: u64,
    /// Records so far, kept and refused: each one's place in input order.
    records: u64,
    entries: Vec<Entry>,
    /// Where each entry is, and its place.
    places: Vec<(Location, u64)>,
    /// The refused records, with their places.
    rejected: Vec<(u64, Location, String)>,
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

    /// Counts a record against the limit, and gives its place.
    pub(super) fn place(&mut self) -> Result<u64> {
        self.records += 1;
        if self.records > self.max_records {
            return Err(Error::LimitExceeded {
                limit: Limit::ImportRecords,
                requested: self.records,
                max: self.max_records,
            });
        }
        Ok(self.records)
    }

    /// Takes in what `later` read of the text after this one's.
    #[cfg_attr(target_arch = "wasm32", allow(dead_code))]
    pub(super) fn absorb(&mut self, later: Collector<'_>) -> Result<()> {
        let offset = self.records;
        self.records += later.records;
        if self.records > self.max_records {
            return Err(Error::LimitExceeded {
                limit: Limit::ImportRecords,
                requested: self.records,
                max: self.max_records,
            });
        }
        self.entries.extend(later.entries);
        self.places.extend(later.places.into_iter().map(|(location, place)| (location, place + offset)));
        self.rejected
            .extend(later.rejected.into_iter().map(|(place, location, reason)| (place + offset, location, reason)));
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
        let place = self.place()?;
        self.rejected.push((place, location, reason));
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

    /// Keeps the entry of checked hash bytes at `location`; whether it
    /// repeats an earlier one is found at the end ([`Collector::finish`]).
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
                let place = self.place()?;
                let label = label.and_then(|l| if is_clean(&l) { Some(l) } else { clean_label(&l) });
                self.entries.push(Entry { signal, hash: bytes, label });
                self.places.push((location, place));
                Ok(())
            }
            Err(reason) => self.reject(location, reason),
        }
    }

    pub(super) fn add_bytes(
        &mut self,
        location: Location,
        signal: SignalType,
        bytes: Vec<u8>,
        label: Option<&str>,
    ) -> Result<()> {
        let place = self.place()?;
        self.entries.push(Entry { signal, hash: bytes, label: label.and_then(clean_label) });
        self.places.push((location, place));
        Ok(())
    }

    /// `(first, repeat)` entry numbers of every entry that repeats an
    /// earlier one's type and hash, in input order of the repeats.
    pub(super) fn duplicates(&self) -> Vec<(usize, usize)> {
        duplicate_entries(&self.entries)
    }

    /// The strict import's error for a duplicate.
    pub(super) fn duplicate_error(&self, (first, repeat): (usize, usize)) -> Error {
        let at = |i: usize| self.places.get(i).map_or(Location::EndOfInput, |p| p.0);
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
        let at = |i: usize| places.get(i).copied().unwrap_or((Location::EndOfInput, 0));
        let mut repeated: Vec<(u64, Location, String)> = duplicates
            .iter()
            .map(|&(first, repeat)| {
                let (location, place) = at(repeat);
                (place, location, format!("duplicate of {}", at(first).0))
            })
            .collect();
        let count = repeated.len();
        // Both in input order already: merged, not sorted.
        let mut all = Vec::with_capacity(rejected.len() + repeated.len());
        let mut a = rejected.into_iter().peekable();
        let mut b = repeated.drain(..).peekable();
        loop {
            let take_a = match (a.peek(), b.peek()) {
                (Some(x), Some(y)) => x.0 < y.0,
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
