//! Video lists: the `vpdq` and `video_md5` sections of the list format's
//! version 2, their import, and the checker's video matches, which must be
//! exactly python-threatexchange's rule (`prescan::hash::vpdq::compare`,
//! itself checked against the oracle in `tests/vpdq_oracle.rs`) over every
//! listed video.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::Rng;
use common::lists::resign;
use prescan::Error;
use prescan::check::{CheckOptions, Checker};
use prescan::hash::digest::FileDigests;
use prescan::hash::pdq::PdqHash;
use prescan::hash::vpdq::{self, VpdqFeature, VpdqThresholds};
use prescan::list::format::{ListBuilder, SignedList};
use prescan::list::import::{self, ImportOptions, InputFormat};
use prescan::list::keys::SecretKey;
use prescan::list::{Entry, SignalType};

const NOW: u64 = 1_790_000_000;

fn builder() -> ListBuilder {
    ListBuilder { id: "videos".into(), sequence: 1, created: NOW - 100, expires: None, thresholds: Default::default() }
}

fn load(bytes: Vec<u8>, key: &SecretKey) -> prescan::Result<SignedList> {
    common::lists::load(bytes, key, NOW)
}

fn features(hashes: &[PdqHash], quality: u8) -> Vec<VpdqFeature> {
    (0u64..).zip(hashes).map(|(i, &hash)| VpdqFeature { frame: i * 25, quality, hash, timestamp: i as f64 }).collect()
}

fn video_entry(hashes: &[PdqHash], label: &str) -> Entry {
    Entry {
        signal: SignalType::Vpdq,
        hash: hashes.iter().flat_map(|h| h.to_bytes()).collect(),
        label: Some(label.into()),
    }
}

#[test]
fn video_sections_round_trip_in_version_2_and_image_lists_stay_version_1() {
    let key = SecretKey::from_seed([9; 32]);
    let mut rng = Rng(1);
    let a: Vec<PdqHash> = (0..3).map(|_| rng.hash()).collect();
    let b: Vec<PdqHash> = (0..5).map(|_| rng.hash()).collect();
    let md5 = FileDigests::of(b"a listed video").md5;
    let entries = vec![
        video_entry(&a, "a"),
        video_entry(&b, "b"),
        Entry { signal: SignalType::VideoMd5, hash: md5.to_vec(), label: None },
        Entry { signal: SignalType::Pdq, hash: a[0].to_bytes().to_vec(), label: None },
    ];
    let bytes = builder().build(&entries, &key).unwrap();
    assert_eq!(&bytes[8..10], &2u16.to_le_bytes(), "a list with video sections is version 2");
    let list = load(bytes, &key).unwrap();
    let v = list.section(SignalType::Vpdq).unwrap();
    assert_eq!(v.count, 2);
    assert_eq!(v.hash(0).unwrap(), &entries[0].hash[..]);
    assert_eq!(v.hash(1).unwrap(), &entries[1].hash[..]);
    assert_eq!(v.hash(2), None);
    assert_eq!(v.label(1), Some("b"));
    assert_eq!(list.section(SignalType::VideoMd5).unwrap().hash(0).unwrap(), &md5[..]);

    let image_only = builder().build(&entries[3..], &key).unwrap();
    assert_eq!(&image_only[8..10], &1u16.to_le_bytes(), "a list without them stays version 1");
    load(image_only, &key).unwrap();

    // A video of no frames, or a ragged one, is not an entry.
    for hash in [vec![], vec![0u8; 40]] {
        let bad = Entry { signal: SignalType::Vpdq, hash, label: None };
        assert!(matches!(builder().build(&[bad], &key), Err(Error::ListMalformed(_))));
    }
}

#[test]
fn malformed_video_sections_are_refused_even_when_signed() {
    let key = SecretKey::from_seed([9; 32]);
    let mut rng = Rng(2);
    let a: Vec<PdqHash> = (0..2).map(|_| rng.hash()).collect();
    let bytes = builder().build(&[video_entry(&a, "")], &key).unwrap();
    // The section: code, reserved, threshold (2), count (4), label bytes
    // (4), frames (4), offsets (4 each).
    let section = 48 + "videos".len();
    let offsets = section + 12 + 4;
    let message = |bytes: Vec<u8>| match load(resign(bytes, &key), &key) {
        Err(Error::ListMalformed(m)) => m,
        other => panic!("{other:?}"),
    };
    let mut v1 = bytes.clone();
    v1[8..10].copy_from_slice(&1u16.to_le_bytes());
    assert!(message(v1).contains("unknown signal type code 6 in a version 1 list"));
    let mut empty_video = bytes.clone();
    empty_video[offsets + 4..offsets + 8].copy_from_slice(&0u32.to_le_bytes());
    assert!(message(empty_video).contains("frame offsets"));
    let mut not_from_zero = bytes.clone();
    not_from_zero[offsets..offsets + 4].copy_from_slice(&1u32.to_le_bytes());
    assert!(message(not_from_zero).contains("frame offsets"));
    let mut more_frames = bytes;
    more_frames[section + 12..section + 16].copy_from_slice(&3u32.to_le_bytes());
    assert!(matches!(load(resign(more_frames, &key), &key), Err(Error::ListMalformed(_) | Error::ListTruncated)));
}

/// The checker's vPDQ matches against a list of `videos`, and what the
/// rule gives comparing the query with each video alone.
fn both(checker: &Checker, videos: &[Vec<PdqHash>], query: &[VpdqFeature], t: &VpdqThresholds) {
    let verdict = checker.check_video(query.to_vec(), None);
    // The verdict orders matches by distance; the rule, by entry.
    let mut got: Vec<(u32, f64, f64)> = verdict
        .matches
        .iter()
        .map(|m| {
            let c = m.video.unwrap();
            (m.entry, c.query_percent, c.compared_percent)
        })
        .collect();
    got.sort_by_key(|g| g.0);
    let q = vpdq::matchable(query, t.quality);
    let expected: Vec<(u32, f64, f64)> = (0u32..)
        .zip(videos)
        .filter_map(|(i, v)| {
            let c = vpdq::compare(query, &features(v, 90), t);
            let any = q.iter().any(|h| v.iter().any(|f| h.distance(f) <= t.distance));
            (any && t.matches(c.query_percent, c.compared_percent)).then_some((i, c.query_percent, c.compared_percent))
        })
        .collect();
    assert_eq!(got, expected);
    assert_eq!(verdict.matched, !expected.is_empty());
}

#[test]
fn video_matches_are_the_rule_over_every_listed_video() {
    let key = SecretKey::from_seed([9; 32]);
    let mut rng = Rng(3);
    // 800 videos of 5 to 40 frames: past the 16,384 frames at which the
    // frames are indexed, not scanned.
    let videos: Vec<Vec<PdqHash>> = (0..800).map(|_| (0..5 + rng.below(36)).map(|_| rng.hash()).collect()).collect();
    let entries: Vec<Entry> = videos.iter().map(|v| video_entry(v, "v")).collect();
    let list = load(builder().build(&entries, &key).unwrap(), &key).unwrap();
    for t in [
        VpdqThresholds::default(),
        VpdqThresholds { query_percent: 50.0, compared_percent: 50.0, ..VpdqThresholds::default() },
        VpdqThresholds { query_percent: 0.0, compared_percent: 0.0, ..VpdqThresholds::default() },
    ] {
        let checker = Checker::new(list.clone(), CheckOptions { vpdq: t, ..CheckOptions::default() }).unwrap();
        for round in 0..60 {
            let source = &videos[rng.below(videos.len())];
            // A copy with frames changed by up to 40 bits, some dropped,
            // some unrelated frames added, a few of low quality.
            let mut query: Vec<VpdqFeature> = Vec::new();
            for (i, h) in source.iter().enumerate() {
                if rng.below(5) == 0 {
                    continue;
                }
                let bits = rng.below(41) as u32;
                let quality = if rng.below(10) == 0 { 30 } else { 90 };
                query.push(VpdqFeature {
                    frame: i as u64,
                    quality,
                    hash: common::flip(&mut rng, h, bits),
                    timestamp: 0.0,
                });
            }
            for _ in 0..rng.below(round % 7 + 1) {
                query.push(VpdqFeature { frame: 999, quality: 90, hash: rng.hash(), timestamp: 0.0 });
            }
            if round % 10 == 0 {
                // A frame of another listed video too.
                let other = &videos[rng.below(videos.len())];
                query.push(VpdqFeature { frame: 1000, quality: 90, hash: other[0], timestamp: 0.0 });
            }
            both(&checker, &videos, &query, &t);
        }
        // Nothing matchable: no match, at any threshold.
        both(&checker, &videos, &features(&videos[0], 10), &t);
    }
}

#[test]
fn video_md5_matches_the_bytes_of_the_file() {
    let key = SecretKey::from_seed([9; 32]);
    let bytes = b"\0\0\0\x18ftypisom a video, as far as its digest goes".to_vec();
    let d = FileDigests::of(&bytes);
    let entries = vec![Entry { signal: SignalType::VideoMd5, hash: d.md5.to_vec(), label: Some("listed".into()) }];
    let checker =
        Checker::new(load(builder().build(&entries, &key).unwrap(), &key).unwrap(), CheckOptions::default()).unwrap();
    let v = checker.check_video(Vec::new(), Some(&d));
    assert!(v.matched);
    assert_eq!((v.matches[0].signal, v.matches[0].label.as_deref()), (SignalType::VideoMd5, Some("listed")));
    assert!(checker.check_bytes(&bytes).matched, "the same bytes, however they are checked");
    assert!(!checker.check_video(Vec::new(), Some(&FileDigests::of(b"another"))).matched);
}

#[test]
fn vpdq_hashes_import_from_vpdq_files_and_threatexchange_records() {
    let mut rng = Rng(4);
    let h: Vec<PdqHash> = (0..4).map(|_| rng.hash()).collect();
    // vPDQ's text format: detected; the low-quality frame and the repeat
    // are left out of the entry.
    let text = format!("0,100,{},0.000\n25,20,{},1.000\n50,90,{},2.000\n75,90,{},3.000\n", h[0], h[1], h[2], h[0]);
    assert_eq!(import::detect(&text), InputFormat::Vpdq);
    let got = import::import(&text, &ImportOptions::default()).unwrap();
    assert_eq!(got.entries.len(), 1);
    assert_eq!(got.entries[0].signal, SignalType::Vpdq);
    assert_eq!(got.entries[0].hash, [h[0].to_bytes(), h[2].to_bytes()].concat());
    let low = format!("0,10,{},0.000\n", h[0]);
    let refused = import::import(&low, &ImportOptions::default()).unwrap();
    assert!(refused.entries.is_empty() && refused.rejected[0].reason.contains("no frame of quality 50"));

    // python-threatexchange's serialisation, in an HMA-style CSV and in
    // StopNCII-style JSON, beside a VideoMD5.
    let serialised = serde_json::to_string(&vec![format!("{},100,0.0", h[1]), format!("{},80,1.0", h[3])]).unwrap();
    let csv = format!("signal_type,signal_value\nvpdq,\"{}\"\n", serialised.replace('"', "\"\""));
    let got = import::import(&csv, &ImportOptions::default()).unwrap();
    assert_eq!(got.rejected, vec![]);
    assert_eq!(got.entries[0].hash, [h[1].to_bytes(), h[3].to_bytes()].concat());
    let json = serde_json::json!([
        { "signalType": "vpdq", "hashValue": serialised, "label": "clip" },
        { "signalType": "VideoMD5", "hashValue": "0123456789abcdef0123456789abcdef" },
    ])
    .to_string();
    let got = import::import(&json, &ImportOptions::default()).unwrap();
    assert_eq!(got.rejected, vec![]);
    assert_eq!(got.entries.iter().map(|e| e.signal).collect::<Vec<_>>(), vec![SignalType::Vpdq, SignalType::VideoMd5]);
    let bad = serde_json::json!([{ "signalType": "vpdq", "hashValue": format!("[\"{},101,0.0\"]", h[0]) }]).to_string();
    let got = import::import(&bad, &ImportOptions::default()).unwrap();
    assert!(got.rejected[0].reason.contains("quality"), "{:?}", got.rejected);
}

#[test]
fn a_check_request_carries_a_video_and_gets_the_verdict_check_video_gives() {
    let key = SecretKey::from_seed([9; 32]);
    let mut rng = Rng(11);
    let video: Vec<PdqHash> = (0..10).map(|_| rng.hash()).collect();
    let list = load(builder().build(&[video_entry(&video, "clip")], &key).unwrap(), &key).unwrap();
    let checker = Checker::new(list, CheckOptions::default()).unwrap();
    let query = features(&video, 90);
    let frames: Vec<String> = query
        .iter()
        .map(|f| {
            format!(
                r#"{{"frame":{},"quality":{},"hash":"{}","timestamp":{:.3}}}"#,
                f.frame, f.quality, f.hash, f.timestamp
            )
        })
        .collect();
    let body = format!(r#"{{"files":[{{"vpdq":[{}],"md5":"{}"}}]}}"#, frames.join(","), "0".repeat(32));
    let hashes = prescan::schema::parse_check_request(body.as_bytes()).unwrap();
    let remote = checker.check_hashes(hashes.into_iter().next().unwrap());
    let local = checker.check_video(query.clone(), None);
    assert!(remote.matched && local.matched);
    assert_eq!(remote.matches, local.matches, "the same matches, percentages included");

    // Malformed frames are refused with the request's codes.
    for (frame, code) in [
        (r#"{"frame":0,"quality":101,"hash":"00","timestamp":0}"#, "bad_request"),
        (&format!(r#"{{"frame":0,"quality":90,"hash":"{}","timestamp":-1}}"#, query[0].hash), "bad_request"),
        (r#"{"frame":0,"quality":90,"hash":"zz","timestamp":0}"#, "bad_request"),
        (&format!(r#"{{"frame":0,"quality":90,"hash":"{}","timestamp":0,"extra":1}}"#, query[0].hash), "bad_request"),
    ] {
        let body = format!(r#"{{"files":[{{"vpdq":[{frame}]}}]}}"#);
        let e = prescan::schema::parse_check_request(body.as_bytes()).unwrap_err();
        assert_eq!(e.code(), code, "{frame}: {e}");
    }
    let many = vec![frames[0].as_str(); prescan::schema::MAX_VPDQ_FRAMES_PER_FILE + 1].join(",");
    let e =
        prescan::schema::parse_check_request(format!(r#"{{"files":[{{"vpdq":[{many}]}}]}}"#).as_bytes()).unwrap_err();
    assert_eq!(e.code(), "limit_exceeded");
}
