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

use serde::{Serialize, Serializer};

use crate::check::{Match, PdqNearest, Verdict};

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
            md5: h.digests.map(|d| d.md5_hex()),
            sha1: h.digests.map(|d| d.sha1_hex()),
            sha256: h.digests.map(|d| d.sha256_hex()),
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
