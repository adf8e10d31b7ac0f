//! prescan's signed binary hash list: building, inspecting and loading.
//!
//! The byte layout is specified in `docs/list-format.md`. In short: a fixed
//! header (magic, version, key id, sequence, creation and expiry times), the
//! list id, one section per signal type (threshold, hashes, optional
//! labels), and an Ed25519 signature over every byte before it.
//!
//! [`SignedList::load`] refuses, each with its own [`Error`]: a list over
//! the caller's size limit (before reading it), bad magic or version, a key
//! the caller did not configure, a bad signature (checked before any count
//! in the list is trusted), truncation or trailing bytes, more entries than
//! the caller allows, an expired list, and a sequence number below the
//! caller's minimum (rollback). The loaded list keeps the bytes it was given
//! and reads hashes and labels in place.
//!
//! Every read goes through a bounds-checked cursor; no function here panics
//! on any input.

use std::ops::Range;
use std::sync::Arc;

use crate::error::{Error, ListLimit, Result};
use crate::list::keys::{KeyId, PublicKey, SIGNATURE_LEN, SecretKey};
use crate::list::{Entry, SignalType, Thresholds, repeats};

/// The first 8 bytes of every list.
pub const MAGIC: [u8; 8] = *b"PRSCNLST";
/// The newest format version this build writes and reads: 2, which adds
/// the video sections (`video_md5`, `vpdq`). A list without them is
/// written as version 1, which every earlier loader reads; a loader reads
/// both.
pub const VERSION: u16 = 2;
/// The version of lists without video sections.
const VERSION_1: u16 = 1;
/// Bytes of the fixed header, before the list id.
const HEADER_LEN: usize = 48;
/// Longest list id, in bytes.
pub const MAX_ID_LEN: usize = 255;
/// Longest entry label, in bytes.
pub const MAX_LABEL_LEN: usize = 1024;

/// Default largest list accepted by [`SignedList::load`]: 1 GiB, room for
/// 30 million PDQ hashes; a browser tab should set a lower limit.
pub const DEFAULT_MAX_BYTES: u64 = 1 << 30;
/// Default largest number of entries (all sections together): 32 Mi.
pub const DEFAULT_MAX_ENTRIES: u64 = 32 << 20;

/// Size limits for loading a list, checked before anything of that size is
/// read or allocated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListLimits {
    /// Largest list, in bytes.
    pub max_bytes: u64,
    /// Largest number of entries, all sections together.
    pub max_entries: u64,
}

impl Default for ListLimits {
    fn default() -> Self {
        ListLimits { max_bytes: DEFAULT_MAX_BYTES, max_entries: DEFAULT_MAX_ENTRIES }
    }
}

/// What a loader trusts and requires.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// The keys whose signatures are accepted. Empty: nothing is accepted.
    pub trusted_keys: Vec<PublicKey>,
    /// The current time, Unix seconds, for the expiry check. The library
    /// has no clock of its own: the CLI and the browser pass theirs.
    pub now: u64,
    /// The lowest sequence number accepted: the highest one the caller has
    /// seen, so that an older list cannot be replayed.
    pub min_sequence: u64,
    /// Size limits.
    pub limits: ListLimits,
}

/// A list's metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListMeta {
    /// The list's name, chosen by its issuer.
    pub id: String,
    /// The id of the key that signed it.
    pub key_id: KeyId,
    /// Sequence number: each new list from an issuer has a higher one.
    pub sequence: u64,
    /// Creation time, Unix seconds.
    pub created: u64,
    /// Expiry time, Unix seconds; `None`: the list does not expire.
    pub expires: Option<u64>,
}

/// Where one section's parts lie in the list bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
struct SectionInfo {
    signal: SignalType,
    threshold: u32,
    count: usize,
    hashes: Range<usize>,
    /// `(offsets, blob)` when the section has labels.
    labels: Option<(Range<usize>, Range<usize>)>,
    /// For vPDQ: the `count + 1` frame offsets that divide `hashes` into
    /// videos.
    videos: Option<Range<usize>>,
}

/// One section of a list, read in place.
#[derive(Debug, Clone, Copy)]
pub struct Section<'a> {
    /// The signal type of every hash in it.
    pub signal: SignalType,
    /// The issuer's match threshold, in bits (0 for exact).
    pub threshold: u32,
    /// Number of entries.
    pub count: usize,
    /// The hashes, `count * signal.hash_len()` bytes, in entry order; empty
    /// in a list the holder took them out of ([`SignedList::without_hashes`]).
    /// For vPDQ, every video's frame hashes, video after video.
    pub hashes: &'a [u8],
    labels: Option<(&'a [u8], &'a [u8])>,
    videos: Option<&'a [u8]>,
}

impl<'a> Section<'a> {
    /// Hash of entry `i`; for vPDQ, its frames' hashes back to back.
    pub fn hash(&self, i: usize) -> Option<&'a [u8]> {
        let len = self.signal.hash_len();
        let frames = match self.videos {
            Some(offsets) => u32_at(offsets, i)?..u32_at(offsets, i.checked_add(1)?)?,
            None => i..i.checked_add(1)?,
        };
        self.hashes.get(frames.start.checked_mul(len)?..frames.end.checked_mul(len)?)
    }

    /// Label of entry `i`, if the section has labels and it has one.
    pub fn label(&self, i: usize) -> Option<&'a str> {
        let (offsets, blob) = self.labels?;
        std::str::from_utf8(blob.get(label_span(offsets, i)?)?).ok()
    }

    /// Whether the section carries labels.
    pub fn has_labels(&self) -> bool {
        self.labels.is_some()
    }
}

/// An entry's label, read in place from the list it came from: cloning it,
/// or putting it in many verdicts, copies no text.
#[derive(Clone)]
pub struct Label {
    bytes: Arc<Vec<u8>>,
    range: Range<usize>,
}

impl Label {
    /// The label's text. [`SignedList::load`] has checked that every label
    /// is UTF-8, so this is never empty for a label that exists.
    pub fn as_str(&self) -> &str {
        self.bytes.get(self.range.clone()).and_then(|b| std::str::from_utf8(b).ok()).unwrap_or("")
    }
}

impl std::ops::Deref for Label {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq for Label {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Label {}

impl std::fmt::Debug for Label {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_str(), f)
    }
}

impl std::fmt::Display for Label {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A list that was verified and accepted by [`SignedList::load`].
#[derive(Debug, Clone)]
pub struct SignedList {
    /// Shared with the indexes that read their hashes in place
    /// ([`SignedList::shared_hashes`]) and with the [`Label`]s of matches.
    bytes: Arc<Vec<u8>>,
    meta: ListMeta,
    sections: Vec<SectionInfo>,
    /// Entries that repeat an earlier entry's hash in their section,
    /// counted at load.
    duplicates: usize,
}

impl SignedList {
    /// Verifies and accepts `bytes` as a list under `options`.
    ///
    /// # Errors
    /// In the order checked: [`Error::ListTooLarge`] (bytes),
    /// [`Error::ListTruncated`], [`Error::ListMagic`], [`Error::ListVersion`],
    /// [`Error::UnknownKey`], [`Error::BadSignature`], then the structure
    /// ([`Error::ListTruncated`], [`Error::ListMalformed`],
    /// [`Error::ListTooLarge`] for entries), then [`Error::Expired`] and
    /// [`Error::Rollback`]. Never panics.
    pub fn load(bytes: Vec<u8>, options: &LoadOptions) -> Result<Self> {
        let limits = &options.limits;
        if bytes.len() as u64 > limits.max_bytes {
            return Err(Error::ListTooLarge {
                limit: ListLimit::Bytes,
                requested: bytes.len() as u64,
                max: limits.max_bytes,
            });
        }
        let header = read_header(&bytes)?;
        let key = options
            .trusted_keys
            .iter()
            .find(|k| k.id() == header.key_id)
            .ok_or_else(|| Error::UnknownKey { key_id: header.key_id.to_string() })?;
        let (signed, signature) = split_signature(&bytes)?;
        if !key.verifies(signed, &signature) {
            return Err(Error::BadSignature);
        }
        let (meta, sections) = parse(&bytes, limits)?;
        if let Some(expires) = meta.expires.filter(|e| options.now >= *e) {
            return Err(Error::Expired { expires, now: options.now });
        }
        if meta.sequence < options.min_sequence {
            return Err(Error::Rollback { sequence: meta.sequence, minimum: options.min_sequence });
        }
        let duplicates = sections.iter().map(|s| section_duplicates(&section_view(&bytes, s))).sum();
        // Held for the checker's life: no spare capacity.
        let mut bytes = bytes;
        bytes.shrink_to_fit();
        Ok(SignedList { bytes: Arc::new(bytes), meta, sections, duplicates })
    }

    /// Entries that repeat the hash of an earlier entry of their section,
    /// counted at load. `prescan list build` refuses to write such a list;
    /// one built elsewhere still loads, and each copy is a separate entry
    /// (a verdict carries at most [`crate::check::MAX_MATCHES`] matches).
    pub fn duplicates(&self) -> usize {
        self.duplicates
    }

    /// The label of entry `entry` of the section of `signal`, shared with
    /// the list; `None` when it has none.
    pub fn label(&self, signal: SignalType, entry: usize) -> Option<Label> {
        let info = self.sections.iter().find(|s| s.signal == signal)?;
        let (offsets, blob) = info.labels.as_ref()?;
        let span = label_span(self.bytes.get(offsets.clone())?, entry)?;
        let range = blob.start.checked_add(span.start)?..blob.start.checked_add(span.end)?.min(blob.end);
        Some(Label { bytes: Arc::clone(&self.bytes), range })
    }

    /// The list's metadata.
    pub fn meta(&self) -> &ListMeta {
        &self.meta
    }

    /// The sections, in the list's order.
    pub fn sections(&self) -> impl Iterator<Item = Section<'_>> {
        self.sections.iter().map(|s| section_view(&self.bytes, s))
    }

    /// The section of one signal type, if the list has it.
    pub fn section(&self, signal: SignalType) -> Option<Section<'_>> {
        self.sections().find(|s| s.signal == signal)
    }

    /// Total entries, all sections together.
    pub fn len(&self) -> usize {
        self.sections.iter().map(|s| s.count).sum()
    }

    /// Whether the list has no entries.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The list without the hashes of its section of `signal` (the section
    /// keeps its count, threshold and labels; its hashes are then empty):
    /// for a holder whose index keeps them in another form. The bytes are
    /// copied without them, so the list's own are freed once nothing else
    /// shares them.
    #[must_use]
    pub fn without_hashes(self, signal: SignalType) -> Self {
        let Some(dropped) = self.sections.iter().find(|s| s.signal == signal).map(|s| s.hashes.clone()) else {
            return self;
        };
        let mut bytes = Vec::with_capacity(self.bytes.len() - dropped.len());
        bytes.extend_from_slice(self.bytes.get(..dropped.start).unwrap_or(&[]));
        bytes.extend_from_slice(self.bytes.get(dropped.end..).unwrap_or(&[]));
        let shift = |r: &Range<usize>| {
            if r.start >= dropped.end { r.start - dropped.len()..r.end - dropped.len() } else { r.clone() }
        };
        let sections = self
            .sections
            .iter()
            .map(|s| SectionInfo {
                hashes: if s.signal == signal { dropped.start..dropped.start } else { shift(&s.hashes) },
                labels: s.labels.as_ref().map(|(offsets, blob)| (shift(offsets), shift(blob))),
                ..s.clone()
            })
            .collect();
        SignedList { bytes: Arc::new(bytes), meta: self.meta, sections, duplicates: self.duplicates }
    }

    /// Heap bytes of the list's bytes (shared with the indexes that read
    /// them in place).
    pub fn memory_bytes(&self) -> usize {
        self.bytes.capacity()
    }

    /// The list's bytes, shared, and the range of the hashes of its section
    /// of `signal`, if it has one: for an index that reads them in place.
    pub fn shared_hashes(&self, signal: SignalType) -> Option<(Arc<Vec<u8>>, Range<usize>)> {
        let section = self.sections.iter().find(|s| s.signal == signal)?;
        Some((Arc::clone(&self.bytes), section.hashes.clone()))
    }
}

/// What [`inspect`] finds in a list without trusting it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListInfo {
    /// The metadata, as the list states it.
    pub meta: ListMeta,
    /// `(signal, threshold, entries, has labels)` per section.
    pub sections: Vec<(SignalType, u32, usize, bool)>,
    /// Total bytes.
    pub bytes: usize,
    /// Entries repeating an earlier entry's hash in their section.
    pub duplicates: usize,
}

/// Reads a list's metadata and section counts **without verifying its
/// signature**, for display. Use [`SignedList::load`] to accept a list;
/// [`verify_signature`] says whether a given key signed it.
///
/// # Errors
/// Structural errors as [`SignedList::load`] gives them. Never panics.
pub fn inspect(bytes: &[u8], limits: &ListLimits) -> Result<ListInfo> {
    if bytes.len() as u64 > limits.max_bytes {
        return Err(Error::ListTooLarge {
            limit: ListLimit::Bytes,
            requested: bytes.len() as u64,
            max: limits.max_bytes,
        });
    }
    let (meta, infos) = parse(bytes, limits)?;
    let duplicates = infos.iter().map(|s| section_duplicates(&section_view(bytes, s))).sum();
    let sections = infos.iter().map(|s| (s.signal, s.threshold, s.count, s.labels.is_some())).collect();
    Ok(ListInfo { meta, sections, bytes: bytes.len(), duplicates })
}

/// Checks only that `key` signed `bytes` (not expiry or rollback).
///
/// # Errors
/// [`Error::ListTruncated`], [`Error::ListMagic`], [`Error::ListVersion`],
/// [`Error::UnknownKey`] when the list names another key, and
/// [`Error::BadSignature`].
pub fn verify_signature(bytes: &[u8], key: &PublicKey) -> Result<()> {
    let header = read_header(bytes)?;
    if header.key_id != key.id() {
        return Err(Error::UnknownKey { key_id: header.key_id.to_string() });
    }
    let (signed, signature) = split_signature(bytes)?;
    if key.verifies(signed, &signature) { Ok(()) } else { Err(Error::BadSignature) }
}

/// Builds a signed list.
#[derive(Debug, Clone)]
pub struct ListBuilder {
    /// The list's name.
    pub id: String,
    /// Its sequence number; must grow from one list to the next.
    pub sequence: u64,
    /// Creation time, Unix seconds.
    pub created: u64,
    /// Expiry time, Unix seconds, or `None` for a list that never expires.
    pub expires: Option<u64>,
    /// Match thresholds by signal type; a type absent here gets
    /// [`SignalType::default_threshold`].
    pub thresholds: Thresholds,
}

impl ListBuilder {
    /// The signed list of `entries`, one section per signal type present,
    /// in [`SignalType::ALL`] order, entries in their given order.
    ///
    /// # Errors
    /// * [`Error::ListMalformed`] for an id or label too long, an entry whose
    ///   hash has the wrong length, or a section over `u32::MAX` entries;
    /// * [`Error::BadOption`] for a threshold above its type's
    ///   [`SignalType::max_threshold`], or an expiry at or before the
    ///   creation time (a list that would be expired when made);
    /// * [`Error::DuplicateEntry`] for a hash given twice in one section.
    pub fn build(&self, entries: &[Entry], key: &SecretKey) -> Result<Vec<u8>> {
        self.unsigned(entries, &key.public())?.sign(key)
    }

    /// The bytes [`ListBuilder::build`] signs, for the key `signer`: to
    /// sign them while writing them out ([`UnsignedList::signature`]), as
    /// `prescan list build` does, since signing reads them twice.
    ///
    /// # Errors
    /// As [`ListBuilder::build`].
    pub fn unsigned(&self, entries: &[Entry], signer: &PublicKey) -> Result<UnsignedList> {
        let malformed = |why: String| Error::ListMalformed(why);
        if self.id.is_empty() || self.id.len() > MAX_ID_LEN {
            return Err(malformed(format!("list id must be 1 to {MAX_ID_LEN} bytes")));
        }
        if let Some(expires) = self.expires.filter(|e| *e <= self.created) {
            return Err(Error::BadOption {
                option: "expires".into(),
                reason: format!(
                    "{expires} is not after the creation time {} (Unix seconds): the list would be expired",
                    self.created
                ),
            });
        }
        for (signal, threshold) in self.thresholds.iter() {
            check_threshold(signal, threshold)
                .map_err(|reason| Error::BadOption { option: format!("threshold {signal}"), reason })?;
        }
        refuse_duplicates(entries)?;
        let sizes = SectionSizes::of(entries);
        let size = |t: SignalType| sizes.get(t as usize).copied().unwrap_or_default();
        let present: Vec<SignalType> = SignalType::ALL.into_iter().filter(|t| size(*t).count > 0).collect();
        let version = if present.iter().any(|s| is_version_2(*s)) { VERSION } else { VERSION_1 };
        // Sized once, exactly but for vPDQ's frame offsets: ten million
        // hashes with labels are 430 MB, which growing would copy.
        let capacity =
            HEADER_LEN + self.id.len() + sizes.iter().map(SectionSizes::bytes).sum::<usize>() + SIGNATURE_LEN;
        let mut out = Vec::with_capacity(capacity);
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&version.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(&signer.id().0);
        out.extend_from_slice(&self.sequence.to_le_bytes());
        out.extend_from_slice(&self.created.to_le_bytes());
        out.extend_from_slice(&self.expires.unwrap_or(0).to_le_bytes());
        out.extend_from_slice(&(self.id.len() as u16).to_le_bytes());
        out.extend_from_slice(&(present.len() as u16).to_le_bytes());
        out.extend_from_slice(self.id.as_bytes());
        for signal in present {
            let size = size(signal);
            let section = || entries.iter().filter(move |e| e.signal == signal);
            let count = u32::try_from(size.count).map_err(|_| malformed(format!("{signal}: too many entries")))?;
            let threshold = self.thresholds.or(signal, signal.default_threshold());
            let threshold =
                u16::try_from(threshold).map_err(|_| malformed(format!("{signal}: threshold too large")))?;
            let label_len = if size.labelled { (size.count + 1) * 4 + size.labels } else { 0 };
            let label_len = u32::try_from(label_len).map_err(|_| malformed("labels too large".into()))?;
            out.push(signal.code());
            out.push(0);
            out.extend_from_slice(&threshold.to_le_bytes());
            out.extend_from_slice(&count.to_le_bytes());
            out.extend_from_slice(&label_len.to_le_bytes());
            if signal.is_video() {
                write_video_offsets(section(), &mut out)?;
            }
            let len = signal.hash_len();
            for e in section() {
                let whole =
                    if signal.is_video() { !e.hash.is_empty() && e.hash.len() % len == 0 } else { e.hash.len() == len };
                if !whole {
                    return Err(malformed(format!("{signal} hash of {} bytes", e.hash.len())));
                }
                out.extend_from_slice(&e.hash);
            }
            if size.labelled {
                // The offsets, then the labels: the offsets' place is kept
                // and filled as the labels go in after it.
                let offsets = out.len();
                out.resize(offsets + (size.count + 1) * 4, 0);
                let blob = out.len();
                for (i, e) in section().enumerate() {
                    let label = e.label.as_deref().unwrap_or("");
                    if label.len() > MAX_LABEL_LEN {
                        return Err(malformed(format!("label longer than {MAX_LABEL_LEN} bytes")));
                    }
                    out.extend_from_slice(label.as_bytes());
                    let end = u32::try_from(out.len() - blob).map_err(|_| malformed("labels too large".into()))?;
                    if let Some(slot) = out.get_mut(offsets + (i + 1) * 4..offsets + (i + 2) * 4) {
                        slot.copy_from_slice(&end.to_le_bytes());
                    }
                }
            }
        }
        Ok(UnsignedList { bytes: out, signer: signer.id() })
    }
}

/// What a section of one signal type holds, counted before it is written.
#[derive(Debug, Clone, Copy, Default)]
struct SectionSizes {
    count: usize,
    hashes: usize,
    labels: usize,
    labelled: bool,
}

impl SectionSizes {
    /// The sizes of each signal type's section, by [`SignalType`] number.
    fn of(entries: &[Entry]) -> [SectionSizes; SignalType::ALL.len()] {
        let mut sizes = [SectionSizes::default(); SignalType::ALL.len()];
        for e in entries {
            if let Some(s) = sizes.get_mut(e.signal as usize) {
                let label = e.label.as_deref().map_or(0, str::len);
                s.count += 1;
                s.hashes = s.hashes.saturating_add(e.hash.len());
                s.labels = s.labels.saturating_add(label);
                s.labelled |= label > 0;
            }
        }
        sizes
    }

    /// The section's bytes but for vPDQ's frame offsets.
    fn bytes(&self) -> usize {
        let labels = if self.labelled { (self.count + 1).saturating_mul(4).saturating_add(self.labels) } else { 0 };
        12usize.saturating_add(self.hashes).saturating_add(labels)
    }
}

/// A list's bytes but for the signature: [`ListBuilder::unsigned`].
#[derive(Debug, Clone)]
pub struct UnsignedList {
    bytes: Vec<u8>,
    signer: KeyId,
}

impl UnsignedList {
    /// The bytes to sign: the list but for its last
    /// [`SIGNATURE_LEN`] bytes, the signature.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The signature that follows [`UnsignedList::bytes`].
    ///
    /// # Errors
    /// [`Error::UnknownKey`] when `key` is not the one the list was made
    /// for (its header names that key).
    pub fn signature(&self, key: &SecretKey) -> Result<[u8; SIGNATURE_LEN]> {
        let public = key.public();
        if public.id() != self.signer {
            return Err(Error::UnknownKey { key_id: public.id().to_string() });
        }
        Ok(key.sign(&self.bytes))
    }

    /// The signed list.
    ///
    /// # Errors
    /// As [`UnsignedList::signature`].
    pub fn sign(self, key: &SecretKey) -> Result<Vec<u8>> {
        let signature = self.signature(key)?;
        let mut bytes = self.bytes;
        bytes.extend_from_slice(&signature);
        Ok(bytes)
    }
}

// ---------------------------------------------------------------------------
// Reading

/// The refusal of a list whose `what` is too large to compute with: an
/// overflow, not a truncation (no list of that size could be held).
fn overflow(what: &str) -> Error {
    Error::ListMalformed(format!("{what} too large to compute with (it overflows)"))
}

/// A bounds-checked reader over untrusted bytes.
struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self.at.checked_add(n).ok_or_else(|| overflow("a length"))?;
        let out = self.bytes.get(self.at..end).ok_or(Error::ListTruncated)?;
        self.at = end;
        Ok(out)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn u8(&mut self) -> Result<u8> {
        Ok(self.array::<1>()?[0])
    }

    fn u16(&mut self) -> Result<u16> {
        Ok(u16::from_le_bytes(self.array()?))
    }

    fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_le_bytes(self.array()?))
    }
}

struct Header {
    version: u16,
    key_id: KeyId,
    sequence: u64,
    created: u64,
    expires: u64,
    id_len: usize,
    section_count: usize,
}

/// The fixed header: magic and version first, so that a file that is not a
/// list, or a newer format, is named as such.
fn read_header(bytes: &[u8]) -> Result<Header> {
    let mut c = Cursor { bytes, at: 0 };
    if c.take(MAGIC.len()).map_err(|_| Error::ListMagic)? != MAGIC {
        return Err(Error::ListMagic);
    }
    let version = c.u16()?;
    if version != VERSION && version != VERSION_1 {
        return Err(Error::ListVersion(version));
    }
    if c.u16()? != 0 {
        return Err(Error::ListMalformed("reserved header flags are set".into()));
    }
    let key_id = KeyId(c.array()?);
    let (sequence, created, expires) = (c.u64()?, c.u64()?, c.u64()?);
    let id_len = usize::from(c.u16()?);
    let section_count = usize::from(c.u16()?);
    if bytes.len() < HEADER_LEN + SIGNATURE_LEN {
        return Err(Error::ListTruncated);
    }
    Ok(Header { version, key_id, sequence, created, expires, id_len, section_count })
}

fn split_signature(bytes: &[u8]) -> Result<(&[u8], [u8; SIGNATURE_LEN])> {
    let at = bytes.len().checked_sub(SIGNATURE_LEN).ok_or(Error::ListTruncated)?;
    let (signed, sig) = bytes.split_at_checked(at).ok_or(Error::ListTruncated)?;
    let mut signature = [0u8; SIGNATURE_LEN];
    signature.copy_from_slice(sig);
    Ok((signed, signature))
}

fn section_view<'a>(bytes: &'a [u8], s: &SectionInfo) -> Section<'a> {
    let get = |r: &Range<usize>| bytes.get(r.clone()).unwrap_or(&[]);
    Section {
        signal: s.signal,
        threshold: s.threshold,
        count: s.count,
        hashes: get(&s.hashes),
        labels: s.labels.as_ref().map(|(o, b)| (get(o), get(b))),
        videos: s.videos.as_ref().map(get),
    }
}

/// The whole structure: header, id, sections, and nothing left between the
/// last section and the signature.
fn parse(bytes: &[u8], limits: &ListLimits) -> Result<(ListMeta, Vec<SectionInfo>)> {
    let header = read_header(bytes)?;
    let (body, _) = split_signature(bytes)?;
    let mut c = Cursor { bytes: body, at: HEADER_LEN };
    if header.id_len == 0 || header.id_len > MAX_ID_LEN {
        return Err(Error::ListMalformed(format!("list id of {} bytes", header.id_len)));
    }
    let id = std::str::from_utf8(c.take(header.id_len)?)
        .map_err(|_| Error::ListMalformed("list id is not UTF-8".into()))?
        .to_owned();
    if header.section_count > SignalType::ALL.len() {
        return Err(Error::ListMalformed(format!("{} sections", header.section_count)));
    }
    let mut sections: Vec<SectionInfo> = Vec::with_capacity(header.section_count);
    let mut total: u64 = 0;
    for _ in 0..header.section_count {
        let code = c.u8()?;
        let signal = SignalType::from_code(code)
            .filter(|s| header.version >= VERSION || !is_version_2(*s))
            .ok_or_else(|| {
                Error::ListMalformed(format!("unknown signal type code {code} in a version {} list", header.version))
            })?;
        if sections.iter().any(|s| s.signal == signal) {
            return Err(Error::ListMalformed(format!("two {signal} sections")));
        }
        if c.u8()? != 0 {
            return Err(Error::ListMalformed("reserved section byte is set".into()));
        }
        let threshold = u32::from(c.u16()?);
        check_threshold(signal, threshold).map_err(|why| Error::ListMalformed(format!("{signal} section: {why}")))?;
        let count = c.u32()? as usize;
        let label_len = c.u32()? as usize;
        total += count as u64;
        if total > limits.max_entries {
            return Err(Error::ListTooLarge { limit: ListLimit::Entries, requested: total, max: limits.max_entries });
        }
        // A vPDQ section's entries are videos: their frames' count, then
        // the offsets that divide the frames into videos.
        let (hash_count, videos) = if signal.is_video() {
            let frames = c.u32()? as usize;
            total += frames as u64;
            if total > limits.max_entries {
                return Err(Error::ListTooLarge {
                    limit: ListLimit::Entries,
                    requested: total,
                    max: limits.max_entries,
                });
            }
            let offsets_len = count.checked_add(1).and_then(|n| n.checked_mul(4)).ok_or_else(|| overflow("a count"))?;
            let o_start = c.at;
            check_video_offsets(c.take(offsets_len)?, frames)?;
            (frames, Some(o_start..c.at))
        } else {
            (count, None)
        };
        // The count is bounded by the bytes present before anything is
        // allocated for it: `take` fails on a count the list cannot hold.
        let hash_bytes = hash_count.checked_mul(signal.hash_len()).ok_or_else(|| overflow("a count"))?;
        let start = c.at;
        c.take(hash_bytes)?;
        let hashes = start..c.at;
        let labels = if label_len == 0 {
            None
        } else {
            let offsets_len = count.checked_add(1).and_then(|n| n.checked_mul(4)).ok_or_else(|| overflow("a count"))?;
            let blob_len = label_len
                .checked_sub(offsets_len)
                .ok_or_else(|| Error::ListMalformed("label table shorter than its offsets".into()))?;
            let o_start = c.at;
            let offsets = c.take(offsets_len)?;
            let b_start = c.at;
            let blob = c.take(blob_len)?;
            check_labels(signal, offsets, blob)?;
            Some((o_start..b_start, b_start..c.at))
        };
        sections.push(SectionInfo { signal, threshold, count, hashes, labels, videos });
    }
    if c.at != body.len() {
        return Err(Error::ListMalformed(format!("{} bytes after the last section", body.len() - c.at)));
    }
    let meta = ListMeta {
        id,
        key_id: header.key_id,
        sequence: header.sequence,
        created: header.created,
        expires: (header.expires != 0).then_some(header.expires),
    };
    Ok((meta, sections))
}

/// The `k`-th little-endian `u32` of a table.
fn u32_at(table: &[u8], k: usize) -> Option<usize> {
    let start = k.checked_mul(4)?;
    let b: [u8; 4] = table.get(start..start.checked_add(4)?)?.try_into().ok()?;
    Some(u32::from_le_bytes(b) as usize)
}

/// Where label `i` lies in a section's label blob, given its offset table:
/// `None` for an empty label or an entry past the table.
fn label_span(offsets: &[u8], i: usize) -> Option<Range<usize>> {
    let (from, to) = (u32_at(offsets, i)?, u32_at(offsets, i.checked_add(1)?)?);
    (from < to).then_some(from..to)
}

/// Label offsets start at 0, never decrease, end at the blob's length, and
/// delimit labels of at most [`MAX_LABEL_LEN`] bytes, each UTF-8 (a label
/// that is not would otherwise be dropped from every match, silently).
fn check_labels(signal: SignalType, offsets: &[u8], blob: &[u8]) -> Result<()> {
    let mut previous: Option<usize> = None;
    for (k, chunk) in offsets.chunks_exact(4).enumerate() {
        let mut b = [0u8; 4];
        b.copy_from_slice(chunk);
        let v = u32::from_le_bytes(b) as usize;
        match previous {
            None if v == 0 => {}
            Some(p) if v >= p && v - p <= MAX_LABEL_LEN => {
                // `k - 1` is the entry whose label ends here; the offsets
                // are within the blob once the last one is checked below,
                // so an offset past it is refused there, not here.
                if let Some(text) = blob.get(p..v)
                    && std::str::from_utf8(text).is_err()
                {
                    return Err(Error::ListMalformed(format!(
                        "{signal} section: the label of entry {} is not UTF-8",
                        k - 1
                    )));
                }
            }
            _ => return Err(Error::ListMalformed("label offsets out of order".into())),
        }
        previous = Some(v);
    }
    if previous != Some(blob.len()) {
        return Err(Error::ListMalformed("label offsets do not end at the label bytes' end".into()));
    }
    Ok(())
}

/// A vPDQ section's frame count and offsets, from its entries (one video
/// each, of `hash.len() / 32` frames).
fn write_video_offsets<'a>(section: impl Iterator<Item = &'a Entry>, out: &mut Vec<u8>) -> Result<()> {
    let too_many = || Error::ListMalformed("vpdq: more than 4,294,967,295 frames".into());
    let mut offsets = vec![0u32];
    let mut frames = 0u32;
    for e in section {
        let n = u32::try_from(e.hash.len() / SignalType::Vpdq.hash_len()).map_err(|_| too_many())?;
        frames = frames.checked_add(n).ok_or_else(too_many)?;
        offsets.push(frames);
    }
    out.extend_from_slice(&frames.to_le_bytes());
    for o in offsets {
        out.extend_from_slice(&o.to_le_bytes());
    }
    Ok(())
}

/// Whether sections of `signal` exist only from version 2 on.
fn is_version_2(signal: SignalType) -> bool {
    matches!(signal, SignalType::VideoMd5 | SignalType::Vpdq)
}

/// A vPDQ section's frame offsets start at 0, grow (every video has a
/// frame at least) and end at the section's frame count.
fn check_video_offsets(offsets: &[u8], frames: usize) -> Result<()> {
    let values: Vec<usize> = (0..offsets.len() / 4).filter_map(|k| u32_at(offsets, k)).collect();
    if values.first() != Some(&0) || values.last() != Some(&frames) {
        return Err(Error::ListMalformed(format!(
            "vpdq section: frame offsets do not run from 0 to its {frames} frames"
        )));
    }
    if let Some(k) = values.windows(2).position(|w| w.first() >= w.get(1)) {
        return Err(Error::ListMalformed(format!("vpdq section: video {k} has no frames")));
    }
    Ok(())
}

/// Refuses a threshold above the type's cap ([`SignalType::max_threshold`]).
fn check_threshold(signal: SignalType, threshold: u32) -> std::result::Result<(), String> {
    let max = signal.max_threshold();
    if threshold > max {
        return Err(format!("threshold {threshold} is over the largest accepted for {signal}, {max} bits"));
    }
    Ok(())
}

/// Refuses entries that repeat an earlier entry's type and hash.
fn refuse_duplicates(entries: &[Entry]) -> Result<()> {
    let found = |signal: SignalType, repeats: Vec<(usize, usize)>| match repeats.first() {
        Some(&(first, duplicate)) => Err(Error::DuplicateEntry { signal: signal.name(), first, duplicate }),
        None => Ok(()),
    };
    // One signal type, the usual list: its entries are its section, and
    // need no list of their positions (80 MB for ten million).
    if let Some(signal) = entries.first().map(|e| e.signal)
        && entries.iter().all(|e| e.signal == signal)
    {
        return found(signal, repeats(entries.len(), |i| entries.get(i).map_or(&[][..], |e| &e.hash[..])));
    }
    for signal in SignalType::ALL {
        let section: Vec<&[u8]> = entries.iter().filter(|e| e.signal == signal).map(|e| e.hash.as_slice()).collect();
        found(signal, repeats(section.len(), |i| section.get(i).copied().unwrap_or(&[])))?;
    }
    Ok(())
}

/// How many of a section's entries repeat an earlier one's hash (for
/// vPDQ: all its frames, in order).
fn section_duplicates(section: &Section<'_>) -> usize {
    if section.videos.is_some() {
        return repeats(section.count, |i| section.hash(i).unwrap_or(&[])).len();
    }
    count_duplicates(section.hashes, section.signal.hash_len())
}

/// How many of the `len`-byte hashes in `hashes` repeat an earlier one.
fn count_duplicates(hashes: &[u8], len: usize) -> usize {
    if len == 0 {
        return 0;
    }
    let n = hashes.len() / len;
    repeats(n, |i| hashes.get(i * len..(i + 1) * len).unwrap_or(&[])).len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries() -> Vec<Entry> {
        vec![
            Entry { signal: SignalType::Md5, hash: vec![1; 16], label: Some("case-1".into()) },
            Entry { signal: SignalType::Pdq, hash: vec![0xab; 32], label: None },
            Entry { signal: SignalType::Pdq, hash: vec![0xcd; 32], label: Some("case-2".into()) },
            Entry { signal: SignalType::Sha256, hash: vec![9; 32], label: None },
        ]
    }

    fn builder() -> ListBuilder {
        ListBuilder {
            id: "test-list".into(),
            sequence: 7,
            created: 1_700_000_000,
            expires: Some(1_800_000_000),
            thresholds: Thresholds::from([(SignalType::Pdq, 20)]),
        }
    }

    fn options(key: &SecretKey) -> LoadOptions {
        LoadOptions {
            trusted_keys: vec![key.public()],
            now: 1_750_000_000,
            min_sequence: 7,
            limits: ListLimits::default(),
        }
    }

    #[test]
    fn build_then_load_reads_back_everything() {
        let key = SecretKey::from_seed([1; 32]);
        let bytes = builder().build(&entries(), &key).unwrap();
        let list = SignedList::load(bytes, &options(&key)).unwrap();
        assert_eq!(list.meta().id, "test-list");
        assert_eq!(list.meta().sequence, 7);
        assert_eq!(list.meta().expires, Some(1_800_000_000));
        assert_eq!(list.len(), 4);
        let pdq = list.section(SignalType::Pdq).unwrap();
        assert_eq!((pdq.count, pdq.threshold), (2, 20));
        assert_eq!(pdq.hash(1).unwrap(), &[0xcd; 32][..]);
        assert_eq!(pdq.label(0), None);
        assert_eq!(pdq.label(1), Some("case-2"));
        let sha = list.section(SignalType::Sha256).unwrap();
        assert!(!sha.has_labels());
        assert_eq!(sha.threshold, 0);
        let order: Vec<SignalType> = list.sections().map(|s| s.signal).collect();
        assert_eq!(order, [SignalType::Pdq, SignalType::Md5, SignalType::Sha256]);
    }

    #[test]
    fn repeats_compare_whole_hashes_where_prefixes_meet() {
        let (a, b) = ([[1u8; 8], [2; 8]].concat(), [[1u8; 8], [3; 8]].concat());
        let hashes = [&a[..], &b, &a, &b, &a, &[9u8; 16]].concat();
        assert_eq!(count_duplicates(&hashes, 16), 3);
        let views: Vec<&[u8]> = hashes.chunks(16).collect();
        assert_eq!(repeats(views.len(), |i| views[i]), vec![(0, 2), (1, 3), (0, 4)]);
        assert_eq!(count_duplicates(&[7; 64], 32), 1);
        assert_eq!(count_duplicates(&[], 32), 0);
    }

    #[test]
    fn refusals_name_their_reason() {
        let key = SecretKey::from_seed([1; 32]);
        let other = SecretKey::from_seed([2; 32]);
        let bytes = builder().build(&entries(), &key).unwrap();
        let load = |b: &[u8], o: &LoadOptions| SignedList::load(b.to_vec(), o).unwrap_err();
        let o = options(&key);
        assert!(matches!(load(&bytes, &options(&other)), Error::UnknownKey { .. }));
        assert_eq!(
            load(&bytes, &LoadOptions { now: 1_800_000_000, ..o.clone() }),
            Error::Expired { expires: 1_800_000_000, now: 1_800_000_000 }
        );
        assert_eq!(
            load(&bytes, &LoadOptions { min_sequence: 8, ..o.clone() }),
            Error::Rollback { sequence: 7, minimum: 8 }
        );
        let small = ListLimits { max_bytes: 100, ..ListLimits::default() };
        assert!(matches!(
            load(&bytes, &LoadOptions { limits: small, ..o.clone() }),
            Error::ListTooLarge { limit: ListLimit::Bytes, .. }
        ));
        let few = ListLimits { max_entries: 2, ..ListLimits::default() };
        assert!(matches!(
            load(&bytes, &LoadOptions { limits: few, ..o.clone() }),
            Error::ListTooLarge { limit: ListLimit::Entries, .. }
        ));
        assert_eq!(load(&bytes[..bytes.len() - 1], &o), Error::BadSignature);
        assert_eq!(load(&bytes[..20], &o), Error::ListTruncated);
        assert_eq!(load(b"GIF89a", &o), Error::ListMagic);
        let mut tail = bytes.clone();
        tail.push(0);
        assert_eq!(load(&tail, &o), Error::BadSignature);
    }
}
