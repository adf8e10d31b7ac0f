//! The verdict schema: the one JSON form of a [`Verdict`], which every face
//! prints or sends — `prescan check --json`, the Wasm bindings' objects,
//! the events of the browser package — specified field by field in
//! `docs/verdict.md` and as JSON Schema in `docs/verdict.schema.json`.
//!
//! [`Verdict`] serialises through serde with the views below (camelCase
//! names, hashes as lowercase hex, absent hashes left out or `null` as the
//! schema says), so there is one serializer and no face builds a verdict
//! of its own. Nothing in it is pixels or file bytes: hashes, distances,
//! labels and timings only.

use serde::{Deserialize, Serialize, Serializer};

use crate::check::{Checker, ComputedHashes, Match, PdqNearest, Verdict};
use crate::error::{Error, Limit, Result};
use crate::hash::pdq::{PdqDihedral, PdqHash, PdqResult};
use crate::hash::perceptual::{PerceptualAlgorithm, PerceptualHash};
use crate::hash::vpdq::VpdqFeature;
use crate::hex;
use crate::list::SignalType;

/// The most files one request to a remote matcher carries.
pub const MAX_FILES_PER_REQUEST: usize = 64;

/// One verdict, as the schema spells it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct VerdictJson<'a> {
    matched: bool,
    matches: Vec<MatchJson<'a>>,
    matches_truncated: usize,
    pdq: Option<String>,
    pdq_quality: Option<u8>,
    pdq_dihedral: Option<Vec<String>>,
    pdq_skipped_low_quality: bool,
    perceptual_skipped: bool,
    pdq_nearest: Option<NearestJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    phash: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dhash: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ahash: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    blockhash: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    md5: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sha1: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sha256: Option<String>,
    /// A video's hashed frames.
    #[serde(skip_serializing_if = "Option::is_none")]
    vpdq: Option<&'a [VpdqFeature]>,
    decode_error: Option<ErrorJson>,
    elapsed_ms: Option<f64>,
}

/// One match.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MatchJson<'a> {
    signal: &'static str,
    distance: u32,
    threshold: u32,
    entry: u32,
    label: Option<&'a str>,
    list_id: &'a str,
    list_sequence: u64,
    variant: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    query_percent: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    compared_percent: Option<f64>,
}

/// The distance to the nearest PDQ entry.
#[derive(Serialize)]
struct NearestJson {
    distance: u32,
    threshold: u32,
    variant: &'static str,
}

/// An error: its stable code and its message.
#[derive(Serialize)]
struct ErrorJson {
    code: &'static str,
    message: String,
}

impl<'a> From<&'a Match> for MatchJson<'a> {
    fn from(m: &'a Match) -> Self {
        MatchJson {
            signal: m.signal.name(),
            distance: m.distance,
            threshold: m.threshold,
            entry: m.entry,
            label: m.label.as_deref(),
            list_id: &m.list_id,
            list_sequence: m.list_sequence,
            variant: m.variant.map(|d| d.name()),
            query_percent: m.video.map(|v| v.query_percent),
            compared_percent: m.video.map(|v| v.compared_percent),
        }
    }
}

impl From<&PdqNearest> for NearestJson {
    fn from(n: &PdqNearest) -> Self {
        NearestJson { distance: n.distance, threshold: n.threshold, variant: n.variant.name() }
    }
}

impl<'a> From<&'a Verdict> for VerdictJson<'a> {
    fn from(v: &'a Verdict) -> Self {
        let h = &v.hashes;
        let perceptual = |name: &str| h.perceptual.iter().find(|p| p.algorithm().name() == name).map(|p| p.to_hex());
        VerdictJson {
            matched: v.matched,
            matches: v.matches.iter().map(MatchJson::from).collect(),
            matches_truncated: v.matches_truncated,
            pdq: h.pdq.map(|p| p.hash.to_hex()),
            pdq_quality: h.pdq.map(|p| p.quality),
            pdq_dihedral: h.pdq_dihedral.map(|d| d.hashes.iter().map(|x| x.to_hex()).collect()),
            pdq_skipped_low_quality: v.pdq_skipped_low_quality,
            perceptual_skipped: v.perceptual_skipped,
            pdq_nearest: v.pdq_nearest.as_ref().map(NearestJson::from),
            phash: perceptual("phash"),
            dhash: perceptual("dhash"),
            ahash: perceptual("ahash"),
            blockhash: perceptual("blockhash"),
            md5: h.md5.map(|d| hex::to_hex(&d)),
            sha1: h.sha1.map(|d| hex::to_hex(&d)),
            sha256: h.sha256.map(|d| hex::to_hex(&d)),
            vpdq: h.vpdq.as_deref(),
            decode_error: v.decode_error.as_ref().map(|e| ErrorJson { code: e.code(), message: e.to_string() }),
            elapsed_ms: v.elapsed_ms,
        }
    }
}

impl Serialize for Verdict {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        VerdictJson::from(self).serialize(serializer)
    }
}

/// What a face says of the list a checker holds — never its entries: the
/// browser's `listInfo()` and the server's `GET /v1/list`. Each section's
/// threshold is the one it is matched under (the host's override, or the
/// list's).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListInfoJson<'a> {
    id: &'a str,
    sequence: u64,
    created: u64,
    expires: Option<u64>,
    key_id: String,
    entries: usize,
    duplicates: usize,
    sections: Vec<SectionInfoJson>,
}

/// One section of [`ListInfoJson`].
#[derive(Serialize)]
struct SectionInfoJson {
    signal: &'static str,
    count: usize,
    threshold: u32,
}

impl<'a> From<&'a Checker> for ListInfoJson<'a> {
    fn from(checker: &'a Checker) -> Self {
        let list = checker.list();
        let m = list.meta();
        let thresholds = checker.thresholds();
        let sections = list
            .sections()
            .map(|s| SectionInfoJson {
                signal: s.signal.name(),
                count: s.count,
                threshold: thresholds.or(s.signal, s.threshold),
            })
            .collect();
        ListInfoJson {
            id: &m.id,
            sequence: m.sequence,
            created: m.created,
            expires: m.expires,
            key_id: m.key_id.to_string(),
            entries: list.len(),
            duplicates: list.duplicates(),
            sections,
        }
    }
}

/// The hashes of one file, as a browser sends them to a remote matcher: the
/// verdict's hash fields, each present only when computed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FileHashesJson {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) pdq: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) pdq_quality: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) pdq_dihedral: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) md5: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) sha1: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) sha256: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) phash: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) dhash: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) ahash: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) blockhash: Option<String>,
    /// A video's vPDQ frames, as the verdict's `vpdq` holds them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) vpdq: Option<Vec<VpdqFrameJson>>,
}

/// One vPDQ frame of a check request: the verdict's form of a
/// [`VpdqFeature`], the hash as hex.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VpdqFrameJson {
    pub(crate) frame: u64,
    pub(crate) quality: u8,
    pub(crate) hash: String,
    pub(crate) timestamp: f64,
}

/// Most vPDQ frames a file of a check request may carry: a six-hour video
/// hashed once a second, twice over.
pub const MAX_VPDQ_FRAMES_PER_FILE: usize = 2 * 6 * 3600;

impl FileHashesJson {
    /// The hashes of `h` of the signal types in `signals` (what the list
    /// holds: nothing else need leave the browser). PDQ brings its quality
    /// and, when computed, its eight variants; it goes along with the
    /// perceptual hashes too, whose matching its quality gates as in a
    /// local check. The digests go all three when the list has any, as a
    /// local check reports them.
    pub fn of(h: &ComputedHashes, signals: &[SignalType]) -> Self {
        let digests = signals.iter().any(|s| !s.is_distance_matched());
        let wants = |s: SignalType| signals.contains(&s) || (digests && !s.is_distance_matched());
        let gated = signals.iter().any(|s| s.is_perceptual());
        let perceptual = |s: SignalType| {
            let algorithm = crate::check::perceptual_algorithm(s)?;
            wants(s).then(|| h.perceptual.iter().find(|p| p.algorithm() == algorithm).map(PerceptualHash::to_hex))?
        };
        let pdq = h.pdq.filter(|_| wants(SignalType::Pdq) || gated);
        FileHashesJson {
            pdq: pdq.map(|p| p.hash.to_hex()),
            pdq_quality: pdq.map(|p| p.quality),
            pdq_dihedral: pdq.and(h.pdq_dihedral).map(|d| d.hashes.iter().map(PdqHash::to_hex).collect()),
            md5: h.md5.filter(|_| wants(SignalType::Md5)).map(|d| hex::to_hex(&d)),
            sha1: h.sha1.filter(|_| wants(SignalType::Sha1)).map(|d| hex::to_hex(&d)),
            sha256: h.sha256.filter(|_| wants(SignalType::Sha256)).map(|d| hex::to_hex(&d)),
            phash: perceptual(SignalType::Phash),
            dhash: perceptual(SignalType::Dhash),
            ahash: perceptual(SignalType::Ahash),
            blockhash: perceptual(SignalType::Blockhash),
            vpdq: h.vpdq.as_ref().filter(|_| wants(SignalType::Vpdq)).map(|all| {
                all.iter()
                    .map(|f| VpdqFrameJson {
                        frame: f.frame,
                        quality: f.quality,
                        hash: f.hash.to_hex(),
                        timestamp: f.timestamp,
                    })
                    .collect()
            }),
        }
    }

    /// The hashes, checked: hex of the right length, `pdqQuality` (0 to
    /// 100) with `pdq`, and `pdqDihedral` of 8 hashes.
    ///
    /// # Errors
    /// [`Error::InvalidHash`] for bad hex or a wrong length;
    /// [`Error::BadRequest`] for a broken rule of the shape.
    pub fn to_hashes(&self) -> Result<ComputedHashes> {
        let bad = |why: &str| Error::BadRequest(why.to_owned());
        let mut out = ComputedHashes::default();
        if let Some(text) = &self.pdq {
            let hash = PdqHash::from_hex(text)?;
            let quality = self.pdq_quality.ok_or_else(|| bad("pdqQuality is required with pdq"))?;
            if quality > crate::hash::pdq::MAX_QUALITY {
                return Err(bad("pdqQuality is from 0 to 100"));
            }
            out.pdq = Some(PdqResult { hash, quality });
            if let Some(all) = &self.pdq_dihedral {
                let hashes: Vec<PdqHash> = all.iter().map(|t| PdqHash::from_hex(t)).collect::<Result<_>>()?;
                // Its first may differ from `pdq`: the reference's plain hash
                // of a 64×64 image skips the blur the variants have.
                let hashes: [PdqHash; 8] = hashes.try_into().map_err(|_| bad("pdqDihedral holds 8 hashes"))?;
                out.pdq_dihedral = Some(PdqDihedral { hashes, quality });
            }
        } else if self.pdq_quality.is_some() || self.pdq_dihedral.is_some() {
            return Err(bad("pdqQuality and pdqDihedral come with pdq"));
        }
        out.md5 = self.md5.as_deref().map(|t| digest(SignalType::Md5, t)).transpose()?;
        out.sha1 = self.sha1.as_deref().map(|t| digest(SignalType::Sha1, t)).transpose()?;
        out.sha256 = self.sha256.as_deref().map(|t| digest(SignalType::Sha256, t)).transpose()?;
        for (text, algorithm) in [
            (&self.phash, PerceptualAlgorithm::Phash),
            (&self.dhash, PerceptualAlgorithm::Dhash),
            (&self.ahash, PerceptualAlgorithm::Ahash),
            (&self.blockhash, PerceptualAlgorithm::Blockhash),
        ] {
            if let Some(text) = text {
                out.perceptual.push(PerceptualHash::from_hex(algorithm, text)?);
            }
        }
        if let Some(frames) = &self.vpdq {
            if frames.len() > MAX_VPDQ_FRAMES_PER_FILE {
                return Err(Error::LimitExceeded {
                    limit: Limit::VpdqFrames,
                    requested: frames.len() as u64,
                    max: MAX_VPDQ_FRAMES_PER_FILE as u64,
                });
            }
            let features = frames
                .iter()
                .enumerate()
                .map(|(i, f)| {
                    let frame = crate::hash::vpdq::frame_of(f.frame, f.quality, &f.hash, f.timestamp);
                    frame.map_err(|why| bad(&format!("vpdq frame {i}: {why}")))
                })
                .collect::<Result<Vec<_>>>()?;
            out.vpdq = Some(features);
        }
        Ok(out)
    }
}

/// A digest of `N` bytes from hex.
fn digest<const N: usize>(signal: SignalType, text: &str) -> Result<[u8; N]> {
    let invalid = |reason: String| Error::InvalidHash { kind: signal.name(), reason };
    if text.len() != 2 * N {
        return Err(invalid(format!("expected {} hex digits, got {}", 2 * N, text.len())));
    }
    let bytes = hex::from_hex(text).ok_or_else(|| invalid("not hexadecimal".to_owned()))?;
    bytes.try_into().map_err(|_| invalid("not hexadecimal".to_owned()))
}

/// The body of `POST /v1/check`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckRequest {
    files: Vec<FileHashesJson>,
}

/// The files of a `POST /v1/check` body (`docs/server.md`), each checked
/// by [`FileHashesJson::to_hashes`].
///
/// # Errors
/// [`Error::BadRequest`] for JSON that is not the request's shape (unknown
/// fields included) or that has no `files`; [`Error::LimitExceeded`] for
/// more than [`MAX_FILES_PER_REQUEST`] files; those of
/// [`FileHashesJson::to_hashes`], for the first bad file. Never panics.
/// The caller bounds the body's size before this reads it.
pub fn parse_check_request(body: &[u8]) -> Result<Vec<ComputedHashes>> {
    let request: CheckRequest = serde_json::from_slice(body).map_err(|e| Error::BadRequest(e.to_string()))?;
    if request.files.len() > MAX_FILES_PER_REQUEST {
        return Err(Error::LimitExceeded {
            limit: Limit::Files,
            requested: request.files.len() as u64,
            max: MAX_FILES_PER_REQUEST as u64,
        });
    }
    request
        .files
        .iter()
        .enumerate()
        .map(|(i, f)| {
            f.to_hashes().map_err(|e| match e {
                Error::BadRequest(why) => Error::BadRequest(format!("file {i}: {why}")),
                Error::InvalidHash { kind, reason } => {
                    Error::InvalidHash { kind, reason: format!("file {i}: {reason}") }
                }
                other => other,
            })
        })
        .collect()
}
